"""Customer value maths: 2F1, BG/NBD, Gamma-Gamma, features, value and goodwill.

References are computed independently: scipy.special.hyp2f1 and mpmath at 50 digits
(test-only dependencies); the scorer itself uses only ``math``.
"""
from __future__ import annotations

import itertools
import math
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import mpmath
import pytest
from scipy.special import hyp2f1 as scipy_hyp2f1

from chalicelib.domain import customer_value as cv
from chalicelib.domain.customer_value import (
    BgNbdParams,
    GammaGammaParams,
    PurchaseSummary,
    expected_purchases,
    expected_purchases_at,
    hyp2f1,
    probability_alive,
)

CDNOW = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
CDNOW_SPEND = GammaGammaParams(p=6.25, q=3.74, gamma=1544.0)
YEAR = cv.WEEKS_PER_YEAR
POLICY = {
    "margin": 0.30,
    "annual_discount_rate": 0.10,
    "max_share_of_expected_margin": 0.10,
    "yearly_allowance": 5000,
    "escalate_band": 0.50,
}


def reference_expectation(params, x: int, t_x: float, age: float, t: float) -> float:
    """Eq. (10) exactly as printed, in 50-digit arithmetic; ``params`` may hold decimal strings."""
    if isinstance(params, BgNbdParams):
        params = (params.r, params.alpha, params.a, params.b)
    with mpmath.workdps(50):
        r, alpha, a, b = (mpmath.mpf(v) for v in params)
        z = t / (alpha + age + t)
        bracket = 1 - ((alpha + age) / (alpha + age + t)) ** (r + x) * mpmath.hyp2f1(
            r + x, b + x, a + b + x - 1, z, maxterms=10**6
        )
        alive = 1 + (a / (b + x - 1) * ((alpha + age) / (alpha + t_x)) ** (r + x) if x else 0)
        return float((a + b + x - 1) / (a - 1) * bracket / alive)


# --- 2F1 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("z", [0.0, 1e-9, 0.3, 0.5, 0.75, 0.99, 0.999999])
def test_hyp2f1_matches_closed_forms(z):
    assert hyp2f1(1.0, 1.0, 2.0, z) == pytest.approx(-math.log1p(-z) / z if z else 1.0, rel=1e-13)
    assert hyp2f1(2.5, 1.5, 1.5, z) == pytest.approx((1 - z) ** -2.5, rel=1e-13)
    s = math.sqrt(z)
    assert hyp2f1(0.5, 0.5, 1.5, z) == pytest.approx(math.asin(s) / s if s else 1.0, rel=1e-13)


GENERIC = list(itertools.product([0.25, 1.0, 2.5, 7.3, 30.0], [0.4, 1.3, 5.0, 40.0], [0.3, 1.7, 4.0, 12.0, 60.0]))
ZS = [0.01, 0.3, 0.5, 0.51, 0.7, 0.9, 0.98, 0.999, 0.99999]


@pytest.mark.parametrize("a,b,c", GENERIC)
def test_hyp2f1_agrees_with_scipy_on_a_grid_up_to_z_near_one(a, b, c):
    for z in ZS:
        expected = scipy_hyp2f1(a, b, c, z)
        if not math.isfinite(expected) or expected > 1e300:
            continue
        assert hyp2f1(a, b, c, z) == pytest.approx(expected, rel=1e-9), (a, b, c, z)


@pytest.mark.parametrize("x", [0, 1, 3, 10, 50, 200, 1000])
def test_hyp2f1_handles_the_bgnbd_arguments_of_frequent_buyers(x):
    """2F1(r+x, b+x; a+b+x-1; z): a large a, b and c together, as eq. (10) needs them."""
    r, a, b = CDNOW.r, CDNOW.a, CDNOW.b
    for z in (0.1, 0.5, 0.8, 0.95, 0.999):
        expected = scipy_hyp2f1(r + x, b + x, a + b + x - 1, z)
        if expected > 1e300:
            continue
        assert hyp2f1(r + x, b + x, a + b + x - 1, z) == pytest.approx(expected, rel=1e-9), (x, z)


def test_hyp2f1_agrees_with_mpmath_where_the_series_is_slowest():
    for a, b, c, z in [(0.24, 2.4, 2.2, 0.99999), (1.2, 0.7, 1.9, 0.99999), (0.5, 0.5, 1.0, 0.999999)]:
        expected = float(mpmath.hyp2f1(a, b, c, z))
        assert hyp2f1(a, b, c, z) == pytest.approx(expected, rel=1e-10)


def test_hyp2f1_rejects_arguments_outside_its_domain():
    for z in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError):
            hyp2f1(1.0, 1.0, 2.0, z)
    with pytest.raises(ValueError):
        hyp2f1(1.0, 1.0, -0.5, 0.5)
    with pytest.raises(OverflowError):
        hyp2f1(1000.0, 1002.0, 1.0, 0.99)


# --- BG/NBD ------------------------------------------------------------------------------------

PARAMS = [
    CDNOW,
    BgNbdParams(0.5, 0.3, 1.0 + 1e-7, 0.6),
    BgNbdParams(2.0, 10.0, 3.0, 8.0),
    BgNbdParams(0.243, 4.414, 0.2, 0.3),  # a + b < 1: a + b + x - 1 <= 0 when x = 0
    BgNbdParams(1.2, 1.0, 0.999, 50.0),
    BgNbdParams(0.1, 0.05, 5.0, 0.2),
    BgNbdParams(40.0, 2.0, 7.0, 2.0),  # r >> a + b: the series' first terms alternate
    BgNbdParams(0.27, 0.034, 37.0, 39.0),  # a >> r + x + 1: eq. (10) summed as printed
]
CUSTOMERS = [(0, 0.0, 0.0), (0, 0.0, 38.0), (1, 1.7, 38.9), (2, 30.4, 38.9), (5, 1.8, 2.0), (20, 99.0, 100.0), (100, 10.0, 100.0), (2000, 150.0, 150.0)]


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: f"r{p.r}-alpha{p.alpha}-a{p.a}-b{p.b}")
def test_expected_purchases_match_eq10_in_high_precision(params):
    for (x, t_x, age), t in itertools.product(CUSTOMERS, [1.0, 39.0, YEAR, 5 * YEAR, 5000.0]):
        expected = reference_expectation(params, x, t_x, age, t)
        assert expected_purchases(params, x, t_x, age, t) == pytest.approx(expected, rel=1e-10), (x, t_x, age, t)


def test_a_equal_to_one_is_the_limit_of_the_formula_not_a_division_by_zero():
    for x, t_x, age in [(0, 0.0, 0.0), (3, 20.0, 30.0), (40, 50.0, 52.0)]:
        at_one = expected_purchases(BgNbdParams(0.5, 2.0, 1.0, 2.0), x, t_x, age, 5 * YEAR)
        near = [expected_purchases(BgNbdParams(0.5, 2.0, 1.0 + d, 2.0), x, t_x, age, 5 * YEAR) for d in (-1e-9, 1e-12, 1e-9)]
        assert math.isfinite(at_one)
        assert near == pytest.approx([at_one] * 3, rel=1e-8)
        assert at_one == pytest.approx(reference_expectation((0.5, 2.0, "1.00000000000000000001", 2.0), x, t_x, age, 5 * YEAR), rel=1e-10)


def test_a_new_customer_gets_the_unconditional_expectation_eq9():
    r, alpha, a, b = CDNOW.r, CDNOW.alpha, CDNOW.a, CDNOW.b
    for t in (1.0, 39.0, 5 * YEAR):
        eq9 = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * scipy_hyp2f1(r, b, a + b - 1, t / (alpha + t)))
        assert expected_purchases(CDNOW, 0, 0.0, 0.0, t) == pytest.approx(eq9, rel=1e-12)


def test_a_customer_without_repeat_purchase_is_alive_by_the_models_assumption():
    assert probability_alive(CDNOW, 0, 0.0, 500.0) == 1.0


def test_frequent_buyer_with_ten_thousand_purchases_scores_finite_and_exact():
    x, t_x, age = 10_000, 200.0, 200.0
    value = expected_purchases(CDNOW, x, t_x, age, YEAR)
    assert value == pytest.approx(reference_expectation(CDNOW, x, t_x, age, YEAR), rel=1e-10)
    # Below the posterior mean rate (r + x) / (alpha + T) per week, because every purchase
    # carries a small chance of dropping out, but not far below it.
    no_drop_out = (CDNOW.r + x) / (CDNOW.alpha + age) * YEAR
    assert 0.8 * no_drop_out < value < no_drop_out
    # Silent for 200 weeks after buying weekly: gone, without overflow in the odds.
    assert 0.0 <= probability_alive(CDNOW, x, t_x, 400.0) < 1e-100


def test_expected_purchases_grow_with_the_horizon():
    horizons = [0.0, 1.0, 13.0, YEAR, 2 * YEAR, 5 * YEAR, 1000.0]
    for x, t_x, age in CUSTOMERS:
        values = expected_purchases_at(CDNOW, x, t_x, age, horizons)
        assert values[0] == 0.0
        assert all(later > earlier for earlier, later in zip(values, values[1:]))


def test_one_sweep_over_horizons_equals_separate_evaluations():
    horizons = [10.0, YEAR, 2 * YEAR, 3 * YEAR, 5 * YEAR]
    for x, t_x, age in CUSTOMERS:
        swept = expected_purchases_at(CDNOW, x, t_x, age, horizons)
        single = [expected_purchases(CDNOW, x, t_x, age, t) for t in horizons]
        assert swept == pytest.approx(single, rel=1e-11)


def test_long_silence_lowers_probability_alive_and_expected_purchases():
    alive = [probability_alive(CDNOW, 4, 10.0, age) for age in (10.0, 20.0, 40.0, 80.0)]
    orders = [expected_purchases(CDNOW, 4, 10.0, age, YEAR) for age in (10.0, 20.0, 40.0, 80.0)]
    assert alive[0] > alive[1] > alive[2] > alive[3]
    assert orders[0] > orders[1] > orders[2] > orders[3]


def test_a_more_recent_last_purchase_raises_probability_alive():
    alive = [probability_alive(CDNOW, 3, t_x, 40.0) for t_x in (5.0, 20.0, 39.0)]
    assert alive[0] < alive[1] < alive[2]


def test_more_purchases_mean_more_expected_purchases_for_a_recent_buyer():
    orders = [expected_purchases(CDNOW, x, 38.0, 38.0, YEAR) for x in (0, 1, 2, 5, 10, 50)]
    assert orders == sorted(orders)


def test_log_likelihood_is_eq6_and_has_no_b_minus_one_term_without_repeats():
    r, alpha, a, b = CDNOW.r, CDNOW.alpha, CDNOW.a, CDNOW.b
    x, t_x, age = 3, 20.0, 30.0
    direct = (
        math.gamma(r + x) * alpha**r / math.gamma(r)
        * (math.gamma(a + b) * math.gamma(b + x) / (math.gamma(b) * math.gamma(a + b + x)))
        * ((alpha + age) ** -(r + x) + a / (b + x - 1) * (alpha + t_x) ** -(r + x))
    )
    assert cv.bgnbd_log_likelihood(CDNOW, x, t_x, age) == pytest.approx(math.log(direct), rel=1e-13)
    low_b = BgNbdParams(0.3, 2.0, 0.8, 0.5)
    assert math.isfinite(cv.bgnbd_log_likelihood(low_b, 0, 0.0, 10.0))
    assert math.isfinite(cv.bgnbd_log_likelihood(CDNOW, 100_000, 50.0, 60.0))


def test_parameters_must_be_positive():
    with pytest.raises(ValueError):
        BgNbdParams(0.0, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError):
        GammaGammaParams(1.0, 1.0, 1.0)  # q <= 1 has no finite mean


# --- Gamma-Gamma -------------------------------------------------------------------------------


def test_spend_of_a_customer_without_repeats_is_the_population_mean():
    population = CDNOW_SPEND.p * CDNOW_SPEND.gamma / (CDNOW_SPEND.q - 1)
    assert cv.expected_spend_per_purchase(CDNOW_SPEND, 0, 0.0) == pytest.approx(population)


def test_spend_moves_from_population_mean_to_own_mean_as_purchases_accumulate():
    own = 8000.0
    spends = [cv.expected_spend_per_purchase(CDNOW_SPEND, x, own) for x in (1, 3, 10, 100, 10_000)]
    assert spends == sorted(spends)
    assert spends[-1] == pytest.approx(own, rel=1e-3)
    weight = CDNOW_SPEND.p * 3 / (CDNOW_SPEND.p * 3 + CDNOW_SPEND.q - 1)
    population = CDNOW_SPEND.p * CDNOW_SPEND.gamma / (CDNOW_SPEND.q - 1)
    assert spends[1] == pytest.approx(weight * own + (1 - weight) * population)


# --- Features ----------------------------------------------------------------------------------


def test_orders_on_one_utc_day_are_one_purchase_and_the_first_day_is_not_a_repeat():
    first = date(2026, 1, 5)
    history = {first: 2500, first + timedelta(days=14): 1000 + 500, first + timedelta(days=70): 3000}
    summary = cv.summarize_purchase_days(history, first + timedelta(days=91))
    assert summary == PurchaseSummary(2, 10.0, 13.0, 2250.0)


def test_aggregates_give_the_same_features_as_the_full_history():
    first = date(2025, 3, 1)
    history = {first + timedelta(days=d): 1000 + d for d in (0, 3, 40, 41, 200)}
    today = date(2025, 12, 1)
    from_aggregates = cv.summarize_aggregates(
        first_purchase_day=first,
        last_purchase_day=first + timedelta(days=200),
        purchase_days=5,
        total_spend=sum(history.values()),
        first_day_spend=history[first],
        today=today,
    )
    assert from_aggregates == cv.summarize_purchase_days(history, today)


def test_purchase_day_is_the_utc_calendar_day():
    late_evening_in_new_york = datetime(2026, 3, 1, 22, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert cv.purchase_day(late_evening_in_new_york) == date(2026, 3, 2)
    with pytest.raises(ValueError):
        cv.purchase_day(datetime(2026, 3, 1, 22, 30))


def test_features_reject_inconsistent_aggregates():
    day = date(2026, 1, 1)
    with pytest.raises(ValueError):
        cv.summarize_purchase_days({}, day)
    with pytest.raises(ValueError):  # last purchase after today
        cv.summarize_aggregates(first_purchase_day=day, last_purchase_day=day + timedelta(days=9),
                                purchase_days=2, total_spend=10, first_day_spend=5, today=day)
    with pytest.raises(ValueError):
        PurchaseSummary(0, 2.0, 5.0)


# --- Value -------------------------------------------------------------------------------------


def test_undiscounted_value_is_orders_times_spend_and_margin_scales_it():
    summary = PurchaseSummary(2, 30.43, 38.86, 2235.0)
    estimate = cv.expected_value(CDNOW, CDNOW_SPEND, summary, 5 * YEAR, {"margin": 0.25})
    orders = expected_purchases(CDNOW, 2, 30.43, 38.86, 5 * YEAR)
    spend = cv.expected_spend_per_purchase(CDNOW_SPEND, 2, 2235.0)
    assert estimate.expected_orders == pytest.approx(orders)
    assert estimate.expected_value == pytest.approx(orders * spend)
    assert estimate.expected_margin == pytest.approx(0.25 * orders * spend)


def test_discounting_lowers_value_and_a_year_of_orders_is_discounted_from_mid_year():
    summary = PurchaseSummary(2, 30.43, 38.86, 2235.0)
    plain = cv.expected_value(CDNOW, CDNOW_SPEND, summary, 5 * YEAR)
    discounted = cv.expected_value(CDNOW, CDNOW_SPEND, summary, 5 * YEAR, {"annual_discount_rate": 0.1})
    assert discounted.expected_orders == pytest.approx(plain.expected_orders)
    assert discounted.expected_value < plain.expected_value
    one_year = cv.expected_value(CDNOW, CDNOW_SPEND, summary, YEAR, {"annual_discount_rate": 0.1})
    undiscounted_year = cv.expected_value(CDNOW, CDNOW_SPEND, summary, YEAR)
    assert one_year.expected_value == pytest.approx(undiscounted_year.expected_value / 1.1**0.5)


def test_score_reports_twelve_months_five_years_and_no_alive_probability_before_a_repeat():
    new = cv.score_customer(CDNOW, CDNOW_SPEND, PurchaseSummary(0, 0.0, 0.0), POLICY)
    regular = cv.score_customer(CDNOW, CDNOW_SPEND, PurchaseSummary(6, 50.0, 52.0, 3000.0), POLICY)
    assert new.probability_active is None
    assert 0.0 < regular.probability_active <= 1.0
    assert 0.0 < new.expected_orders_12m < new.expected_orders_5y
    assert regular.expected_orders_5y > new.expected_orders_5y
    assert regular.expected_margin_5y == pytest.approx(0.3 * regular.expected_value_5y)
    assert regular.expected_orders_12m == pytest.approx(expected_purchases(CDNOW, 6, 50.0, 52.0, YEAR))


# --- Goodwill ----------------------------------------------------------------------------------


def goodwill(cost, value=50_000.0, granted=0, orders=20.0, policy=POLICY):
    return cv.recommend_goodwill(cost, orders, value, granted, policy, currency="GBP")


def test_a_ten_pound_gesture_for_a_regular_worth_five_hundred_is_approved():
    result = goodwill(1000)  # ceiling: 10% of 30% of £500 = £15
    assert result.recommendation == "approve"
    assert result.value_ceiling == 1500
    assert "about 20 more orders" in result.explanation
    assert "estimate" in result.explanation.lower() and "not promises" in result.explanation


def test_a_gesture_slightly_over_a_limit_is_escalated():
    assert goodwill(2000).recommendation == "escalate"  # over £15 by less than 50%
    assert goodwill(1000, granted=4500).recommendation == "escalate"  # allowance: £5 left


def test_a_gesture_far_over_a_limit_is_declined():
    assert goodwill(2500).recommendation == "decline"
    assert goodwill(1000, value=5_000.0).recommendation == "decline"
    assert goodwill(1000, granted=7000).recommendation == "decline"


def test_goodwill_answer_has_the_api_shape():
    body = goodwill(1000, granted=1200).to_json()
    assert body == {
        "recommendation": "approve",
        "expected_orders_5y": 20.0,
        "expected_value_5y": {"amount": 50000, "currency": "GBP"},
        "goodwill_granted_12m": {"amount": 1200, "currency": "GBP"},
        "explanation": body["explanation"],
    }


def test_goodwill_rejects_bad_input():
    with pytest.raises(ValueError):
        goodwill(0)
    with pytest.raises(ValueError):
        goodwill(1000, policy={**POLICY, "yearly_allowance": {"amount": 5000}})


# --- Defaults and packaging --------------------------------------------------------------------


def test_defaults_hold_valid_parameters_and_a_complete_policy():
    defaults = cv.load_value_model_defaults()
    bgnbd, spend = cv.params_from_rules(defaults["model"])
    assert bgnbd == CDNOW and spend == CDNOW_SPEND
    policy = defaults["policy"]
    for key in ("margin", "annual_discount_rate", "max_share_of_expected_margin", "yearly_allowance", "escalate_band"):
        assert key in policy and key in defaults["notes"]
    assert goodwill(1000, policy=policy).recommendation == "approve"


def test_scoring_module_imports_nothing_heavy():
    code = (
        "import sys; import chalicelib.domain.customer_value; "
        "print(sorted(m for m in ('numpy', 'scipy', 'pandas', 'boto3', 'pynamodb') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
