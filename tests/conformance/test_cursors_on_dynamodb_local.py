"""Defect 4 of issue 11: a forged ledger cursor was a 500 on DynamoDB ("The provided starting key
does not match the range key predicate") while moto answered 200, so only a run on DynamoDB
Local shows it. Every cursor the API did not give out is a 400 naming ``cursor``; the ones it
gives out page through the whole ledger."""
import base64
import json
from datetime import datetime, timedelta, timezone

import pytest

NOW = datetime.now(timezone.utc)
CUSTOMER = "c-pages"


def forged(position):
    """A cursor in the API's encoding holding any position."""
    raw = json.dumps({"after": position}).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


# Positions DynamoDB refuses as a starting key (outside, or on a bound of, LEDGER# .. LEDGER#~),
# and ones no ledger key can be: each must be a 400, never a 500.
FORGED = ["LEDGER#~~", "LEDGER#~", "LEDGER#é", "LEDGER#", "LEDGER#2026-01-01T00:00:00Z#é", "LEDGER#a b",
          "LEDGER#\n", "LEDGER#" + "A" * 1001, "PROFILE", "ledger#x"]


def headers(token):
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


@pytest.fixture
def ledger_of_five(local_app, local_storefront_secret):
    for number in range(5):
        body = {"order_id": f"o-page-{number}", "placed_at": (NOW - timedelta(days=number + 1)).isoformat(),
                "currency": "GBP", "total_amount": 1000 + number,
                "lines": [{"sku": "SHOE", "category": "running-shoes", "quantity": 1, "unit_amount": 1000 + number}]}
        response = local_app.http.post(f"/v1/customers/{CUSTOMER}/orders", headers=headers(local_storefront_secret),
                                       body=json.dumps(body).encode())
        assert response.status_code == 201, response.body
    return local_storefront_secret


def pages(local_app, path, token, limit=2):
    """Every entry, following next_cursor from the first page to the last."""
    seen, cursor = [], None
    for _ in range(10):
        query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = local_app.http.get(path + query, headers=headers(token))
        assert response.status_code == 200, response.body
        seen += [entry["order_id"] for entry in response.json_body["entries"]]
        cursor = response.json_body["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the cursor never ended")


@pytest.mark.parametrize("position", FORGED, ids=repr)
def test_a_forged_ledger_cursor_is_a_400_naming_the_cursor_on_dynamodb(local_app, ledger_of_five, position):
    response = local_app.http.get(f"/v1/customers/{CUSTOMER}/ledger?cursor={forged(position)}",
                                  headers=headers(ledger_of_five))
    assert response.status_code == 400, response.body
    assert response.json_body["error"]["details"] == [{"field": "cursor", "reason": "invalid"}]


def test_a_forged_cursor_on_my_ledger_is_a_400_on_dynamodb(local_app, ledger_of_five, customer_token):
    token = customer_token(CUSTOMER)
    assert pages(local_app, "/v1/me/ledger", token) == [f"o-page-{number}" for number in range(5)]
    for position in ("LEDGER#~~", "LEDGER#é", "LEDGER#"):
        response = local_app.http.get(f"/v1/me/ledger?cursor={forged(position)}", headers=headers(token))
        assert response.status_code == 400, (position, response.body)
        assert response.json_body["error"]["details"][0]["field"] == "cursor"


def test_the_cursors_the_api_gives_out_page_through_the_whole_ledger_on_dynamodb(local_app, ledger_of_five):
    assert pages(local_app, f"/v1/customers/{CUSTOMER}/ledger", ledger_of_five) == \
        [f"o-page-{number}" for number in range(5)]


def test_a_well_formed_position_continues_after_it_on_dynamodb(local_app, ledger_of_five):
    """A position the caller wrote (a ledger key, ``entry_id``) is a position in their own ledger: taken."""
    everything = local_app.http.get(f"/v1/customers/{CUSTOMER}/ledger?limit=5", headers=headers(ledger_of_five))
    third = everything.json_body["entries"][2]["entry_id"]
    response = local_app.http.get(f"/v1/customers/{CUSTOMER}/ledger?cursor={forged(third)}",
                                  headers=headers(ledger_of_five))
    assert response.status_code == 200, response.body
    assert [entry["order_id"] for entry in response.json_body["entries"]] == ["o-page-3", "o-page-4"]
