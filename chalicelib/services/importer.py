"""Importing a store's order history (CSV or JSON Lines) so regulars are known on day one.

Each row is checked by the same parser as ``POST .../orders`` and turned into the same
ledger entries and aggregate deltas, with its later life (delivered, refunded, returned,
cancelled) applied through the same event rules. So the aggregates after an import are
exactly those of the same orders arriving one by one through the API.

Writes: a customer's orders go in transactions of up to ~25 orders, each carrying the
orders' idempotency items, their ledger entries and one aggregate update. A plain
BatchWriteItem would be cheaper but cannot carry the "only if absent" condition that
makes a re-import change nothing, so batching is done inside transactions instead; the
existence check before writing uses BatchGetItem. Re-importing a file changes nothing.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from ..config import settings
from ..domain.errors import LoyaltyError
from ..domain.ledger import OrderEvent, OrderSubmission
from ..store import repository as store
from ..store.retry import with_retries
from .customers import with_lookup_hashes
from .orders import build_new_order

MAX_ITEMS_PER_TRANSACTION = 100


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    already_present: int = 0
    customers: int = 0
    rejected: List[dict] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "already_present": self.already_present,
            "rejected": len(self.rejected),
            "customers": self.customers,
            "seconds": round(self.seconds, 3),
            "rejected_rows": self.rejected,
        }


@dataclass(frozen=True)
class ImportRow:
    """One row of an import file, checked field by field (see chalicelib/api/import_rows.py)."""

    line: int
    customer_id: str
    profile: Dict[str, object]
    submission: OrderSubmission
    events: Tuple[OrderEvent, ...]


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str


@dataclass
class _Row:
    line: int
    customer_id: str
    profile: Dict[str, object]
    new_order: store.NewOrder


def import_orders(
    rows: Iterable[Union[ImportRow, RejectedRow]],
    *,
    now: Optional[datetime] = None,
    progress: Callable[[int], None] = lambda n: None,
    chunk_rows: int = 2000,
) -> ImportReport:
    """Import rows; valid rows go in even when others are rejected (each rejection is reported)."""
    started = time.perf_counter()
    now = now or datetime.now(timezone.utc)
    report = ImportReport()
    seen: Dict[str, str] = {}  # order_id -> request hash, for duplicates inside the file
    customers = set()
    pending: List[_Row] = []
    for parsed in rows:
        report.rows += 1
        try:
            if isinstance(parsed, RejectedRow):
                raise LoyaltyError(parsed.reason)
            new_order = build_new_order(parsed.customer_id, parsed.submission, source="import", events=parsed.events)
        except LoyaltyError as error:
            report.rejected.append({"line": parsed.line, "reason": error.message})
            progress(1)
            continue
        row = _Row(parsed.line, parsed.customer_id, parsed.profile, new_order)
        number = parsed.line
        order_id = row.new_order.state.order.order_id
        if order_id in seen:
            if seen[order_id] == row.new_order.request_hash:
                report.already_present += 1
            else:
                report.rejected.append({"line": number, "reason": f"order_id {order_id} appears earlier in the file with different data"})
            progress(1)
            continue
        seen[order_id] = row.new_order.request_hash
        customers.add(row.customer_id)
        pending.append(row)
        if len(pending) >= chunk_rows:
            _write(pending, now, report, progress)
            pending = []
    if pending:
        _write(pending, now, report, progress)
    report.customers = len(customers)
    report.seconds = time.perf_counter() - started
    return report


def _write(rows: List[_Row], now: datetime, report: ImportReport, progress: Callable[[int], None]) -> None:
    present = store.existing_order_hashes([row.new_order.state.order.order_id for row in rows])
    by_customer: "OrderedDict[str, List[_Row]]" = OrderedDict()
    for row in rows:
        order_id = row.new_order.state.order.order_id
        if order_id in present:
            _count_existing(row, present[order_id], report)
            progress(1)
            continue
        by_customer.setdefault(row.customer_id, []).append(row)
    for customer_id, customer_rows in by_customer.items():
        profile = {}
        for row in customer_rows:
            profile.update(row.profile)
        if profile:
            with_retries(lambda: store.save_profile(customer_id, with_lookup_hashes(profile), now, settings().base_currency),
                         budget_seconds=settings().retry_budget_seconds)
        for chunk in _chunks(customer_rows):
            _commit_chunk(customer_id, chunk, now, report)
            progress(len(chunk))


def _chunks(rows: List[_Row]) -> Iterator[List[_Row]]:
    """Groups of rows whose items fit one transaction (orders + entries + profile + months)."""
    chunk: List[_Row] = []
    items = 1  # the profile update
    months: set = set()
    for row in rows:
        new_months = {delta.month for delta in row.new_order.deltas} - months
        cost = 1 + len(row.new_order.entries) + len(new_months)
        if chunk and items + cost > MAX_ITEMS_PER_TRANSACTION:
            yield chunk
            chunk, items, months = [], 1, set()
            new_months = {delta.month for delta in row.new_order.deltas}
            cost = 1 + len(row.new_order.entries) + len(new_months)
        chunk.append(row)
        items += cost
        months |= new_months
    if chunk:
        yield chunk


def _commit_chunk(customer_id: str, chunk: List[_Row], now: datetime, report: ImportReport) -> None:
    remaining = list(chunk)
    base = settings().base_currency
    while remaining:
        def attempt() -> None:
            observed = store.load_profile_stats(customer_id)
            store.commit_orders(customer_id, [row.new_order for row in remaining], observed, now, base)

        try:
            with_retries(attempt, budget_seconds=max(settings().retry_budget_seconds, 30))
        except store.OrdersAlreadyExist as exists:
            present = store.existing_order_hashes(exists.order_ids)
            for row in [r for r in remaining if r.new_order.state.order.order_id in present]:
                _count_existing(row, present[row.new_order.state.order.order_id], report)
            remaining = [r for r in remaining if r.new_order.state.order.order_id not in present]
            continue
        report.imported += len(remaining)
        return


def _count_existing(row: _Row, stored: Tuple[str, str], report: ImportReport) -> None:
    request_hash, customer_id = stored
    if request_hash == row.new_order.request_hash and customer_id == row.customer_id:
        report.already_present += 1
    else:
        order_id = row.new_order.state.order.order_id
        report.rejected.append({"line": row.line, "reason": f"order_id {order_id} is already recorded with different data"})
