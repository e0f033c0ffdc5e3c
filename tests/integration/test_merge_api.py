"""Merging a guest record into the customer's own: every order moves with its ledger entries,
aggregates come out exactly as if the orders had always been the customer's, and the merge is
idempotent and resumable."""
import json

import pytest

from .helpers import JSON, order_body, post, put

HOME = {"line1": "27 Meadow Lane", "city": "Harrogate", "postcode": "HG1 2AB", "country": "GB"}


def history(client, customer_id, prefix, orders):
    """Orders with deliveries, a refund and a cancellation, the same for every caller."""
    put(client, f"/v1/customers/{customer_id}", {"name": customer_id})
    for number, placed in enumerate(orders):
        order_id = f"{prefix}-{number}"
        post(client, f"/v1/customers/{customer_id}/orders",
             order_body(order_id, placed, unit=4000 + 100 * number, quantity=2, shipping_address=HOME))
        path = f"/v1/customers/{customer_id}/orders/{order_id}/events"
        if number % 3 == 2:
            post(client, path, {"event_id": "x", "type": "cancelled", "at": placed})
            continue
        post(client, path, {"event_id": "d", "type": "delivered", "at": placed})
        if number % 3 == 1:
            post(client, path, {"event_id": "r", "type": "refunded", "at": placed, "amount": 1500})


def merge(raw_client, target, source):
    return raw_client.http.post(f"/v1/admin/customers/{target}/merge", headers={**JSON, "X-Operator": "dana"},
                                body=json.dumps({"source_customer_id": source}).encode())


OWN = ["2024-03-01T10:00:00Z", "2025-12-01T10:00:00Z"]
GUEST = ["2023-01-05T10:00:00Z", "2026-06-01T10:00:00Z", "2026-10-01T10:00:00Z", "2026-11-01T10:00:00Z"]


def test_merged_aggregates_equal_one_customer_who_placed_every_order(client, raw_client):
    history(client, "ben", "own", OWN)
    history(client, "guest-77", "g", GUEST)
    history(client, "reference", "ref-own", OWN)
    history(client, "reference", "ref-g", GUEST)  # the guest's orders again, on one customer
    response = merge(raw_client, "ben", "guest-77")
    assert response.status_code == 200, response.json_body
    assert response.json_body["orders_moved"] == 4
    merged = client.http.get("/v1/customers/ben").json_body["stats"]
    reference = client.http.get("/v1/customers/reference").json_body["stats"]
    assert merged == reference
    emptied = client.http.get("/v1/customers/guest-77").json_body["stats"]
    assert emptied["lifetime"]["orders"] == 0 and emptied["lifetime"]["net_spend"]["amount"] == 0
    assert emptied["first_order_at"] is None
    moved = client.http.get("/v1/customers/ben/ledger?limit=100").json_body["entries"]
    assert {entry["order_id"] for entry in moved if entry.get("order_id")} >= {f"g-{n}" for n in range(4)}
    guest_ledger = client.http.get("/v1/customers/guest-77/ledger").json_body["entries"]
    assert [entry["type"] for entry in guest_ledger] == ["merged_into"]
    view = raw_client.http.get("/v1/admin/customers/ben").json_body
    assert view["adjustments"][0]["kind"] == "merge" and view["adjustments"][0]["operator"] == "local:dana"
    assert view["addresses"][0]["orders_shipped"] == 5  # 2 own + the guest's 3 not cancelled


def test_a_merge_is_idempotent_and_events_follow_the_moved_orders(client, raw_client):
    history(client, "ben", "own", OWN)
    history(client, "guest-77", "g", GUEST)
    merge(raw_client, "ben", "guest-77")
    before = client.http.get("/v1/customers/ben").json_body["stats"]
    again = merge(raw_client, "ben", "guest-77").json_body
    assert again["orders_moved"] == 0 and again["already_merged"] is True
    assert client.http.get("/v1/customers/ben").json_body["stats"] == before
    refund = post(client, "/v1/customers/ben/orders/g-0/events",
                  {"event_id": "later", "type": "refunded", "at": "2026-11-20T10:00:00Z", "amount": 100})
    assert refund.status_code == 201


def test_a_merge_interrupted_midway_is_resumed_by_calling_again(client, raw_client, monkeypatch):
    from chalicelib.store import merge as repository

    history(client, "ben", "own", OWN)
    history(client, "guest-77", "g", GUEST)
    history(client, "reference", "ref-own", OWN)
    history(client, "reference", "ref-g", GUEST)
    real_move, calls = repository.move_order, []

    def failing_after_two(*args, **kwargs):
        calls.append(1)
        if len(calls) > 2:
            raise RuntimeError("Lambda timed out")
        return real_move(*args, **kwargs)

    monkeypatch.setattr(repository, "move_order", failing_after_two)
    assert merge(raw_client, "ben", "guest-77").status_code == 500
    monkeypatch.setattr(repository, "move_order", real_move)
    resumed = merge(raw_client, "ben", "guest-77").json_body
    assert resumed["orders_moved"] == 2
    assert client.http.get("/v1/customers/ben").json_body["stats"] == \
        client.http.get("/v1/customers/reference").json_body["stats"]


@pytest.mark.parametrize("body, status", [({"source_customer_id": "ben"}, 400), ({}, 400),
                                          ({"source_customer_id": "ghost"}, 404)])
def test_bad_merges_are_refused(client, raw_client, body, status):
    put(client, "/v1/customers/ben", {"name": "Ben"})
    response = raw_client.http.post("/v1/admin/customers/ben/merge", headers=JSON, body=json.dumps(body).encode())
    assert response.status_code == status


def test_an_order_with_more_entries_than_one_transaction_holds_is_refused_before_anything_moves(
        client, raw_client, monkeypatch):
    from chalicelib.store import transactions as repository

    history(client, "ben", "own", OWN[:1])
    history(client, "guest-77", "g", GUEST)
    # g-1 (placed, delivered, refunded) needs 14 items: 3 entries written and deleted, the order,
    # two profiles, two days, two months and the address; the others need 12.
    monkeypatch.setattr(repository, "MAX_TRANSACTION_ITEMS", 13)
    before = client.http.get("/v1/customers/guest-77").json_body["stats"]
    response = merge(raw_client, "ben", "guest-77")
    assert response.status_code == 422 and "g-1" in response.json_body["error"]["message"]
    assert client.http.get("/v1/customers/guest-77").json_body["stats"] == before


def promotion_uses(table, customer_id, code):
    """The stored per-customer use count of a promotion (0 when never claimed)."""
    import boto3

    item = boto3.client("dynamodb").get_item(
        TableName=table, Key={"pk": {"S": f"CUSTOMER#{customer_id}"}, "sk": {"S": f"PROFILE#PROMO#{code}"}},
        ConsistentRead=True).get("Item")
    return int(item["uses"]["N"]) if item else 0


def test_merging_a_cancelled_order_does_not_give_its_promotion_use_back_twice(client, raw_client, table):
    from .test_quotes_api import cart, get_quote, order_from_quote, promo, rules_with

    put(client, "/v1/admin/rules", rules_with(promo("ONCE", per_customer_limit=1)))
    put(client, "/v1/customers/ben", {"name": "Ben"})
    put(client, "/v1/customers/guest-77", {"name": "Guest"})
    kept = get_quote(client, cart(customer_id="guest-77", codes=["ONCE"]))
    assert post(client, "/v1/customers/guest-77/orders", order_from_quote(kept, "g-kept")).status_code == 201
    put(client, "/v1/admin/rules", rules_with(promo("ONCE", per_customer_limit=1), promo("TWICE", per_customer_limit=1)))
    dropped = get_quote(client, cart(customer_id="guest-77", codes=["TWICE"]))
    assert post(client, "/v1/customers/guest-77/orders", order_from_quote(dropped, "g-dropped")).status_code == 201
    cancel = {"event_id": "x", "type": "cancelled", "at": kept["expires_at"]}
    assert post(client, "/v1/customers/guest-77/orders/g-dropped/events", cancel).status_code == 201
    assert promotion_uses(table, "guest-77", "TWICE") == 0  # the cancellation gave it back

    assert merge(raw_client, "ben", "guest-77").json_body["orders_moved"] == 2
    assert [promotion_uses(table, customer, code) for customer in ("guest-77", "ben") for code in ("ONCE", "TWICE")] \
        == [0, 0, 1, 0]
    again = get_quote(client, cart(customer_id="ben", codes=["ONCE", "TWICE"]))
    assert {d["code"] for d in again["discounts"]} == {"TWICE"}


def order_with_claims_and_refunds(client, customer_id, order_id, refunds):
    """An order that claimed three once-per-customer offers, shipped home, with ``refunds`` refunds of 1p:
    its move writes 2 items per ledger entry (1 + refunds), the order, two profiles, two days,
    two months, the address and 2 per claim."""
    from .test_quotes_api import cart, get_quote, order_from_quote, promo, rules_with

    codes = ["ONE", "TWO", "THREE"]
    put(client, "/v1/admin/rules", rules_with(*(promo(code, per_customer_limit=1) for code in codes)))
    quote = get_quote(client, cart(customer_id=customer_id, codes=codes))
    assert {d["code"] for d in quote["discounts"]} == set(codes)
    body = {**order_from_quote(quote, order_id), "shipping_address": HOME}
    assert post(client, f"/v1/customers/{customer_id}/orders", body).status_code == 201
    for number in range(refunds):
        refund = {"event_id": f"r-{number}", "type": "refunded", "at": quote["expires_at"], "amount": 1}
        assert post(client, f"/v1/customers/{customer_id}/orders/{order_id}/events", refund).status_code == 201


class TransactItemsCounter:
    """The number of items of every TransactWriteItems the app sends."""

    def __init__(self):
        self.sizes = []

    def __call__(self, model, params, **kwargs):
        if model.name == "TransactWriteItems":
            self.sizes.append(len(params["TransactItems"]))


def test_a_merge_counts_the_promotion_uses_an_order_move_writes(client, raw_client):
    from chalicelib.store.models import TableItem

    put(client, "/v1/customers/ben", {"name": "Ben"})
    put(client, "/v1/customers/guest-77", {"name": "Guest"})
    order_with_claims_and_refunds(client, "guest-77", "g-big", refunds=43)  # 44 entries + 3 claims: 102 items
    before = client.http.get("/v1/customers/guest-77/ledger?limit=100").json_body["entries"]
    response = merge(raw_client, "ben", "guest-77")
    assert response.status_code == 422, response.json_body
    assert "g-big" in response.json_body["error"]["message"]
    assert client.http.get("/v1/customers/guest-77/ledger?limit=100").json_body["entries"] == before
    assert client.http.get("/v1/customers/ben").json_body["stats"]["lifetime"]["orders"] == 0

    put(client, "/v1/customers/guest-78", {"name": "Guest"})
    order_with_claims_and_refunds(client, "guest-78", "g-full", refunds=42)  # exactly 100 items
    counter = TransactItemsCounter()
    events = TableItem._get_connection().connection.client.meta.events
    events.register("before-parameter-build.dynamodb", counter)
    try:
        response = merge(raw_client, "ben", "guest-78")
    finally:
        events.unregister("before-parameter-build.dynamodb", counter)
    assert response.status_code == 200 and response.json_body["orders_moved"] == 1, response.json_body
    assert counter.sizes[0] == 100


def test_a_merge_keeps_the_earliest_use_and_the_latest_delivery_of_a_shared_address(client, raw_client):
    """The guest shipped to the customer's home before the customer's own record existed: after
    the merge the entry is as old as the guest's first order, as if one customer placed them all."""
    history(client, "ben", "own", OWN)
    history(client, "guest-77", "g", GUEST)
    history(client, "reference", "ref-own", OWN)
    history(client, "reference", "ref-g", GUEST)
    assert merge(raw_client, "ben", "guest-77").status_code == 200
    [merged] = raw_client.http.get("/v1/admin/customers/ben").json_body["addresses"]
    [reference] = raw_client.http.get("/v1/admin/customers/reference").json_body["addresses"]
    assert merged["first_used_at"] == reference["first_used_at"] == "2023-01-05T10:00:00Z"
    assert merged["last_delivery_at"] == reference["last_delivery_at"] == "2026-11-01T10:00:00Z"
