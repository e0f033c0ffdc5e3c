"""Maximum-likelihood fit of the customer-value models, for the ``fit-value-model`` command.

Fits BG/NBD (r, alpha, a, b; Fader, Hardie & Lee 2005, eq. 6) and Gamma-Gamma (p, q, gamma;
Fader & Hardie's Gamma-Gamma note, eq. 1a) to the :class:`PurchaseSummary` of every customer,
the same features the request path scores with, so fitting and scoring agree by construction.
The result is a ``value_model.model`` section for the rules document.

numpy and scipy live here and in ``requirements-batch.txt`` only; this package must never be
imported by ``chalicelib`` or ``app.py``.
"""
from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln

from chalicelib.domain.customer_value import PurchaseSummary, summarize_purchase_days

BGNBD_NAMES = ("r", "alpha", "a", "b")
GAMMA_GAMMA_NAMES = ("p", "q", "gamma")


@dataclass(frozen=True)
class FitResult:
    """Fitted parameters of one model with what the rules document records about the fit."""

    params: Dict[str, float]
    log_likelihood: float
    sample_size: int
    fitted_at: str
    converged: bool
    seconds: float


def bgnbd_log_likelihoods(
    params: Sequence[float], x: np.ndarray, t_x: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """Per-customer log-likelihood, eq. (6), vectorised; the A1/A2 sum in log space."""
    r, alpha, a, b = params
    constant = (
        gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        + gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    )
    log_a1 = -(r + x) * np.log(alpha + age)
    repeat = x > 0
    log_a2 = np.where(
        repeat,
        np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return constant + np.logaddexp(log_a1, log_a2)


def gamma_gamma_log_likelihoods(
    params: Sequence[float], x: np.ndarray, mean_spend: np.ndarray
) -> np.ndarray:
    """Per-customer log-likelihood of the mean repeat spend (customers with x > 0):
    ``G(px+q)/(G(px)G(q)) gamma**q m**(px-1) x**px / (gamma + m x)**(px+q)``."""
    p, q, gamma = params
    px = p * x
    return (
        gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma)
        + (px - 1) * np.log(mean_spend) + px * np.log(x) - (px + q) * np.log(gamma + mean_spend * x)
    )


def _maximise(
    log_likelihood, start: Sequence[float], names: Sequence[str], sample_size: int, fitted_at: str
) -> FitResult:
    """Maximise over log-parameters (so every parameter stays positive): Nelder-Mead from
    ``start`` for robustness, then BFGS from its optimum for the last digits."""
    began = time.perf_counter()

    def objective(log_params: np.ndarray) -> float:
        value = log_likelihood(np.exp(log_params))
        return -value / sample_size if np.isfinite(value) else np.inf

    first = minimize(
        objective, np.log(np.asarray(start, dtype=float)), method="Nelder-Mead",
        options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": 20_000, "maxfev": 40_000},
    )
    polish = minimize(objective, first.x, method="BFGS", options={"gtol": 1e-10})
    best = polish if polish.fun <= first.fun else first
    params = np.exp(best.x)
    return FitResult(
        params={name: float(value) for name, value in zip(names, params)},
        log_likelihood=float(log_likelihood(params)),
        sample_size=sample_size,
        fitted_at=fitted_at,
        converged=bool(first.success or polish.success),
        seconds=time.perf_counter() - began,
    )


def _now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def fit_bgnbd(
    summaries: Sequence[PurchaseSummary],
    *,
    start: Sequence[float] = (1.0, 1.0, 1.0, 1.0),
    fitted_at: Optional[str] = None,
) -> FitResult:
    """BG/NBD maximum likelihood over all customers (time in weeks).

    Customers with the same (x, t_x, T) are counted once with a weight, which is what makes
    a fit over millions of customers cheap (day-granular t_x and T repeat a lot).
    """
    if not summaries:
        raise ValueError("no customers to fit")
    rows = np.array([(s.repeat_purchases, s.recency_weeks, s.age_weeks) for s in summaries], float)
    unique, counts = np.unique(rows, axis=0, return_counts=True)
    x, t_x, age = unique[:, 0], unique[:, 1], unique[:, 2]

    def log_likelihood(params: np.ndarray) -> float:
        return float(np.dot(counts, bgnbd_log_likelihoods(params, x, t_x, age)))

    return _maximise(log_likelihood, start, BGNBD_NAMES, len(summaries), fitted_at or _now_iso())


def fit_gamma_gamma(
    summaries: Sequence[PurchaseSummary],
    *,
    start: Optional[Sequence[float]] = None,
    fitted_at: Optional[str] = None,
) -> FitResult:
    """Gamma-Gamma maximum likelihood over customers with at least one repeat purchase.

    As in Fader, Hardie & Lee, the data are each customer's number of repeat purchases and the
    mean spend of those repeat purchases (the first purchase is left out). ``gamma`` comes out
    in the money unit of ``mean_repeat_spend`` (minor units). The default start,
    ``p = 1, q = 2, gamma = observed mean``, puts the population mean at the observed one.
    """
    repeaters = [s for s in summaries if s.repeat_purchases > 0 and s.mean_repeat_spend > 0]
    if not repeaters:
        raise ValueError("no customer with a repeat purchase to fit spend on")
    x = np.array([s.repeat_purchases for s in repeaters], float)
    spend = np.array([s.mean_repeat_spend for s in repeaters], float)

    def log_likelihood(params: np.ndarray) -> float:
        return float(np.sum(gamma_gamma_log_likelihoods(params, x, spend)))

    first_guess = start if start is not None else (1.0, 2.0, float(np.mean(spend)))
    return _maximise(log_likelihood, first_guess, GAMMA_GAMMA_NAMES, len(repeaters), fitted_at or _now_iso())


def fit_value_model(
    summaries: Sequence[PurchaseSummary], *, fitted_at: Optional[str] = None
) -> Dict[str, object]:
    """Both fits as the rules document's ``value_model.model`` section."""
    stamp = fitted_at or _now_iso()
    bgnbd = fit_bgnbd(summaries, fitted_at=stamp)
    spend = fit_gamma_gamma(summaries, fitted_at=stamp)
    return {
        "bgnbd": {**_rounded(bgnbd.params), "log_likelihood": round(bgnbd.log_likelihood, 3)},
        "gamma_gamma": {
            **_rounded(spend.params),
            "log_likelihood": round(spend.log_likelihood, 3),
            "sample_size": spend.sample_size,
        },
        "time_unit": "week",
        "money_unit": "minor units of base_currency",
        "sample_size": bgnbd.sample_size,
        "fitted_at": stamp,
        "source": "fit-value-model",
        "converged": bgnbd.converged and spend.converged,
    }


def _rounded(params: Mapping[str, float]) -> Dict[str, float]:
    return {name: float(f"{value:.6g}") for name, value in params.items()}


# ---------------------------------------------------------------------------------------------
# Validation data: the CDNOW sample of Fader, Hardie & Lee (2005)
# ---------------------------------------------------------------------------------------------

CDNOW_CALIBRATION_END = date(1997, 9, 30)  # end of week 39 (the data start on 1997-01-01)
CDNOW_HOLDOUT_END = date(1998, 6, 30)  # end of week 78


def cdnow_sample_path() -> Path:
    """``CDNOW_sample.txt`` inside the installed ``lifetimes`` wheel (a test/bench dependency),
    located without importing ``lifetimes``."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the CDNOW sample ships with the lifetimes package: pip install lifetimes")
    return Path(list(spec.submodule_search_locations)[0]) / "datasets" / "CDNOW_sample.txt"


def read_cdnow_sample(path: Path) -> Dict[int, Dict[date, int]]:
    """Spend in cents per customer per purchase day.

    Columns (whitespace separated): master-file customer id, sample customer id (1-2357),
    date YYYYMMDD, number of CDs, dollar value. Several records of one day add up.
    """
    customers: Dict[int, Dict[date, int]] = {}
    with open(path, encoding="ascii") as lines:
        for line in lines:
            _, customer, day, _, dollars = line.split()
            when = date(int(day[:4]), int(day[4:6]), int(day[6:]))
            days = customers.setdefault(int(customer), {})
            days[when] = days.get(when, 0) + round(float(dollars) * 100)
    return customers


def cdnow_calibration(
    customers: Mapping[int, Mapping[date, int]],
    calibration_end: date = CDNOW_CALIBRATION_END,
    holdout_end: date = CDNOW_HOLDOUT_END,
) -> Tuple[List[PurchaseSummary], List[int]]:
    """Summaries over the calibration weeks and each customer's purchase days in the holdout,
    in customer-id order."""
    summaries, holdout = [], []
    for customer in sorted(customers):
        days = customers[customer]
        calibration = {day: spend for day, spend in days.items() if day <= calibration_end}
        summaries.append(summarize_purchase_days(calibration, calibration_end))
        holdout.append(sum(1 for day in days if calibration_end < day <= holdout_end))
    return summaries, holdout
