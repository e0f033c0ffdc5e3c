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


# ---------------------------------------------------------------- defect 5: customer tokens where there is no customer app

CUSTOMER_TOKEN_SETTINGS = ("LOYALTY_CUSTOMER_JWKS_URL", "LOYALTY_CUSTOMER_JWKS_FILE",
                           "LOYALTY_CUSTOMER_TOKEN_ISSUER", "LOYALTY_CUSTOMER_TOKEN_AUDIENCE")
METHOD_ARN = "arn:aws:execute-api:eu-west-2:123456789012:abc123/prod/GET/v1/me"


@pytest.fixture
def stage_without_customer_tokens(monkeypatch):
    """A stage configured as dev and prod are: no LOYALTY_CUSTOMER_* settings at all."""
    from chalicelib.services.customer_tokens import reset_customer_token_verifier

    for name in CUSTOMER_TOKEN_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    reset_customer_token_verifier()
    yield monkeypatch
    reset_customer_token_verifier()


@pytest.mark.parametrize("path", ["/v1/me", "/v1/me/ledger", "/v1/quotes"])
def test_an_anonymous_jwt_in_a_stage_without_customer_tokens_is_a_403_not_a_500(
        raw_client, stage_without_customer_tokens, path):
    method = "POST" if path == "/v1/quotes" else "GET"
    response = raw_client.http.request(method, path, headers={**JSON, "Authorization": "Bearer a.b.c"}, body=b"{}")
    assert response.status_code == 403, response.body


def test_a_stage_without_customer_tokens_answers_an_explicit_deny_on_every_route(stage_without_customer_tokens):
    from chalicelib.api.auth import bearer_policy

    policy = bearer_policy("Bearer a.b.c", METHOD_ARN)
    assert policy["policyDocument"]["Statement"] == [
        {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": ["arn:aws:execute-api:eu-west-2:123456789012:abc123/prod/*"]}]


def test_customer_token_settings_that_are_set_but_wrong_still_raise(stage_without_customer_tokens):
    from chalicelib.api.auth import bearer_policy
    from chalicelib.services.customer_tokens import CustomerTokenConfigError

    stage_without_customer_tokens.setenv("LOYALTY_CUSTOMER_TOKEN_AUDIENCE", "app-client")  # no issuer, no keys
    with pytest.raises(CustomerTokenConfigError):
        bearer_policy("Bearer a.b.c", METHOD_ARN)


def test_storefront_keys_still_work_in_a_stage_without_customer_tokens(client, stage_without_customer_tokens):
    body = {"currency": "GBP", "lines": [{"sku": "A", "quantity": 1, "unit_amount": 100}]}
    assert post(client, "/v1/quotes", body).status_code == 200
