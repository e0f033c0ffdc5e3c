"""Store credit rules (domain/store_credit.py): spending order, expiry, give-backs, FX and line
allocation, and the invariant ``available = granted - spent + returned - expired >= 0`` under
random grants, spends, reversals and clocks."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import store_credit as credit
from chalicelib.domain.ledger import OrderLine

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def grant(grant_id, amount, expires_in_days=None, granted_day=0):
    expires = None if expires_in_days is None else T0 + timedelta(days=expires_in_days)
    return credit.CreditGrant(grant_id, amount, T0 + timedelta(days=granted_day), expires)


def test_the_grant_that_expires_first_is_spent_first_and_no_expiry_last():
    grants = [grant("forever", 500), grant("late", 500, 300), grant("soon", 500, 30)]
    assert credit.plan_spend(grants, 800, T0) == {"soon": 500, "late": 300}


def test_an_expired_grant_is_never_spent():
    grants = [grant("gone", 500, 10), grant("live", 300)]
    later = T0 + timedelta(days=11)
    assert credit.spendable(grants, later) == 300
    with pytest.raises(credit.InsufficientCredit):
        credit.plan_spend(grants, 400, later)
    with pytest.raises(credit.InsufficientCredit):
        credit.spend(grants, {"gone": 100}, later)


def test_credit_given_back_to_an_expired_grant_stays_expired():
    grants = credit.spend([grant("g", 1000, 10)], {"g": 1000}, T0)
    later = T0 + timedelta(days=20)
    back = credit.give_back(grants, {"g": 1000})
    summary = credit.summarize(back, later)
    assert (summary.available, summary.expired) == (0, 1000)


def test_one_order_touches_at_most_the_grant_limit():
    grants = [grant(f"g{n:03d}", 1, n + 1) for n in range(credit.MAX_GRANTS_PER_SPEND + 5)]
    assert credit.spendable(grants, T0) == credit.MAX_GRANTS_PER_SPEND
    assert len(credit.plan_spend(grants, credit.MAX_GRANTS_PER_SPEND, T0)) == credit.MAX_GRANTS_PER_SPEND


def test_foreign_currency_rounds_both_ways_in_the_customers_favour():
    usd = credit.rate_minor("USD", "GBP", "0.79")
    applied = credit.apply_credit(1000, usd, [5000], None)
    assert (applied.available, applied.applied, applied.draw) == (1266, 1266, 1000)  # 1265.8 up; all the balance
    part = credit.apply_credit(1000, usd, [501], None)
    assert (part.applied, part.draw) == (501, 395)  # 395.79 down
    jpy = credit.rate_minor("JPY", "GBP", "0.0052")
    assert credit.apply_credit(1000, jpy, [100000], None).available == 1924  # 1923.08 yen up


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=20), st.integers(0, 10**6),
       st.one_of(st.none(), st.integers(1, 10**6)))
def test_applied_credit_is_split_exactly_and_never_exceeds_a_line_the_total_or_the_request(totals, balance, asked):
    applied = credit.apply_credit(balance, Decimal(1), totals, asked)
    assert applied.applied == min(balance, sum(totals), asked if asked is not None else balance)
    assert sum(applied.lines) == applied.applied
    assert all(0 <= part <= total for part, total in zip(applied.lines, totals))
    assert applied.remaining_after == balance - applied.applied >= 0


@given(st.integers(0, 10**7), st.sampled_from(["0.79", "0.85", "0.0052", "1.7", "380.5"]),
       st.integers(0, 10**7))
def test_a_draw_never_exceeds_the_balance(balance, rate, total):
    per_unit = credit.rate_minor("USD", "GBP", rate)
    applied = credit.apply_credit(balance, per_unit, [total], None)
    assert 0 <= applied.draw <= balance
    if applied.applied == applied.available:
        assert applied.draw == balance


def test_refunds_give_back_the_clawback_share_and_the_last_one_all_that_is_left():
    lines = credit.credit_lines([OrderLine("A", "x", 1, 1500), OrderLine("B", "x", 3, 333)], [600, 400])
    first = credit.credit_share(lines, kind="refunded", amount=1000, returned_units={}, units_before={},
                                reversed_before=0, credit_back_before=0)
    assert first == 1000 * 1000 // 2499
    rest = credit.credit_share(lines, kind="refunded", amount=1499, returned_units={}, units_before={},
                               reversed_before=1000, credit_back_before=first)
    assert first + rest == 1000
    units = credit.credit_share(lines, kind="returned", amount=0, returned_units={"B": 1}, units_before={},
                                reversed_before=0, credit_back_before=0)
    assert units == 134  # 400 over three units, largest remainder: 134, 133, 133


operations = st.lists(st.one_of(
    st.tuples(st.just("grant"), st.integers(1, 5000), st.one_of(st.none(), st.integers(1, 400))),
    st.tuples(st.just("spend"), st.integers(1, 8000), st.just(None)),
    st.tuples(st.just("back"), st.integers(0, 100), st.just(None)),
    st.tuples(st.just("tick"), st.integers(1, 120), st.just(None)),
), max_size=60)


@settings(max_examples=300, deadline=None)
@given(operations)
def test_random_grants_spends_reversals_and_clocks_keep_the_balance_exact(ops):
    now = T0
    grants = []
    spends = []  # [plan, given back so far]
    spent_total = returned_total = granted_total = 0
    for number, (kind, value, extra) in enumerate(ops):
        if kind == "grant":
            expires = None if extra is None else now + timedelta(days=extra)
            grants.append(credit.CreditGrant(f"g{number}", value, now, expires))
            granted_total += value
        elif kind == "spend":
            before = credit.spendable(grants, now)
            try:
                plan = credit.plan_spend(grants, value, now)
            except credit.InsufficientCredit:
                assert value > before
                continue
            live = [g for g in credit.spending_order(grants) if g.available(now) > 0]
            used = [g.grant_id for g in live if g.grant_id in plan]
            assert used == [g.grant_id for g in live[:len(used)]]  # soonest expiry first, no gaps
            grants = credit.spend(grants, plan, now)
            spends.append([plan, {}])
            spent_total += value
        elif kind == "back" and spends:
            plan, back = spends[value % len(spends)]
            out = sum(plan.values()) - sum(back.values())
            amount = out if value % 3 == 0 else out * value // 100
            parts = credit.split_back(plan, back, amount)
            assert sum(parts.values()) == amount
            for grant_id, part in parts.items():
                back[grant_id] = back.get(grant_id, 0) + part
                assert back[grant_id] <= plan[grant_id]
            grants = credit.give_back(grants, parts)
            returned_total += amount
        elif kind == "tick":
            now += timedelta(days=value)
        summary = credit.summarize(grants, now)
        assert (summary.granted, summary.spent, summary.returned) == (granted_total, spent_total, returned_total)
        assert summary.available == summary.granted - summary.spent + summary.returned - summary.expired
        assert summary.available >= 0 and summary.expired >= 0
        assert all(g.remaining >= 0 for g in grants)


def test_the_rules_section_is_checked_field_by_field():
    assert credit.credit_policy_problems({"default_lifetime_days": 365}) == []
    assert credit.credit_policy_problems({"default_lifetime_days": None}) == []
    fields = [p["field"] for p in credit.credit_policy_problems({"default_lifetime_days": 1.5, "days": 3})]
    assert fields == ["credit.days", "credit.default_lifetime_days"]
    assert credit.credit_policy_of({"default_lifetime_days": None}).expiry_for(T0) is None
    assert credit.credit_policy_of(None).expiry_for(T0) == T0 + timedelta(days=365)
