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
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from .. import clock
from ..config import settings
from ..domain.customer import CustomerStats
from ..domain.errors import LoyaltyError
from ..domain.ledger import OrderEvent, OrderSubmission
from ..store import addresses as addresses_store
from ..store import customers as customers_store
from ..store import orders as orders_store
from ..store.retry import with_retries
from .customers import contact_identity, with_lookup_hashes
from .orders import build_new_order

MAX_ITEMS_PER_TRANSACTION = 100


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    already_present: int = 0
    customers: int = 0
    rejected: List[dict] = field(default_factory=list)
    notes: List[dict] = field(default_factory=list)
    seconds: float = 0.0
    file_error: Optional[str] = None

    def to_json(self) -> dict:
        return {
            **({"file_error": self.file_error} if self.file_error else {}),
            "rows": self.rows,
            "imported": self.imported,
            "already_present": self.already_present,
            "rejected": len(self.rejected),
            "customers": self.customers,
            "seconds": round(self.seconds, 3),
            "rejected_rows": self.rejected,
            "notes": self.notes,
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


class UnreadableImportFile(LoyaltyError):
    """The file cannot be read as rows at all (not text, not an order CSV): reported, nothing imported."""


@dataclass
class _Row:
    line: int
    customer_id: str
    profile: Dict[str, object]
    new_order: orders_store.NewOrder


def import_orders(
    rows: Iterable[Union[ImportRow, RejectedRow]],
    *,
    now: Optional[datetime] = None,
    progress: Callable[[int], None] = lambda n: None,
    chunk_rows: int = 50_000,
    workers: Optional[int] = None,
) -> ImportReport:
    """Import rows; valid rows go in even when others are rejected (each rejection is reported)."""
    started = time.perf_counter()
    now = now or clock.now()
    workers = workers or settings().import_workers
    report = ImportReport()
    seen: Dict[str, str] = {}  # order_id -> request hash, for duplicates inside the file
    customers = set()
    pending: List[_Row] = []
    for parsed in _readable(rows, report):
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
            _write(pending, now, report, progress, workers)
            pending = []
    if pending:
        _write(pending, now, report, progress, workers)
    report.customers = len(customers)
    report.seconds = time.perf_counter() - started
    return report


def _readable(rows: Iterable[Union[ImportRow, RejectedRow]], report: ImportReport
              ) -> Iterator[Union[ImportRow, RejectedRow]]:
    """The rows; a file that cannot be read as rows ends them, its reason kept in the report."""
    try:
        yield from rows
    except UnreadableImportFile as error:
        report.file_error = error.message


def _write(rows: List[_Row], now: datetime, report: ImportReport, progress: Callable[[int], None],
           workers: int) -> None:
    """Write a batch of rows: one BatchGet for the orders already present, one for the
    customers' profiles and the address book entries the rows ship to, then each customer's
    orders in its own transactions. Customers are independent, so they are written in
    parallel; one customer's chunks stay in order."""
    present = orders_store.existing_order_hashes([row.new_order.state.order.order_id for row in rows])
    by_customer: "OrderedDict[str, List[_Row]]" = OrderedDict()
    for row in rows:
        order_id = row.new_order.state.order.order_id
        if order_id in present:
            _count_existing(row, present[order_id], report)
            progress(1)
            continue
        by_customer.setdefault(row.customer_id, []).append(row)
    observed, observed_addresses = customers_store.load_write_state_many(
        list(by_customer), [(customer_id, address_id) for customer_id, customer_rows in by_customer.items()
                            for address_id in _address_ids(customer_rows)])
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_write_customer, customer_id, customer_rows, observed.get(customer_id),
                               {address_id: times for (owner, address_id), times in observed_addresses.items()
                                if owner == customer_id}, now)
                   for customer_id, customer_rows in by_customer.items()]
        for future in as_completed(futures):
            outcome = future.result()  # a bug raises here; a busy table is reported per row below
            report.imported += outcome.imported
            report.already_present += outcome.already_present
            report.rejected.extend(outcome.rejected)
            report.notes.extend(outcome.notes)
            progress(outcome.rows)


def _address_ids(rows: List[_Row]) -> List[str]:
    """The address book entries these rows ship to, each once."""
    return list(dict.fromkeys(row.new_order.address_use.address_id for row in rows
                              if row.new_order.address_use is not None))


def _write_customer(customer_id: str, rows: List[_Row], observed: Optional[CustomerStats],
                    observed_addresses: Dict[str, addresses_store.AddressTimes], now: datetime) -> ImportReport:
    outcome = ImportReport(rows=len(rows))
    profile = _newest_profile(customer_id, rows, outcome.notes)
    for chunk in _chunks(rows):
        try:
            observed, observed_addresses = _commit_chunk(customer_id, chunk, now, outcome, observed,
                                                         observed_addresses, with_lookup_hashes(profile))
        except LoyaltyError as error:  # e.g. DynamoDB stayed busy past the retry budget
            outcome.rejected.extend({"line": row.line, "reason": f"not written: {error.message}"} for row in chunk)
        profile = {}
    return outcome


def _newest_profile(customer_id: str, rows: List[_Row], notes: List[dict]) -> Dict[str, object]:
    """The contact details the customer's newest row (by ``placed_at``) carries, field by field.

    Rows that disagree about a field are not an error: the newest wins and a note says so
    (naming lines and fields, never the values, which are personal data). The import then
    only fills fields the profile does not have yet (see ``orders_store.commit_orders``).
    """
    ordered = sorted(rows, key=lambda row: (row.new_order.state.order.placed_at, row.line))
    profile: Dict[str, object] = {}
    for name in sorted({name for row in ordered for name in row.profile}):
        carrying = [row for row in ordered if row.profile.get(name) is not None]
        if not carrying:
            continue
        newest = carrying[-1]
        profile[name] = newest.profile[name]
        others = sorted(row.line for row in carrying if row.profile[name] != profile[name])
        if others:
            notes.append({"customer_id": customer_id, "field": name, "line": newest.line,
                          "note": f"rows disagree about {name}; kept the newest order's (line {newest.line}), "
                                  f"other values on line{'s' if len(others) > 1 else ''} {', '.join(map(str, others[:10]))}"
                                  + (" and more" if len(others) > 10 else "")})
    return profile


def _chunks(rows: List[_Row]) -> Iterator[List[_Row]]:
    """Groups of rows whose items fit one transaction: per order its item and ledger entries,
    plus one profile update and one update per month and per address the group touches, and
    the identity items (up to two for the file's email and phone, one per delivered address)."""
    chunk: List[_Row] = []
    items = 3  # the profile update, the email and phone identity items
    shared: set = set()  # months and addresses already counted in this chunk

    def shared_keys(row: _Row) -> set:
        keys = {("month", delta.month) for delta in row.new_order.deltas}
        keys |= {("day", delta.day) for delta in row.new_order.deltas if delta.day}
        if row.new_order.address_use is not None:
            keys.add(("address", row.new_order.address_use.address_id))
            if row.new_order.address_use.identity_key:
                keys.add(("identity", row.new_order.address_use.address_id))
        return keys

    for row in rows:
        keys = shared_keys(row)
        cost = 1 + len(row.new_order.entries) + len(keys - shared)
        if chunk and items + cost > MAX_ITEMS_PER_TRANSACTION:
            yield chunk
            chunk, items, shared = [], 3, set()
            cost = 1 + len(row.new_order.entries) + len(keys)
        chunk.append(row)
        items += cost
        shared |= keys
    if chunk:
        yield chunk


def _commit_chunk(customer_id: str, chunk: List[_Row], now: datetime, report: ImportReport,
                  observed: Optional[CustomerStats], observed_addresses: Dict[str, addresses_store.AddressTimes],
                  profile: Dict[str, object]
                  ) -> Tuple[Optional[CustomerStats], Dict[str, addresses_store.AddressTimes]]:
    """Commit one transaction's worth of a customer's orders; returns what the profile and the
    address book entries now look like as far as the next chunk's conditions need."""
    remaining = list(chunk)
    base = settings().base_currency
    known = [(observed, observed_addresses)]  # what the batch read; any retry reads both afresh

    while remaining:
        def attempt() -> None:
            nonlocal observed, observed_addresses
            if known:
                observed, observed_addresses = known.pop()
            else:  # a conflict (another chunk of this customer, a racing order or event): read again
                observed, observed_addresses = customers_store.load_write_state(customer_id, _address_ids(remaining))
            orders_store.commit_orders(customer_id, [row.new_order for row in remaining], observed, now, base,
                                       profile_fields=profile, identity=contact_identity(profile),
                                       observed_addresses=observed_addresses)

        try:
            with_retries(attempt, budget_seconds=max(settings().retry_budget_seconds, 30))
        except orders_store.OrdersAlreadyExist as exists:
            present = orders_store.existing_order_hashes(exists.order_ids)
            for row in [r for r in remaining if r.new_order.state.order.order_id in present]:
                _count_existing(row, present[row.new_order.state.order.order_id], report)
            remaining = [r for r in remaining if r.new_order.state.order.order_id not in present]
            continue
        report.imported += len(remaining)
        return _widened(observed, remaining), _addresses_after(observed_addresses, remaining)
    return observed, observed_addresses


def _addresses_after(observed: Dict[str, addresses_store.AddressTimes], rows: List[_Row]
                     ) -> Dict[str, addresses_store.AddressTimes]:
    """The address book entries' times after these rows, without reading them again."""
    after = dict(observed)
    for use in addresses_store.merged_address_uses(row.new_order.address_use for row in rows):
        after[use.address_id] = addresses_store.times_after(after.get(use.address_id, addresses_store.NO_ENTRY), use)
    return after


def _widened(observed: Optional[CustomerStats], rows: List[_Row]) -> CustomerStats:
    """The first/last order time after these rows, without reading the profile again."""
    times = [row.new_order.state.order.placed_at for row in rows if row.new_order.state.status != "cancelled"]
    first = observed.first_order_at if observed else None
    last = observed.last_order_at if observed else None
    if times:
        first = min([t for t in (first, min(times)) if t is not None])
        last = max([t for t in (last, max(times)) if t is not None])
    seen = [row.new_order.state.order.placed_at for row in rows] + ([observed.first_seen_at] if observed else [])
    return CustomerStats(first_order_at=first, last_order_at=last,
                         first_seen_at=min((t for t in seen if t is not None), default=None))


def _count_existing(row: _Row, stored: Tuple[str, str], report: ImportReport) -> None:
    request_hash, customer_id = stored
    if request_hash == row.new_order.request_hash and customer_id == row.customer_id:
        report.already_present += 1
    else:
        order_id = row.new_order.state.order.order_id
        report.rejected.append({"line": row.line, "reason": f"order_id {order_id} is already recorded with different data"})
