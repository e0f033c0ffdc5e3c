"""Address trust at checkout: the address book grows from orders and deliveries, the quote
judges a new address against it, and support can read every decision that was not a ship."""
from datetime import datetime, timedelta, timezone

import boto3

from .helpers import DynamoCalls, order_body, post

NOW = datetime.now(timezone.utc)
UNIT_4 = {"line1": "Unit 4, Acacia Business Park", "line2": "Cardigan Road", "city": "Leeds",
          "postcode": "LS6 1LF", "country": "GB"}
UNIT_5 = dict(UNIT_4, line1="Unit 5, Acacia Business Park")
FORWARDER = {"line1": "Suite 4471, 1 Parcel Forwarding Way", "city": "Wilmington", "postcode": "19808",
             "country": "US"}


def regular_at_unit_4(client, customer_id="acacia", orders=4):
    for number in range(orders):
        placed = (NOW - timedelta(days=60 * (number + 1))).isoformat()
        body = order_body(f"{customer_id}-{number}", placed, unit=150000, quantity=1, shipping_address=UNIT_4)
        assert post(client, f"/v1/customers/{customer_id}/orders", body).status_code == 201
        delivered = {"event_id": "d", "type": "delivered",
                     "at": (NOW - timedelta(days=60 * (number + 1) - 2)).isoformat()}
        assert post(client, f"/v1/customers/{customer_id}/orders/{customer_id}-{number}/events",
                    delivered).status_code == 201


def quote(client, customer_id, address, payment_address=None, unit=25000, quantity=2):
    body = {"customer_id": customer_id, "currency": "GBP", "shipping_address": address,
            "lines": [{"sku": "HDD-16TB", "category": "storage", "quantity": quantity, "unit_amount": unit}]}
    if payment_address:
        body["payment"] = {"method": "paypal", "confirmed_address": payment_address}
    response = post(client, "/v1/quotes", body)
    assert response.status_code == 200, response.json_body
    return response.json_body


def decisions(table):
    items = boto3.client("dynamodb").scan(TableName=table)["Items"]
    return [item for item in items if item["item_type"]["S"] == "decision"]


def test_the_business_that_moved_next_door_is_served(client, table):
    """The story: thousands of pounds delivered to Unit 4, now at Unit 5, PayPal still says Unit 4."""
    regular_at_unit_4(client)
    trust = quote(client, "acacia", UNIT_5, payment_address=UNIT_4)["address_trust"]
    assert trust["decision"] == "ship"
    assert trust["matched_address_id"]
    assert any(reason["sentiment"] == "positive" and "unit" in reason["message"].lower()
               for reason in trust["reasons"])
    assert decisions(table) == []  # a ship costs no write


def test_the_exact_known_address_ships_and_a_forwarder_for_a_new_account_is_held(client, table):
    regular_at_unit_4(client)
    assert quote(client, "acacia", UNIT_4)["address_trust"]["decision"] == "ship"
    risky = quote(client, None, FORWARDER, unit=90000)["address_trust"]
    assert risky["decision"] in ("verify", "review")
    assert any(reason["sentiment"] == "negative" for reason in risky["reasons"])
    recorded = decisions(table)
    assert len(recorded) == 1 and recorded[0]["decision"]["S"] == risky["decision"]


def test_the_address_book_counts_orders_and_confirmed_deliveries(client, table):
    regular_at_unit_4(client, orders=3)
    items = boto3.client("dynamodb").scan(TableName=table)["Items"]
    book = [item for item in items if item["item_type"]["S"] == "address"]
    assert len(book) == 1
    assert book[0]["sk"]["S"].startswith("PROFILE#ADDR#")
    assert (book[0]["orders_shipped"]["N"], book[0]["deliveries_confirmed"]["N"]) == ("3", "3")


def test_an_operator_confirms_an_address_and_an_unknown_one_is_404(client, table):
    regular_at_unit_4(client, orders=1)
    address_id = quote(client, "acacia", UNIT_4)["address_trust"]["matched_address_id"]
    confirmed = post(client, f"/v1/admin/customers/acacia/addresses/{address_id}/confirm", {})
    assert confirmed.status_code == 200 and confirmed.json_body["confirmed_by"] == "operator"
    assert post(client, "/v1/admin/customers/acacia/addresses/0123456789abcdef/confirm", {}).status_code == 404
    reasons = quote(client, "acacia", UNIT_4)["address_trust"]["reasons"]
    assert any("confirm" in reason["message"].lower() for reason in reasons)


def test_a_quote_without_an_address_has_no_address_trust(client):
    body = {"currency": "GBP", "lines": [{"sku": "A", "category": "c", "quantity": 1, "unit_amount": 100}]}
    assert post(client, "/v1/quotes", body).json_body["address_trust"] is None


def test_an_unknown_postcode_is_a_reason_not_an_error(client):
    odd = dict(UNIT_5, postcode="ZZ99 9ZZ")
    trust = quote(client, None, odd)["address_trust"]
    assert trust["decision"] in ("ship", "verify", "review") and trust["reasons"]


def test_an_order_paid_with_a_confirmed_address_marks_it_confirmed_by_the_payment_provider(client, table):
    body = order_body("paid-1", unit=5000, shipping_address=UNIT_4,
                      payment={"method": "paypal", "confirmed_address": dict(UNIT_4, line1="unit 4 acacia business pk")})
    assert post(client, "/v1/customers/acacia/orders", body).status_code == 201
    items = boto3.client("dynamodb").scan(TableName=table)["Items"]
    book = [item for item in items if item["item_type"]["S"] == "address"]
    assert book[0]["confirmed_by"]["S"] == "payment_provider"


def test_a_quote_with_an_address_that_ships_is_still_one_query(client, with_settings):
    regular_at_unit_4(client, orders=3)
    with_settings(LOYALTY_RULES_CACHE_SECONDS="60")
    quote(client, "acacia", UNIT_5)  # warm: rules cached, address modules loaded
    with DynamoCalls() as calls:
        assert quote(client, "acacia", UNIT_5)["address_trust"]["decision"] == "ship"
    assert calls.operations == ["Query"]


def test_every_order_records_the_rules_version_it_used(client):
    response = post(client, "/v1/customers/c-9/orders", order_body("plain-1"))
    assert response.json_body["rules_version"] == 0
    entry = client.http.get("/v1/customers/c-9/ledger").json_body["entries"][0]
    assert entry["details"]["rules_version"] == 0
