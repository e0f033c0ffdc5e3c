"""Findings of a review of merge, erasure, support and /v1/me, each pinned by a test."""
import json
from datetime import datetime, timezone

import boto3
import pytest

from .helpers import JSON, order_body, post, put
from .test_merge_api import GUEST, OWN, history, merge
from .test_quotes_api import cart, get_quote, order_from_quote, promo, rules_with

NOW = datetime.now(timezone.utc)
ADDRESS = {"line1": "1 High Street", "city": "York", "postcode": "YO1 7HH", "country": "GB"}


def test_an_event_committed_while_a_merge_moves_its_order_is_not_lost(client, raw_client, monkeypatch):
    from chalicelib.api.parsing import parse_event
    from chalicelib.services import orders
    from chalicelib.store import merge as repository

    history(client, "ben", "own", OWN)
    history(client, "guest-77", "g", GUEST)
    history(client, "reference", "ref-own", OWN)
    history(client, "reference", "ref-g", GUEST)
    real_move, raced = repository.move_order, []

    def racing_move(order, *args, **kwargs):
        if order.order_id == "g-0" and not raced:  # a refund lands between the merge's read and its move
            raced.append(1)
            event, canonical = parse_event({"event_id": "late", "type": "refunded", "at": NOW.isoformat(),
                                            "amount": 3000}, NOW)
            orders.record_event("guest-77", "g-0", event, canonical)
        return real_move(order, *args, **kwargs)

    monkeypatch.setattr(repository, "move_order", racing_move)
    assert merge(raw_client, "ben", "guest-77").status_code == 200
    post(client, "/v1/customers/reference/orders/ref-g-0/events",
         {"event_id": "late", "type": "refunded", "at": NOW.isoformat(), "amount": 3000})
    assert client.http.get("/v1/customers/ben").json_body["stats"] == \
        client.http.get("/v1/customers/reference").json_body["stats"]
    guest = client.http.get("/v1/customers/guest-77").json_body["stats"]
    assert guest["lifetime"]["net_spend"]["amount"] == 0 and guest["refunds"] == 0


def test_erasing_again_erases_what_arrived_since(client, raw_client, table):
    put(client, "/v1/customers/ann", {"email": "ann@example.org", "name": "Ann"})
    raw_client.http.delete("/v1/admin/customers/ann/personal-data")
    put(client, "/v1/customers/ann", {"email": "ann.new@example.org", "name": "Ann Again"})
    post(client, "/v1/customers/ann/orders", order_body("a-2", shipping_address=ADDRESS))
    again = raw_client.http.delete("/v1/admin/customers/ann/personal-data").json_body
    assert again["already_erased"] is True
    dump = json.dumps(boto3.client("dynamodb").scan(TableName=table)["Items"])
    for secret in ("ann.new@example.org", "Ann Again", "1 High Street"):
        assert secret not in dump


def test_a_first_checkout_decision_is_kept_under_the_customer_and_erased_with_them(client, raw_client, table):
    forwarder = {"line1": "Suite 99, 1 Parcel Forwarding Way", "city": "Wilmington", "postcode": "19808",
                 "country": "US"}
    post(client, "/v1/quotes", {"customer_id": "newbie", "currency": "GBP", "shipping_address": forwarder,
                                "lines": [{"sku": "A", "category": "c", "quantity": 1, "unit_amount": 90000}]})
    put(client, "/v1/customers/newbie", {"name": "New"})
    raw_client.http.delete("/v1/admin/customers/newbie/personal-data")
    assert "Forwarding Way" not in json.dumps(boto3.client("dynamodb").scan(TableName=table)["Items"])


def test_a_once_per_customer_offer_used_by_a_merged_record_stays_used(client, raw_client):
    put(client, "/v1/admin/rules", rules_with(promo("ONCE", per_customer_limit=1)))
    put(client, "/v1/customers/guest-1", {"name": "Guest"})
    put(client, "/v1/customers/ben", {"name": "Ben"})
    used = get_quote(client, cart(customer_id="guest-1", codes=["ONCE"]))
    assert post(client, "/v1/customers/guest-1/orders", order_from_quote(used, "g-once")).status_code == 201
    merge(raw_client, "ben", "guest-1")
    later = get_quote(client, cart(customer_id="ben", codes=["ONCE"]))
    assert "ONCE" in {entry["code"] for entry in later["not_applied"]}
    cancel = {"event_id": "x", "type": "cancelled", "at": NOW.isoformat()}
    assert post(client, "/v1/customers/ben/orders/g-once/events", cancel).status_code == 201
    assert "ONCE" in {d["code"] for d in get_quote(client, cart(customer_id="ben", codes=["ONCE"]))["discounts"]}


@pytest.mark.parametrize("kind", [[], {}, 7])
def test_an_adjustment_kind_of_the_wrong_type_is_a_400(client, raw_client, kind):
    put(client, "/v1/customers/ben", {"name": "Ben"})
    response = raw_client.http.post("/v1/admin/customers/ben/adjustments", headers=JSON,
                                    body=json.dumps({"adjustment_id": "a", "kind": kind}).encode())
    assert response.status_code == 400


def test_a_customer_never_sees_the_staff_reason_for_a_goodwill_credit(client, raw_client, customer_token):
    put(client, "/v1/customers/ben", {"name": "Ben"})
    raw_client.http.post("/v1/admin/customers/ben/adjustments", headers=JSON, body=json.dumps(
        {"adjustment_id": "g", "kind": "goodwill_credit", "amount": 500, "currency": "GBP",
         "reason": "internal: difficult caller"}).encode())
    token = customer_token("ben")
    for path in ("/v1/me", "/v1/me/ledger"):
        body = raw_client.http.get(path, headers={"Authorization": f"Bearer {token}"}).json_body
        assert "difficult caller" not in json.dumps(body)
