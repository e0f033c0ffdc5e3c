"""Quotes: which promotions apply, which combination wins, and what the shopper is told when one does not."""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.history import CustomerHistory, MonthTotals
from chalicelib.domain.pricing import CartLine, quote_for_cart
from chalicelib.domain.rules import NoExchangeRate, load_default_rules, parse_rules

DEFAULT = load_default_rules()


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def quote(history, lines, now, codes=(), rules=DEFAULT, currency="GBP", budgets=None):
    return quote_for_cart(rules, history, lines, currency, now, promo_codes=codes, remaining_budgets=budgets)


def applied(q) -> dict:
    return {d.code: d.amount for d in q.discounts}


def refusal(q, code):
    found = [n for n in q.not_applied if n.code == code]
    assert found, f"{code} not in not_applied: {q.not_applied}"
    return found[0]


def known(orders=0, first=None, last=None, uses=None, months=None) -> CustomerHistory:
    return CustomerHistory(
        customer_id="c-42",
        lifetime_orders=orders,
        lifetime_net_spend=orders * 5000,
        first_order_at=first,
        last_order_at=last,
        months={k: MonthTotals(*v) for k, v in (months or {}).items()},
        promotion_uses=uses or {},
    )


def rules_with(*promotions: dict, tiers=None, fx=None):
    document = {"base_currency": "GBP", "tiers": tiers or [{"name": "Member"}], "promotions": list(promotions)}
    if fx:
        document["fx"] = fx
    return parse_rules(document)


def promo(code, percent=None, amount=None, stackable=True, **fields) -> dict:
    body = {"code": code, "description": f"{code} offer", "automatic": True, "stackable": stackable}
    body.update({"kind": "percent_off", "percent": percent} if percent is not None else {"kind": "amount_off", "amount": amount})
    body.update(fields)
    return body


SHOES = CartLine("PEGASUS-41", "running-shoes", 1, 12000)
SOCKS = CartLine("RUN-SOCKS", "apparel", 2, 1200)
GIFT_CARD = CartLine("GC-50", "gift-cards", 1, 5000)


# ------------------------------------------------------------------ the Spring Forward sale

# The running-store father: years of orders (a couple of dozen pairs of shoes), Gold by lifetime spend.
FATHER = CustomerHistory(
    customer_id="ben",
    lifetime_orders=26,
    lifetime_net_spend=620000,
    first_order_at=utc(2016, 4, 2),
    last_order_at=utc(2025, 10, 12),
    months={"2025-10": MonthTotals(1, 14000)},
)


@pytest.mark.parametrize(
    "now, applies",
    [
        (utc(2026, 3, 6, 7, 59, 59), False),   # 5 March 23:59:59 PST: not yet
        (utc(2026, 3, 6, 8), True),            # 6 March 00:00 PST: the sale opens
        (utc(2026, 3, 8, 10, 30), True),       # the Sunday clocks spring forward
        (utc(2026, 3, 10, 6, 59, 59), True),   # 9 March 23:59:59 PDT (already 10 March in New Zealand): "it does run today also"
        (utc(2026, 3, 10, 7), False),          # 10 March 00:00 PDT: over
    ],
)
def test_spring_forward_sale_applies_to_the_running_store_father_only_within_its_los_angeles_window(now, applies):
    q = quote(FATHER, [SHOES, SOCKS], now)
    assert q.customer.tier == "Gold"
    assert ("SPRINGFORWARD" in applied(q)) is applies
    assert applied(q)["tier:Gold"] == 1200 + 120  # 10% off shoes, 5% off socks: earned, always shown


def test_spring_forward_takes_fifteen_percent_of_the_shoes_after_the_gold_discount():
    q = quote(FATHER, [SHOES, SOCKS], utc(2026, 3, 8, 18))
    shoes = q.lines[0]
    assert [(d.code, d.amount) for d in shoes.discounts] == [("tier:Gold", 1200), ("SPRINGFORWARD", 1620)]
    assert q.lines[1].discounts[-1].code == "tier:Gold"  # socks are not running shoes
    assert q.totals.discount == 1200 + 120 + 1620


def test_asking_for_spring_forward_after_it_ended_names_the_sale_and_when_it_ended():
    q = quote(FATHER, [SHOES], utc(2026, 3, 10, 7), codes=["springforward"])
    assert refusal(q, "SPRINGFORWARD").reason == "The Spring Forward sale ended on 9 March 2026 (PDT)"


def test_asking_for_spring_forward_before_it_starts_names_the_sale_and_when_it_starts():
    q = quote(FATHER, [SHOES], utc(2026, 3, 1), codes=["SPRINGFORWARD"])
    assert refusal(q, "SPRINGFORWARD").reason == "The Spring Forward sale starts on 6 March 2026 (PST)"


def test_an_automatic_promotion_outside_its_window_is_not_reported_unasked():
    q = quote(FATHER, [SHOES], utc(2026, 4, 1))
    assert "SPRINGFORWARD" not in [n.code for n in q.not_applied]


def test_an_automatic_promotion_short_of_its_minimum_says_how_much_more_to_spend():
    q = quote(CustomerHistory.guest(), [CartLine("TRAIL-1", "running-shoes", 1, 4600)], utc(2026, 3, 7))
    missed = refusal(q, "SPRINGFORWARD")
    assert missed.reason == "Spend £4.00 more on qualifying items to get 15% off"
    assert missed.short_by == 400
    assert q.totals.discount == 0


def test_minimum_subtotals_convert_to_the_quote_currency():
    # £50.00 at 0.79 GBP per USD is $63.29.
    q = quote(CustomerHistory.guest(), [CartLine("TRAIL-1", "running-shoes", 1, 6000)], utc(2026, 3, 7), currency="USD")
    missed = refusal(q, "SPRINGFORWARD")
    assert (missed.reason, missed.short_by) == ("Spend $3.29 more on qualifying items to get 15% off", 329)


def test_a_guest_gets_automatic_promotions_but_no_tier_discount():
    q = quote(CustomerHistory.guest(), [SHOES], utc(2026, 3, 7))
    assert applied(q) == {"SPRINGFORWARD": 1800}
    assert q.customer.tier is None


# ------------------------------------------------------------------ codes and history


def test_codes_are_case_insensitive_and_reported_with_their_canonical_spelling():
    first = utc(2026, 5, 1)
    q = quote(known(orders=1, first=first, last=first), [SHOES], first + timedelta(days=10), codes=[" welcomeBack "])
    assert applied(q) == {"WELCOMEBACK": 1200}
    assert q.promotion_codes == ("WELCOMEBACK",)


def test_an_unknown_code_is_reported_as_typed():
    q = quote(known(), [SHOES], utc(2026, 5, 1), codes=["Summer99 "])
    assert [(n.code, n.reason) for n in q.not_applied] == [("Summer99", "We don't recognise this code")]


def test_a_code_typed_twice_applies_once():
    q = quote(known(), [SHOES], utc(2026, 5, 1), codes=["FIRSTSTRIDE", "firststride"])
    assert applied(q) == {"FIRSTSTRIDE": 1200}


def test_typing_the_code_of_an_automatic_promotion_does_not_apply_it_twice():
    q = quote(CustomerHistory.guest(), [SHOES], utc(2026, 3, 7), codes=["SPRINGFORWARD"])
    assert applied(q) == {"SPRINGFORWARD": 1800}


FIRST_ORDER = utc(2026, 5, 1, 12)


@pytest.mark.parametrize(
    "orders, now, reason",
    [
        (1, FIRST_ORDER + timedelta(days=10), None),
        (1, FIRST_ORDER + timedelta(days=29, hours=23), None),
        (1, FIRST_ORDER + timedelta(days=30), "This offer was for a second order by 31 May 2026"),
        (0, FIRST_ORDER, "This offer is for your second order: it unlocks after your first"),
        (2, FIRST_ORDER + timedelta(days=10), "This offer was for your second order"),
    ],
    ids=["day-10", "last-hour", "day-30", "no-first-order-yet", "third-order"],
)
def test_welcomeback_is_for_a_second_order_within_30_days_of_the_first(orders, now, reason):
    history = known(orders=orders, first=FIRST_ORDER if orders else None, last=FIRST_ORDER if orders else None)
    q = quote(history, [SHOES], now, codes=["WELCOMEBACK"])
    if reason is None:
        assert applied(q) == {"WELCOMEBACK": 1200}
    else:
        assert refusal(q, "WELCOMEBACK").reason == reason


def test_first_order_promotion_is_for_a_known_customer_without_orders():
    assert applied(quote(known(), [SHOES], utc(2026, 5, 1), codes=["FIRSTSTRIDE"])) == {"FIRSTSTRIDE": 1200}
    q = quote(known(orders=1, first=FIRST_ORDER), [SHOES], utc(2026, 5, 1), codes=["FIRSTSTRIDE"])
    assert refusal(q, "FIRSTSTRIDE").reason == "This offer is for your first order"


def test_a_guest_is_asked_to_sign_in_for_promotions_that_depend_on_who_they_are():
    q = quote(CustomerHistory.guest(), [SHOES], utc(2026, 5, 1), codes=["FIRSTSTRIDE", "RUNCLUB10"])
    assert refusal(q, "FIRSTSTRIDE").reason == "Sign in to use this offer"
    assert refusal(q, "RUNCLUB10").reason == "Sign in to use this offer"  # it has a per-customer limit


@pytest.mark.parametrize("days_away, applies", [(200, True), (180, True), (179, False)])
def test_missyou_is_for_customers_lapsed_for_180_days(days_away, applies):
    now = utc(2026, 9, 1)
    history = known(orders=4, first=utc(2024, 1, 1), last=now - timedelta(days=days_away))
    q = quote(history, [SHOES], now, codes=["MISSYOU"])
    if applies:
        assert applied(q) == {"MISSYOU": 2400}
    else:
        assert refusal(q, "MISSYOU").reason == "This offer is for customers whose last order was more than 180 days ago"


def test_a_per_customer_limit_counts_past_uses_case_insensitively():
    history = known(orders=1, first=FIRST_ORDER, last=FIRST_ORDER, uses={"welcomeback": 1})
    q = quote(history, [SHOES], FIRST_ORDER + timedelta(days=3), codes=["WELCOMEBACK"])
    assert refusal(q, "WELCOMEBACK").reason == "You've already used this offer"


def test_a_limit_above_one_says_how_many_times():
    rules = rules_with(promo("THRICE", percent=5, automatic=False, per_customer_limit=3))
    q = quote(known(uses={"THRICE": 3}), [SHOES], utc(2026, 5, 1), codes=["thrice"], rules=rules)
    assert refusal(q, "THRICE").reason == "You've already used this offer 3 times, the most allowed"


@pytest.mark.parametrize(
    "budgets, applies",
    [(None, True), ({"RUNCLUB10": 3}, True), ({"runclub10": 0}, False), ({"RUNCLUB10": -2}, False)],
    ids=["unknown-remaining", "three-left", "exhausted", "overspent"],
)
def test_a_promotion_whose_budget_is_exhausted_is_refused_at_quote_time(budgets, applies):
    q = quote(known(), [SHOES], utc(2026, 5, 1), codes=["RUNCLUB10"], budgets=budgets)
    if applies:
        assert applied(q)["RUNCLUB10"] == 1000
    else:
        assert refusal(q, "RUNCLUB10").reason == "This offer has been fully claimed"


def test_a_budget_of_zero_in_the_rules_pauses_the_promotion():
    rules = rules_with(promo("PAUSED", percent=10, budget=0))
    q = quote(known(), [SHOES], utc(2026, 5, 1), codes=["PAUSED"], rules=rules)
    assert refusal(q, "PAUSED").reason == "This offer has been fully claimed"


def test_gold_early_access_is_for_gold_members_only():
    during = utc(2026, 8, 28, 12)
    jacket = CartLine("WIND-JACKET", "apparel", 1, 8000)
    silver = known(orders=3, months={"2026-08": (3, 30000)})
    q = quote(silver, [jacket], during, codes=["goldearly"])
    assert refusal(q, "GOLDEARLY").reason == "This offer is for Gold members"
    assert "GOLDEARLY" not in [n.code for n in quote(silver, [jacket], during).not_applied]
    gold = known(orders=10, months={"2026-08": (10, 30000)})
    assert applied(quote(gold, [jacket], during))["GOLDEARLY"] == 1520  # 20% of what is left after Gold's 5%


def test_a_window_opening_at_a_local_time_names_the_time_and_zone():
    q = quote(known(orders=10, months={"2026-08": (10, 30000)}), [SOCKS], utc(2026, 8, 27, 7), codes=["GOLDEARLY"])
    assert refusal(q, "GOLDEARLY").reason == "This offer starts on 27 August 2026 at 09:00 BST"


# ------------------------------------------------------------------ stacking and exclusivity

ONE_HUNDRED = [CartLine("SHOE", "shoes", 1, 10000)]


@pytest.mark.parametrize(
    "exclusive_percent, exclusive_priority, winners, loser_reasons",
    [
        (20, 0, {"X": 2000}, {"A": "Can't be combined with X, which saves you more",
                             "B": "Can't be combined with X, which saves you more"}),
        (12, 0, {"A": 1000, "B": 500}, {"X": "Can't be combined with A and B, which save you more"}),
        (15, 0, {"A": 1000, "B": 500}, {"X": "Can't be combined with A and B, which take priority"}),
        (15, 5, {"X": 1500}, {"A": "Can't be combined with X, which takes priority",
                              "B": "Can't be combined with X, which takes priority"}),
    ],
    ids=["exclusive-bigger", "stack-bigger", "tie-stack-has-priority", "tie-exclusive-has-priority"],
)
def test_the_customer_gets_the_best_combination_and_ties_go_by_priority(
    exclusive_percent, exclusive_priority, winners, loser_reasons
):
    rules = rules_with(
        promo("A", percent=10, priority=1),
        promo("B", amount=500, priority=1),
        promo("X", percent=exclusive_percent, stackable=False, priority=exclusive_priority),
    )
    q = quote(CustomerHistory.guest(), ONE_HUNDRED, utc(2026, 5, 1), rules=rules)
    assert applied(q) == winners
    assert {n.code: n.reason for n in q.not_applied} == loser_reasons


def test_equal_exclusive_promotions_of_equal_priority_go_to_the_first_code():
    rules = rules_with(promo("BBB", percent=10, stackable=False), promo("AAA", percent=10, stackable=False))
    q = quote(CustomerHistory.guest(), ONE_HUNDRED, utc(2026, 5, 1), rules=rules)
    assert applied(q) == {"AAA": 1000}
    assert refusal(q, "BBB").reason == "Can't be combined with AAA, which takes priority"


def test_stacked_promotions_apply_by_priority_on_what_is_left():
    rules = rules_with(promo("LOW", amount=1000, priority=1), promo("HIGH", percent=50, priority=9))
    q = quote(CustomerHistory.guest(), ONE_HUNDRED, utc(2026, 5, 1), rules=rules)
    assert [(d.code, d.amount) for d in q.discounts] == [("HIGH", 5000), ("LOW", 1000)]


def test_an_exclusive_promotion_still_keeps_the_tier_discount():
    tiers = [{"name": "Member", "benefits": {"percent_by_category": {"*": "10"}}}]
    rules = rules_with(promo("X", percent=15, stackable=False), tiers=tiers)
    q = quote(known(), ONE_HUNDRED, utc(2026, 5, 1), rules=rules)
    assert applied(q) == {"tier:Member": 1000, "X": 1350}  # compounding: 10% then 15% of the rest


def test_a_fixed_amount_never_takes_a_line_below_zero():
    rules = rules_with(promo("BIG", amount=50000))
    q = quote(CustomerHistory.guest(), [CartLine("SOCK", "socks", 1, 799)], utc(2026, 5, 1), rules=rules)
    assert applied(q) == {"BIG": 799}
    assert q.totals.total == 0


def test_a_promotion_with_nothing_left_to_discount_is_reported_not_applied():
    rules = rules_with(promo("ALL", percent=100, priority=2), promo("MORE", amount=100, priority=1))
    q = quote(CustomerHistory.guest(), ONE_HUNDRED, utc(2026, 5, 1), rules=rules)
    assert applied(q) == {"ALL": 10000}
    assert refusal(q, "MORE").reason == "Your other discounts already cover these items"


# ------------------------------------------------------------------ what lines a discount covers


def test_gift_cards_are_never_discounted_even_by_promotions_on_everything():
    first = utc(2026, 5, 1)
    q = quote(known(orders=1, first=first, last=first), [SHOES, GIFT_CARD], first + timedelta(days=2), codes=["WELCOMEBACK"])
    assert q.lines[1].discounts == ()
    assert applied(q) == {"WELCOMEBACK": 1200}


def test_sale_items_get_no_tier_discount_and_the_shopper_is_told():
    q = quote(FATHER, [CartLine("PEGASUS-40", "running-shoes", 1, 8000, on_sale=True)], utc(2026, 4, 1))
    assert q.discounts == ()
    assert refusal(q, "tier:Gold").reason == "Your Gold tier discount doesn't apply to items already on sale"


def test_a_code_covering_only_sale_items_says_sale_items_are_excluded():
    first = utc(2026, 5, 1)
    q = quote(known(orders=1, first=first, last=first), [CartLine("OLD", "apparel", 1, 2000, on_sale=True)],
              first + timedelta(days=2), codes=["WELCOMEBACK"])
    assert refusal(q, "WELCOMEBACK").reason == "Items already on sale aren't included in this offer"


def test_a_promotion_can_opt_in_to_sale_items():
    rules = rules_with(promo("CLEARANCE", percent=10, applies_to_sale_items=True))
    q = quote(CustomerHistory.guest(), [CartLine("OLD", "apparel", 1, 2000, on_sale=True)], utc(2026, 5, 1), rules=rules)
    assert applied(q) == {"CLEARANCE": 200}


def test_promotions_can_target_skus_and_exclude_categories():
    rules = rules_with(
        promo("SKU", percent=10, skus=["RUN-SOCKS"]),
        promo("NOTSHOES", percent=50, exclude_categories=["running-shoes"], priority=-1),
    )
    q = quote(CustomerHistory.guest(), [SHOES, SOCKS], utc(2026, 5, 1), rules=rules)
    assert [(d.code, d.amount) for d in q.lines[1].discounts] == [("SKU", 240), ("NOTSHOES", 1080)]
    assert q.lines[0].discounts == ()


def test_an_asked_for_code_with_no_covered_items_says_so():
    rules = rules_with(promo("SHOESONLY", percent=10, categories=["running-shoes"], automatic=False))
    q = quote(CustomerHistory.guest(), [SOCKS], utc(2026, 5, 1), codes=["SHOESONLY"], rules=rules)
    assert refusal(q, "SHOESONLY").reason == "None of the items in your basket are included in this offer"


def test_the_tier_discount_is_capped_per_order():
    q = quote(FATHER, [CartLine("CARBON", "running-shoes", 10, 25000)], utc(2026, 4, 1))
    [tier] = q.discounts
    assert (tier.code, tier.kind, tier.amount) == ("tier:Gold", "tier", 10000)
    assert tier.description == "Gold tier discount: 10% off running-shoes, 5% off everything else (up to £100.00 an order)"


# ------------------------------------------------------------------ currencies


def test_fixed_amounts_and_minimums_convert_to_yen_without_minor_units():
    q = quote(known(), [CartLine("SHOE-JP", "running-shoes", 1, 20000)], utc(2026, 5, 1), codes=["RUNCLUB10"], currency="JPY")
    assert applied(q) == {"RUNCLUB10": 1923}  # £10.00 / 0.0052 = ¥1,923


def test_kuwaiti_dinar_percentages_round_to_the_fils():
    rules = rules_with(promo("TEN", percent="12.5"), fx={"KWD": "2.5"})
    q = quote(CustomerHistory.guest(), [CartLine("K", "x", 1, 1234)], utc(2026, 5, 1), rules=rules, currency="KWD")
    assert applied(q) == {"TEN": 154}  # 12.5% of 1.234 KWD = 0.15425 -> 0.154


def test_a_currency_without_a_rate_is_refused():
    with pytest.raises(NoExchangeRate):
        quote(known(), [SHOES], utc(2026, 5, 1), currency="CHF")


# ------------------------------------------------------------------ the response shape


def test_quote_json_mirrors_the_api_response():
    q = quote(FATHER, [SHOES], utc(2026, 3, 8, 18), codes=["NOPE"])
    body = q.to_json()
    assert body["rules_version"] == 0
    assert body["customer"]["tier"] == "Gold"
    assert body["lines"][0]["discounts"][0] == {"code": "tier:Gold", "amount": {"amount": 1200, "currency": "GBP"}}
    assert body["discounts"][1] == {
        "code": "SPRINGFORWARD", "kind": "percent_off", "amount": {"amount": 1620, "currency": "GBP"},
        "description": "Spring Forward sale: 15% off running shoes",
    }
    assert body["not_applied"] == [{"code": "NOPE", "reason": "We don't recognise this code", "short_by": None}]
    assert body["totals"] == {
        "subtotal": {"amount": 12000, "currency": "GBP"},
        "discount": {"amount": 2820, "currency": "GBP"},
        "total": {"amount": 9180, "currency": "GBP"},
    }


def test_an_empty_cart_quotes_zero():
    q = quote(FATHER, [], utc(2026, 3, 8))
    assert (q.totals.subtotal, q.totals.discount, q.totals.total) == (0, 0, 0)


def test_cart_lines_reject_impossible_quantities_and_amounts():
    with pytest.raises(ValueError):
        CartLine("X", "y", 0, 100)
    with pytest.raises(ValueError):
        CartLine("X", "y", 1, -1)
    with pytest.raises(ValueError):
        CartLine("X", "y", True, 100)
