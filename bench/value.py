"""Customer value on the CDNOW sample: fit, holdout forecast, and scoring speed.

Fits BG/NBD and Gamma-Gamma on weeks 1-39 (as Fader, Hardie & Lee 2005), prints the
weeks 40-78 forecast of repeat purchases against what customers actually did (in total and
by the number of repeat purchases in the calibration weeks), the fit time, and how long the
pure-Python scorer takes per customer (target: under 0.5 ms).

Run: ``PYTHONPATH=. .venv/bin/python bench/value.py`` (needs requirements-batch.txt and lifetimes).
"""
from __future__ import annotations

import statistics
import time
from typing import List, Sequence

from batch import value_fit
from chalicelib.domain import customer_value as cv

HOLDOUT_WEEKS = 39.0
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_SPEND = {"p": 6.25, "q": 3.74, "gamma": 15.44}
TARGET_MS = 0.5


def table(title: str, header: Sequence[str], rows: List[Sequence[object]]) -> None:
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for n, row in enumerate(cells):
        print("  " + "  ".join(cell.rjust(width) for cell, width in zip(row, widths)))
        if n == 0:
            print("  " + "  ".join("-" * width for width in widths))


def main() -> None:
    customers = value_fit.read_cdnow_sample(value_fit.cdnow_sample_path())
    summaries, holdout = value_fit.cdnow_calibration(customers)

    bgnbd_fit = value_fit.fit_bgnbd(summaries)
    spend_fit = value_fit.fit_gamma_gamma(summaries)
    fitted = dict(bgnbd_fit.params)
    spend = dict(spend_fit.params, gamma=spend_fit.params["gamma"] / 100)  # cents -> dollars
    rows = [[name, PUBLISHED_BGNBD[name], f"{fitted[name]:.4f}"] for name in PUBLISHED_BGNBD]
    rows.append(["log-likelihood", -9582.4, f"{bgnbd_fit.log_likelihood:.2f}"])
    rows += [[name, PUBLISHED_SPEND[name], f"{spend[name]:.4f}"] for name in PUBLISHED_SPEND]
    rows.append(["fit time BG/NBD (s)", "", f"{bgnbd_fit.seconds:.3f}"])
    rows.append(["fit time Gamma-Gamma (s)", "", f"{spend_fit.seconds:.3f}"])
    table(
        f"Fit on weeks 1-39: {bgnbd_fit.sample_size} customers, {spend_fit.sample_size} with repeat purchases",
        ["parameter", "published", "fitted"], rows,
    )

    params = cv.BgNbdParams(**bgnbd_fit.params)
    predicted = [
        cv.expected_purchases(params, s.repeat_purchases, s.recency_weeks, s.age_weeks, HOLDOUT_WEEKS)
        for s in summaries
    ]
    groups = [(str(x), lambda s, x=x: s.repeat_purchases == x) for x in range(7)]
    groups.append(("7+", lambda s: s.repeat_purchases >= 7))
    rows = []
    for label, member in groups:
        chosen = [i for i, s in enumerate(summaries) if member(s)]
        actual = sum(holdout[i] for i in chosen) / len(chosen)
        forecast = sum(predicted[i] for i in chosen) / len(chosen)
        rows.append([label, len(chosen), f"{actual:.3f}", f"{forecast:.3f}"])
    rows.append(["all (total)", len(summaries), sum(holdout), f"{sum(predicted):.1f}"])
    table(
        "Holdout weeks 40-78: repeat purchases per customer by repeat purchases in weeks 1-39",
        ["x in weeks 1-39", "customers", "actual", "BG/NBD"], rows,
    )

    gamma_gamma = cv.GammaGammaParams(**spend_fit.params)
    policy = cv.load_value_model_defaults()["policy"]
    rows = []
    for label, chosen_policy, people in [
        ("CDNOW customers, 5 yearly marks (discounted)", policy, summaries),
        ("CDNOW customers, 12 months + 5 years (no discount)", {}, summaries),
        ("new customers (x=0, T=0), discounted", policy, [cv.PurchaseSummary(0, 0.0, 0.0)] * 200),
    ]:
        per_customer = _score_times(params, gamma_gamma, people, chosen_policy)
        mean = statistics.fmean(per_customer)
        p95 = statistics.quantiles(per_customer, n=20)[-1]
        verdict = "ok" if max(per_customer) < TARGET_MS else "OVER TARGET"
        rows.append([label, len(people), f"{mean:.3f}", f"{p95:.3f}", f"{max(per_customer):.3f}", verdict])
    table(
        f"Scoring time per customer, pure Python, best of 5 runs (target < {TARGET_MS} ms)",
        ["case", "customers", "mean ms", "p95 ms", "max ms", ""], rows,
    )


def _score_times(params, gamma_gamma, people, policy, rounds: int = 5) -> List[float]:
    """Milliseconds per customer, the least of ``rounds`` runs (the machine's noise removed)."""
    best = [float("inf")] * len(people)
    for _ in range(rounds):
        for n, summary in enumerate(people):
            began = time.perf_counter()
            cv.score_customer(params, gamma_gamma, summary, policy)
            best[n] = min(best[n], (time.perf_counter() - began) * 1000.0)
    return best


if __name__ == "__main__":
    main()
