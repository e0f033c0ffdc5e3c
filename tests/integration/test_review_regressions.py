"""Inputs a review found to produce a 500, a partial import or a wrong count; each now has a clear answer."""
import io
import json
from datetime import datetime, timezone

import pytest

from chalicelib.api.import_rows import read_import_file
from chalicelib.domain.rules import load_default_rules
from chalicelib.services.customers import customer_summary
from chalicelib.services.importer import import_orders

from .helpers import JSON, item_count, order_body, post, put
from .test_quotes_api import cart, get_quote, order_from_quote, promo, rules_with, shoes

NOW = datetime(2026, 11, 23, tzinfo=timezone.utc)


@pytest.mark.parametrize("query", ["limit=%C2%B2", "limit=" + "9" * 5000])
def test_odd_ledger_limits_are_a_400(client, query):
    post(client, "/v1/customers/c-1/orders", order_body())
    assert client.http.get(f"/v1/customers/c-1/ledger?{query}").status_code == 400


@pytest.mark.parametrize("moment", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00"])
def test_times_at_the_edge_of_the_calendar_are_a_400(client, table, moment):
    before = item_count(table)
    response = post(client, "/v1/customers/c-1/orders", order_body(placed_at=moment))
    assert response.status_code == 400 and item_count(table) == before


def test_deeply_nested_json_is_a_400(client, table):
    before = item_count(table)
    response = client.http.post("/v1/customers/c-1/orders", headers=JSON, body="[" * 100_000)
    assert response.status_code == 400 and item_count(table) == before


def test_an_order_too_large_to_store_is_a_413_not_a_500(client, table):
    lines = [{"sku": "商" * 128, "category": "品" * 64, "quantity": 1, "unit_amount": 100} for _ in range(300)]
    body = order_body(lines=lines, total_amount=30000)
    before = item_count(table)
    response = post(client, "/v1/customers/c-1/orders", body)
    assert response.status_code == 413 and item_count(table) == before


@pytest.mark.parametrize("change", [{"fx": {"USD": "1E+20"}}, {"fx": {"USD": "0"}},
                                    {"promotions": [promo("TZ", window={"time_zone": "America",
                                                                         "start": "2026-01-01T00:00:00",
                                                                         "end": "2026-02-01T00:00:00"})]},
                                    {"version": "1"}])
def test_bad_rules_are_a_400_naming_the_field(client, change):
    document = load_default_rules().to_document()
    document.update(change)
    response = put(client, "/v1/admin/rules", document)
    assert response.status_code == 400, response.json_body


def test_an_unreadable_cell_rejects_its_row_and_the_import_goes_on(table):
    text = ("customer_id,order_id,placed_at,currency,total_amount\n"
            "a,o-1,2026-01-01T00:00:00Z,GBP,--5\n"
            "a,o-2,2026-01-01T00:00:00Z,GBP,²\n"
            "a,o-3,9999-12-31T23:00:00-05:00,GBP,100\n"
            "a,o-4,2026-01-01T00:00:00Z,GBP,100\n")
    report = import_orders(read_import_file(io.StringIO(text), "h.csv", NOW), now=NOW)
    assert report.imported == 1 and [row["line"] for row in report.rejected] == [2, 3, 4]


def test_reimporting_an_order_with_a_new_refund_is_rejected_not_ignored(table):
    header = "customer_id,order_id,placed_at,currency,total_amount,status,refunded_amount\n"
    import_orders(read_import_file(io.StringIO(header + "a,h-1,2026-01-01T00:00:00Z,GBP,10000,placed,\n"), "h.csv",
                                   NOW), now=NOW)
    again = import_orders(read_import_file(
        io.StringIO(header + "a,h-1,2026-01-01T00:00:00Z,GBP,10000,refunded,4000\n"), "h.csv", NOW), now=NOW)
    assert again.already_present == 0 and len(again.rejected) == 1
    assert customer_summary("a", now=NOW)["stats"]["lifetime"]["net_spend"]["amount"] == 10000


def test_a_return_naming_one_sku_twice_takes_back_the_whole_discount(client):
    put(client, "/v1/admin/rules", rules_with(promo("TENOFF", automatic=True)))
    quote = get_quote(client, cart(shoes(quantity=2)))
    post(client, "/v1/customers/c-1/orders", order_from_quote(quote))
    response = post(client, "/v1/customers/c-1/orders/o-q1/events",
                    {"event_id": "ret", "type": "returned", "at": datetime.now(timezone.utc).isoformat(),
                     "lines": [{"sku": "RUN-1", "quantity": 1}, {"sku": "RUN-1", "quantity": 1}]})
    assert response.status_code == 201
    entry = client.http.get("/v1/customers/c-1/ledger").json_body["entries"][0]
    assert entry["details"]["discount_taken_back"] == {"TENOFF": 2400}


def test_a_large_carts_token_is_accepted_by_the_order(client):
    lines = [shoes(sku=f"SKU-{n:04d}", unit=1000 + n) for n in range(250)]
    quote = get_quote(client, cart(*lines))
    response = post(client, "/v1/customers/c-1/orders", order_from_quote(quote))
    assert response.status_code == 201, response.json_body


def test_cancelling_an_order_gives_back_its_once_per_customer_offer(client):
    put(client, "/v1/admin/rules", rules_with(promo("ONCE", per_customer_limit=1)))
    put(client, "/v1/customers/c-1", {"name": "Known"})
    first = get_quote(client, cart(codes=["ONCE"]))
    assert post(client, "/v1/customers/c-1/orders", order_from_quote(first, "o-1")).status_code == 201
    cancel = {"event_id": "x", "type": "cancelled", "at": datetime.now(timezone.utc).isoformat()}
    assert post(client, "/v1/customers/c-1/orders/o-1/events", cancel).status_code == 201
    second = get_quote(client, cart(codes=["ONCE"]))
    assert "ONCE" in {d["code"] for d in second["discounts"]}
    assert post(client, "/v1/customers/c-1/orders", order_from_quote(second, "o-2")).status_code == 201


def test_an_exact_replay_is_answered_even_after_the_rules_lost_its_rate(client):
    body = order_body(currency="USD", unit=10000, quantity=1)
    first = post(client, "/v1/customers/c-1/orders", body)
    document = load_default_rules().to_document()
    document["fx"].pop("USD")
    put(client, "/v1/admin/rules", document)
    again = post(client, "/v1/customers/c-1/orders", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json_body == first.json_body
    assert post(client, "/v1/customers/c-1/orders", order_body("o-2", currency="USD")).status_code == 422
    assert json.loads(json.dumps(again.json_body))["lines"][0]["net_amount"] == {"amount": 10000, "currency": "USD"}
