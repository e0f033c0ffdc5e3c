"""Money has one shape in every response: the walker used on every response of the suite
(tests/integration/conftest.py) finds bare amounts, and it is really applied."""
from .conftest import CHECKED, bare_amounts
from .helpers import order_body, post


def test_the_walker_finds_bare_integer_amounts_and_accepts_money_and_counts():
    body = {
        "total": {"amount": 4797, "currency": "GBP"},
        "discounts": [{"code": "TENOFF", "kind": "percent_off", "amount": 1200}],
        "lines": [{"sku": "BOOK-001", "quantity": 2, "unit_amount": 1999, "net_amount": {"amount": 3998, "currency": "GBP"}}],
        "stats": {"orders": 3, "returns": 1, "net_spend": 9000, "estimate": True},
        "quote": {"charged_differently": [{"line": 0, "charged_discount": 0}]},
        "grant_with": {"body": {"kind": "goodwill_credit", "amount": 1000, "currency": "GBP"}},
    }
    assert sorted(bare_amounts(body)) == ["$.discounts[0].amount", "$.lines[0].unit_amount",
                                          "$.quote.charged_differently[0].charged_discount", "$.stats.net_spend"]
    assert list(bare_amounts({"amount": {"amount": 0, "currency": "JPY"}, "orders_needed": 9})) == []


def test_every_response_the_suite_receives_is_walked(client):
    before = len(CHECKED)
    response = post(client, "/v1/customers/c-1/orders", order_body())
    assert response.status_code == 201
    client.http.get("/v1/customers/c-1/ledger")
    assert CHECKED[before:] == ["POST /v1/customers/c-1/orders", "GET /v1/customers/c-1/ledger"]
