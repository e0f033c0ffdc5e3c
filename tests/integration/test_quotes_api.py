"""The checkout quote through the API: tiers and promotions with reasons, the signed token,
and the commit that records the decision and enforces limits and budgets atomically."""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.rules import load_default_rules

from .helpers import DynamoCalls, item_count, order_body, post, put

NOW = datetime.now(timezone.utc)


def cart(*lines, customer_id="c-1", codes=(), currency="GBP"):
    body = {"currency": currency, "lines": list(lines) or [shoes()], "promo_codes": list(codes)}
    if customer_id:
        body["customer_id"] = customer_id
    return body


def shoes(quantity=1, unit=12000, sku="RUN-1", category="running-shoes", on_sale=False):
    return {"sku": sku, "category": category, "quantity": quantity, "unit_amount": unit, "on_sale": on_sale}


def rules_with(*promotions, **changes):
    document = load_default_rules().to_document()
    document["promotions"] = list(promotions)
    document.update(changes)
    return document


def promo(code, **fields):
    return {"code": code, "description": f"{code} offer", "kind": "percent_off", "percent": "10",
            "stackable": True, "priority": 1, **fields}


def window_around_now():
    start = (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    end = (NOW + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    return {"time_zone": "UTC", "start": start, "end": end}


def give_history(client, customer_id, orders, unit=15000):
    for number in range(orders):
        placed = (NOW - timedelta(days=20 * number + 1)).isoformat()
        body = order_body(f"{customer_id}-h{number}", placed, unit=unit, quantity=1)
        assert post(client, f"/v1/customers/{customer_id}/orders", body).status_code == 201


def order_from_quote(quote, order_id="o-q1"):
    lines = [{"sku": line["sku"], "category": cat["category"], "quantity": line["quantity"],
              "unit_amount": cat["unit_amount"], "discount_amount": line["subtotal"]["amount"] - line["total"]["amount"]}
             for line, cat in zip(quote["lines"], quote["_cart"])]
    return {"order_id": order_id, "placed_at": NOW.isoformat(), "currency": quote["currency"], "lines": lines,
            "total_amount": quote["totals"]["total"]["amount"], "quote_token": quote["quote_token"]}


def get_quote(client, body):
    response = post(client, "/v1/quotes", body)
    assert response.status_code == 200, response.json_body
    return {**response.json_body, "_cart": body["lines"]}


def test_a_guest_and_an_unknown_customer_get_a_guest_quote(client):
    for body in (cart(customer_id=None), cart(customer_id="never-seen")):
        quote = get_quote(client, body)
        assert quote["customer"]["tier"] is None
        assert quote["totals"]["total"] == {"amount": 12000, "currency": "GBP"}
        assert quote["quote_token"] and quote["expires_at"] and quote["address_trust"] is None


def test_a_regular_gets_the_tier_discount_automatically_with_the_reason(client):
    give_history(client, "regular", orders=10, unit=15000)  # Gold: 10 orders, £1,500 in 12 months
    quote = get_quote(client, cart(customer_id="regular"))
    assert quote["customer"]["tier"] == "Gold"
    assert "Gold" in quote["customer"]["tier_explanation"]
    tier_discount = next(d for d in quote["discounts"] if d["kind"] == "tier")
    assert tier_discount["amount"]["amount"] == 1200  # 10% on running shoes
    assert sum(part["amount"]["amount"] for line in quote["lines"] for part in line["discounts"]) == \
        quote["totals"]["discount"]["amount"]


def test_a_quote_costs_one_dynamodb_request_and_writes_nothing(client, table, with_settings):
    with_settings(LOYALTY_RULES_CACHE_SECONDS="60")  # rules cached, as in a warm Lambda
    give_history(client, "regular", orders=3)
    post(client, "/v1/quotes", cart(customer_id="regular"))  # a warm Lambda has its rules cached
    with DynamoCalls() as calls:
        assert post(client, "/v1/quotes", cart(customer_id="regular")).status_code == 200
    assert calls.operations == ["Query"]  # profile, months and promotion uses together; nothing written


def test_a_code_that_does_not_apply_says_why_and_how_much_is_missing(client):
    assert put(client, "/v1/admin/rules", rules_with(promo("BIGSPEND", min_subtotal=20000))).status_code == 200
    quote = get_quote(client, cart(codes=["bigspend", "NOSUCH"]))
    reasons = {entry["code"]: entry for entry in quote["not_applied"]}
    assert reasons["BIGSPEND"]["short_by"] == {"amount": 8000, "currency": "GBP"}
    assert "£80.00" in reasons["BIGSPEND"]["reason"]
    assert "NOSUCH" in reasons
    assert quote["totals"]["discount"]["amount"] == 0


def test_the_spring_forward_sale_applies_automatically_while_it_runs(client):
    sale = promo("SPRINGFORWARD", automatic=True, percent="15", categories=["running-shoes"],
                 window=window_around_now(), priority=20)
    put(client, "/v1/admin/rules", rules_with(sale))
    quote = get_quote(client, cart(shoes(), shoes(sku="SOCKS", category="accessories", unit=1500)))
    applied = {d["code"]: d["amount"]["amount"] for d in quote["discounts"]}
    assert applied == {"SPRINGFORWARD": 1800}
    assert quote["lines"][1]["discounts"] == []


def test_an_order_with_the_token_records_the_decision_in_its_ledger_entry(client):
    put(client, "/v1/admin/rules", rules_with(promo("TENOFF", automatic=True)))
    quote = get_quote(client, cart())
    response = post(client, "/v1/customers/c-1/orders", order_from_quote(quote))
    assert response.status_code == 201, response.json_body
    assert response.json_body["quote"] == {"quote_id": quote["quote_id"], "expired": False, "rules_version": 1}
    entry = client.http.get("/v1/customers/c-1/ledger").json_body["entries"][0]
    decision = entry["details"]["decision"]
    assert decision["quote_id"] == quote["quote_id"] and decision["rules_version"] == 1
    tenoff = {"code": "TENOFF", "kind": "percent_off", "amount": {"amount": 1200, "currency": "GBP"}}
    assert decision["discounts"] == [tenoff]
    assert decision["totals"]["discount"] == {"amount": 1200, "currency": "GBP"}
    # The order's answer shows its discounts as money too, like every other amount.
    assert response.json_body["discounts"] == [tenoff]
    assert response.json_body["lines"][0]["discount_amount"] == {"amount": 1200, "currency": "GBP"}


def test_a_tampered_token_is_a_400_and_writes_nothing(client, table):
    quote = get_quote(client, cart())
    body = order_from_quote(quote)
    header, payload, signature = body["quote_token"].split(".")
    body["quote_token"] = f"{header}.{payload}.{signature[:-4]}AAAA"
    before = item_count(table)
    response = post(client, "/v1/customers/c-1/orders", body)
    assert response.status_code == 400
    assert response.json_body["error"]["details"][0]["field"] == "quote_token"
    assert item_count(table) == before


def test_a_token_for_another_cart_or_customer_is_a_400(client):
    quote = get_quote(client, cart())
    other_cart = order_from_quote(quote)
    other_cart["lines"][0]["quantity"] = 2
    other_cart["lines"][0]["discount_amount"] = 0
    other_cart["total_amount"] = 24000
    assert post(client, "/v1/customers/c-1/orders", other_cart).status_code == 400
    assert post(client, "/v1/customers/c-2/orders", order_from_quote(quote)).status_code == 400


def test_an_expired_token_is_re_evaluated_and_the_difference_reported(client, with_settings):
    put(client, "/v1/admin/rules", rules_with(promo("TENOFF", automatic=True)))
    with_settings(LOYALTY_QUOTE_TTL_SECONDS="-1")
    quote = get_quote(client, cart())
    with_settings(LOYALTY_QUOTE_TTL_SECONDS="900")
    put(client, "/v1/admin/rules", rules_with(promo("TENOFF", automatic=True, percent="5"), version=1))
    response = post(client, "/v1/customers/c-1/orders", order_from_quote(quote))
    assert response.status_code == 201, response.json_body
    report = response.json_body["quote"]
    assert report["expired"] is True and report["re_evaluated"] is True and report["rules_version"] == 2
    assert report["differences"] == [{"code": "TENOFF", "quoted": {"amount": 1200, "currency": "GBP"},
                                      "now": {"amount": 600, "currency": "GBP"}}]
    assert report["charged_differently"][0]["decided_discount"] == {"amount": 600, "currency": "GBP"}


def test_a_per_customer_limit_is_enforced_at_commit(client, table):
    put(client, "/v1/admin/rules", rules_with(promo("ONCE", per_customer_limit=1)))
    put(client, "/v1/customers/c-1", {"name": "Known"})  # per-customer offers need a known customer
    first = get_quote(client, cart(codes=["ONCE"]))
    second = get_quote(client, cart(codes=["ONCE"]))  # quoted before the first commit
    assert post(client, "/v1/customers/c-1/orders", order_from_quote(first, "o-1")).status_code == 201
    before = item_count(table)
    again = post(client, "/v1/customers/c-1/orders", order_from_quote(second, "o-2"))
    assert again.status_code == 409
    assert again.json_body["error"]["code"] == "promotion_unavailable"
    assert item_count(table) == before
    later = get_quote(client, cart(codes=["ONCE"]))
    assert "ONCE" in {entry["code"] for entry in later["not_applied"]}


def test_a_budget_is_enforced_at_commit_across_customers(client):
    put(client, "/v1/admin/rules", rules_with(promo("LIMITED", budget=2)))
    results = []
    for number in range(3):
        customer = f"c-{number}"
        quote = get_quote(client, cart(customer_id=customer, codes=["LIMITED"]))
        results.append(post(client, f"/v1/customers/{customer}/orders", order_from_quote(quote, f"o-{number}")).status_code)
    assert results == [201, 201, 409]


def test_a_return_takes_back_the_matching_share_of_the_discount(client):
    put(client, "/v1/admin/rules", rules_with(promo("TENOFF", automatic=True)))
    quote = get_quote(client, cart(shoes(quantity=2)))
    post(client, "/v1/customers/c-1/orders", order_from_quote(quote))
    response = post(client, "/v1/customers/c-1/orders/o-q1/events",
                    {"event_id": "ret-1", "type": "returned", "at": NOW.isoformat(),
                     "lines": [{"sku": "RUN-1", "quantity": 1}]})
    assert response.status_code == 201, response.json_body
    assert response.json_body["amount"]["amount"] == 10800
    entry = client.http.get("/v1/customers/c-1/ledger").json_body["entries"][0]
    assert entry["details"]["discount_taken_back"] == {"TENOFF": 1200}
    stats = client.http.get("/v1/customers/c-1").json_body["stats"]
    assert stats["lifetime"]["net_spend"]["amount"] == 21600 - 10800


BAD_QUOTES = [
    ({"currency": "GBP", "lines": []}, "lines"),
    ({"currency": "GBP", "lines": [{"sku": "A", "quantity": 1, "unit_amount": 9.99}]}, "lines[0].unit_amount"),
    ({"currency": "XXX", "lines": [{"sku": "A", "quantity": 1, "unit_amount": 999}]}, "currency"),
    ({"currency": "GBP", "lines": [{"sku": "A", "quantity": 1, "unit_amount": 999, "on_sale": "yes"}]},
     "lines[0].on_sale"),
    ({"currency": "GBP", "lines": [{"sku": "A", "quantity": 1, "unit_amount": 999}], "promo_codes": "SAVE"},
     "promo_codes"),
    ({"currency": "GBP", "lines": [{"sku": "A", "quantity": 1, "unit_amount": 999}], "customer_id": "a#b"},
     "customer_id"),
]


@pytest.mark.parametrize("body, field", BAD_QUOTES)
def test_bad_quotes_are_a_400_naming_the_field(client, body, field):
    response = post(client, "/v1/quotes", body)
    assert response.status_code == 400
    assert field in [detail["field"] for detail in response.json_body["error"]["details"]]


def test_a_currency_without_a_rate_is_a_400(client):
    response = post(client, "/v1/quotes", cart(currency="CHF"))
    assert response.status_code == 400
    assert response.json_body["error"]["details"][0]["field"] == "currency"


def test_rules_are_versioned_validated_and_safe_against_lost_updates(client):
    current = client.http.get("/v1/admin/rules").json_body
    assert current["version"] == 0 and current["base_currency"] == "GBP"
    bad = dict(current, tiers=[{"name": "Gold", "qualify": [{"window_months": 12, "orders": -1}]}])
    response = put(client, "/v1/admin/rules", bad)
    assert response.status_code == 400
    assert any(detail["field"].startswith("tiers[0]") for detail in response.json_body["error"]["details"])
    assert put(client, "/v1/admin/rules", dict(current, base_currency="EUR")).status_code == 400
    saved = put(client, "/v1/admin/rules", current)
    assert saved.status_code == 200 and saved.json_body["version"] == 1
    stale = put(client, "/v1/admin/rules", current)  # still says version 0
    assert stale.status_code == 409
    assert client.http.get("/v1/admin/rules").json_body["version"] == 1
