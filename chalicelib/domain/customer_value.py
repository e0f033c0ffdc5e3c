"""Customer value: how many more orders a customer will probably place, and what they are worth.

Two published models, scored in pure Python on the request path (``math`` only):

* **BG/NBD** -- Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An
  Alternative to the Pareto/NBD Model", *Marketing Science* 24(2), 275-284. While active a
  customer buys at rate ``lambda ~ Gamma(r, alpha)``; after every purchase they drop out for
  good with probability ``p ~ Beta(a, b)``. From ``x`` repeat purchases, recency ``t_x`` and
  age ``T`` it gives the likelihood (eq. 6), the expected number of purchases in the next
  ``t`` weeks (eq. 10) and the probability that the customer is still active.
* **Gamma-Gamma** -- Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for
  Customer Base Analysis", *Journal of Marketing Research* 42(4); written up in Fader &
  Hardie (2013), "The Gamma-Gamma Model of Monetary Value". Spend per purchase, shrunk from
  the customer's own mean towards the population mean (eq. 5 of the note).

Conventions, fixed so that fitting (``batch/value_fit.py``) and scoring agree:

* a *purchase* is a UTC calendar day with at least one order (orders of one day are one
  purchase, spend summed), as in the paper's CDNOW data;
* ``x`` counts repeat purchases (distinct purchase days after the first), ``t_x`` is the time
  from the first to the last purchase day and ``T`` from the first purchase day to today, both
  in weeks (days / 7);
* money is minor units of the store's currency; expectations are floats.

The figures are estimates of averages over customers like this one, never promises.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Literal, Mapping, Optional, Sequence, Tuple

from .money import format_money

WEEKS_PER_YEAR = 365.25 / 7.0
"""Weeks in an average calendar year: the "12 months" horizon."""

DEFAULTS_PATH = Path(__file__).resolve().parent.parent / "rules" / "default.json"
"""The built-in rules document; its ``value_model`` section holds the default parameters and policy."""

# ---------------------------------------------------------------------------------------------
# Gaussian hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1
# ---------------------------------------------------------------------------------------------
#
# Two well-founded tools, chosen per call by their predicted cost:
#
# 1. The Gauss series, summed as a running ratio of consecutive terms. Its terms decay like
#    n**-(c-a-b+1) * z**n, so it is fast for small z and whenever c - a - b is large.
# 2. Analytic continuation of the hypergeometric differential equation
#        z (1 - z) y'' + (c - (a + b + 1) z) y' - a b y = g
#    by Taylor series: the Gauss series gives y and y' at a start point (1/2, or lower when a
#    negative parameter would make the series cancel), then each step re-expands y around the
#    current point (a three-term recurrence for the Taylor coefficients) and moves at most
#    half-way to the nearer singular point, z = 0 or z = 1, so each step converges like 2**-k.
#    This reaches z = 1 - 1e-6 in about twenty steps, and it has no special cases when
#    c - a - b is an integer, unlike the connection formulas around z = 1. Steps are kept
#    shorter where the equation's other solutions (z**(1-c) and (1-z)**(c-a-b)) would
#    amplify rounding errors.
#
# The source term g lets the same machinery evaluate the BG/NBD series S below, which solves
# the inhomogeneous form of the equation.

_TOL = 1e-15
_LOG_INV_TOL = -math.log(_TOL)
_Z_SWITCH = 0.5
_MAX_SERIES_TERMS = 200_000
_MAX_TAYLOR_TERMS = 400
_STABLE_STEP = 2.0  # limit on h * |c - 1| / z0 and h * (c - a - b) / (1 - z0) per Taylor step
_TAYLOR_TERM_COST = 1.6  # one Taylor term costs about this many Gauss-series terms


def hyp2f1(a: float, b: float, c: float, z: float) -> float:
    """Gaussian hypergeometric function ``2F1(a, b; c; z)`` for real arguments, ``0 <= z < 1``.

    Designed for positive ``a`` and ``b`` (the BG/NBD arguments ``r + x``, ``b + x``,
    ``a + b + x - 1``); other real ``a``, ``b`` work but may lose digits to cancellation.
    When ``c - a - b < 0`` and the Euler transformation
    ``2F1(a, b; c; z) = (1 - z)**(c - a - b) * 2F1(c - a, c - b; c; z)`` keeps every series
    term positive, the transformed series is summed: its terms decay like
    ``n**(a + b - c - 1) * z**n``, so large ``a`` (frequent buyers) converges fast.
    Relative accuracy is about 1e-13 away from overflow.

    Raises ``ValueError`` outside the domain and ``OverflowError`` if the value is not a float.
    """
    if not 0.0 <= z < 1.0:
        raise ValueError(f"hyp2f1 needs 0 <= z < 1, got z={z!r}")
    if not c > 0.0:
        raise ValueError(f"hyp2f1 needs c > 0, got c={c!r}")
    excess = c - a - b
    if excess < 0.0 and c - a > 0.0 and c - b > 0.0:
        value = math.exp(excess * math.log1p(-z)) * _solve(c - a, c - b, c, 0.0, 0, 1.0, (z,))[0]
    else:
        value = _solve(a, b, c, 0.0, 0, 1.0, (z,))[0]
    if not math.isfinite(value):
        raise OverflowError(f"2F1({a}, {b}; {c}; {z}) is too large for a float")
    return value


def _solve(
    a: float, b: float, c: float, source: float, first_index: int, first_coefficient: float,
    zs: Sequence[float],
) -> List[float]:
    """Values at each z of ``zs`` (ascending, in [0, 1)) of the power series
    ``y(z) = sum_{n >= first_index} k_n z**n`` with ``k_{first_index} = first_coefficient`` and
    ``k_{n+1} / k_n = (a + n)(b + n) / ((c + n)(n + 1))``.

    ``source`` is the right-hand side ``g`` of the differential equation that ``y`` solves
    (0 for 2F1 itself). One sweep serves several horizons: once continuation has started,
    later points continue from the last one.
    """
    excess = c - a - b
    z_start = _cancellation_free_start(a, b, c)
    values: List[float] = []
    state: Optional[Tuple[float, float, float]] = None  # (z0, y(z0), y'(z0))
    for i, z in enumerate(zs):
        if state is None:
            if z == 0.0:
                values.append(first_coefficient if first_index == 0 else 0.0)
                continue
            if z <= z_start or (
                z_start == _Z_SWITCH and _series_is_cheaper(a, b, c, first_index, zs[i:])
            ):
                values.append(_gauss_series(a, b, c, z, first_index, first_coefficient, False)[0])
                continue
            z0 = z_start
            y0, zdy0 = _gauss_series(a, b, c, z0, first_index, first_coefficient, True)
            state = (z0, y0, zdy0 / z0)
        z0, y, dy = state
        while z0 < z:
            step = _max_step(z0, c, excess)
            if z - z0 <= step:
                y, dy = _taylor_step(a, b, c, source, z0, y, dy, z - z0)
                z0 = z
            else:
                y, dy = _taylor_step(a, b, c, source, z0, y, dy, step)
                z0 += step
        state = (z0, y, dy)
        values.append(y)
    return values


def _cancellation_free_start(a: float, b: float, c: float) -> float:
    """Largest z (at most 1/2) where the Gauss series can be summed without cancellation.

    A negative upper parameter, say a, makes the first ``|a|`` terms alternate in sign with
    ratios about ``|a| max(1, |b|) z / (c + 1)``: they grow, and their sum loses digits, unless
    z is below ``(c + 1) / (|a| max(1, |b|))``; below ``1 / (2|a|)`` the growth is at most
    ``e**0.5``. Past this point :func:`_solve` continues the equation instead.
    """
    negative = max(-a, -b)
    if negative <= 1.0:
        return _Z_SWITCH
    other = abs(b) if -a >= -b else abs(a)
    no_growth = (max(c, 0.0) + 1.0) / (negative * max(1.0, other))
    return min(_Z_SWITCH, max(0.5 / negative, no_growth))


def _gauss_series(
    a: float, b: float, c: float, z: float, index: int, coefficient: float, with_derivative: bool,
) -> Tuple[float, float]:
    """``(y(z), z * y'(z))`` by summing the series as a running ratio of terms.

    Stops when a geometric bound on the tail (ratio ``max(current ratio, z)``, valid once
    the numerator factors have stopped changing sign) is below the tolerance.
    """
    term = coefficient * z**index
    total = term
    z_derivative = index * term
    if term == 0.0:
        return total, z_derivative
    n = index
    signs_settled_after = max(-a, -b, 0.0)
    for _ in range(_MAX_SERIES_TERMS):
        ratio = (a + n) * (b + n) * z / ((c + n) * (n + 1))
        term *= ratio
        n += 1
        total += term
        z_derivative += n * term
        if n > signs_settled_after and ratio < 1.0:
            bound = ratio if ratio > z else z
            tail = abs(term) / (1.0 - bound)
            if tail <= _TOL * abs(total) and (
                not with_derivative or (n + 1) * tail <= _TOL * (1.0 - bound) * abs(z_derivative)
            ):
                return total, z_derivative
    raise ArithmeticError(f"2F1 series did not converge (a={a}, b={b}, c={c}, z={z})")


def _taylor_step(
    a: float, b: float, c: float, source: float, z0: float, y0: float, dy0: float, h: float,
) -> Tuple[float, float]:
    """``(y(z0 + h), y'(z0 + h))`` from the Taylor series of the ODE's solution around ``z0``.

    With ``g_k = y^(k)(z0) h**k / k!`` the equation gives, for k >= 0,
    ``z0(1-z0)(k+1)(k+2) g_{k+2} = (k+a)(k+b) h**2 g_k - (k+1)((1-2 z0) k + c - (a+b+1) z0) h g_{k+1}
    + [k == 0] source h**2``.
    """
    d0 = z0 * (1.0 - z0)
    p = c - (a + b + 1.0) * z0
    q = 1.0 - 2.0 * z0
    hh = h * h
    g_k, g_k1 = y0, h * dy0
    value = g_k + g_k1
    h_derivative = g_k1
    forcing = source * hh
    for k in range(_MAX_TAYLOR_TERMS):
        g_k2 = ((k + a) * (k + b) * hh * g_k - (k + 1) * (q * k + p) * h * g_k1 + forcing) / (
            d0 * (k + 1) * (k + 2)
        )
        forcing = 0.0
        value += g_k2
        h_derivative += (k + 2) * g_k2
        g_k, g_k1 = g_k1, g_k2
        if k >= 2 and (abs(g_k) + abs(g_k1)) * (k + 3) <= _TOL * (abs(value) + abs(h_derivative)):
            return value, h_derivative / h
    raise ArithmeticError(f"2F1 continuation did not converge (a={a}, b={b}, c={c}, z0={z0})")


def _max_step(z0: float, c: float, excess: float) -> float:
    """Longest Taylor step from ``z0``: half-way to the nearer singular point (z = 0 or 1),
    shorter where other solutions of the equation would amplify rounding errors."""
    return min(
        0.5 * min(z0, 1.0 - z0),
        _STABLE_STEP * z0 / max(1.0, abs(c - 1.0)),
        _STABLE_STEP * (1.0 - z0) / max(1.0, excess),
    )


def _series_is_cheaper(a: float, b: float, c: float, first_index: int, zs: Sequence[float]) -> bool:
    """Whether summing the Gauss series at every z of ``zs`` costs less than one continuation
    sweep from 1/2 through all of them (costs counted in series terms)."""
    excess = c - a - b
    series = sum(_series_terms(a, b, c, first_index, z) for z in zs)
    continuation = 1.1 * _series_terms(a, b, c, first_index, _Z_SWITCH)
    z0 = _Z_SWITCH
    for z in zs:
        while z0 < z:
            step = min(_max_step(z0, c, excess), z - z0)
            continuation += _TAYLOR_TERM_COST * (3.0 + _LOG_INV_TOL / math.log((1.0 - z0) / step))
            z0 += step
            if series < continuation:
                return True
    return series < continuation


def _series_terms(a: float, b: float, c: float, first_index: int, z: float) -> float:
    """Predicted number of Gauss-series terms at ``z``.

    For large n the terms behave like ``K n**(a+b-c-1) z**n`` relative to the first one,
    ``K = G(c+i) G(i+1) / (G(a+i) G(b+i))`` with i the first index, and the tail is about
    ``term / (1 - z)``; the least n that brings it under the tolerance is found by bisection.
    """
    try:
        log_k = (
            math.lgamma(c + first_index) + math.lgamma(first_index + 1.0)
            - math.lgamma(a + first_index) - math.lgamma(b + first_index)
        )
    except ValueError:  # a pole: the series terminates early
        log_k = 0.0
    needed = max(1.0, _LOG_INV_TOL + log_k - math.log1p(-z))
    log_inv_z = -math.log(z)
    power = c - a - b + 1.0

    def short_of_tolerance(n: float) -> bool:
        return power * math.log(n) + n * log_inv_z < needed

    low, high = 1.0, needed / log_inv_z + max(0.0, -power) * 60.0 + 2.0
    if power > 0.0:
        high = min(high, math.exp(min(needed / power, 50.0)) + 2.0)
    if short_of_tolerance(high):
        return high
    while high - low > 1.0:
        middle = 0.5 * (low + high)
        if short_of_tolerance(middle):
            low = middle
        else:
            high = middle
    return high


# ---------------------------------------------------------------------------------------------
# Model parameters
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BgNbdParams:
    """BG/NBD parameters, time in weeks: purchase rate ``Gamma(r, alpha)``, drop-out ``Beta(a, b)``."""

    r: float
    alpha: float
    a: float
    b: float

    def __post_init__(self) -> None:
        for name in ("r", "alpha", "a", "b"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"BG/NBD parameter {name} must be a positive number, got {value!r}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "BgNbdParams":
        return cls(float(values["r"]), float(values["alpha"]), float(values["a"]), float(values["b"]))


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma spend parameters; ``gamma`` is in minor units of the store currency.

    The population mean spend per purchase is ``p * gamma / (q - 1)``, so ``q > 1``.
    """

    p: float
    q: float
    gamma: float

    def __post_init__(self) -> None:
        for name in ("p", "q", "gamma"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"Gamma-Gamma parameter {name} must be a positive number, got {value!r}")
        if self.q <= 1.0:
            raise ValueError(f"Gamma-Gamma q must exceed 1 for a finite mean spend, got {self.q!r}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "GammaGammaParams":
        return cls(float(values["p"]), float(values["q"]), float(values["gamma"]))


# ---------------------------------------------------------------------------------------------
# Customer features
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PurchaseSummary:
    """What both models read about one customer.

    ``repeat_purchases`` is x (purchase days after the first), ``recency_weeks`` is t_x (first
    to last purchase day), ``age_weeks`` is T (first purchase day to today) and
    ``mean_repeat_spend`` is the mean spend per repeat purchase day (0.0 when x = 0).
    """

    repeat_purchases: int
    recency_weeks: float
    age_weeks: float
    mean_repeat_spend: float = 0.0

    def __post_init__(self) -> None:
        x, t_x, age = self.repeat_purchases, self.recency_weeks, self.age_weeks
        if isinstance(x, bool) or not isinstance(x, int) or x < 0:
            raise ValueError(f"repeat_purchases must be a non-negative int, got {x!r}")
        if not (0.0 <= t_x <= age and math.isfinite(age)):
            raise ValueError(f"need 0 <= recency_weeks <= age_weeks, got {t_x!r} and {age!r}")
        if x == 0 and t_x != 0.0:
            raise ValueError("recency_weeks must be 0 when there is no repeat purchase")
        if self.mean_repeat_spend < 0 or (x == 0 and self.mean_repeat_spend != 0):
            raise ValueError("mean_repeat_spend must be >= 0, and 0 when there is no repeat purchase")


def purchase_day(moment: datetime) -> date:
    """The UTC calendar day an order belongs to; orders of one day count as one purchase."""
    if moment.tzinfo is None:
        raise ValueError("order times must be timezone-aware")
    return moment.astimezone(timezone.utc).date()


def _as_day(value: date) -> date:
    return purchase_day(value) if isinstance(value, datetime) else value


def spend_by_purchase_day(buckets: Iterable[Tuple[str, int, int]], today: date) -> Dict[date, int]:
    """Net spend per purchase day from a customer's day buckets ``(YYYY-MM-DD, orders, net spend)``.

    A day whose orders were all cancelled (``orders`` 0) is no purchase; net spend never goes
    below 0. A day after ``today`` (clock skew at a storefront) counts as today's purchase.
    """
    spend: Dict[date, int] = {}
    for day, orders, net_spend in buckets:
        if orders > 0:
            when = min(date.fromisoformat(day), today)
            spend[when] = spend.get(when, 0) + max(0, net_spend)
    return spend


def summarize_purchase_days(spend_by_day: Mapping[date, int], today: date) -> PurchaseSummary:
    """Features from a customer's full history: spend (minor units) per UTC purchase day.

    Use this for imports and the batch fit; the request path uses
    :func:`summarize_aggregates`, which gives the same result from write-time aggregates.
    """
    if not spend_by_day:
        raise ValueError("a customer without purchases has no value estimate")
    days = sorted(spend_by_day)
    first = days[0]
    total = sum(spend_by_day.values())
    return summarize_aggregates(
        first_purchase_day=first,
        last_purchase_day=days[-1],
        purchase_days=len(days),
        total_spend=total,
        first_day_spend=spend_by_day[first],
        today=today,
    )


def summarize_aggregates(
    *,
    first_purchase_day: date,
    last_purchase_day: date,
    purchase_days: int,
    total_spend: int,
    first_day_spend: int,
    today: date,
) -> PurchaseSummary:
    """Features from the aggregates kept on the customer's profile at write time.

    ``purchase_days`` counts distinct UTC days with an order; ``first_day_spend`` is the spend
    of all orders on the first purchase day, which the Gamma-Gamma model leaves out (it models
    repeat purchases only). Datetimes are accepted and reduced to their UTC day.
    """
    first, last, now = _as_day(first_purchase_day), _as_day(last_purchase_day), _as_day(today)
    if purchase_days < 1:
        raise ValueError("a customer without purchases has no value estimate")
    if not first <= last <= now:
        raise ValueError(f"need first <= last purchase day <= today, got {first}, {last}, {now}")
    repeat = purchase_days - 1
    if repeat == 0 and last != first:
        raise ValueError("one purchase day but first and last purchase days differ")
    repeat_spend = total_spend - first_day_spend
    if repeat_spend < 0:
        raise ValueError("first_day_spend exceeds total_spend")
    return PurchaseSummary(
        repeat_purchases=repeat,
        recency_weeks=(last - first).days / 7.0,
        age_weeks=(now - first).days / 7.0,
        mean_repeat_spend=repeat_spend / repeat if repeat else 0.0,
    )


# ---------------------------------------------------------------------------------------------
# BG/NBD
# ---------------------------------------------------------------------------------------------


def bgnbd_log_likelihood(params: BgNbdParams, x: int, t_x: float, age: float) -> float:
    """Log-likelihood of one customer's (x, t_x, T), eq. (6) of Fader, Hardie & Lee (2005).

    ``ln L = ln G(r+x) - ln G(r) + r ln alpha + ln G(a+b) + ln G(b+x) - ln G(b) - ln G(a+b+x)
    + ln(A1 + [x > 0] A2)`` with ``A1 = (alpha+T)**-(r+x)`` and
    ``A2 = a/(b+x-1) (alpha+t_x)**-(r+x)``, the sum taken in log space so large x does not
    underflow (Fader & Hardie's note on the model's #NUM! error). ``x = 0`` drops A2, as the
    paper's indicator says, which also avoids ``b + x - 1 = b - 1 <= 0``.
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    shape = r + x
    lg = math.lgamma
    constant = (
        lg(shape) - lg(r) + r * math.log(alpha)
        + lg(a + b) + lg(b + x) - lg(b) - lg(a + b + x)
    )
    log_a1 = -shape * math.log(alpha + age)
    if x == 0:
        return constant + log_a1
    log_a2 = math.log(a) - math.log(b + x - 1) - shape * math.log(alpha + t_x)
    top = max(log_a1, log_a2)
    return constant + top + math.log(math.exp(log_a1 - top) + math.exp(log_a2 - top))


def probability_alive(params: BgNbdParams, x: int, t_x: float, age: float) -> float:
    """Probability that the customer has not dropped out (Fader, Hardie & Lee 2005, and
    Fader, Hardie & Lee's note "Computing P(alive) Using the BG/NBD Model"):

    ``P = 1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))**(r+x))``, evaluated as a
    logistic of the log-odds so it neither overflows nor divides by ``b - 1`` when x = 0.
    Note the model's assumption: nobody drops out before a repeat purchase, so x = 0 gives 1.
    """
    if x == 0:
        return 1.0
    log_odds = (
        math.log(params.a) - math.log(params.b + x - 1)
        + (params.r + x) * (math.log(params.alpha + age) - math.log(params.alpha + t_x))
    )
    if log_odds > 0.0:
        e = math.exp(-log_odds)
        return e / (1.0 + e)
    return 1.0 / (1.0 + math.exp(log_odds))


def expected_purchases(params: BgNbdParams, x: int, t_x: float, age: float, weeks: float) -> float:
    """Expected purchases (purchase days) in the next ``weeks``, eq. (10) of Fader, Hardie & Lee (2005)."""
    return expected_purchases_at(params, x, t_x, age, (weeks,))[0]


def expected_purchases_at(
    params: BgNbdParams, x: int, t_x: float, age: float, horizons_weeks: Sequence[float],
) -> Tuple[float, ...]:
    """Expected purchases in the next ``t`` weeks for every ``t`` in ``horizons_weeks`` (ascending).

    Eq. (10) of Fader, Hardie & Lee (2005) reads
    ``E[Y(t) | x, t_x, T] = (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))**(r+x)
    2F1(r+x, b+x; a+b+x-1; z)] P(alive)`` with ``z = t / (alpha+T+t)``.
    Computed as written it fails twice: for frequent buyers the 2F1 series' terms first grow
    like ``(x z)**n / n!``, and at ``a = 1`` it is 0/0. Write ``eps = a - 1``,
    ``C = a+b+x-1``, ``alpha' = a+b-1-r``. Euler's transformation gives
    ``(1-z)**(r+x) 2F1(r+x, b+x; C; z) = (1-z)**eps 2F1(alpha', eps; C; z)``, whose upper
    parameters no longer grow with x, and ``(eps)_n = eps (1+eps)_(n-1)`` takes the factor
    eps out of every term: ``2F1(alpha', eps; C; z) = 1 + eps S(z) / C`` with
    ``S = sum_{n>=1} (alpha')_n (a)_(n-1) z**n / ((C+1)_(n-1) n!)``. Hence
    ``E = P(alive) [C (1 - (1-z)**eps) / eps - (1-z)**eps S(z)]``, where
    ``(1 - (1-z)**eps) / eps = -expm1(eps ln(1-z)) / eps`` tends to ``-ln(1-z)`` as a -> 1.
    No term divides by ``a - 1`` or by ``C`` (which is <= 0 when x = 0 and a + b <= 1).
    ``S`` solves the hypergeometric equation with parameters (alpha', eps, C) and source
    ``alpha' C``, so :func:`_solve` continues it to z near 1 (new customers, long horizons).
    When ``a >= r + x + 2`` (far from 1) the printed form is summed instead; see below.
    """
    if any(t < 0 for t in horizons_weeks) or list(horizons_weeks) != sorted(horizons_weeks):
        raise ValueError("horizons must be non-negative and ascending")
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    eps = a - 1.0
    upper = a + b + x - 1.0
    alpha_prime = a + b - 1.0 - r
    base = alpha + age
    zs = [t / (base + t) for t in horizons_weeks]
    alive = probability_alive(params, x, t_x, age)
    shape = r + x
    if eps - shape >= 1.0:
        # a >= r + x + 2: far from a = 1, and eq. (10) as printed is the better form: the
        # Gauss series of 2F1(r+x, b+x; C; z) has positive terms decaying like
        # n**(r+x-a) <= n**-2, where S would grow like (1-z)**(r+x+1-a) and need long sweeps.
        hypergeometric = _solve(shape, b + x, upper, 0.0, 0, 1.0, zs)
        return tuple(
            alive * upper / eps * -math.expm1(math.log1p(-z) * shape + math.log(f))
            for z, f in zip(zs, hypergeometric)
        )
    series = _solve(alpha_prime, eps, upper, alpha_prime * upper, 1, alpha_prime, zs)
    results = []
    for t, s in zip(horizons_weeks, series):
        log_survival = -math.log1p(t / base)  # ln(1 - z)
        if eps == 0.0:
            leading = -log_survival
        else:
            leading = -math.expm1(eps * log_survival) / eps
        results.append(alive * (upper * leading - math.exp(eps * log_survival) * s))
    return tuple(results)


# ---------------------------------------------------------------------------------------------
# Gamma-Gamma
# ---------------------------------------------------------------------------------------------


def expected_spend_per_purchase(params: GammaGammaParams, x: int, mean_repeat_spend: float) -> float:
    """Expected spend of a future purchase, eq. (5) of Fader & Hardie's Gamma-Gamma note:

    ``E[M | p, q, gamma, m_x, x] = p (gamma + x m_x) / (p x + q - 1)``, a weighted average of
    the population mean ``p gamma / (q - 1)`` and the customer's own mean ``m_x``; with x = 0
    it is the population mean. The model assumes spend does not depend on purchase frequency.
    """
    return params.p * (params.gamma + x * mean_repeat_spend) / (params.p * x + params.q - 1.0)


# ---------------------------------------------------------------------------------------------
# Value over a horizon
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueEstimate:
    """Expected orders and spend of one customer over ``horizon_weeks`` (minor units)."""

    horizon_weeks: float
    expected_orders: float
    expected_spend_per_order: float
    expected_value: float
    """Expected spend over the horizon, discounted to today: the customer's sales, not profit."""
    expected_margin: float
    """``expected_value * margin``: what the business keeps from those sales."""


def _policy_rate(policy: Mapping[str, Any], key: str, default: float) -> float:
    value = float(policy.get(key, default))
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"policy {key} must be a non-negative number, got {value!r}")
    return value


def _year_marks(horizon_weeks: float) -> List[float]:
    marks = []
    year = 1
    while year * WEEKS_PER_YEAR < horizon_weeks - 1e-9:
        marks.append(year * WEEKS_PER_YEAR)
        year += 1
    marks.append(horizon_weeks)
    return marks


def expected_value(
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams,
    summary: PurchaseSummary,
    horizon_weeks: float,
    policy: Optional[Mapping[str, Any]] = None,
) -> ValueEstimate:
    """Expected orders, spend and (discounted) value over the next ``horizon_weeks``.

    ``policy`` may give ``annual_discount_rate`` (default 0) and ``margin`` (default 1).
    With discounting, each year's expected orders (eq. 10 at the year marks, one sweep) are
    discounted from the middle of that year, ``(1 + d) ** -(mid-year in years)``; spend per
    order (Gamma-Gamma eq. 5) is taken as constant over time.
    """
    if horizon_weeks <= 0:
        raise ValueError("horizon_weeks must be positive")
    policy = policy or {}
    rate = _policy_rate(policy, "annual_discount_rate", 0.0)
    margin = _policy_rate(policy, "margin", 1.0)
    marks = _year_marks(horizon_weeks) if rate else [horizon_weeks]
    x, t_x, age = summary.repeat_purchases, summary.recency_weeks, summary.age_weeks
    cumulative = expected_purchases_at(bgnbd, x, t_x, age, marks)
    discounted_orders = _discounted(marks, cumulative, rate)
    spend = expected_spend_per_purchase(gamma_gamma, x, summary.mean_repeat_spend)
    value = spend * discounted_orders
    return ValueEstimate(horizon_weeks, cumulative[-1], spend, value, value * margin)


def _discounted(marks: Sequence[float], cumulative: Sequence[float], rate: float) -> float:
    if not rate:
        return cumulative[-1]
    total = 0.0
    previous_mark = previous_orders = 0.0
    for mark, orders in zip(marks, cumulative):
        middle_years = 0.5 * (previous_mark + mark) / WEEKS_PER_YEAR
        total += (orders - previous_orders) * (1.0 + rate) ** -middle_years
        previous_mark, previous_orders = mark, orders
    return total


@dataclass(frozen=True)
class CustomerValue:
    """What support staff and ``/v1/me`` show: estimates, not promises (minor units)."""

    probability_active: Optional[float]
    """BG/NBD P(alive); ``None`` before the first repeat purchase, where the model assumes
    the customer is active (probability 1) and so cannot tell."""
    expected_orders_12m: float
    expected_orders_5y: float
    expected_spend_per_order: float
    expected_value_5y: float
    """Expected sales over five years, discounted by the policy's annual rate."""
    expected_margin_5y: float


def score_customer(
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams,
    summary: PurchaseSummary,
    policy: Optional[Mapping[str, Any]] = None,
) -> CustomerValue:
    """All figures of the support 360 view in one pass (one 2F1 sweep over the years)."""
    x, t_x, age = summary.repeat_purchases, summary.recency_weeks, summary.age_weeks
    policy = policy or {}
    rate = _policy_rate(policy, "annual_discount_rate", 0.0)
    margin = _policy_rate(policy, "margin", 1.0)
    five_years = 5 * WEEKS_PER_YEAR
    marks = _year_marks(five_years) if rate else [WEEKS_PER_YEAR, five_years]
    cumulative = expected_purchases_at(bgnbd, x, t_x, age, marks)
    spend = expected_spend_per_purchase(gamma_gamma, x, summary.mean_repeat_spend)
    value = spend * _discounted(marks, cumulative, rate)
    return CustomerValue(
        probability_active=probability_alive(bgnbd, x, t_x, age) if x else None,
        expected_orders_12m=cumulative[0],
        expected_orders_5y=cumulative[-1],
        expected_spend_per_order=spend,
        expected_value_5y=value,
        expected_margin_5y=value * margin,
    )


# ---------------------------------------------------------------------------------------------
# Goodwill
# ---------------------------------------------------------------------------------------------

Recommendation = Literal["approve", "decline", "escalate"]


@dataclass(frozen=True)
class GoodwillRecommendation:
    """A recommendation for a goodwill gesture; a person decides and grants it."""

    recommendation: Recommendation
    cost: int
    currency: str
    expected_orders_5y: float
    expected_value_5y: int
    goodwill_granted_12m: int
    value_ceiling: int
    """Most the policy would spend on this customer: share x margin x expected value."""
    allowance_left: int
    explanation: str

    def to_json(self) -> Dict[str, Any]:
        """The shape of ``POST /v1/admin/customers/{id}/goodwill``'s answer."""

        def money(amount: int) -> Dict[str, Any]:
            return {"amount": amount, "currency": self.currency}

        return {
            "recommendation": self.recommendation,
            "expected_orders_5y": round(self.expected_orders_5y, 1),
            "expected_value_5y": money(self.expected_value_5y),
            "goodwill_granted_12m": money(self.goodwill_granted_12m),
            "explanation": self.explanation,
        }


def recommend_goodwill(
    cost: int,
    expected_orders_5y: float,
    expected_value_5y: float,
    goodwill_granted_12m: int,
    policy: Mapping[str, Any],
    *,
    currency: str,
) -> GoodwillRecommendation:
    """Approve, decline or escalate a goodwill gesture of ``cost`` minor units.

    Two limits from ``policy``: the value ceiling
    ``max_share_of_expected_margin * margin * expected_value_5y`` (spend at most a share of
    the margin this customer is expected to bring) and the per-customer
    ``yearly_allowance`` less ``goodwill_granted_12m``.
    Within both: approve. Over a limit by no more than ``escalate_band`` (a fraction of that
    limit): escalate to a supervisor. Further over: decline. All amounts are minor units of
    ``currency`` (the rules document's ``base_currency``; convert before calling if the
    customer buys in another); ``expected_value_5y`` is expected sales, as
    :class:`CustomerValue` gives it.
    """
    if isinstance(cost, bool) or not isinstance(cost, int) or cost <= 0:
        raise ValueError("cost must be a positive int of minor units")
    if goodwill_granted_12m < 0 or expected_value_5y < 0 or expected_orders_5y < 0:
        raise ValueError("granted goodwill and expected figures cannot be negative")
    allowance = policy["yearly_allowance"]
    if isinstance(allowance, bool) or not isinstance(allowance, int) or allowance < 0:
        raise ValueError("policy yearly_allowance must be a non-negative int of minor units")
    margin = _policy_rate(policy, "margin", 1.0)
    share = _policy_rate(policy, "max_share_of_expected_margin", 0.0)
    band = _policy_rate(policy, "escalate_band", 0.0)

    expected_margin = margin * expected_value_5y
    ceiling = int(share * expected_margin)
    allowance_left = max(0, allowance - goodwill_granted_12m)
    within_value = cost <= ceiling
    within_allowance = cost <= allowance_left
    if within_value and within_allowance:
        decision: Recommendation = "approve"
    elif cost <= ceiling * (1 + band) and goodwill_granted_12m + cost <= allowance * (1 + band):
        decision = "escalate"
    else:
        decision = "decline"

    def fmt(amount: float) -> str:
        return format_money(int(round(amount)), currency)

    orders = f"{expected_orders_5y:.0f}" if expected_orders_5y >= 10 else f"{expected_orders_5y:.1f}"
    verdict = {
        "approve": "Recommendation: approve.",
        "escalate": f"Recommendation: ask a supervisor; it is over a limit by at most {band:.0%}.",
        "decline": "Recommendation: decline, or ask a supervisor if there is more to the story.",
    }[decision]
    explanation = (
        f"Estimate: this customer will probably place about {orders} more orders in the next "
        f"5 years, worth about {fmt(expected_value_5y)} in sales "
        f"(about {fmt(expected_margin)} margin at {margin:.0%}). "
        f"A gesture of {fmt(cost)} is {'within' if within_value else 'over'} "
        f"{share:.0%} of that margin ({fmt(ceiling)}) "
        f"and {'within' if within_allowance else 'over'} the yearly goodwill allowance "
        f"({fmt(allowance_left)} left of {fmt(allowance)}; "
        f"{fmt(goodwill_granted_12m)} granted in the last 12 months). "
        f"{verdict} These figures are estimates from past buying patterns, not promises."
    )
    return GoodwillRecommendation(
        recommendation=decision,
        cost=cost,
        currency=currency,
        expected_orders_5y=expected_orders_5y,
        expected_value_5y=int(round(expected_value_5y)),
        goodwill_granted_12m=goodwill_granted_12m,
        value_ceiling=ceiling,
        allowance_left=allowance_left,
        explanation=explanation,
    )


# ---------------------------------------------------------------------------------------------
# Defaults
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _defaults_text() -> str:
    return DEFAULTS_PATH.read_text(encoding="utf-8")


def load_value_model_defaults() -> Dict[str, Any]:
    """The default model parameters and policy (the built-in rules' ``value_model``), a fresh copy."""
    return json.loads(_defaults_text())["value_model"]


def params_from_rules(model: Mapping[str, Any]) -> Tuple[BgNbdParams, GammaGammaParams]:
    """Parameters from the rules document's ``value_model.model`` section."""
    return BgNbdParams.from_mapping(model["bgnbd"]), GammaGammaParams.from_mapping(model["gamma_gamma"])


_POLICY_RATES = {
    # name: (lowest, highest) allowed
    "margin": (0.0, 1.0),
    "annual_discount_rate": (0.0, 1.0),
    "max_share_of_expected_margin": (0.0, 1.0),
    "escalate_band": (0.0, 10.0),
}


def value_model_problems(section: Any) -> List[Dict[str, str]]:
    """What is wrong with a rules document's ``value_model`` section, field by field (empty: fine).

    Both ``model`` and ``policy`` may be left out (the defaults apply); a given field must be
    valid. Used when an operator PUTs rules, so a bad section never reaches checkout.
    """
    problems: List[Dict[str, str]] = []

    def fail(field: str, reason: str) -> None:
        problems.append({"field": f"value_model.{field}", "reason": reason})

    if not isinstance(section, dict):
        return [{"field": "value_model", "reason": "must be an object with model and/or policy"}]
    model = section.get("model")
    if model is not None:
        if not isinstance(model, dict):
            fail("model", "must be an object")
        else:
            for name, params in (("bgnbd", BgNbdParams), ("gamma_gamma", GammaGammaParams)):
                try:
                    params.from_mapping(model.get(name) or {})
                except (KeyError, TypeError, ValueError) as error:
                    reason = f"needs {error.args[0]}" if isinstance(error, KeyError) else str(error)
                    fail(f"model.{name}", reason)
            size = model.get("sample_size")
            if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
                fail("model.sample_size", "must be a whole number of customers")
    policy = section.get("policy")
    if policy is not None:
        if not isinstance(policy, dict):
            fail("policy", "must be an object")
        else:
            for name, (low, high) in _POLICY_RATES.items():
                value = policy.get(name)
                if value is None:
                    continue
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                    fail(f"policy.{name}", f"must be a number from {low:g} to {high:g}")
            allowance = policy.get("yearly_allowance")
            if allowance is not None and (isinstance(allowance, bool) or not isinstance(allowance, int)
                                          or allowance < 0):
                fail("policy.yearly_allowance", "must be a whole, non-negative amount of minor units")
    return problems


@dataclass(frozen=True)
class ValueModel:
    """The parameters and goodwill policy in force, with where the parameters came from."""

    bgnbd: BgNbdParams
    gamma_gamma: GammaGammaParams
    policy: Mapping[str, Any]
    fitted_at: Optional[str]
    sample_size: Optional[int]
    source: str


def value_model_of(section: Optional[Mapping[str, Any]]) -> ValueModel:
    """The rules document's ``value_model`` (checked by :func:`value_model_problems`), each
    part falling back to the built-in defaults when it is absent."""
    defaults = load_value_model_defaults()
    section = section or {}
    model = section.get("model") or defaults["model"]
    policy = {**defaults["policy"], **(section.get("policy") or {})}
    bgnbd, gamma_gamma = params_from_rules(model)
    return ValueModel(bgnbd, gamma_gamma, policy, model.get("fitted_at"), model.get("sample_size"),
                      str(model.get("source") or ""))
