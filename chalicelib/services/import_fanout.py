"""Store-sized imports (issue 19): a file is planned into chunks, each chunk is imported apart
(an SQS message to the chunk worker on AWS, a process of a local pool under the CLI), and the
last chunk to finish writes the merged report. docs/scale.md, "Imports", tells the whole story.

- **Plan** (:func:`start_import`): the file is streamed once into row-aligned byte ranges
  (services/import_plan.py); ``IMPORT#<id>``/``STATUS`` records the plan; one message per chunk.
- **Chunk** (:func:`import_chunk`): reads its byte range, imports its rows with
  :func:`importer.import_orders` under the plan's clock, then records itself: its ``CHUNK#<n>``
  item only if absent, with the ``ADD`` of its counts, in one transaction (store/imports.py).
  A redelivered chunk writes no order twice (orders are idempotent by id) and counts nothing twice.
- **Finish** (:func:`finish_if_complete`): whoever sees every chunk done or failed merges the
  chunks' counts, rejected rows and notes into the report of a one-process import, writes it
  beside the file, and writes ``REPORT`` only if absent: ``import.finished`` fires once.
- **Failure**: a chunk whose last delivery fails is recorded as ``FAILED#<n>`` (then SQS moves
  its message to the dead-letter queue); the report names its lines as not imported.

Reading rows is the import file format's work (chalicelib/api/import_rows.py): callers pass
``read_chunk_rows`` and ``describe_head`` in, so this service never imports upwards.
"""
from __future__ import annotations

import io
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Callable, Iterable, List, Optional, Sequence, Union

from .. import clock
from ..store import imports as imports_store
from .import_plan import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, HeadReader, ImportPlan, plan_chunks
from .importer import ImportRow, RejectedRow, import_orders

ChunkRowReader = Callable[[IO[str], str, Optional[str], int, datetime], Iterable[Union[ImportRow, RejectedRow]]]
"""``read_chunk_rows(text, kind, header, first_line, now)``: the rows of one chunk's text."""

Dispatch = Callable[[List[dict]], None]
"""Hands the chunk messages to workers: an SQS queue, a local process pool, or this process."""

REPORT_PREFIX = "import-reports/"
QUEUE_URL_VARIABLE = "LOYALTY_IMPORT_QUEUE_URL"
MAX_RECEIVES_VARIABLE = "LOYALTY_IMPORT_MAX_RECEIVES"
logger = logging.getLogger("loyalty-api.import")


@dataclass(frozen=True)
class ChunkLimits:
    max_rows: int = DEFAULT_MAX_ROWS
    max_bytes: int = DEFAULT_MAX_BYTES

    @classmethod
    def from_environment(cls) -> "ChunkLimits":
        return cls(int(os.environ.get("LOYALTY_IMPORT_CHUNK_ROWS", DEFAULT_MAX_ROWS)),
                   int(os.environ.get("LOYALTY_IMPORT_CHUNK_BYTES", DEFAULT_MAX_BYTES)))


# ------------------------------------------------------------------ planning


def start_import(import_id: str, source: dict, read: Callable[[int], bytes], filename: str,
                 describe_head: HeadReader, dispatch: Dispatch, now: Optional[datetime] = None,
                 limits: ChunkLimits = ChunkLimits()) -> ImportPlan:
    """Plan the file that ``read`` streams, record the plan, and dispatch one message a chunk.

    The same upload notified twice plans nothing twice (``STATUS`` exists with the same source);
    a new upload under the same name replaces the finished import's items."""
    now = now or clock.now()
    plan = plan_chunks(read, filename, describe_head, limits.max_rows, limits.max_bytes)
    status = imports_store.load_status(import_id)
    if status is not None:
        if status.source == source:
            if status.dispatched or status.finished:
                logger.info("import %s planned already: notification repeated", import_id)
            else:
                _resume(import_id, source, plan, status, dispatch)
            return plan
        imports_store.forget_import(import_id)
    if not imports_store.create_import(import_id, source, now, len(plan.chunks), plan.rows, plan.file_error):
        return plan
    logger.info("import %s planned: chunks=%s rows=%s file_error=%s", import_id, len(plan.chunks), plan.rows,
                plan.file_error)
    if plan.chunks:
        dispatch([chunk_message(import_id, source, plan, chunk.to_json(), now) for chunk in plan.chunks])
    imports_store.set_dispatched(import_id, clock.now())
    finish_if_complete(import_id)
    return plan


def _resume(import_id: str, source: dict, plan: ImportPlan, status: imports_store.ImportStatus,
            dispatch: Dispatch) -> None:
    """The planner before this one was killed between recording the plan and sending every chunk
    (the notification is retried after a failed invocation): send the chunks not recorded yet,
    with the import's first clock. A chunk it did send that a worker is still running then runs
    twice at once: its writes stay exact (each order once) and it is recorded once, but the run
    recorded may count orders its twin wrote as already present (docs/scale.md, "Imports")."""
    if len(plan.chunks) != status.chunks_planned:  # the chunk limits changed since: a new plan would not add up
        logger.error("import %s: %s chunks planned before, %s now; upload the file again to restart it",
                     import_id, status.chunks_planned, len(plan.chunks))
        return
    recorded = imports_store.recorded_chunks(import_id)
    messages = [chunk_message(import_id, source, plan, chunk.to_json(), status.planned_at)
                for chunk in plan.chunks if chunk.number not in recorded]
    logger.info("import %s: its planner stopped before sending every chunk; sending %s not recorded yet",
                import_id, len(messages))
    if messages:
        dispatch(messages)
    imports_store.set_dispatched(import_id, clock.now())
    finish_if_complete(import_id)


def chunk_message(import_id: str, source: dict, plan: ImportPlan, chunk: dict, now: datetime) -> dict:
    """What a worker needs to import one chunk alone (an SQS message body, well under 256 KB)."""
    return {"import_id": import_id, "source": source, "kind": plan.kind, "header": plan.header,
            "planned_at": now.isoformat(), "chunks": len(plan.chunks), "chunk": chunk}


# ------------------------------------------------------------------ one chunk


def import_chunk(message: dict, read_chunk_rows: ChunkRowReader, workers: Optional[int] = None,
                 redelivered: bool = False) -> imports_store.ChunkOutcome:
    """Import one chunk's rows and record the chunk once; finish the import when it was the last.

    A ``redelivered`` chunk may find orders that its killed attempt wrote: they were imported by
    this import (stored with its clock as ``recorded_at``), so they count as imported, as in a
    one-process import, not as already present."""
    import time

    started = time.perf_counter()
    chunk = message["chunk"]
    now = datetime.fromisoformat(message["planned_at"])
    data = read_range(message["source"], chunk["start"], chunk["end"])
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig" if chunk["start"] == 0 else "utf-8",
                            errors="surrogateescape", newline="")
    rows: Iterable[Union[ImportRow, RejectedRow]] = read_chunk_rows(text, message["kind"], message["header"],
                                                                    chunk["first_line"], now)
    written_before: set = set()
    if redelivered:  # one chunk's rows, bounded by the plan: held to look for an earlier attempt's orders
        rows = list(rows)
        written_before = imports_store.orders_written_at(
            {row.submission.order_id: row.customer_id for row in rows if isinstance(row, ImportRow)}, now)
    report = import_orders(rows, now=now, workers=workers)
    report.imported += len(written_before)
    report.already_present -= len(written_before)
    outcome = imports_store.ChunkOutcome(
        chunk["number"], chunk["first_line"], chunk["last_line"],
        {"rows": report.rows, "imported": report.imported, "already_present": report.already_present,
         "rejected": len(report.rejected), "customers": report.customers},
        time.perf_counter() - started, sorted(report.rejected, key=lambda row: row["line"]), report.notes)
    recorded = imports_store.record_chunk(message["import_id"], outcome)
    logger.info("import %s chunk %s/%s %s: rows=%s imported=%s already_present=%s rejected=%s",
                message["import_id"], chunk["number"], message["chunks"],
                "recorded" if recorded else "was recorded before (redelivered)", report.rows, report.imported,
                report.already_present, len(report.rejected))
    finish_if_complete(message["import_id"])
    return outcome


def give_up_chunk(message: dict, reason: str) -> None:
    """The chunk's last delivery failed: record its lines as not imported (its message goes on
    to the dead-letter queue), and finish the import if that was the last chunk outstanding."""
    chunk = message["chunk"]
    failed = imports_store.FailedChunk(chunk["number"], chunk["first_line"], chunk["last_line"], reason)
    if imports_store.record_failed_chunk(message["import_id"], failed, clock.now()):
        logger.error("import %s chunk %s (lines %s-%s) given up: %s", message["import_id"], chunk["number"],
                     chunk["first_line"], chunk["last_line"], reason)
    finish_if_complete(message["import_id"])


def handle_chunk_record(body: str, receive_count: int, read_chunk_rows: ChunkRowReader) -> None:
    """One SQS record of the chunk queue. An exception leaves the message to SQS: redelivered
    after the visibility timeout, and on to the dead-letter queue after the last receive, which
    is recorded first (``LOYALTY_IMPORT_MAX_RECEIVES``, the queue's maxReceiveCount)."""
    message = json.loads(body)
    try:
        import_chunk(message, read_chunk_rows, redelivered=receive_count > 1)
    except Exception as error:
        if receive_count >= int(os.environ.get(MAX_RECEIVES_VARIABLE, "5")):
            give_up_chunk(message, f"{type(error).__name__}: {error}")
        raise


# ------------------------------------------------------------------ the end


def finish_if_complete(import_id: str) -> Optional[dict]:
    """When every chunk is done or failed: the merged report, written beside the file, and the
    ``REPORT`` item (once). None while chunks are outstanding or when it was finished before."""
    from ..store.event_stream import save_import_report

    status = imports_store.load_status(import_id)
    if status is None or not status.complete or status.finished:
        return None
    report = merged_report(status)
    location = write_report(status.source, report)
    if location:
        imports_store.set_report_location(import_id, location)
    if save_import_report(import_id, clock.now(), report, location, once=True):
        logger.info("import %s finished: rows=%s imported=%s already_present=%s rejected=%s failed_chunks=%s",
                    import_id, report["rows"], report["imported"], report["already_present"], report["rejected"],
                    len(report.get("not_imported", [])))
    return report


def merged_report(status: imports_store.ImportStatus) -> dict:
    """The report of a one-process import of the same file, from the chunks' records: counts,
    rejected rows and notes in line order; failed chunks' lines under ``not_imported``."""
    rejected_rows: List[dict] = []
    notes: List[dict] = []
    cut = False
    for outcome in imports_store.chunk_outcomes(status.import_id):
        rejected_rows.extend(outcome.rejected_rows)
        notes.extend(outcome.notes)
        cut = cut or len(outcome.rejected_rows) < outcome.counts["rejected"]
    failed = imports_store.failed_chunks(status.import_id)
    finished = clock.now()
    report: dict = {
        **({"file_error": status.file_error} if status.file_error else {}),
        **status.counts,
        "seconds": round((finished - status.planned_at).total_seconds(), 3),
        "rejected_rows": rejected_rows,
        "notes": notes,
    }
    report["rejected"] = status.counts["rejected"]
    if cut:
        report["rejected_rows_cut"] = "some chunks rejected too many rows to keep them all; the counts are exact"
    if failed:
        report["not_imported"] = [{"chunk": f.chunk, "first_line": f.first_line, "last_line": f.last_line,
                                   "lines": f"{f.first_line}-{f.last_line}", "reason": f.reason,
                                   "note": "these lines were not imported: their chunk failed and is on the "
                                           "dead-letter queue"} for f in failed]
    report.update(import_id=status.import_id, chunks=status.chunks_planned, chunks_failed=len(failed))
    if status.source.get("kind") == "s3":
        report.update(bucket=status.source["bucket"], key=status.source["key"], finished_at=finished.isoformat())
    return report


def import_status(import_id: str) -> Optional[dict]:
    """Where an import stands, for ``cli import status`` (None for an unknown id)."""
    status = imports_store.load_status(import_id)
    if status is None:
        return None
    failed = imports_store.failed_chunks(import_id)
    state = "finished" if status.finished else ("failed chunks outstanding" if failed else "running")
    return {"import_id": import_id, "state": state, "source": status.source,
            "planned_at": status.planned_at.isoformat(), "chunks_planned": status.chunks_planned,
            "chunks_done": status.chunks_done, "chunks_failed": status.chunks_failed, "rows_planned": status.rows_planned,
            **status.counts, **({"file_error": status.file_error} if status.file_error else {}),
            "failed_chunks": [{"chunk": f.chunk, "lines": f"{f.first_line}-{f.last_line}", "reason": f.reason}
                              for f in failed],
            "report_location": status.report_location}


# ------------------------------------------------------------------ where the bytes are


def read_range(source: dict, start: int, end: int) -> bytes:
    """Bytes ``[start, end)`` of the import file (a ranged GET in S3): one chunk, bounded in size."""
    if end <= start:
        return b""
    if source["kind"] == "s3":
        import boto3  # paid only by the import functions

        answer = boto3.client("s3").get_object(Bucket=source["bucket"], Key=source["key"],
                                               Range=f"bytes={start}-{end - 1}")
        return answer["Body"].read()
    with open(source["path"], "rb") as stream:
        stream.seek(start)
        return stream.read(end - start)


def write_report(source: dict, report: dict) -> Optional[str]:
    """The merged report beside an S3 file (``import-reports/<name>.report.json``); a local
    import's report is printed by the CLI instead (None)."""
    if source.get("kind") != "s3":
        return None
    import boto3

    key = REPORT_PREFIX + source["key"].split("/", 1)[-1] + ".report.json"
    boto3.client("s3").put_object(Bucket=source["bucket"], Key=key, Body=json.dumps(report, indent=2).encode("utf-8"),
                                  ContentType="application/json")
    return f"s3://{source['bucket']}/{key}"


# ------------------------------------------------------------------ dispatchers


def sqs_dispatch(queue_url: str) -> Dispatch:
    """Send the messages to the chunk queue, ten a request."""
    import boto3

    sqs = boto3.client("sqs")

    def dispatch(messages: List[dict]) -> None:
        for first in range(0, len(messages), 10):
            batch = messages[first:first + 10]
            entries = [{"Id": str(n), "MessageBody": json.dumps(m)} for n, m in enumerate(batch)]
            answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
            if answer.get("Failed"):
                failed = {int(entry["Id"]) for entry in answer["Failed"]}
                for n in sorted(failed):  # one by one: a failure now is raised, and S3 retries the planner
                    sqs.send_message(QueueUrl=queue_url, MessageBody=entries[n]["MessageBody"])

    return dispatch


def inline_dispatch(read_chunk_rows: ChunkRowReader, attempts: int = 1) -> Dispatch:
    """Import the chunks here, one after another (tests on moto, a stage without a queue): the
    same worker code, with a chunk failing ``attempts`` times given up on as SQS would."""
    def dispatch(messages: List[dict]) -> None:
        for message in messages:
            run_with_attempts(message, read_chunk_rows, attempts)

    return dispatch


def run_with_attempts(message: dict, read_chunk_rows: ChunkRowReader, attempts: int) -> None:
    for attempt in range(1, attempts + 1):
        try:
            import_chunk(message, read_chunk_rows, redelivered=attempt > 1)
            return
        except Exception as error:  # noqa: BLE001 - a chunk's failure is reported, the import goes on
            logger.warning("import %s chunk %s attempt %s failed: %s", message["import_id"],
                           message["chunk"]["number"], attempt, error)
            if attempt == attempts:
                give_up_chunk(message, f"{type(error).__name__}: {error}")


def import_s3_objects(records: Sequence[tuple], describe_head: HeadReader, read_chunk_rows: ChunkRowReader,
                      dispatch: Optional[Dispatch] = None) -> List[dict]:
    """Plan each uploaded ``(bucket, key, etag)``; the import id is the key without ``imports/``.
    Without a queue (``LOYALTY_IMPORT_QUEUE_URL`` unset) the chunks run here, one by one."""
    import boto3

    if dispatch is None:
        queue_url = os.environ.get(QUEUE_URL_VARIABLE)
        dispatch = sqs_dispatch(queue_url) if queue_url else inline_dispatch(read_chunk_rows)
    s3 = boto3.client("s3")
    answers = []
    for bucket, key, etag in records:
        import_id = key.split("/", 1)[-1]
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        plan = start_import(import_id, {"kind": "s3", "bucket": bucket, "key": key, "etag": etag}, body.read,
                            key, describe_head, dispatch, limits=ChunkLimits.from_environment())
        answers.append({"import_id": import_id, "chunks": len(plan.chunks), "rows": plan.rows,
                        **({"file_error": plan.file_error} if plan.file_error else {})})
    return answers
