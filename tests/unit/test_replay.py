"""Re-pricing orders with the customer's history as it stood at each order (domain/replay.py)."""
import copy
from datetime import datetime, timedelta, timezone

from chalicelib.domain.customer import MonthTotals
from chalicelib.domain.history import CustomerHistory, TierOverride
from chalicelib.domain.ledger import Order, OrderLine, OrderState
from chalicelib.domain.replay import (
    CustomerToday,
    PlacedOrder,
    exactness_check,
    history_as_of,
    orders_summary,
    replay_orders,
    tiers_today,
)
from chalicelib.domain.rules import load_default_rules, parse_rules

UTC = timezone.utc
RULES = load_default_rules()


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def placed(order_id, when, amount, customer="c-1", status="placed", reversed_=0, decision=None, category="bags",
           currency="GBP", base_total=None):
    order = Order(order_id, customer, at(when), currency, (OrderLine("SKU-" + order_id, category, 1, amount),), amount,
                  "GBP", amount if base_total is None else base_total)
    return PlacedOrder(OrderState(order, status=status, base_reversed=reversed_), decision)


def history_today(orders, customer="c-1", **extra):
    """The history a quote would read today, built from the orders as the buckets count them."""
    months = {}
    for o in orders:
        key = o.placed_at.strftime("%Y-%m")
        old = months.get(key, MonthTotals())
        months[key] = MonthTotals(old.orders + (0 if o.cancelled else 1), old.net_spend + o.net_base)
    return CustomerHistory(customer, sum(m.orders for m in months.values()),
                           sum(m.net_spend for m in months.values()), months=months, **extra)


def test_history_as_of_an_order_keeps_earlier_months_and_the_orders_of_its_month_placed_before_it():
    orders = [placed("o1", "2026-03-10T10:00", 10000), placed("o2", "2026-05-02T10:00", 20000),
              placed("o3", "2026-05-20T10:00", 5000, status="cancelled"), placed("o4", "2026-05-25T10:00", 7000),
              placed("o5", "2026-07-01T10:00", 9000, reversed_=4000)]
    today = history_today(orders, customer_since=at("2025-01-01T00:00"))
    as_of = history_as_of(today, orders[:4], at("2026-05-25T10:00"))
    # March in full, May's orders before 25 May (the cancelled one counts nothing), nothing later
    assert as_of.months == {"2026-03": MonthTotals(1, 10000), "2026-05": MonthTotals(1, 20000)}
    assert (as_of.lifetime_orders, as_of.lifetime_net_spend) == (2, 30000)
    assert (as_of.first_order_at, as_of.last_order_at) == (at("2026-03-10T10:00"), at("2026-05-02T10:00"))
    assert as_of.customer_since == at("2025-01-01T00:00")
    later = history_as_of(today, orders[:4], at("2026-08-01T00:00"))
    assert later.months["2026-05"] == MonthTotals(2, 27000)  # May as its bucket stands today
    assert later.months["2026-07"] == MonthTotals(1, 5000)  # net of the £40.00 refunded since
    assert "2026-07" not in as_of.months


def test_customer_since_and_an_override_apply_only_from_when_they_hold():
    today = CustomerHistory("c-1", customer_since=at("2026-06-01T00:00"),
                            tier_override=TierOverride("Gold", at("2026-04-01T00:00")))
    early = history_as_of(today, [], at("2026-03-01T00:00"))
    assert early.customer_since is None and early.tier_override is not None
    late = history_as_of(today, [], at("2026-07-01T00:00"))
    assert late.customer_since == at("2026-06-01T00:00") and late.tier_override is None


def test_each_order_is_priced_with_the_tier_the_customer_held_then():
    # £300 in one order makes Silver (5% off running shoes) for the orders after it, not for it
    orders = [placed("o1", "2026-02-01T10:00", 30000), placed("o2", "2026-02-10T10:00", 10000, category="running-shoes"),
              placed("o0", "2026-01-15T10:00", 10000, category="running-shoes")]
    today = history_today(orders)
    replayed = replay_orders(RULES, {"c-1": today}, orders, at("2026-01-01T00:00"), at("2026-03-01T00:00"))
    tiers = {r.order.order_id: r.quote.customer.tier for r in replayed.orders}
    assert tiers == {"o0": "Member", "o1": "Member", "o2": "Silver"}
    by_id = {r.order.order_id: r for r in replayed.orders}
    assert by_id["o2"].quote.totals.discount == 500  # 5% of £100.00
    assert [r.new_customer for r in replayed.orders] == [True, False, False]
    # Today the customer is Silver, but the first order is not priced with today's tier
    assert by_id["o0"].quote.totals.discount == 0


def test_a_per_customer_limit_and_a_budget_run_out_on_the_day_the_last_use_is_taken():
    document = RULES.to_document()
    runclub = next(p for p in document["promotions"] if p["code"] == "RUNCLUB10")
    runclub["budget"] = 2
    rules = parse_rules(document)
    decision = {"rules_version": 0, "codes": ["RUNCLUB10"], "sale": [], "discounts": []}
    orders = [placed("a1", "2026-04-01T10:00", 9000, customer="a", decision=decision),
              placed("a2", "2026-04-03T10:00", 9000, customer="a", decision=decision),
              placed("b1", "2026-04-05T10:00", 9000, customer="b", decision=decision),
              placed("c1", "2026-04-07T10:00", 9000, customer="c", decision=decision)]
    histories = {c: CustomerHistory(c) for c in "abc"}
    replayed = replay_orders(rules, histories, orders, at("2026-04-01T00:00"), at("2026-05-01T00:00"))
    got = {r.order.order_id: r.quote.promotion_codes for r in replayed.orders}
    assert got == {"a1": ("RUNCLUB10",), "a2": (), "b1": ("RUNCLUB10",), "c1": ()}
    run_out = replayed.run_outs["RUNCLUB10"]
    assert (run_out.used_in_period, run_out.budget_ran_out_on) == (2, "2026-04-05")
    assert (run_out.customers_at_limit, run_out.first_customer_at_limit_on) == (2, "2026-04-01")


def test_uses_before_the_period_count_against_the_limit():
    decision = {"rules_version": 0, "codes": ["RUNCLUB10"], "sale": [],
                "discounts": [{"code": "RUNCLUB10", "kind": "amount_off", "amount": 1000}]}
    orders = [placed("a0", "2026-03-01T10:00", 9000, customer="a", decision=decision),
              placed("a1", "2026-04-01T10:00", 9000, customer="a", decision=decision)]
    replayed = replay_orders(RULES, {"a": CustomerHistory("a")}, orders, at("2026-04-01T00:00"), at("2026-05-01T00:00"))
    assert [r.order.order_id for r in replayed.orders] == ["a1"]
    assert replayed.orders[0].quote.promotion_codes == ()
    assert replayed.run_outs["RUNCLUB10"].used_before == 1


def test_the_exactness_check_lists_an_order_whose_replay_differs():
    orders = [placed("o1", "2026-02-10T10:00", 10000, category="running-shoes",
                     decision={"rules_version": 0, "codes": [], "sale": [],
                               "discounts": [{"code": "tier:Silver", "kind": "tier", "amount": 500}]}),
              placed("o2", "2026-02-11T10:00", 10000, decision={"rules_version": 3, "discounts": []})]
    today = history_today(orders)  # two orders of £100: Member in February
    replayed = replay_orders(RULES, {"c-1": today}, orders, at("2026-02-01T00:00"), at("2026-03-01T00:00"))
    check = exactness_check(RULES, replayed.orders, "GBP")
    assert (check["orders_checked"], check["orders_matching"], check["exact"]) == (1, 0, False)
    assert check["differences"][0]["order_id"] == "o1"
    assert (check["differences"][0]["actual"], check["differences"][0]["replayed"]) == ({"tier:Silver": 500}, {})
    assert check["not_checked_other_versions"] == {3: 1}


def test_the_summary_converts_other_currencies_at_the_orders_own_rate_and_lists_what_it_cannot_price():
    # A USD order of $100.00 recorded at £79.00: its Silver 5% ($5.00) costs £3.95
    usd = placed("u1", "2026-02-10T10:00", 10000, currency="USD", base_total=7900, category="running-shoes")
    big = placed("g1", "2026-01-10T10:00", 30000)
    today = history_today([usd, big])
    no_usd = RULES.to_document()
    del no_usd["fx"]["USD"]
    candidate = parse_rules(no_usd)
    before = replay_orders(RULES, {"c-1": today}, [usd, big], at("2026-02-01T00:00"), at("2026-03-01T00:00"))
    after = replay_orders(candidate, {"c-1": today}, [usd, big], at("2026-02-01T00:00"), at("2026-03-01T00:00"))
    assert before.orders[0].quote.totals.discount == 500
    summary = orders_summary(RULES, candidate, before, after)
    assert summary["orders_priced"] == 0
    assert summary["not_priced"][0]["candidate"] == "no exchange rate for USD in these rules"
    only_baseline = orders_summary(RULES, RULES, before, before)
    assert only_baseline["baseline"]["by_tier"] == {"Silver": 395}
    assert only_baseline["baseline"]["by_week"] == {"2026-02-09": 395}


def test_tiers_today_counts_moves_and_ranks_the_most_valuable_customers_moving_down():
    document = RULES.to_document()
    candidate = copy.deepcopy(document)
    candidate["tiers"][1]["qualify"][0]["net_spend"] = 40000
    now = at("2026-06-15T12:00")
    month = {"2026-06": None}

    def customer(orders, spend):
        history = CustomerHistory("x", orders, spend, months={next(iter(month)): MonthTotals(orders, spend)})
        return CustomerToday(history, spend)

    customers = {"small": customer(1, 26000), "big": customer(2, 39000), "stays": customer(3, 1000),
                 "member": customer(1, 100)}
    report = tiers_today(RULES, parse_rules(candidate), customers, now, lambda c: f"ref-{c}")
    assert report["movement"] == {"Member": {"Member": 1}, "Silver": {"Member": 2, "Silver": 1}}
    assert [(m["customer_id"], m["log_ref"]) for m in report["largest_value_moving_down"]] == [
        ("big", "ref-big"), ("small", "ref-small")]
