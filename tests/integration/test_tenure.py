"""Customer since: one definition (the earliest evidence: profile created_at, first seen, first
order from any source) read by address trust, tiers, the 360 view and /v1/me. An imported
regular is never scored as a new account; a customer created today with no orders is.

Every date here is relative to today, so these tests hold on any day they run."""
import io
import json
from datetime import datetime, timedelta, timezone

from chalicelib import clock
from chalicelib.api.import_rows import read_import_file
from chalicelib.services.importer import import_orders

from .helpers import post, put

HEADER = ("customer_id,email,name,order_id,placed_at,currency,total_amount,status,delivered_at,"
          "sku,category,shipping_line1,shipping_city,shipping_postcode,shipping_country\n")
HOME = {"line1": "27 Meadow Lane", "city": "Harrogate", "postcode": "HG1 2AB", "country": "GB"}
NEW_IN_SAME_POSTCODE = {"line1": "3 Meadow Lane", "city": "Harrogate", "postcode": "HG1 2AB", "country": "GB"}


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _row(customer, order_id, days_ago, email="eve@example.com", name="Eve Runner", country="GB", now=None):
    placed = (now or clock.now()) - timedelta(days=days_ago)
    return (f"{customer},{email},{name},{order_id},{_iso(placed)},GBP,12999,delivered,"
            f"{_iso(placed + timedelta(days=2))},RUN-1,running-shoes,27 Meadow Lane,Harrogate,HG1 2AB,{country}\n")


def _import(text):
    now = clock.now()
    return import_orders(read_import_file(io.StringIO(text), "history.csv", now), now=now)


def _quote(client, customer_id, address):
    body = {"customer_id": customer_id, "currency": "GBP", "shipping_address": address,
            "lines": [{"sku": "RUN-1", "category": "running-shoes", "quantity": 1, "unit_amount": 12999}]}
    response = post(client, "/v1/quotes", body)
    assert response.status_code == 200, response.json_body
    return response.json_body


def _codes(quote):
    return {reason["code"]: reason for reason in quote["address_trust"]["reasons"]}


def test_an_imported_regular_quoted_at_once_at_a_new_address_is_not_a_new_account(client, table):
    report = _import(HEADER + _row("eve", "h-1", 4 * 365 + 3) + _row("eve", "h-2", 400) + _row("eve", "h-3", 30))
    assert (report.imported, report.rejected) == (3, [])
    codes = _codes(_quote(client, "eve", NEW_IN_SAME_POSTCODE))
    assert "NEW_ACCOUNT" not in codes
    assert codes["TENURE"]["sentiment"] == "positive"


def test_the_same_customer_created_today_with_no_orders_is_a_new_account(client, table):
    assert put(client, "/v1/customers/eve", {"email": "eve@example.com", "name": "Eve Runner"}).status_code in (200, 201)
    codes = _codes(_quote(client, "eve", NEW_IN_SAME_POSTCODE))
    assert codes["NEW_ACCOUNT"]["sentiment"] == "negative"


def test_a_profile_created_before_an_import_is_a_regular_once_the_history_arrives(client, table):
    put(client, "/v1/customers/eve", {"name": "Eve R."})
    assert "NEW_ACCOUNT" in _codes(_quote(client, "eve", NEW_IN_SAME_POSTCODE))
    _import(HEADER + _row("eve", "h-1", 4 * 365 + 3))
    assert "NEW_ACCOUNT" not in _codes(_quote(client, "eve", NEW_IN_SAME_POSTCODE))


def test_first_seen_is_no_later_than_the_first_imported_order_and_everything_reads_customer_since(
        client, raw_client, table):
    first = clock.now() - timedelta(days=4 * 365 + 3)
    _import(HEADER + _row("eve", "h-2", 100) + _row("eve", "h-1", 4 * 365 + 3))
    view = raw_client.http.get("/v1/admin/customers/eve").json_body
    first_seen = datetime.fromisoformat(view["profile"]["first_seen_at"].replace("Z", "+00:00"))
    since = datetime.fromisoformat(view["stats"]["customer_since"].replace("Z", "+00:00"))
    assert first_seen <= first.replace(microsecond=0) + timedelta(seconds=1)
    assert since == datetime.fromisoformat(view["stats"]["first_order_at"].replace("Z", "+00:00"))
    assert abs(since - first) < timedelta(seconds=1)
    assert view["value"]["customer_since"] == view["stats"]["customer_since"]


def test_the_first_order_cancelled_later_does_not_make_the_customer_newer(client, raw_client, table):
    old = clock.now() - timedelta(days=3 * 365)
    order = {"order_id": "o-old", "placed_at": _iso(old), "currency": "GBP", "total_amount": 5000,
             "lines": [{"sku": "S", "category": "socks", "quantity": 1, "unit_amount": 5000}]}
    assert post(client, "/v1/customers/zed/orders", order).status_code == 201
    event = {"event_id": "c-1", "type": "cancelled", "at": _iso(clock.now() - timedelta(days=1))}
    assert post(client, "/v1/customers/zed/orders/o-old/events", event).status_code in (200, 201)
    view = raw_client.http.get("/v1/admin/customers/zed").json_body
    assert view["stats"]["first_order_at"] is None
    assert view["stats"]["customer_since"] == _iso(old)


def test_import_fills_name_email_and_country_where_the_profile_has_none_and_never_overwrites(
        client, raw_client, table):
    put(client, "/v1/customers/eve", {"name": "Eve Runner-Jones"})  # set by the store, newer than the file
    _import(HEADER + _row("eve", "h-1", 900) + _row("eve", "h-2", 300))
    profile = raw_client.http.get("/v1/admin/customers/eve").json_body["profile"]
    assert profile["name"] == "Eve Runner-Jones"
    assert (profile["email"], profile["country"]) == ("eve@example.com", "GB")
    found = raw_client.http.get("/v1/admin/customers?email=EVE@example.com").json_body["customers"]
    assert [c["customer_id"] for c in found] == ["eve"]


def test_rows_that_disagree_about_contact_details_keep_the_newest_and_say_so(client, raw_client, table):
    text = (HEADER + _row("eve", "h-2", 100, email="eve.new@example.com", name="Eve New")
            + _row("eve", "h-1", 900, email="eve.old@example.com", name="Eve Old"))
    report = _import(text)
    assert (report.imported, report.rejected) == (2, [])
    noted = {note["field"]: note for note in report.notes}
    assert set(noted) == {"email", "name"}
    assert noted["email"]["line"] == 2 and "line 3" in noted["email"]["note"]
    assert "eve.old@example.com" not in json.dumps(report.to_json())  # values are personal data
    profile = raw_client.http.get("/v1/admin/customers/eve").json_body["profile"]
    assert (profile["email"], profile["name"]) == ("eve.new@example.com", "Eve New")


def test_an_order_dated_in_the_future_is_rejected_with_its_line_and_reason(table):
    report = _import(HEADER + _row("eve", "h-1", 10) + _row("eve", "h-2", -3))
    assert report.imported == 1
    assert [(row["line"], "placed_at" in row["reason"] and "future" in row["reason"])
            for row in report.rejected] == [(3, True)]


def test_member_since_in_the_customers_own_view_is_customer_since(raw_client, table, customer_token):
    _import(HEADER + _row("eve", "h-1", 4 * 365 + 3) + _row("eve", "h-2", 10))
    token = customer_token("eve")
    me = raw_client.http.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).json_body
    view = raw_client.http.get("/v1/admin/customers/eve").json_body
    assert me["member_since"] == view["stats"]["customer_since"]
    assert me["member_since"] < _iso(datetime.now(timezone.utc) - timedelta(days=4 * 365))
