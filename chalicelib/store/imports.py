"""A fanned-out import's items in ``IMPORT#<import_id>`` (see docs/scale.md, "Imports"):
``STATUS`` (the plan and running totals), ``CHUNK#<n>`` (one per chunk recorded as done),
``FAILED#<n>`` (one per chunk given up on) and ``REPORT`` (event_stream.save_import_report).

A chunk is recorded in one transaction: its ``CHUNK#<n>`` item, written only if absent, and the
``ADD`` of its counts to ``STATUS``. A redelivered chunk finds its item there and adds nothing.
"""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, Iterator, List, Optional

from pynamodb.exceptions import PutError, TransactWriteError

from .models import (
    IMPORT_CHUNK_PREFIX, IMPORT_FAILED_PREFIX, IMPORT_REPORT_SK, IMPORT_STATUS_SK, ImportChunkItem,
    ImportFailedChunkItem, ImportReportItem, ImportStatusItem, key_range,
)
from .retry import cancellation_codes
from .transactions import transact

COUNTS = ("rows", "imported", "already_present", "rejected", "customers")
MAX_PARTIAL_BYTES = 300_000  # an item holds 400 KB; past this the rejected rows are cut (counts stay exact)


def import_pk(import_id: str) -> str:
    return f"IMPORT#{import_id}"


def chunk_sk(prefix: str, chunk: int) -> str:
    return f"{prefix}{chunk:06d}"


@dataclass(frozen=True)
class ImportStatus:
    import_id: str
    source: dict
    planned_at: datetime
    chunks_planned: int
    rows_planned: int
    chunks_done: int
    chunks_failed: int
    counts: Dict[str, int]
    file_error: Optional[str]
    report_location: Optional[str]
    finished: bool
    dispatched: bool = True

    @property
    def complete(self) -> bool:
        """Every planned chunk is either recorded as done or given up on."""
        return self.chunks_done + self.chunks_failed >= self.chunks_planned


@dataclass(frozen=True)
class ChunkOutcome:
    chunk: int
    first_line: int
    last_line: int
    counts: Dict[str, int]
    seconds: float
    rejected_rows: List[dict] = field(default_factory=list)
    notes: List[dict] = field(default_factory=list)


@dataclass(frozen=True)
class FailedChunk:
    chunk: int
    first_line: int
    last_line: int
    reason: str


def create_import(import_id: str, source: dict, planned_at: datetime, chunks: int, rows: int,
                  file_error: Optional[str] = None) -> bool:
    """Write the import's ``STATUS``; False when it exists already (the planner ran before: an S3
    notification delivered twice plans nothing twice)."""
    try:
        ImportStatusItem(import_pk(import_id), IMPORT_STATUS_SK, import_id=import_id, source=source,
                         planned_at=planned_at, chunks_planned=chunks, rows_planned=rows,
                         file_error=file_error).save(condition=ImportStatusItem.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def record_chunk(import_id: str, outcome: ChunkOutcome) -> bool:
    """Record a chunk as done and add its counts to the totals, once: False when it was recorded
    before (a redelivery), and nothing changes then."""
    partial = _packed({"rejected_rows": outcome.rejected_rows, "notes": outcome.notes})
    item = ImportChunkItem(import_pk(import_id), chunk_sk(IMPORT_CHUNK_PREFIX, outcome.chunk), import_id=import_id,
                           chunk=outcome.chunk, first_line=outcome.first_line, last_line=outcome.last_line,
                           seconds=round(outcome.seconds, 3), partial=partial,
                           **{name: int(outcome.counts.get(name, 0)) for name in COUNTS})
    try:
        with transact() as tx:
            tx.save(item, condition=ImportChunkItem.pk.does_not_exist())
            tx.update(ImportStatusItem(import_pk(import_id), IMPORT_STATUS_SK),
                      actions=[ImportStatusItem.chunks_done.add(1)]
                      + [getattr(ImportStatusItem, name).add(int(outcome.counts.get(name, 0))) for name in COUNTS],
                      condition=ImportStatusItem.pk.exists())
    except TransactWriteError as error:
        if cancellation_codes(error)[:1] == ["ConditionalCheckFailed"]:
            return False
        raise
    return True


def record_failed_chunk(import_id: str, failed: FailedChunk, at: datetime) -> bool:
    """Record a chunk given up on (its last delivery failed), once, unless it was done."""
    try:
        with transact() as tx:
            tx.save(ImportFailedChunkItem(import_pk(import_id), chunk_sk(IMPORT_FAILED_PREFIX, failed.chunk),
                                          import_id=import_id, chunk=failed.chunk, first_line=failed.first_line,
                                          last_line=failed.last_line, reason=failed.reason[:2000], failed_at=at),
                    condition=ImportFailedChunkItem.pk.does_not_exist())
            tx.condition_check(ImportChunkItem, import_pk(import_id), chunk_sk(IMPORT_CHUNK_PREFIX, failed.chunk),
                               condition=ImportChunkItem.pk.does_not_exist())
            tx.update(ImportStatusItem(import_pk(import_id), IMPORT_STATUS_SK),
                      actions=[ImportStatusItem.chunks_failed.add(1)], condition=ImportStatusItem.pk.exists())
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancellation_codes(error):
            return False
        raise
    return True


def load_status(import_id: str) -> Optional[ImportStatus]:
    try:
        item = ImportStatusItem.get(import_pk(import_id), IMPORT_STATUS_SK, consistent_read=True)
    except ImportStatusItem.DoesNotExist:
        return None
    finished = ImportReportItem.count(import_pk(import_id), ImportReportItem.sk == IMPORT_REPORT_SK,
                                      consistent_read=True) > 0
    return ImportStatus(item.import_id, dict(item.source or {}), item.planned_at, int(item.chunks_planned),
                        int(item.rows_planned), int(item.chunks_done), int(item.chunks_failed),
                        {name: int(getattr(item, name) or 0) for name in COUNTS}, item.file_error,
                        item.report_location, finished, item.dispatched_at is not None)


def forget_import(import_id: str) -> None:
    """Delete an import's items (a new upload under a finished import's name starts afresh)."""
    from .models import TableItem

    for item in list(TableItem.query(import_pk(import_id), consistent_read=True)):
        item.delete()  # one by one: a re-upload is rare, and the functions may not BatchWriteItem


def set_dispatched(import_id: str, at: datetime) -> None:
    """Every chunk's message is sent: a repeated notification has nothing left to send."""
    ImportStatusItem(import_pk(import_id), IMPORT_STATUS_SK).update(actions=[ImportStatusItem.dispatched_at.set(at)])


def recorded_chunks(import_id: str) -> set:
    """The numbers of the chunks recorded as done or given up on."""
    return {outcome.chunk for outcome in chunk_outcomes(import_id)} | {f.chunk for f in failed_chunks(import_id)}


def set_report_location(import_id: str, location: str) -> None:
    ImportStatusItem(import_pk(import_id), IMPORT_STATUS_SK).update(
        actions=[ImportStatusItem.report_location.set(location)])


def chunk_outcomes(import_id: str) -> Iterator[ChunkOutcome]:
    """The chunks recorded as done, in file order (one paginated Query)."""
    for item in ImportChunkItem.query(import_pk(import_id), key_range(IMPORT_CHUNK_PREFIX), consistent_read=True):
        partial = _unpacked(item.partial)
        yield ChunkOutcome(int(item.chunk), int(item.first_line), int(item.last_line),
                           {name: int(getattr(item, name) or 0) for name in COUNTS}, float(item.seconds or 0),
                           partial.get("rejected_rows", []), partial.get("notes", []))


def failed_chunks(import_id: str) -> List[FailedChunk]:
    return [FailedChunk(int(item.chunk), int(item.first_line), int(item.last_line), item.reason)
            for item in ImportFailedChunkItem.query(import_pk(import_id), key_range(IMPORT_FAILED_PREFIX),
                                                    consistent_read=True)]


def orders_written_at(customers_by_order: Dict[str, str], recorded_at: datetime) -> set:
    """Of these orders (order id -> customer id), those already stored for that customer by an
    import with this clock (``recorded_at``): a killed attempt of the same chunk wrote them."""
    from .models import ORDER_SK, OrderItem, order_pk

    keys = [(order_pk(order_id), ORDER_SK) for order_id in customers_by_order]
    found = set()
    for item in OrderItem.batch_get(keys, consistent_read=True,
                                    attributes_to_get=["order_id", "customer_id", "recorded_at", "source", "item_type"]):
        if (item.source == "import" and item.recorded_at == recorded_at
                and customers_by_order.get(item.order_id) == item.customer_id):
            found.add(item.order_id)
    return found


def _packed(partial: dict) -> bytes:
    packed = zlib.compress(json.dumps(partial, separators=(",", ":")).encode("utf-8"))
    while len(packed) > MAX_PARTIAL_BYTES and partial["rejected_rows"]:
        keep = len(partial["rejected_rows"]) // 2
        partial = {**partial, "rejected_rows": partial["rejected_rows"][:keep], "notes": partial["notes"][:keep],
                   "cut": True}
        packed = zlib.compress(json.dumps(partial, separators=(",", ":")).encode("utf-8"))
    return packed


def _unpacked(packed: Optional[bytes]) -> dict:
    return json.loads(zlib.decompress(packed)) if packed else {}
