"""Regression tests for the edge defects of issue 11 (forged cursors, anonymous customer tokens,
guest and large quote tokens, ids with a trailing newline), each named after the defect it proves
fixed. Each failed before its fix. Cursors on real DynamoDB: tests/conformance/test_cursors_on_dynamodb_local.py."""
from datetime import datetime, timedelta, timezone

import pytest

from .helpers import JSON, item_count, order_body, post, put

NOW = datetime.now(timezone.utc)


# ---------------------------------------------------------------- defect 11: ids with a trailing newline

NEWLINE_IDS = [
    ("/v1/customers/c-1/orders", order_body("o-1\n", NOW.isoformat()), "order_id"),
    ("/v1/quotes", {"customer_id": "c-1\n", "currency": "GBP",
                    "lines": [{"sku": "A", "quantity": 1, "unit_amount": 100}]}, "customer_id"),
]


@pytest.mark.parametrize("path, body, field", NEWLINE_IDS, ids=[case[2] for case in NEWLINE_IDS])
def test_an_id_with_a_trailing_newline_is_a_400_and_writes_nothing(client, table, path, body, field):
    before = item_count(table)
    response = post(client, path, body)
    assert response.status_code == 400, response.json_body
    assert [detail["field"] for detail in response.json_body["error"]["details"]] == [field]
    assert item_count(table) == before


def test_an_event_id_with_a_trailing_newline_is_a_400_and_the_order_keeps_one_event(client, table):
    assert post(client, "/v1/customers/c-1/orders", order_body("o-1", NOW.isoformat())).status_code == 201
    event = {"event_id": "d-1", "type": "delivered", "at": NOW.isoformat()}
    assert post(client, "/v1/customers/c-1/orders/o-1/events", event).status_code == 201
    before = item_count(table)
    response = post(client, "/v1/customers/c-1/orders/o-1/events", {**event, "event_id": "d-1\n"})
    assert response.status_code == 400, response.json_body
    assert response.json_body["error"]["details"][0]["field"] == "event_id"
    assert item_count(table) == before
