"""A table of bad inputs: each gets a clear 4xx in the one error shape, and nothing is written."""
import json

import pytest

from chalicelib.api.parsing import MAX_BODY_BYTES

from .helpers import JSON, item_count, order_body


def with_line(**changes):
    body = order_body()
    body["lines"][0].update(changes)
    return body


def without(field):
    body = order_body()
    del body[field]
    return body


BAD_ORDERS = [
    ("malformed JSON", "{\"order_id\": ", 400, "body"),
    ("a JSON array", "[1, 2]", 400, "body"),
    ("an empty body", "", 400, "body"),
    ("NaN in JSON", '{"total_amount": NaN}', 400, "body"),
    ("missing order_id", without("order_id"), 400, "order_id"),
    ("order_id with a separator", order_body(order_id="a#b"), 400, "order_id"),
    ("float money", order_body(total_amount=100.0), 400, "total_amount"),
    ("string money", with_line(unit_amount="50.00"), 400, "lines[0].unit_amount"),
    ("boolean quantity", with_line(quantity=True), 400, "lines[0].quantity"),
    ("negative quantity", with_line(quantity=-1), 400, "lines[0].quantity"),
    ("zero quantity", with_line(quantity=0), 400, "lines[0].quantity"),
    ("negative unit amount", with_line(unit_amount=-5), 400, "lines[0].unit_amount"),
    ("discount above the line", with_line(discount_amount=999999), 400, "lines[0].discount_amount"),
    ("total not matching the lines", order_body(total_amount=1), 400, "total_amount"),
    ("unknown currency", order_body(currency="XYZ"), 400, "currency"),
    ("lower-case currency", order_body(currency="gbp"), 400, "currency"),
    ("naive datetime", order_body(placed_at="2026-11-01T10:00:00"), 400, "placed_at"),
    ("not a datetime", order_body(placed_at="yesterday"), 400, "placed_at"),
    ("far future", order_body(placed_at="2099-01-01T00:00:00Z"), 400, "placed_at"),
    ("no lines", order_body(lines=[]), 400, "lines"),
    ("lines not a list", order_body(lines={"sku": "x"}), 400, "lines"),
    ("unknown field", order_body(totl=5), 400, "totl"),
    ("address without country", order_body(shipping_address={"line1": "Unit 4", "city": "Leeds"}), 400,
     "shipping_address.country"),
    ("address with control characters", order_body(shipping_address={"line1": "Unit\u00004", "city": "Leeds",
                                                                      "country": "GB"}), 400,
     "shipping_address.line1"),
    ("address not an object", order_body(shipping_address="Unit 4, Leeds"), 400, "shipping_address"),
    ("huge body", order_body(notes="x" * (MAX_BODY_BYTES + 10)), 413, None),
]


@pytest.mark.parametrize("case, body, status, field", BAD_ORDERS, ids=[case[0] for case in BAD_ORDERS])
def test_bad_orders_get_a_4xx_naming_the_field_and_write_nothing(client, table, case, body, status, field):
    before = item_count(table)
    payload = body if isinstance(body, str) else json.dumps(body)
    response = client.http.post("/v1/customers/c-1/orders", headers=JSON, body=payload)
    assert response.status_code == status, response.json_body
    error = response.json_body["error"]
    assert error["code"] and error["message"]
    if field:
        assert field in [detail["field"] for detail in error["details"]], error
    assert item_count(table) == before


def test_unicode_addresses_and_names_are_welcome(client):
    address = {"line1": "Flat 2, Ærøskøbing Gade 7", "city": "Zürich", "postcode": "8001", "country": "CH"}
    response = client.http.post("/v1/customers/c-1/orders", headers=JSON,
                                body=json.dumps(order_body(shipping_address=address)))
    assert response.status_code == 201
    profile = client.http.put("/v1/customers/c-1", headers=JSON, body=json.dumps({"name": "Zoë Ødegård 山田"}))
    assert profile.json_body["profile"]["name"] == "Zoë Ødegård 山田"


def test_all_problems_are_reported_at_once(client):
    body = order_body(currency="XYZ", placed_at="2026-11-01T10:00:00")
    body["lines"][0]["quantity"] = -2
    response = client.http.post("/v1/customers/c-1/orders", headers=JSON, body=json.dumps(body))
    fields = {detail["field"] for detail in response.json_body["error"]["details"]}
    assert {"currency", "placed_at", "lines[0].quantity"} <= fields


BAD_EVENTS = [
    ("unknown type", {"event_id": "e", "type": "lost", "at": "2026-11-02T10:00:00Z"}, 400),
    ("refund without amount or lines", {"event_id": "e", "type": "refunded", "at": "2026-11-02T10:00:00Z"}, 400),
    ("float amount", {"event_id": "e", "type": "refunded", "at": "2026-11-02T10:00:00Z", "amount": 5.5}, 400),
    ("zero amount", {"event_id": "e", "type": "refunded", "at": "2026-11-02T10:00:00Z", "amount": 0}, 400),
    ("amount on a delivery", {"event_id": "e", "type": "delivered", "at": "2026-11-02T10:00:00Z", "amount": 5}, 400),
    ("naive time", {"event_id": "e", "type": "delivered", "at": "2026-11-02T10:00:00"}, 400),
    ("refund above the order", {"event_id": "e", "type": "refunded", "at": "2026-11-02T10:00:00Z",
                                "amount": 10001}, 422),
    ("return of an unknown sku", {"event_id": "e", "type": "returned", "at": "2026-11-02T10:00:00Z",
                                  "lines": [{"sku": "HAT", "quantity": 1}]}, 422),
    ("return of too many units", {"event_id": "e", "type": "returned", "at": "2026-11-02T10:00:00Z",
                                  "lines": [{"sku": "SHOE", "quantity": 3}]}, 422),
    ("event before the order", {"event_id": "e", "type": "delivered", "at": "2026-10-01T10:00:00Z"}, 422),
]


@pytest.mark.parametrize("case, body, status", BAD_EVENTS, ids=[case[0] for case in BAD_EVENTS])
def test_bad_events_get_a_4xx_and_write_nothing(client, table, case, body, status):
    assert client.http.post("/v1/customers/c-1/orders", headers=JSON, body=json.dumps(order_body())).status_code == 201
    before = item_count(table)
    response = client.http.post("/v1/customers/c-1/orders/o-1/events", headers=JSON, body=json.dumps(body))
    assert response.status_code == status, response.json_body
    assert item_count(table) == before


BAD_PROFILES = [
    {"email": "not-an-email"},
    {"phone": "call me"},
    {"country": "United Kingdom"},
    {"created_at": "2020-01-01"},
    {"name": 42},
    {"nickname": "Ben"},
]


@pytest.mark.parametrize("body", BAD_PROFILES)
def test_bad_profiles_get_a_400_and_write_nothing(client, table, body):
    before = item_count(table)
    response = client.http.put("/v1/customers/c-1", headers=JSON, body=json.dumps(body))
    assert response.status_code == 400
    assert item_count(table) == before


@pytest.mark.parametrize("path", ["/v1/customers/a%23b", "/v1/customers/" + "x" * 200])
def test_bad_customer_ids_are_a_400(client, path):
    assert client.http.get(path).status_code == 400
