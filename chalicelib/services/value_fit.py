"""``fit-value-model``: fit the customer-value model on every customer's purchase days and
store the parameters in the rules document (a new version, audited like any rules change).

Operator batch only: it Scans the whole table in parallel segments and needs numpy and scipy
(``requirements-batch.txt``, via ``batch/value_fit.py``), which never enter the Lambda package.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable, Dict, List, Optional, Tuple

from .. import clock
from ..domain.customer_value import PurchaseSummary, spend_by_purchase_day, summarize_purchase_days
from ..store import customers as customers_store

MIN_CUSTOMERS = 100
"""Fewer customers with purchases than this give parameters too loose to act on."""


@dataclass
class ScanFigures:
    """What the fit's Scan read: every item of the table, of which the purchase days are kept."""

    segments: int
    items_scanned: int = 0
    purchase_days: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict:
        rate = self.items_scanned / self.seconds if self.seconds else 0.0
        return {"segments": self.segments, "items_scanned": self.items_scanned, "purchase_days": self.purchase_days,
                "seconds": round(self.seconds, 3), "items_per_second": round(rate)}


def purchase_summaries(today: date, segments: int = 4, progress: Optional[Callable[[int], None]] = None,
                       figures: Optional[ScanFigures] = None) -> List[PurchaseSummary]:
    """One summary per customer with a standing purchase, read by a parallel Scan.

    ``progress`` is told the number of items each page read, as it is read."""
    figures = figures or ScanFigures(segments)
    lock = threading.Lock()
    started = time.perf_counter()

    def read(segment: int) -> List[Tuple[str, str, int, int]]:
        rows: List[Tuple[str, str, int, int]] = []
        for page, scanned in customers_store.scan_purchase_days(segment, segments):
            rows.extend(page)
            with lock:
                figures.items_scanned += scanned
                figures.purchase_days += len(page)
            if progress:
                progress(scanned)
        return rows

    with ThreadPoolExecutor(max_workers=segments) as pool:
        parts = list(pool.map(read, range(segments)))
    figures.seconds = time.perf_counter() - started
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
    figures = ScanFigures(segments)
    summaries = purchase_summaries(now.date(), segments, progress, figures)
    if len(summaries) < 2:
        return {"stored": False, "customers": len(summaries), "reason": "too few customers with purchases to fit",
                "scan": figures.to_json()}
    fit_started = time.perf_counter()
    model = fit_value_model(summaries, fitted_at=now.isoformat().replace("+00:00", "Z"))
    answer = {"stored": False, "customers": len(summaries), "model": model, "scan": figures.to_json(),
              "fit_seconds": round(time.perf_counter() - fit_started, 3)}
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
