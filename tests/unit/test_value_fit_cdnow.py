"""Validation on the paper's own data: the CDNOW sample (2,357 customers).

The data file ships inside the ``lifetimes`` wheel (a test-only dependency) and is read by
path; ``lifetimes.datasets`` is never imported. Fitted on weeks 1-39 the models must give
the published parameters of Fader, Hardie & Lee (2005) and of the Gamma-Gamma note.
"""
from __future__ import annotations

import csv
import warnings

import numpy as np
import pytest

from batch import value_fit
from chalicelib.domain import customer_value as cv

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # lifetimes 0.11.3 sets a pandas option pandas 3 deprecates
    import pandas as pd
    from lifetimes import BetaGeoFitter


@pytest.fixture(scope="module")
def cdnow():
    customers = value_fit.read_cdnow_sample(value_fit.cdnow_sample_path())
    summaries, holdout = value_fit.cdnow_calibration(customers)
    return customers, summaries, holdout


@pytest.fixture(scope="module")
def bgnbd_fit(cdnow):
    return value_fit.fit_bgnbd(cdnow[1])


def test_sample_has_the_papers_customers_all_first_buying_in_the_first_quarter(cdnow):
    customers, summaries, _ = cdnow
    assert len(customers) == 2357
    assert min(min(days) for days in customers.values()).isoformat() == "1997-01-01"
    assert all(s.age_weeks > 39 - 12 - 1 for s in summaries)  # first purchase in weeks 1-12
    assert sum(s.repeat_purchases > 0 for s in summaries) == 946


def test_features_match_the_summary_published_with_the_data(cdnow):
    """``cdnow_customers_summary_with_transactions.csv`` (x, t_x, T, zbar, 2 decimals) sits
    next to the raw file; it confirms repeat purchases count per day and spend is summed per day."""
    path = value_fit.cdnow_sample_path().with_name("cdnow_customers_summary_with_transactions.csv")
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row, summary in zip(rows, cdnow[1]):
        assert summary.repeat_purchases == int(row["x"])
        assert round(summary.recency_weeks, 2) == float(row["t_x"])
        assert round(summary.age_weeks, 2) == float(row["T"])
        assert summary.mean_repeat_spend / 100 == pytest.approx(float(row["zbar"]), abs=0.0051)


def test_bgnbd_fit_reproduces_the_published_parameters(bgnbd_fit):
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert {name: round(value, 3) for name, value in bgnbd_fit.params.items()} == published
    assert round(bgnbd_fit.log_likelihood, 1) == -9582.4
    assert bgnbd_fit.sample_size == 2357 and bgnbd_fit.converged


def test_gamma_gamma_fit_reproduces_the_published_parameters_within_half_a_percent(cdnow):
    fit = value_fit.fit_gamma_gamma(cdnow[1])
    assert fit.sample_size == 946
    assert fit.params["p"] == pytest.approx(6.25, rel=0.005)
    assert fit.params["q"] == pytest.approx(3.74, rel=0.005)
    assert fit.params["gamma"] / 100 == pytest.approx(15.44, rel=0.005)  # fitted in cents


def test_pure_python_likelihood_equals_the_batch_likelihood(cdnow, bgnbd_fit):
    params = cv.BgNbdParams(**bgnbd_fit.params)
    total = sum(cv.bgnbd_log_likelihood(params, s.repeat_purchases, s.recency_weeks, s.age_weeks) for s in cdnow[1])
    assert total == pytest.approx(bgnbd_fit.log_likelihood, rel=1e-12)


def test_scorer_matches_lifetimes_beta_geo_fitter_for_every_customer(cdnow, bgnbd_fit):
    summaries = cdnow[1]
    params = cv.BgNbdParams(**bgnbd_fit.params)
    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series(bgnbd_fit.params)
    x = np.array([s.repeat_purchases for s in summaries])
    t_x = np.array([s.recency_weeks for s in summaries])
    age = np.array([s.age_weeks for s in summaries])
    for t in (1.0, 39.0, cv.WEEKS_PER_YEAR, 5 * cv.WEEKS_PER_YEAR):
        theirs = np.asarray(fitter.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, age))
        ours = np.array([cv.expected_purchases(params, *row, t) for row in zip(x.tolist(), t_x, age)])
        np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    theirs_alive = np.asarray(fitter.conditional_probability_alive(x, t_x, age))
    ours_alive = np.array([cv.probability_alive(params, *row) for row in zip(x.tolist(), t_x, age)])
    np.testing.assert_allclose(ours_alive, theirs_alive, rtol=1e-12)


def test_holdout_forecast_is_within_fifteen_percent_of_what_customers_did(cdnow, bgnbd_fit):
    """Weeks 40-78: the sum of conditional expectations against actual repeat purchases."""
    params = cv.BgNbdParams(**bgnbd_fit.params)
    predicted = sum(cv.expected_purchases(params, s.repeat_purchases, s.recency_weeks, s.age_weeks, 39.0) for s in cdnow[1])
    actual = sum(cdnow[2])
    assert actual == 1882
    assert predicted == pytest.approx(actual, rel=0.15)


def test_fit_value_model_returns_a_rules_document_section(cdnow):
    section = value_fit.fit_value_model(cdnow[1], fitted_at="2026-11-23T00:00:00Z")
    assert section["fitted_at"] == "2026-11-23T00:00:00Z"
    assert section["sample_size"] == 2357 and section["gamma_gamma"]["sample_size"] == 946
    assert section["converged"] is True
    bgnbd, spend = cv.params_from_rules(section)
    assert round(bgnbd.r, 3) == 0.243 and spend.q == pytest.approx(3.74, rel=0.005)
