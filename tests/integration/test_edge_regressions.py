"""Regression tests for the edge defects of issue 11 (forged cursors, anonymous customer tokens,
guest and large quote tokens, ids with a trailing newline), each named after the defect it proves
fixed. Each failed before its fix. Cursors on real DynamoDB: tests/conformance/test_cursors_on_dynamodb_local.py."""
import json
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


# ---------------------------------------------------------------- defects 9 and 10: quote tokens that commit

def quote_lines(count, sku_length=8, category="running-shoes", letter="S"):
    return [{"sku": f"{n:04d}-" + letter * (sku_length - 5), "category": category, "quantity": 1 + n % 3,
             "unit_amount": 1000 + n, "on_sale": n % 7 == 0} for n in range(count)]


def quote(client, lines, customer_id=None, codes=()):
    body = {"currency": "GBP", "lines": lines, "promo_codes": list(codes)}
    if customer_id is not None:
        body["customer_id"] = customer_id
    response = post(client, "/v1/quotes", body)
    assert response.status_code == 200, response.json_body
    return response.json_body


def order_for(quoted, lines, order_id):
    """The order a storefront sends for a quote: the quoted lines, each charged its quoted discount."""
    order_lines = [{"sku": cart["sku"], "category": cart["category"], "quantity": cart["quantity"],
                    "unit_amount": cart["unit_amount"],
                    "discount_amount": line["subtotal"]["amount"] - line["total"]["amount"]}
                   for cart, line in zip(lines, quoted["lines"])]
    return {"order_id": order_id, "placed_at": NOW.isoformat(), "currency": "GBP", "lines": order_lines,
            "total_amount": quoted["totals"]["total"]["amount"], "quote_token": quoted["quote_token"]}


def give_gold(client, customer_id):
    for number in range(10):  # Gold: 10 orders, £1,500 in 12 months
        body = order_body(f"{customer_id}-h{number}", (NOW - timedelta(days=20 * number + 1)).isoformat(),
                          unit=15000, quantity=1)
        assert post(client, f"/v1/customers/{customer_id}/orders", body).status_code == 201


def test_a_guest_quote_token_commits_for_a_new_customer_with_the_guest_decision(client):
    lines = quote_lines(2)
    quoted = quote(client, lines)
    assert quoted["customer"]["tier"] is None
    response = post(client, "/v1/customers/guest-7/orders", order_for(quoted, lines, "o-guest-7"))
    assert response.status_code == 201, response.json_body
    assert response.json_body["quote"]["quote_id"] == quoted["quote_id"]
    assert response.json_body["quote"]["expired"] is False
    decision = client.http.get("/v1/customers/guest-7/ledger").json_body["entries"][0]["details"]["decision"]
    assert decision["quote_id"] == quoted["quote_id"] and decision["tier"] is None
    assert decision["totals"]["total"] == quoted["totals"]["total"]


def test_a_guest_quote_token_committed_to_a_known_customer_keeps_the_guest_decision(client):
    give_gold(client, "regular")
    lines = quote_lines(1)
    quoted = quote(client, lines)
    response = post(client, "/v1/customers/regular/orders", order_for(quoted, lines, "o-signed-in-late"))
    assert response.status_code == 201, response.json_body
    assert response.json_body["discounts"] == [] and response.json_body["quote"].get("charged_differently") is None


def test_an_expired_guest_token_is_re_evaluated_as_a_guest_never_as_the_order_customer(client, with_settings):
    give_gold(client, "regular")
    assert quote(client, quote_lines(1), customer_id="regular")["customer"]["tier"] == "Gold"
    with_settings(LOYALTY_QUOTE_TTL_SECONDS="-1")
    lines = quote_lines(1)
    quoted = quote(client, lines)
    with_settings(LOYALTY_QUOTE_TTL_SECONDS="900")
    response = post(client, "/v1/customers/regular/orders", order_for(quoted, lines, "o-late-guest"))
    assert response.status_code == 201, response.json_body
    report = response.json_body["quote"]
    assert report["expired"] is True and report["re_evaluated"] is True
    assert report["differences"] == [] and response.json_body["discounts"] == []  # no Gold discount from a guest's quote


def test_a_customer_quote_token_still_commits_only_for_its_customer(client):
    lines = quote_lines(1)
    quoted = quote(client, lines, customer_id="c-1")
    refused = post(client, "/v1/customers/c-2/orders", order_for(quoted, lines, "o-other"))
    assert refused.status_code == 400 and refused.json_body["error"]["details"][0]["field"] == "quote_token"
    assert post(client, "/v1/customers/c-1/orders", order_for(quoted, lines, "o-own")).status_code == 201


def test_a_large_cart_quote_token_fits_its_own_order(client):
    """Issue 11's case: 120 lines with long SKUs gave a 182 KB token the order route refused (each
    non-ASCII character is 6 bytes in the token's JSON, 8 once base64-encoded)."""
    give_gold(client, "big-buyer")
    lines = quote_lines(120, sku_length=128, category="Laufschuhe-" + "ü" * 53, letter="Ж")
    quoted = quote(client, lines, customer_id="big-buyer")
    assert quoted["totals"]["discount"]["amount"] > 0
    response = post(client, "/v1/customers/big-buyer/orders", order_for(quoted, lines, "o-big"))
    assert response.status_code == 201, response.json_body
    assert response.json_body["quote"] == {"quote_id": quoted["quote_id"], "expired": False, "rules_version": 0}
    entry = client.http.get("/v1/customers/big-buyer/ledger?limit=1").json_body["entries"][0]
    decision = entry["details"]["decision"]
    assert [line["sku"] for line in decision["lines"]] == [line["sku"] for line in lines]
    assert [sum(part["amount"]["amount"] for part in line["discounts"]) for line in decision["lines"]] == \
        [line["subtotal"]["amount"] - line["total"]["amount"] for line in quoted["lines"]]


def test_the_largest_cart_a_quote_takes_gives_a_token_its_order_takes(client):
    from chalicelib.api.parsing import MAX_LINES

    give_gold(client, "biggest-buyer")
    lines = quote_lines(MAX_LINES, sku_length=128, category="c" * 64)
    quoted = quote(client, lines, customer_id="biggest-buyer")
    response = post(client, "/v1/customers/biggest-buyer/orders", order_for(quoted, lines, "o-biggest"))
    assert response.status_code == 201, response.json_body
    assert response.json_body["total"]["amount"] == quoted["totals"]["total"]["amount"]


def test_a_cart_whose_order_the_order_route_would_refuse_is_a_413_at_quote_time(client, table):
    """Before, the quote answered 200 with a token, and the order of the same lines was a 413."""
    lines = quote_lines(260, sku_length=128, letter="Ж")  # ~225 KB once the order's JSON escapes them
    before = item_count(table)
    response = post(client, "/v1/quotes", {"currency": "GBP", "lines": lines})
    assert response.status_code == 413, response.json_body
    assert response.json_body["error"]["details"] == [{"field": "lines", "reason": "too large for one order"}]
    assert item_count(table) == before


def test_the_largest_non_ascii_cart_a_quote_takes_is_an_order_the_order_route_takes(client):
    from chalicelib.api.parsing import MAX_QUOTED_LINES_BYTES

    give_gold(client, "far-buyer")
    count = 1
    while len(json.dumps(quote_lines(count + 1, sku_length=128, letter="Ж"))) < MAX_QUOTED_LINES_BYTES - 10_000:
        count += 1
    lines = quote_lines(count, sku_length=128, letter="Ж")
    quoted = quote(client, lines, customer_id="far-buyer")
    response = post(client, "/v1/customers/far-buyer/orders", order_for(quoted, lines, "o-far"))
    assert response.status_code == 201, response.json_body
    assert response.json_body["total"]["amount"] == quoted["totals"]["total"]["amount"]


def test_a_token_signed_before_carts_became_digests_still_commits(client):
    """Tokens in flight when this version is deployed carry their whole cart ("lines")."""
    from chalicelib import clock
    from chalicelib.services.quote_tokens import sign_quote

    give_gold(client, "regular")
    lines = quote_lines(2)
    quoted = quote(client, lines, customer_id="regular")
    parts = [[[part["code"], part["amount"]["amount"]] for part in line["discounts"]] for line in quoted["lines"]]
    issued = int(clock.now().timestamp())  # at run time: a loaded suite reaches here minutes after import
    claims = {"qid": "q-before", "sub": "regular", "cur": "GBP", "rv": 0, "tier": "Gold", "codes": [],
              "lines": [[cart["sku"], cart["category"], cart["quantity"], cart["unit_amount"], cart["on_sale"], part]
                        for cart, part in zip(lines, parts)],
              "disc": [[d["code"], d["kind"], d["amount"]["amount"]] for d in quoted["discounts"]],
              "tot": [quoted["totals"][name]["amount"] for name in ("subtotal", "discount", "total")],
              "iat": issued, "exp": issued + 600}
    body = {**order_for(quoted, lines, "o-before"), "quote_token": sign_quote(claims)}
    response = post(client, "/v1/customers/regular/orders", body)
    assert response.status_code == 201, response.json_body
    assert response.json_body["quote"] == {"quote_id": "q-before", "expired": False, "rules_version": 0}
    assert response.json_body["discounts"] == [{"code": d["code"], "kind": d["kind"], "amount": d["amount"]}
                                               for d in quoted["discounts"]]


def test_a_quote_whose_token_would_pass_the_signing_limit_is_a_413_not_a_token(client, monkeypatch):
    from chalicelib.services import quote_tokens

    monkeypatch.setattr(quote_tokens, "MAX_SIGNED_TOKEN_CHARS", 300)  # any real token is longer
    response = post(client, "/v1/quotes", {"currency": "GBP", "lines": quote_lines(3)})
    assert response.status_code == 413, response.json_body
    assert response.json_body["error"]["details"][0]["field"] == "lines"
    assert "quote_token" not in response.json_body
