"""The two stories, end to end through the HTTP app on the demo data seeded today, and again
as if the project were first run 400 days from now (the clock moved, the demo seeded then).

- runner-ben, quoted with his own Harrogate address: no negative reason, a tier above the base
  tier whose explanation names his years, and the Spring Forward sale applied or explained.
- acacia-systems at Unit 5, PayPal confirming Unit 4: ship.
"""
from datetime import datetime, timedelta

import pytest

from chalicelib import clock
from devtools.demo import HOME, UNIT_4, UNIT_5, demo_day, seed_demo

from .helpers import post

DAYS_AHEAD = [0, 400]


def _seed():
    return list(seed_demo(data_dir=None))


def _ben_quote(client):
    body = {"customer_id": "runner-ben", "currency": "GBP", "shipping_address": HOME,
            "lines": [{"sku": "RUN-GHOST-16", "category": "running-shoes", "quantity": 1, "unit_amount": 13999}]}
    response = post(client, "/v1/quotes", body)
    assert response.status_code == 200, response.json_body
    return response.json_body


@pytest.mark.parametrize("days_ahead", DAYS_AHEAD)
def test_runner_ben_is_a_regular_of_five_years_and_the_sale_runs_today(client, table, days_ahead):
    with clock.shifted(timedelta(days=days_ahead)):
        _seed()
        quote = _ben_quote(client)
        now = clock.now()
    trust = quote["address_trust"]
    assert [r["code"] for r in trust["reasons"] if r["sentiment"] == "negative"] == []
    assert trust["decision"] == "ship"
    customer = quote["customer"]
    assert customer["tier"] in ("Silver", "Gold")
    first_year = (now - timedelta(days=1850)).year
    assert f"a customer since {first_year}" in customer["tier_explanation"]
    assert "over 5 years" in customer["tier_explanation"]
    sale = [d for d in quote["discounts"] if d["code"] == "SPRINGFORWARD"]
    explained = [n for n in quote["not_applied"] if n["code"] == "SPRINGFORWARD"]
    assert sale or explained
    assert sale and sale[0]["amount"]["amount"] > 0  # the demo's sale includes the day it is seeded


@pytest.mark.parametrize("days_ahead", DAYS_AHEAD)
def test_acacia_systems_moved_next_door_ships(client, table, days_ahead):
    with clock.shifted(timedelta(days=days_ahead)):
        _seed()
        body = {"customer_id": "acacia-systems", "currency": "GBP", "shipping_address": UNIT_5,
                "payment": {"method": "paypal", "confirmed_address": UNIT_4},
                "lines": [{"sku": "HDD-EXOS-16TB", "category": "storage", "quantity": 2, "unit_amount": 32999}]}
        response = post(client, "/v1/quotes", body)
    assert response.status_code == 200, response.json_body
    trust = response.json_body["address_trust"]
    assert trust["decision"] == "ship"
    assert "NEW_ACCOUNT" not in [r["code"] for r in trust["reasons"]]


def test_the_demo_history_is_dated_from_the_day_it_is_seeded(raw_client, table):
    with clock.shifted(timedelta(days=400)):
        _seed()
        now = clock.now()
        ben = raw_client.http.get("/v1/admin/customers/runner-ben").json_body
    last = datetime.fromisoformat(ben["stats"]["last_order_at"].replace("Z", "+00:00"))
    first = datetime.fromisoformat(ben["stats"]["first_order_at"].replace("Z", "+00:00"))
    assert timedelta(days=14) < now - last < timedelta(days=45)  # the last pair a few weeks ago
    assert 5 * 365 < (now - first).days < 5 * 365 + 30
    assert ben["stats"]["lifetime"]["orders"] == 24
    assert ben["profile"]["country"] == "GB"


def test_reseeding_on_a_later_day_changes_no_history_and_moves_only_the_sale(client, raw_client, table):
    first_lines = _seed()
    day = demo_day(clock.now())
    before = raw_client.http.get("/v1/admin/customers/acacia-systems").json_body["stats"]
    with clock.shifted(timedelta(days=60)):
        lines = _seed()
        assert demo_day(clock.now()) == day
        assert lines[0].startswith("runner-ben: 0 orders imported, 24 already present, 0 rejected")
        assert lines[1].startswith("acacia-systems: 0 orders recorded now, 22 in all")
        assert "now runs today" in lines[2]
        after = raw_client.http.get("/v1/admin/customers/acacia-systems").json_body["stats"]
        assert after["lifetime"] == before["lifetime"] and after["first_order_at"] == before["first_order_at"]
        sale = [d for d in _ben_quote(client)["discounts"] if d["code"] == "SPRINGFORWARD"]
        assert sale
    assert "runs today" in first_lines[2] or "now runs today" in first_lines[2]
    assert _seed()[0].startswith("runner-ben: 0 orders imported")  # and the same day again: nothing
