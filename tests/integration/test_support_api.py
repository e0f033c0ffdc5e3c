"""Support and operations: the whole picture in one call, lookup by email or phone, and
audited adjustments (goodwill, tier overrides that tiers honour, notes)."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from .helpers import JSON, item_count, order_body, post, put

NOW = datetime.now(timezone.utc)
UNIT_4 = {"line1": "Unit 4, Acacia Business Park", "city": "Leeds", "postcode": "LS6 1LF", "country": "GB"}


def admin_post(raw_client, path, body, operator="dana"):
    return raw_client.http.post(path, headers={**JSON, "X-Operator": operator}, body=json.dumps(body).encode())


@pytest.fixture
def regular(client):
    put(client, "/v1/customers/ben", {"email": "Ben.Harris@Example.com", "phone": "+44 7700 900123", "name": "Ben"})
    for number in range(3):
        placed = (NOW - timedelta(days=30 * (number + 1))).isoformat()
        post(client, "/v1/customers/ben/orders", order_body(f"b-{number}", placed, shipping_address=UNIT_4))
    post(client, "/v1/customers/ben/orders/b-0/events", {"event_id": "d", "type": "delivered", "at": NOW.isoformat()})
    return "ben"


def test_the_360_view_has_everything_support_needs_in_one_answer(raw_client, regular):
    view = raw_client.http.get("/v1/admin/customers/ben").json_body
    assert view["profile"]["name"] == "Ben"
    assert view["tier"]["tier"] and view["tier"]["tier_explanation"]
    assert view["stats"]["lifetime"]["orders"] == 3
    assert view["addresses"][0]["orders_shipped"] == 3 and view["addresses"][0]["deliveries_confirmed"] == 1
    assert [entry["type"] for entry in view["recent_ledger"]][0] == "delivered"
    assert view["decisions"] == [] and view["adjustments"] == [] and view["notes"] == []
    assert raw_client.http.get("/v1/admin/customers/nobody").status_code == 404


@pytest.mark.parametrize("query", ["email=ben.harris%40example.com", "email=%20BEN.HARRIS%40EXAMPLE.COM%20",
                                   "phone=%2B447700900123"])
def test_support_finds_a_customer_by_email_or_phone_however_it_is_typed(raw_client, regular, query):
    found = raw_client.http.get(f"/v1/admin/customers?{query}").json_body["customers"]
    assert [customer["customer_id"] for customer in found] == ["ben"]


@pytest.mark.parametrize("query", ["", "email=a%40b.com&phone=%2B44123456", "email=not-an-email"])
def test_a_lookup_needs_exactly_one_valid_email_or_phone(raw_client, query):
    assert raw_client.http.get(f"/v1/admin/customers?{query}").status_code == 400


def test_a_tier_override_is_honoured_by_the_quote_and_audited(client, raw_client, regular):
    until = (NOW + timedelta(days=90)).isoformat()
    response = admin_post(raw_client, "/v1/admin/customers/ben/adjustments",
                          {"adjustment_id": "adj-1", "kind": "tier_override", "tier": "Gold", "until": until,
                           "reason": "long-standing customer, history lost in migration"})
    assert response.status_code == 201, response.json_body
    assert response.json_body["operator"] == "local:dana"
    quote = post(client, "/v1/quotes", {"customer_id": "ben", "currency": "GBP", "lines": [
        {"sku": "RUN-1", "category": "running-shoes", "quantity": 1, "unit_amount": 10000}]}).json_body
    assert quote["customer"]["tier"] == "Gold" and quote["customer"]["tier_basis"] == "override"
    view = raw_client.http.get("/v1/admin/customers/ben").json_body
    assert view["tier"]["override_reason"].startswith("long-standing")
    assert view["adjustments"][0]["operator"] == "local:dana"
    assert any("tier set by an operator" in flag for flag in view["flags"])


def test_a_goodwill_credit_is_a_ledger_entry_counted_as_goodwill_not_spend(raw_client, regular):
    before = raw_client.http.get("/v1/admin/customers/ben").json_body["stats"]
    response = admin_post(raw_client, "/v1/admin/customers/ben/adjustments",
                          {"adjustment_id": "gw-1", "kind": "goodwill_credit", "amount": 1000, "currency": "GBP",
                           "reason": "timer failed past the return window"})
    assert response.status_code == 201
    view = raw_client.http.get("/v1/admin/customers/ben").json_body
    assert view["stats"]["goodwill_granted"] == {"amount": 1000, "currency": "GBP"}
    assert view["stats"]["lifetime"] == before["lifetime"]
    entry = view["recent_ledger"][0]
    assert entry["type"] == "goodwill_credit" and entry["amount"] == {"amount": 1000, "currency": "GBP"}
    assert entry["details"]["operator"] == "local:dana"


def test_adjustments_are_idempotent_by_id(raw_client, table, regular):
    body = {"adjustment_id": "n-1", "kind": "note", "text": "called about a missing parcel"}
    first = admin_post(raw_client, "/v1/admin/customers/ben/adjustments", body)
    items = item_count(table)
    again = admin_post(raw_client, "/v1/admin/customers/ben/adjustments", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json_body == first.json_body and item_count(table) == items
    changed = admin_post(raw_client, "/v1/admin/customers/ben/adjustments", dict(body, text="something else"))
    assert changed.status_code == 409
    assert raw_client.http.get("/v1/admin/customers/ben").json_body["notes"][0]["text"].startswith("called")


@pytest.mark.parametrize("body", [
    {"adjustment_id": "x", "kind": "refund"},
    {"adjustment_id": "x", "kind": "goodwill_credit", "amount": 10.5, "currency": "GBP", "reason": "r"},
    {"adjustment_id": "x", "kind": "goodwill_credit", "amount": 100, "currency": "XXX", "reason": "r"},
    {"adjustment_id": "x", "kind": "tier_override", "tier": "Gold", "until": "2020-01-01T00:00:00Z", "reason": "r"},
    {"adjustment_id": "x", "kind": "tier_override", "tier": "Platinum", "until": "2099-01-01T00:00:00Z",
     "reason": "r"},
    {"adjustment_id": "x", "kind": "note"},
    {"adjustment_id": "a#b", "kind": "note", "text": "t"},
])
def test_bad_adjustments_are_a_400_and_write_nothing(raw_client, table, regular, body):
    before = item_count(table)
    assert admin_post(raw_client, "/v1/admin/customers/ben/adjustments", body).status_code == 400
    assert item_count(table) == before


def test_adjusting_an_unknown_customer_is_a_404(raw_client, table):
    response = admin_post(raw_client, "/v1/admin/customers/ghost/adjustments",
                          {"adjustment_id": "n-1", "kind": "note", "text": "hello"})
    assert response.status_code == 404


def test_an_adjustment_id_cannot_take_the_merge_audit(raw_client, client, regular):
    """Defect 3 of issue 11, for merges: an adjustment named like a merge's audit made the merge
    look already audited, and its audit record was never written."""
    put(client, "/v1/customers/guest-ben", {"email": "ben@example.org"})
    post(client, "/v1/customers/guest-ben/orders", order_body("g-1"))
    taken = {"adjustment_id": "merge-guest-ben", "kind": "note", "text": "will merge the guest record"}
    assert admin_post(raw_client, "/v1/admin/customers/ben/adjustments", taken).status_code == 201
    merged = admin_post(raw_client, "/v1/admin/customers/ben/merge", {"source_customer_id": "guest-ben"})
    assert merged.status_code == 200, merged.json_body
    view = raw_client.http.get("/v1/admin/customers/ben").json_body
    assert [a["kind"] for a in view["adjustments"]] == ["merge"]
    assert view["adjustments"][0]["orders_moved"] == 1


def test_a_merge_audited_under_the_old_key_is_read_and_not_audited_again(raw_client, client, regular):
    """Audit records written before AUDIT# existed (ADJUSTMENT#merge-<source>) still count."""
    from chalicelib.store.models import AdjustmentItem, adjustment_sk, customer_pk

    put(client, "/v1/customers/guest-ben", {"email": "ben@example.org"})
    AdjustmentItem(customer_pk("ben"), adjustment_sk("merge-guest-ben"), customer_id="ben",
                   adjustment_id="merge-guest-ben", kind="merge", at=NOW, operator="local:old",
                   request_hash="merge:guest-ben", details={"orders_moved": 0}).save()
    merged = admin_post(raw_client, "/v1/admin/customers/ben/merge", {"source_customer_id": "guest-ben"})
    assert merged.status_code == 200, merged.json_body
    view = raw_client.http.get("/v1/admin/customers/ben").json_body
    assert [(a["kind"], a["operator"]) for a in view["adjustments"]] == [("merge", "local:old")]
