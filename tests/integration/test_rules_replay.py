"""``rules replay``: a candidate rules document replayed against a ledger built through the API.

- The exactness check: orders quoted and committed under two rules versions replay, under the
  version they were quoted with, to exactly the discounts they got; a baseline that is not
  what they were quoted with is caught, with the orders listed.
- Raising Silver's spend threshold moves exactly the customers who were Silver by spend alone.
- Making an exclusive promotion stackable reports the extra cost to the minor unit.
- An invalid candidate: the PUT's own field errors, exit 2, nothing read.
"""
import copy
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from chalicelib import clock
from chalicelib.cli import cli

from .helpers import DynamoCalls, post, put


def _rules(raw_client):
    response = raw_client.http.get("/v1/admin/rules")
    assert response.status_code == 200
    return response.json_body


def _put_rules(raw_client, document):
    response = put(raw_client, "/v1/admin/rules", document)
    assert response.status_code == 200, response.json_body
    return response.json_body


def _customer(client, customer_id):
    response = put(client, f"/v1/customers/{customer_id}", {"name": customer_id, "country": "GB"})
    assert response.status_code in (200, 201), response.json_body


def _buy(client, customer_id, order_id, days_ago, lines, codes=(), quoted=True):
    """Quote (optionally) and commit an order ``days_ago`` days before now, as a storefront does."""
    with clock.shifted(timedelta(days=-days_ago)):
        placed = clock.now().isoformat()
        order_lines = [{**line, "discount_amount": 0} for line in lines]
        body = {"order_id": order_id, "placed_at": placed, "currency": "GBP", "lines": order_lines}
        if quoted:
            quote = post(client, "/v1/quotes", {"customer_id": customer_id, "currency": "GBP", "lines": lines,
                                                "promo_codes": list(codes)})
            assert quote.status_code == 200, quote.json_body
            quote = quote.json_body
            for line, quoted_line in zip(order_lines, quote["lines"]):
                line["discount_amount"] = sum(part["amount"]["amount"] for part in quoted_line["discounts"])
            body["quote_token"] = quote["quote_token"]
        body["total_amount"] = sum(l["quantity"] * l["unit_amount"] - l["discount_amount"] for l in order_lines)
        response = post(client, f"/v1/customers/{customer_id}/orders", body)
    assert response.status_code == 201, response.json_body
    return response.json_body


def _replay(tmp_path, candidate, *args):
    path = tmp_path / "candidate.json"
    path.write_text(json.dumps(candidate))
    result = CliRunner().invoke(cli, ["rules", "replay", str(path), "--json", "--segments", "2",
                                                      *args])
    return result


def _report(tmp_path, candidate, *args):
    result = _replay(tmp_path, candidate, *args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout)


SHOES = {"sku": "RUN-GHOST-16", "category": "running-shoes", "quantity": 1, "unit_amount": 13999}
SOCKS = {"sku": "SOCK-3", "category": "apparel", "quantity": 3, "unit_amount": 1299}


def test_the_baseline_replays_each_order_to_the_discounts_it_got_under_the_version_it_was_quoted(
        client, raw_client, tmp_path):
    first = _put_rules(raw_client, _rules(raw_client))  # version 1: the default document
    for customer_id in ("ann", "bob"):
        _customer(client, customer_id)
    # Silver by spend for ann (5% off shoes and apparel), and a typed code for bob's first order
    _buy(client, "ann", "a-1", 60, [{**SHOES, "quantity": 2}, SOCKS])
    _buy(client, "ann", "a-2", 50, [{**SHOES, "unit_amount": 15999}])
    _buy(client, "bob", "b-1", 45, [SHOES], codes=["FIRSTSTRIDE", "RUNCLUB10"])
    second = copy.deepcopy(first)
    second["tiers"][1]["benefits"]["percent_by_category"]["running-shoes"] = "7.5"
    second = _put_rules(raw_client, second)  # version 2
    _buy(client, "ann", "a-3", 20, [SHOES, SOCKS])
    _buy(client, "bob", "b-2", 10, [SHOES, SOCKS], codes=["WELCOMEBACK"])
    _buy(client, "bob", "b-3", 5, [SOCKS], quoted=False)

    report = _report(tmp_path, second)
    exact = report["orders"]["exactness"]
    assert (exact["rules_version"], exact["orders_checked"], exact["orders_matching"], exact["exact"]) == (2, 2, 2, True)
    assert exact["not_checked_other_versions"] == {"1": 3}
    assert report["orders"]["without_quote"] == 1

    baseline_file = tmp_path / "v1.json"
    baseline_file.write_text(json.dumps(first))
    report = _report(tmp_path, second, "--baseline", str(baseline_file))
    exact = report["orders"]["exactness"]
    assert (exact["rules_version"], exact["orders_checked"], exact["orders_matching"], exact["differences"]) == (
        1, 3, 3, [])

    # A baseline claiming version 1 with version 2's Silver rate: the check names the orders it cannot reproduce.
    wrong = {**second, "version": 1}
    baseline_file.write_text(json.dumps(wrong))
    report = _report(tmp_path, second, "--baseline", str(baseline_file))
    exact = report["orders"]["exactness"]
    assert exact["exact"] is False
    assert [d["order_id"] for d in exact["differences"]] == ["a-2"]  # a-1: ann was a Member before it
    difference = exact["differences"][0]
    assert difference["actual"] == {"tier:Silver": 800}  # 5% of £159.99, rounded half up
    assert difference["replayed"] == {"tier:Silver": 1200}  # 7.5%


def test_raising_silvers_spend_threshold_moves_exactly_those_silver_by_spend_alone(client, raw_client, tmp_path):
    rules = _rules(raw_client)
    spend = {"sku": "BAG", "category": "bags", "quantity": 1}
    plan = {  # customer -> unit amounts of orders in the last 12 months
        "by-orders": [3000, 3000, 3000],  # Silver by 3 orders: stays
        "by-spend-300": [30000],  # Silver by £300 alone: moves down under a £400 threshold
        "by-spend-450": [20000, 25000],  # £450: stays
        "member": [9000],  # Member either way
    }
    for customer_id, amounts in plan.items():
        _customer(client, customer_id)
        for number, amount in enumerate(amounts):
            _buy(client, customer_id, f"{customer_id}-{number}", 100 + number, [{**spend, "unit_amount": amount}],
                 quoted=False)
    candidate = copy.deepcopy(rules)
    assert candidate["tiers"][1]["qualify"][0]["net_spend"] == 25000
    candidate["tiers"][1]["qualify"][0]["net_spend"] = 40000

    tiers = _report(tmp_path, candidate)["tiers_today"]
    assert tiers["baseline"] == {"Member": 1, "Silver": 3, "Gold": 0}
    assert tiers["candidate"] == {"Member": 2, "Silver": 2, "Gold": 0}
    assert tiers["movement"] == {"Member": {"Member": 1}, "Silver": {"Member": 1, "Silver": 2}}
    assert (tiers["moved_down"], tiers["moved_up"]) == (1, 0)
    moved = tiers["largest_value_moving_down"]
    assert [(m["customer_id"], m["from"], m["to"], m["lifetime_net_spend"]) for m in moved] == [
        ("by-spend-300", "Silver", "Member", 30000)]
    from chalicelib.observability import customer_ref

    assert moved[0]["log_ref"] == customer_ref("by-spend-300") and len(moved[0]["log_ref"]) >= 16


def test_an_exclusive_promotion_made_stackable_costs_exactly_what_it_adds(client, raw_client, tmp_path):
    rules = _rules(raw_client)
    for customer_id, price in (("lapsed-1", 12000), ("lapsed-2", 9999)):
        _customer(client, customer_id)
        _buy(client, customer_id, f"{customer_id}-old", 220, [{"sku": "CAP", "category": "hats", "quantity": 1,
                                                               "unit_amount": 2000}], quoted=False)
        _buy(client, customer_id, f"{customer_id}-back", 15,
             [{"sku": "RUN-X", "category": "running-shoes", "quantity": 1, "unit_amount": price}],
             codes=["MISSYOU", "RUNCLUB10"])
    missyou = next(p for p in rules["promotions"] if p["code"] == "MISSYOU")
    assert missyou["stackable"] is False
    candidate = copy.deepcopy(rules)
    next(p for p in candidate["promotions"] if p["code"] == "MISSYOU")["stackable"] = True

    orders = _report(tmp_path, candidate)["orders"]
    # Baseline: MISSYOU alone (20%: 2400 and 2000 of 9999 rounded half up) beats RUNCLUB10's £10.
    assert orders["baseline"]["by_kind"] == {"MISSYOU": 4400}
    # Candidate: both, MISSYOU first (priority 15), then £10 off what is left.
    assert orders["candidate"]["by_kind"] == {"MISSYOU": 4400, "RUNCLUB10": 2000}
    assert (orders["baseline"]["discount"], orders["candidate"]["discount"], orders["difference"]) == (4400, 6400, 2000)
    assert orders["baseline"]["by_customer"] == {"new": 0, "returning": 4400}
    assert orders["exactness"]["exact"] is True and orders["exactness"]["orders_checked"] == 2
    running_out = {r["code"]: r for r in orders["promotions_running_out"]["candidate"]}
    assert running_out["RUNCLUB10"]["customers_at_limit"] == 2
    assert running_out["MISSYOU"]["customers_at_limit"] == 2
    assert "RUNCLUB10" not in {r["code"] for r in orders["promotions_running_out"]["baseline"]}


def test_an_invalid_candidate_gets_the_puts_field_errors_exit_2_and_nothing_is_read(raw_client, tmp_path):
    document = _rules(raw_client)
    document["tiers"][1]["qualify"][0]["net_spend"] = "250.00"
    document["promotions"][0]["percent"] = 12.5
    put_errors = put(raw_client, "/v1/admin/rules", document).json_body["error"]["details"]
    assert len(put_errors) == 2
    from chalicelib.store import batch_reads

    batch_calls = []  # the batch reader has a client of its own: watched too
    batch_client = batch_reads._client()
    batch_client.meta.events.register("before-parameter-build.dynamodb", lambda model, **_: batch_calls.append(model.name))
    with DynamoCalls() as calls:
        result = _replay(tmp_path, document)
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["details"] == put_errors
    assert calls.operations == [] and batch_calls == []
    text = CliRunner().invoke(cli, ["rules", "replay", str(tmp_path / "candidate.json")])
    assert text.exit_code == 2
    assert "tiers[1].qualify[0].net_spend: must be a non-negative integer of minor units" in text.stderr
    valid = _replay(tmp_path, _rules(raw_client))  # the same watch sees a valid candidate's Scan
    assert valid.exit_code == 0 and "Scan" in batch_calls


def test_orders_in_a_currency_without_a_rate_are_counted_and_listed(client, raw_client, tmp_path):
    rules = _rules(raw_client)
    assert "USD" in rules["fx"]
    _customer(client, "abroad")
    with clock.shifted(timedelta(days=-3)):
        body = {"order_id": "usd-1", "placed_at": clock.now().isoformat(), "currency": "USD", "total_amount": 5000,
                "lines": [{"sku": "CAP", "category": "hats", "quantity": 1, "unit_amount": 5000}]}
        assert post(client, "/v1/customers/abroad/orders", body).status_code == 201
    candidate = copy.deepcopy(rules)
    del candidate["fx"]["USD"]
    orders = _report(tmp_path, candidate)["orders"]
    assert orders["orders"] == 1 and orders["orders_priced"] == 0
    assert orders["not_priced"] == [{"order_id": "usd-1", "placed_at": orders["not_priced"][0]["placed_at"],
                                     "currency": "USD", "baseline": None,
                                     "candidate": "no exchange rate for USD in these rules"}]


@pytest.fixture(autouse=True)
def _no_rules_cache(with_settings):
    with_settings(LOYALTY_RULES_CACHE_SECONDS="0")
