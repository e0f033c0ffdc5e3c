"""``fit-value-model``: fit the customer-value model on every customer's purchase days and
store the parameters in the rules document (a new version, audited like any rules change).

Operator batch only: it Scans the whole table in parallel segments and needs numpy and scipy
(``requirements-batch.txt``, via ``batch/value_fit.py``), which never enter the Lambda package.
"""
from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Callable, Dict, List, Optional, Tuple

from .. import clock
from ..domain.customer_value import PurchaseSummary, spend_by_purchase_day, summarize_purchase_days
from ..store import repository as store

MIN_CUSTOMERS = 100
"""Fewer customers with purchases than this give parameters too loose to act on."""


def purchase_summaries(today: date, segments: int = 4,
                       progress: Optional[Callable[[int], None]] = None) -> List[PurchaseSummary]:
    """One summary per customer with a standing purchase, read by a parallel Scan."""

    def read(segment: int) -> List[Tuple[str, str, int, int]]:
        rows = []
        for row in store.scan_purchase_days(segment, segments):
            rows.append(row)
            if progress and len(rows) % 1000 == 0:
                progress(1000)
        if progress:
            progress(len(rows) % 1000)
        return rows

    with ThreadPoolExecutor(max_workers=segments) as pool:
        parts = list(pool.map(read, range(segments)))
    # Grouped after all segments: DynamoDB splits segments by partition, but nothing here relies on it.
    buckets: Dict[str, List[Tuple[str, int, int]]] = defaultdict(list)
    for part in parts:
        for customer_id, day, orders, net_spend in part:
            buckets[customer_id].append((day, orders, net_spend))
    spends = (spend_by_purchase_day(rows, today) for rows in buckets.values())
    return [summarize_purchase_days(spend, today) for spend in spends if spend]


def fit_and_store(*, segments: int = 4, dry_run: bool = False, force: bool = False, operator: str,
                  now: Optional[datetime] = None, progress: Optional[Callable[[int], None]] = None) -> dict:
    """Fit on every customer and, unless ``dry_run``, store the parameters as a new rules version.

    Refuses to store (``stored: false`` with the reason) a fit that did not converge or saw
    fewer than :data:`MIN_CUSTOMERS` customers, unless ``force``.
    """
    from batch.value_fit import fit_value_model

    from .rules import current_rules, forget_cached_rules, replace_rules, rules_json

    now = now or clock.now()
    summaries = purchase_summaries(now.date(), segments, progress)
    if len(summaries) < 2:
        return {"stored": False, "customers": len(summaries), "reason": "too few customers with purchases to fit"}
    model = fit_value_model(summaries, fitted_at=now.isoformat().replace("+00:00", "Z"))
    answer = {"stored": False, "customers": len(summaries), "model": model}
    problems = []
    if not model["converged"]:
        problems.append("the fit did not converge")
    if len(summaries) < MIN_CUSTOMERS:
        problems.append(f"only {len(summaries)} customers with purchases (at least {MIN_CUSTOMERS} expected)")
    if problems and not force:
        return {**answer, "reason": "; ".join(problems) + " (use --force to store anyway)"}
    if dry_run:
        return {**answer, "reason": "dry run"}
    forget_cached_rules()
    document = rules_json(current_rules())
    section = dict(document.get("value_model") or {})
    section["model"] = {**model, "source": f"fit-value-model over {len(summaries)} customers"}
    stored = replace_rules({**document, "value_model": section}, created_by=operator, now=now)
    return {**answer, "stored": True, "rules_version": stored["version"]}
