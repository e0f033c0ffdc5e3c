"""The S3 trigger of the importer: a file under ``imports/`` is planned into chunks that the
chunk workers import (services/import_fanout.py; docs/scale.md, "Imports"); the merged report
lands beside it under ``import-reports/`` (a different prefix, so writing the report never
triggers another import).

Reading the file's rows is the import file format's work (``chalicelib/api/import_rows.py``, which
checks each row as the API checks a request): the caller passes it in (``describe_head`` and
``read_chunk_rows``), so this service never imports upwards.
"""
from __future__ import annotations

from typing import List
from urllib.parse import unquote_plus

from .import_fanout import ChunkRowReader, HeadReader, import_s3_objects

IMPORT_PREFIX = "imports/"
REPORT_PREFIX = "import-reports/"


def import_s3_event(event: dict, describe_head: HeadReader, read_chunk_rows: ChunkRowReader) -> List[dict]:
    """Plan every object of an S3 ObjectCreated notification that lies under ``imports/``.

    Notifications carry keys URL-encoded with "+" for a space; they are decoded here, exactly
    once (decoding again would turn ``orders+2026.csv`` into ``orders 2026.csv``)."""
    objects = []
    for record in event.get("Records", []):
        s3 = record.get("s3", {})
        bucket, key = s3.get("bucket", {}).get("name"), unquote_plus(s3.get("object", {}).get("key", ""))
        if bucket and key.startswith(IMPORT_PREFIX):
            objects.append((bucket, key, s3.get("object", {}).get("eTag") or s3.get("object", {}).get("sequencer")))
    return import_s3_objects(objects, describe_head, read_chunk_rows) if objects else []
