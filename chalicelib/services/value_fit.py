"""``fit-value-model``: fit the customer-value model on every customer's purchase days and
store the parameters in the rules document (a new version, audited like any rules change).

Operator batch only: it reads every customer's purchase days by a parallel Scan of the table,
or from a DynamoDB export (DuckDB, no table reads), or takes per-customer summaries computed
elsewhere (Athena over an export); it needs numpy, scipy and duckdb (``requirements-batch.txt``,
via ``batch/``), which never enter the Lambda package.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

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
    """Fit on every customer, read by a parallel Scan of the table, and, unless ``dry_run``,
    store the parameters as a new rules version (see :func:`store_fit`)."""
    now = now or clock.now()
    figures = ScanFigures(segments)
    summaries = purchase_summaries(now.date(), segments, progress, figures)
    return store_fit(summaries, {"scan": figures.to_json()}, dry_run=dry_run, force=force, operator=operator,
                     now=now)


def fit_and_store_from_export(where: str, *, dry_run: bool = False, force: bool = False, operator: str,
                              now: Optional[datetime] = None, s3_client: Any = None) -> dict:
    """Fit on every customer of a DynamoDB export (a folder, or ``s3://bucket/prefix``, downloaded
    first) without reading the table: DuckDB groups the export's purchase-day items by customer
    (``batch/export_summaries.py``). Ages are measured to the export's own day. An export that
    cannot be read raises :class:`~batch.dynamodb_export.ExportProblem`."""
    from batch.dynamodb_export import LocalCopy, as_of_day, open_export
    from batch.export_summaries import summaries_from_rows, summary_rows

    now = now or clock.now()
    started = time.perf_counter()
    with LocalCopy(where, s3_client) as folder:
        export = open_export(folder)
        fetched = time.perf_counter()
        as_of = as_of_day(export)
        rows = summary_rows(export, as_of)
    summaries = list(summaries_from_rows(rows))
    read = {"path": where, "export_arn": export.summary.get("exportArn"), "export_time": export.summary.get("exportTime"),
            "as_of": as_of.isoformat(), "data_files": len(export.data_files), "items": export.item_count,
            "download_seconds": round(fetched - started, 3) if where.startswith("s3://") else 0.0,
            "seconds": round(time.perf_counter() - started, 3)}
    return store_fit(summaries, {"export": read}, dry_run=dry_run, force=force, operator=operator, now=now)


def fit_and_store_from_summaries(path: Path, *, dry_run: bool = False, force: bool = False, operator: str,
                                 now: Optional[datetime] = None) -> dict:
    """Fit on per-customer summaries already computed elsewhere (Athena over an export,
    docs/scale.md): a CSV with the columns of ``batch.export_summaries.SUMMARY_COLUMNS``."""
    from batch.export_summaries import read_summaries_csv

    with open(path, encoding="utf-8", newline="") as lines:
        summaries = read_summaries_csv(lines, str(path))
    return store_fit(summaries, {"summaries": {"path": str(path), "rows": len(summaries)}}, dry_run=dry_run,
                     force=force, operator=operator, now=now or clock.now())


def store_fit(summaries: Sequence[PurchaseSummary], read: Dict[str, Any], *, dry_run: bool, force: bool,
              operator: str, now: datetime) -> dict:
    """Fit the model on ``summaries`` and, unless ``dry_run``, store the parameters as a new
    rules version; ``read`` (how the summaries were read) is part of the answer.

    Refuses to store (``stored: false`` with the reason) a fit that did not converge or saw
    fewer than :data:`MIN_CUSTOMERS` customers, unless ``force``.
    """
    from batch.value_fit import fit_value_model

    from .rules import current_rules, forget_cached_rules, replace_rules, rules_json

    if len(summaries) < 2:
        return {"stored": False, "customers": len(summaries), "reason": "too few customers with purchases to fit",
                **read}
    fit_started = time.perf_counter()
    model = fit_value_model(summaries, fitted_at=now.isoformat().replace("+00:00", "Z"))
    answer = {"stored": False, "customers": len(summaries), "model": model, **read,
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
