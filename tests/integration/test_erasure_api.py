"""Erasing a customer's personal data: contact details and address lines become irreversible
tokens everywhere they were stored; the anonymous order history and aggregates stay exact."""
import json

import boto3

from .helpers import JSON, order_body, post, put

ADDRESS = {"line1": "Flat 9, 12 Secret Gardens", "city": "London", "postcode": "SW1A 2AA", "country": "GB"}


def stored_texts(table):
    """Every string stored in the table, decoded: attribute values of every type, and the
    strings inside JSON attributes (PynamoDB stores those as JSON text, escaping "ë" as
    "\\u00eb", so a search of the raw dump could never find a name with an accent)."""
    found = []

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, (list, set, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            found.append(value)
            if value[:1] in "{[":
                try:
                    walk(json.loads(value))
                except ValueError:
                    pass

    walk(boto3.resource("dynamodb").Table(table).scan()["Items"])
    return found


def assert_nowhere(table, secrets):
    texts = stored_texts(table)
    for secret in secrets:
        holders = [text for text in texts if secret in text]
        assert not holders, (secret, holders[:3])


def erase(raw_client, customer_id="zoe"):
    return raw_client.http.delete(f"/v1/admin/customers/{customer_id}/personal-data", headers={"X-Operator": "dana"})


def test_erasure_removes_personal_data_everywhere_and_keeps_the_figures(client, raw_client, table):
    put(client, "/v1/customers/zoe", {"email": "zoe@example.org", "phone": "+44 7700 900999", "name": "Zoë"})
    for number in range(3):
        post(client, "/v1/customers/zoe/orders", order_body(f"z-{number}", shipping_address=ADDRESS))
    post(client, "/v1/quotes", {"customer_id": "zoe", "currency": "GBP",
                                "shipping_address": dict(ADDRESS, line1="Suite 12, 1 Forwarding Way", country="US",
                                                         postcode="19808", city="Wilmington"),
                                "lines": [{"sku": "A", "category": "c", "quantity": 1, "unit_amount": 90000}]})
    before = client.http.get("/v1/customers/zoe").json_body["stats"]

    response = erase(raw_client)
    assert response.status_code == 200, response.json_body
    assert response.json_body["orders_with_address_erased"] == 3 and response.json_body["addresses_erased"] == 1

    assert_nowhere(table, ("zoe@example.org", "900999", "Zoë", "Secret Gardens", "SW1A", "Forwarding Way"))
    assert client.http.get("/v1/customers/zoe").json_body["stats"] == before
    assert raw_client.http.get("/v1/admin/customers?email=zoe%40example.org").json_body["customers"] == []
    view = raw_client.http.get("/v1/admin/customers/zoe").json_body
    assert view["recent_ledger"][0]["type"] == "personal_data_erased"
    assert view["adjustments"][0]["operator"] == "local:dana"


def test_erasing_twice_is_harmless_and_an_unknown_customer_is_a_404(client, raw_client, table):
    put(client, "/v1/customers/zoe", {"email": "zoe@example.org", "name": "Zoë"})
    assert "Zoë" in stored_texts(table)  # the search can find what it looks for
    first = erase(raw_client).json_body
    assert_nowhere(table, ("Zoë", "zoe@example.org"))
    put(client, "/v1/customers/zoe", {"name": "Zoë Again"})  # personal data arriving after the erasure
    again = erase(raw_client).json_body
    assert_nowhere(table, ("Zoë",))
    assert first["already_erased"] is False and again["already_erased"] is True
    assert again["erased_at"] == first["erased_at"]
    assert erase(raw_client, "ghost").status_code == 404


def test_an_adjustment_id_cannot_block_erasure(client, raw_client):
    """Defect 3 of issue 11: a note with adjustment_id "personal-data-erasure" took the erasure's
    audit key, and every erasure of the customer was a 500."""
    put(client, "/v1/customers/zoe", {"email": "zoe@example.org", "name": "Zoë"})
    note = {"adjustment_id": "personal-data-erasure", "kind": "note", "text": "asked about her data"}
    assert raw_client.http.post("/v1/admin/customers/zoe/adjustments", headers={**JSON, "X-Operator": "dana"},
                                body=json.dumps(note)).status_code == 201
    response = erase(raw_client)
    assert response.status_code == 200, response.json_body
    view = raw_client.http.get("/v1/admin/customers/zoe").json_body
    assert [a["kind"] for a in view["adjustments"]] == ["erasure"]
    assert [n["adjustment_id"] for n in view["notes"]] == ["personal-data-erasure"]
    assert view["profile"]["name"] != "Zoë" and erase(raw_client).json_body["already_erased"] is True


def test_erasure_reaches_event_reasons_and_guest_decisions_hold_no_address_lines(client, raw_client, table):
    """Defect 15 of issue 11: free-text event reasons survived an erasure, and a guest's held
    checkout kept the shipping address for 400 days where no erasure could reach it."""
    put(client, "/v1/customers/zoe", {"name": "Zoë"})
    post(client, "/v1/customers/zoe/orders", order_body("z-1", shipping_address=ADDRESS))
    refund = {"event_id": "r-1", "type": "refunded", "at": "2026-11-02T10:00:00Z", "amount": 500,
              "reason": "Zoë rang from 07700 900555 about Flat 9"}
    assert post(client, "/v1/customers/zoe/orders/z-1/events", refund).status_code == 201
    guest = {"currency": "GBP", "lines": [{"sku": "A", "category": "c", "quantity": 1, "unit_amount": 90000}],
             "shipping_address": {"line1": "Suite 12, 1 Forwarding Way", "line2": "Guest Lane", "city": "Wilmington",
                                  "postcode": "19808", "country": "US"},
             "payment": {"method": "card", "confirmed_address": {"line1": "8 Payment Row", "city": "Leeds",
                                                                  "postcode": "LS1 4AB", "country": "GB"}}}
    held = post(client, "/v1/quotes", guest).json_body
    assert held["address_trust"]["decision"] != "ship"
    assert_nowhere(table, ("Forwarding Way", "Guest Lane", "19808", "Wilmington", "Payment Row", "LS1 4AB"))
    assert "Zoë rang from 07700 900555 about Flat 9" in " ".join(stored_texts(table))

    assert erase(raw_client).status_code == 200
    assert_nowhere(table, ("900555", "Flat 9", "Zoë"))
    ledger = client.http.get("/v1/customers/zoe/ledger").json_body["entries"]
    refunded = next(entry for entry in ledger if entry["type"] == "refunded")
    assert refunded["description"].startswith("Order z-1: Refunded") and refunded["amount"]["amount"] == 500
