"""The S3 trigger of the importer: a file under ``imports/`` goes through the same import
as ``python -m chalicelib.cli import``; the report lands beside it under ``import-reports/``
(a different prefix, so writing the report never triggers another import).

Reading the file's rows is the import file format's work (``chalicelib/api/import_rows.py``, which
checks each row as the API checks a request): the caller passes it in as ``read_rows``, so this
service never imports upwards.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Union
from urllib.parse import unquote_plus

from .importer import ImportRow, RejectedRow, import_orders

RowReader = Callable[[Any, str, datetime], Iterable[Union[ImportRow, RejectedRow]]]
"""``read_rows(body, key, now)``: the rows of an S3 object's body (a binary stream)."""

IMPORT_PREFIX = "imports/"
REPORT_PREFIX = "import-reports/"
logger = logging.getLogger("loyalty-api.import")


def import_s3_object(bucket: str, key: str, read_rows: RowReader) -> dict:
    """Import the object ``key`` (the object's real key, already decoded) and write its report."""
    import boto3  # paid only by the import function, never by the API's cold start

    s3 = boto3.client("s3")
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    now = datetime.now(timezone.utc)
    report = import_orders(read_rows(body, key, now), now=now).to_json()
    report.update({"bucket": bucket, "key": key, "finished_at": datetime.now(timezone.utc).isoformat()})
    report_key = REPORT_PREFIX + key.split("/", 1)[-1] + ".report.json"
    s3.put_object(Bucket=bucket, Key=report_key, Body=json.dumps(report, indent=2).encode("utf-8"),
                  ContentType="application/json")
    # The committed record of the finished import: the table's stream announces it (import.finished).
    from ..store.event_stream import save_import_report

    save_import_report(key.split("/", 1)[-1], datetime.now(timezone.utc), report, f"s3://{bucket}/{report_key}")
    logger.info("import of s3 object finished: rows=%s imported=%s already_present=%s rejected=%s file_error=%s",
                report["rows"], report["imported"], report["already_present"], report["rejected"],
                report.get("file_error"))
    return report


def import_s3_event(event: dict, read_rows: RowReader) -> list:
    """Import every object of an S3 ObjectCreated notification that lies under ``imports/``.

    Notifications carry keys URL-encoded with "+" for a space; they are decoded here, exactly
    once (decoding again would turn ``orders+2026.csv`` into ``orders 2026.csv``)."""
    reports = []
    for record in event.get("Records", []):
        s3 = record.get("s3", {})
        bucket, key = s3.get("bucket", {}).get("name"), unquote_plus(s3.get("object", {}).get("key", ""))
        if bucket and key.startswith(IMPORT_PREFIX):
            reports.append(import_s3_object(bucket, key, read_rows))
    return reports
