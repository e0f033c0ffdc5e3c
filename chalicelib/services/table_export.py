"""``export-table``: write the table to a folder in the format DynamoDB's export to S3 writes
(``AWSDynamoDB/<exportId>/manifest-summary.json``, ``manifest-files.json``, ``data/*.json.gz``),
so batch jobs that read exports (``fit-value-model --from-export``) run against a local table.

A parallel Scan, one gzipped data file per segment written page by page as it is read: unlike
AWS's export it costs read capacity and is not a point-in-time snapshot. On AWS use
``aws dynamodb export-table-to-point-in-time`` (docs/scale.md).
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

from .. import clock
from ..store import batch_reads


def export_table(out_dir: Path, *, segments: int = 4, now: Optional[datetime] = None,
                 progress: Optional[Callable[[int], None]] = None) -> dict:
    """Export every item of the table under ``out_dir``; the manifest summary, with
    ``folder`` (the export's own folder) and ``seconds``."""
    from batch.dynamodb_export import DataFileWriter, EXPORT_FOLDER, new_export_id, write_manifests

    started_at = now or clock.now()
    started = time.perf_counter()
    export_id = new_export_id(started_at)
    folder = Path(out_dir) / EXPORT_FOLDER / export_id
    folder.mkdir(parents=True)
    (folder / "_started").write_bytes(b"")
    lock = threading.Lock()

    def write_segment(segment: int) -> dict:
        writer = DataFileWriter(folder, export_id)
        try:
            for items, scanned in batch_reads.scan_raw_pages(segment, segments):
                writer.write(items)
                if progress:
                    with lock:
                        progress(scanned)
        finally:
            entry = writer.close()
        return entry

    with ThreadPoolExecutor(max_workers=segments) as pool:
        files = list(pool.map(write_segment, range(segments)))
    ended_at = clock.now() if now is None else now
    summary = write_manifests(folder, export_id, batch_reads.table_description(), files, started_at, ended_at)
    return {**summary, "folder": str(folder), "seconds": round(time.perf_counter() - started, 3)}
