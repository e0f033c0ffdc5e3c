"""Tier evaluation: thresholds, the rolling window, grace, tenure, overrides and progress text."""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.history import CustomerHistory, MonthTotals, TierOverride
from chalicelib.domain.rules import load_default_rules, parse_rules
from chalicelib.domain.tiers import GUEST_EXPLANATION, evaluate_tier

DEFAULT = load_default_rules()  # Member; Silver 3 orders or £250 / 12m, grace 30d; Gold 10 or £1,000 / 12m or £5,000 lifetime + 3y, grace 60d


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def customer(months=None, lifetime_orders=None, lifetime_spend=None, first=None, override=None) -> CustomerHistory:
    months = {key: MonthTotals(orders, spend) for key, (orders, spend) in (months or {}).items()}
    return CustomerHistory(
        customer_id="c-1",
        lifetime_orders=sum(m.orders for m in months.values()) if lifetime_orders is None else lifetime_orders,
        lifetime_net_spend=sum(m.net_spend for m in months.values()) if lifetime_spend is None else lifetime_spend,
        first_order_at=first,
        months=months,
        tier_override=override,
    )


def tier_of(history: CustomerHistory, now: datetime, rules=DEFAULT):
    return evaluate_tier(rules.tiers, history, now, rules.base_currency)


def rules_with_tiers(*tiers: dict):
    return parse_rules({"base_currency": "GBP", "tiers": [{"name": "Member"}, *tiers]})


# ------------------------------------------------------------------ thresholds


@pytest.mark.parametrize(
    "orders, spend, expected",
    [
        (0, 0, "Member"),
        (2, 24999, "Member"),
        (3, 0, "Silver"),        # exactly 3 orders
        (0, 25000, "Silver"),    # exactly £250.00 (an order count of 0 cannot happen, but spend alone counts)
        (9, 99999, "Silver"),
        (10, 0, "Gold"),         # exactly 10 orders
        (1, 100000, "Gold"),     # exactly £1,000.00
    ],
)
def test_tier_boundaries_are_inclusive_at_the_threshold(orders, spend, expected):
    history = customer({"2026-06": (orders, spend)})
    assert tier_of(history, utc(2026, 6, 15)).tier == expected


def test_the_highest_tier_qualified_for_wins():
    status = tier_of(customer({"2026-05": (20, 500000)}), utc(2026, 6, 15))
    assert (status.tier, status.basis, status.next_tier) == ("Gold", "earned", None)


def test_explanation_names_the_figures_and_the_requirement():
    status = tier_of(customer({"2026-01": (6, 60000), "2026-05": (8, 64000)}), utc(2026, 6, 15))
    assert status.explanation == "Gold: 14 orders and £1,240.00 net spend in the last 12 months (needs 10 orders or £1,000.00)"


def test_progress_gives_the_orders_or_spend_that_alone_reach_the_next_tier():
    status = tier_of(customer({"2026-05": (8, 92000)}), utc(2026, 6, 15))
    assert status.tier == "Silver"
    nxt = status.next_tier
    assert (nxt.name, nxt.orders_needed, nxt.spend_needed, nxt.currency) == ("Gold", 2, 8000, "GBP")
    assert nxt.progress == "2 more orders or £80.00 to Gold"


def test_one_more_order_is_singular():
    status = tier_of(customer({"2026-05": (2, 1000)}), utc(2026, 6, 15))
    assert status.next_tier.progress == "1 more order or £240.00 to Silver"


def test_a_rule_needing_orders_and_spend_says_and():
    rules = rules_with_tiers({"name": "Club", "qualify": [{"orders": 5, "net_spend": 50000, "require": "both"}]})
    status = tier_of(customer({"2026-05": (2, 10000)}), utc(2026, 6, 15), rules)
    assert status.next_tier.progress == "3 more orders and £400.00 to Club"
    assert (status.next_tier.orders_needed, status.next_tier.spend_needed) == (3, 40000)


def test_a_rule_needing_both_with_one_met_asks_only_for_the_other():
    rules = rules_with_tiers({"name": "Club", "qualify": [{"orders": 5, "net_spend": 50000, "require": "both"}]})
    status = tier_of(customer({"2026-05": (7, 10000)}), utc(2026, 6, 15), rules)
    assert (status.next_tier.orders_needed, status.next_tier.spend_needed) == (None, 40000)
    assert status.next_tier.progress == "£400.00 to Club"


def test_a_tier_blocked_by_tenure_states_its_requirement_instead_of_numbers():
    rules = rules_with_tiers({"name": "Veteran", "qualify": [{"lifetime": True, "net_spend": 100000, "tenure_years": 5}]})
    history = customer({"2026-05": (30, 900000)}, first=utc(2024, 6, 1))
    nxt = tier_of(history, utc(2026, 6, 15), rules).next_tier
    assert (nxt.orders_needed, nxt.spend_needed) == (None, None)
    assert nxt.progress == "Veteran needs £1,000.00 in total and 5 years as a customer"


def test_missing_months_count_as_nothing():
    assert tier_of(customer({}), utc(2026, 6, 15)).tier == "Member"


def test_no_tier_when_even_the_first_tier_has_requirements():
    rules = parse_rules({"base_currency": "GBP", "tiers": [{"name": "Bronze", "qualify": [{"orders": 1}]}]})
    status = tier_of(customer({}), utc(2026, 6, 15), rules)
    assert (status.tier, status.basis, status.explanation) == (None, "none", "No tier yet")
    assert status.next_tier.progress == "1 more order to Bronze"


# ------------------------------------------------------------------ the rolling window


NO_GRACE = rules_with_tiers({"name": "Gold", "qualify": [{"window_months": 12, "orders": 10}]})


@pytest.mark.parametrize(
    "now, expected",
    [
        (utc(2025, 11, 30), "Gold"),
        (utc(2026, 10, 31, 23, 59, 59), "Gold"),   # 2025-11 is still one of the last 12 months
        (utc(2026, 11, 1), "Member"),              # first day of its 13th month: rolled out
    ],
)
def test_orders_roll_out_of_the_window_on_the_first_day_of_their_13th_month(now, expected):
    history = customer({"2025-11": (10, 50000)})
    assert tier_of(history, now, NO_GRACE).tier == expected


def test_window_months_are_utc_calendar_months():
    history = customer({"2025-11": (10, 50000)})
    # 1 November 00:30 in London is still 31 October in Los Angeles, but months are UTC.
    assert tier_of(history, datetime.fromisoformat("2026-10-31T17:30:00-07:00"), NO_GRACE).tier == "Member"


def test_a_six_month_window_only_counts_six_months():
    rules = rules_with_tiers({"name": "Sprint", "qualify": [{"window_months": 6, "orders": 2}]})
    history = customer({"2026-01": (1, 1000), "2026-06": (1, 1000)})
    assert tier_of(history, utc(2026, 6, 30), rules).tier == "Sprint"
    assert tier_of(history, utc(2026, 7, 1), rules).tier == "Member"


# ------------------------------------------------------------------ grace

LAPSING = {"2025-11": (10, 90000)}  # Gold in every window ending Nov 2025 .. Oct 2026


@pytest.mark.parametrize(
    "now, tier, basis",
    [
        (utc(2026, 10, 31, 12), "Gold", "earned"),
        (utc(2026, 11, 1), "Gold", "grace"),             # lapsed at the month boundary, kept 60 days
        (utc(2026, 12, 30, 23, 59, 59), "Gold", "grace"),
        (utc(2026, 12, 31), "Member", "earned"),         # 60 days after 1 Nov; Silver's 30 days ended 1 Dec
    ],
)
def test_a_lapsed_tier_is_kept_for_its_grace_days_after_the_month_it_last_qualified(now, tier, basis):
    status = tier_of(customer(LAPSING), now)
    assert (status.tier, status.basis) == (tier, basis)


def test_grace_status_says_until_when_and_what_keeps_the_tier():
    status = tier_of(customer(LAPSING), utc(2026, 11, 20))
    assert status.held_until == utc(2026, 12, 31)
    assert status.explanation == (
        "Gold until 31 December 2026: you had 10 orders and £900.00 net spend in the 12 months to "
        "31 October 2026 (needs 10 orders or £1,000.00); in the last 12 months you have 0 orders and £0.00"
    )
    keep = status.next_tier
    assert (keep.name, keep.orders_needed, keep.spend_needed) == ("Gold", 10, 100000)
    assert keep.progress == "10 more orders or £1,000.00 to keep Gold after 31 December 2026"


def test_grace_counts_from_the_latest_month_the_customer_still_qualified():
    # Qualified in windows ending Sep 2026 (2 orders Oct 2025 + 8 in Sep 2026) but not Oct 2026.
    history = customer({"2025-10": (2, 2000), "2026-09": (8, 8000)})
    assert tier_of(history, utc(2026, 9, 30)).basis == "earned"
    status = tier_of(history, utc(2026, 10, 15))
    assert (status.tier, status.basis, status.held_until) == ("Gold", "grace", utc(2026, 10, 1) + timedelta(days=60))


def test_a_lower_tier_earned_now_loses_to_a_higher_tier_held_by_grace():
    history = customer({"2025-11": (10, 90000), "2026-11": (3, 3000)})
    status = tier_of(history, utc(2026, 11, 10))
    assert (status.tier, status.basis) == ("Gold", "grace")


def test_without_grace_days_a_tier_lapses_immediately():
    assert tier_of(customer(LAPSING), utc(2026, 11, 1), NO_GRACE).tier == "Member"


# ------------------------------------------------------------------ lifetime and tenure

VETERAN = dict(months={"2026-01": (1, 4000)}, lifetime_orders=40, lifetime_spend=500000, first=utc(2023, 3, 6, 10))


@pytest.mark.parametrize(
    "now, expected",
    [(utc(2026, 3, 6, 9, 59, 59), "Silver"), (utc(2026, 3, 6, 10), "Gold")],  # Silver: 40 orders over 2 years
)
def test_lifetime_spend_reaches_gold_on_the_third_anniversary_of_the_first_order(now, expected):
    assert tier_of(customer(**VETERAN), now).tier == expected


def test_lifetime_explanation_names_the_year_since_the_total_and_tenure():
    status = tier_of(customer(**VETERAN), utc(2026, 6, 1))
    assert status.explanation == (
        "Gold: a customer since 2023 with £5,000.00 net spend over 3 years "
        "(needs £5,000.00 in total and 3 years as a customer)"
    )


def test_tenure_from_a_leap_day_is_complete_on_the_first_of_march():
    rules = rules_with_tiers({"name": "Loyal", "qualify": [{"lifetime": True, "tenure_years": 1}]})
    history = customer({}, lifetime_orders=1, first=utc(2024, 2, 29))
    assert tier_of(history, utc(2025, 2, 28, 23), rules).tier == "Member"
    assert tier_of(history, utc(2025, 3, 1), rules).tier == "Loyal"


# ------------------------------------------------------------------ overrides and guests


def test_an_operator_override_is_honoured_until_it_expires():
    override = TierOverride("Gold", until=utc(2026, 12, 31), reason="goodwill after a lost parcel")
    history = customer({"2026-05": (1, 1000)}, override=override)
    status = tier_of(history, utc(2026, 6, 15))
    assert (status.tier, status.basis, status.held_until) == ("Gold", "override", utc(2026, 12, 31))
    assert status.explanation == "Gold until 31 December 2026, set by our customer team"
    assert status.override_reason == "goodwill after a lost parcel"
    assert "goodwill" not in str(status.to_json())
    assert tier_of(history, utc(2026, 12, 31)).tier == "Member"


def test_an_override_can_lower_the_tier_while_it_lasts():
    override = TierOverride("Member", until=utc(2026, 12, 31), reason="abuse review")
    status = tier_of(customer({"2026-05": (20, 300000)}, override=override), utc(2026, 6, 15))
    assert status.tier == "Member"
    assert status.next_tier.progress == "You already qualify for Silver"


def test_an_override_naming_an_unknown_tier_is_ignored():
    override = TierOverride("Platinum", until=utc(2027, 1, 1))
    status = tier_of(customer({"2026-05": (3, 1000)}, override=override), utc(2026, 6, 15))
    assert (status.tier, status.basis) == ("Silver", "earned")


def test_a_guest_has_no_tier_and_is_invited_to_sign_in():
    status = tier_of(CustomerHistory.guest(), utc(2026, 6, 15))
    assert (status.tier, status.basis, status.explanation, status.next_tier) == (None, "guest", GUEST_EXPLANATION, None)


def test_now_must_be_timezone_aware():
    with pytest.raises(ValueError):
        tier_of(customer({}), datetime(2026, 6, 15))


def test_tier_status_json_carries_spend_needed_as_money():
    status = tier_of(customer({"2026-05": (8, 92000)}), utc(2026, 6, 15))
    assert status.to_json()["next_tier"] == {
        "name": "Gold", "orders_needed": 2, "spend_needed": {"amount": 8000, "currency": "GBP"},
        "progress": "2 more orders or £80.00 to Gold",
    }


# ------------------------------------------------------------------ staying: the tenure path


def regular(first, lifetime_orders=24, lifetime_spend=371973, months=None, since=None):
    history = customer(months=months or {}, lifetime_orders=lifetime_orders, lifetime_spend=lifetime_spend,
                       first=first)
    return CustomerHistory(**{**history.__dict__, "customer_since": since})


def test_a_regular_of_five_years_is_silver_by_staying_and_the_explanation_names_his_years():
    status = tier_of(regular(utc(2021, 5, 25, 11, 30)), utc(2026, 11, 23))
    assert (status.tier, status.basis) == ("Silver", "earned")
    assert status.explanation == ("Silver: a customer since 2021 with 24 orders over 5 years "
                                  "(needs 12 orders in total and 2 years as a customer)")


def test_when_both_paths_are_met_the_explanation_names_the_one_that_stays():
    status = tier_of(regular(utc(2021, 5, 25), months={"2026-10": (3, 40000)}), utc(2026, 11, 23))
    assert status.tier == "Silver" and status.explanation.startswith("Silver: a customer since 2021")


def test_tenure_counts_from_customer_since_not_only_the_first_order():
    """A profile the store opened in 2019 whose orders arrived later is a customer since 2019."""
    history = regular(utc(2025, 6, 1), lifetime_orders=12, since=utc(2019, 4, 1))
    status = tier_of(history, utc(2026, 11, 23))
    assert status.tier == "Silver" and "a customer since 2019" in status.explanation
    assert tier_of(regular(utc(2025, 6, 1), lifetime_orders=12), utc(2026, 11, 23)).tier == "Member"


def test_next_tier_is_the_cheapest_way_up_whichever_path():
    # 11 orders over 3 years, 1 in the last 12 months: one more order reaches Silver by staying
    # (the window would need 2 more)
    history = regular(utc(2023, 1, 10), lifetime_orders=11, lifetime_spend=90000, months={"2026-09": (1, 9000)})
    status = tier_of(history, utc(2026, 11, 23))
    assert status.tier == "Member"
    assert (status.next_tier.name, status.next_tier.orders_needed) == ("Silver", 1)
    assert status.next_tier.progress.startswith("1 more order or ")


def test_a_path_blocked_by_tenure_is_not_offered_as_a_way_up():
    history = regular(utc(2026, 1, 10), lifetime_orders=11, lifetime_spend=90000, months={"2026-09": (1, 9000)})
    assert tier_of(history, utc(2026, 11, 23)).next_tier.orders_needed == 2  # the window's 3 orders


def test_grace_keeps_a_window_gold_above_a_staying_silver():
    months = {"2025-11": (6, 60000), "2026-01": (4, 45000)}  # 10 orders and £1,050 to the end of January
    history = regular(utc(2021, 5, 25), months=months)
    status = tier_of(history, utc(2026, 12, 10))  # November 2025 has left the window
    assert (status.tier, status.basis) == ("Gold", "grace")
    assert status.next_tier.progress.endswith(f"to keep Gold after {status.held_until.day} "
                                              f"{status.held_until:%B %Y}")
    later = tier_of(history, utc(2027, 3, 1))
    assert (later.tier, later.basis) == ("Silver", "earned")


def test_grace_keeps_a_window_silver_for_a_customer_not_yet_two_years_in():
    history = regular(utc(2025, 6, 1), lifetime_orders=3, lifetime_spend=30000,
                      months={"2025-06": (3, 30000)})
    status = tier_of(history, utc(2026, 6, 10))
    assert (status.tier, status.basis) == ("Silver", "grace")
