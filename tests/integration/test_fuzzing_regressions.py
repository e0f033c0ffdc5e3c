"""Bugs found while fuzzing the API against its OpenAPI document (tests/integration/test_schemathesis.py),
each kept as the smallest request that showed it: a clear 4xx (or the right answer), never a 5xx,
and nothing written by a refused request."""
import json
from datetime import datetime, timezone

import pytest

from chalicelib.api.parsing import MAX_NESTING

from .helpers import JSON, item_count, order_body, post, put


def nested(depth):
    return "[" * depth + "]" * depth


# JSON allows a \u escape of half a UTF-16 surrogate pair; no UTF-8 text (so no DynamoDB item) can
# hold one. These were 500s (UnicodeEncodeError) when stored or hashed.
UNPAIRED_SURROGATES = [
    ("PUT", "/v1/customers/c-1", b'{"name": "Ann \\ud800"}', "name"),
    ("POST", "/v1/customers/c-1/orders",
     json.dumps(order_body()).replace('"SHOE"', '"SH\\udc00OE"').encode(), "lines[0].sku"),
    ("POST", "/v1/quotes", (b'{"currency": "GBP", "lines": [{"sku": "A", "quantity": 1, "unit_amount": 100}], '
                            b'"shipping_address": {"line1": "1 \\udfff St", "city": "Leeds", "country": "GB"}}'),
     "shipping_address.line1"),
    ("POST", "/v1/quotes", b'{"\\ud800": 1, "currency": "GBP"}', "body"),
]


@pytest.mark.parametrize("method, path, body, field", UNPAIRED_SURROGATES,
                         ids=[f"{case[1]} {case[3]}" for case in UNPAIRED_SURROGATES])
def test_text_with_an_unpaired_surrogate_is_a_400_naming_the_field(client, table, method, path, body, field):
    before = item_count(table)
    response = client.http.request(method, path, headers=JSON, body=body)
    assert response.status_code == 400, response.body
    assert [detail["field"] for detail in response.json_body["error"]["details"]] == [field]
    assert item_count(table) == before


def test_an_emoji_written_as_a_surrogate_pair_is_welcome(client):
    response = client.http.put("/v1/customers/c-1", headers=JSON, body=b'{"name": "Ann \\ud83d\\ude00"}')
    assert response.status_code == 200 and response.json_body["profile"]["name"] == "Ann \U0001F600"


def test_a_rules_document_nested_too_deeply_is_a_400_not_a_stack_overflow(client, raw_client, table):
    # 600 levels parse, then overflowed the stack when copied (a 500); 33 levels could not be stored usefully.
    rules = raw_client.http.get("/v1/admin/rules").json_body
    before = item_count(table)
    for depth in (MAX_NESTING, 600):
        body = json.dumps(rules)[:-1] + ', "notes_section": {"x": ' + nested(depth) + "}}"
        response = raw_client.http.put("/v1/admin/rules", headers=JSON, body=body.encode())
        assert response.status_code == 400, response.body
        assert "nested more than" in response.json_body["error"]["message"]
    assert item_count(table) == before


def test_nesting_up_to_the_limit_is_accepted(client):
    body = {"currency": "GBP", "lines": [{"sku": "A", "quantity": 1, "unit_amount": 100}]}
    assert post(client, "/v1/quotes", body).status_code == 200
    deep = json.dumps(body)[:-1] + ', "promo_codes": ' + nested(MAX_NESTING - 1) + "}"
    response = client.http.post("/v1/quotes", headers=JSON, body=deep.encode())
    assert response.status_code == 400  # refused by the quote's own rules, not by the nesting limit
    assert "nested more than" not in response.json_body["error"]["message"]


def test_a_source_merged_into_a_second_customer_within_the_same_second_is_not_a_503(client):
    # The source's "merged_into" ledger entry was keyed by the second and the source only, so the
    # second merge collided with the first's entry and was retried until the budget ran out (503).
    from chalicelib.services.merge import merge_customers

    for customer_id in ("a", "b", "guest-1"):
        put(client, f"/v1/customers/{customer_id}", {"name": customer_id})
    now = datetime(2026, 11, 20, 10, 15, tzinfo=timezone.utc)
    assert merge_customers("a", "guest-1", "local:test", now=now)["orders_moved"] == 0
    assert merge_customers("b", "guest-1", "local:test", now=now) == {
        "customer_id": "b", "source_customer_id": "guest-1", "orders_moved": 0, "credit_grants_moved": 0}
    entries = client.http.get("/v1/customers/guest-1/ledger").json_body["entries"]
    assert sorted(entry["description"] for entry in entries if entry["type"] == "merged_into") == [
        "History moved to a", "History moved to b"]
