"""The items of the table's background jobs, outside every customer's partition: the events
consumer's tier watch and a fanned-out import's plan, chunks and report (``IMPORT#<import_id>``;
store/imports.py). ``models.py`` re-exports them.
"""
from __future__ import annotations

from pynamodb.attributes import BinaryAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from .table_item import TableItem

TIER_WATCH_SK = "EVENTS#TIER"
IMPORT_REPORT_SK = "REPORT"


class TierWatchItem(TableItem, discriminator="tier_watch"):
    """The events consumer's view of one customer's tier inputs and the tier it last announced
    (chalicelib/domain/events.py: TierWatch). Outside ``PROFILE``: quotes never read it."""

    customer_id = UnicodeAttribute()
    watch = JSONAttribute()
    sequence = UnicodeAttribute()  # the last stream sequence number applied


class ImportReportItem(TableItem, discriminator="import_report"):
    """``IMPORT#<import_id>`` / ``REPORT``: an import's counts and where its full report is,
    written once when the import has committed (the source of ``import.finished``)."""

    import_id = UnicodeAttribute()
    finished_at = UTCDateTimeAttribute()
    rows = NumberAttribute(default=0)
    imported = NumberAttribute(default=0)
    already_present = NumberAttribute(default=0)
    rejected = NumberAttribute(default=0)
    customers = NumberAttribute(default=0)
    report_location = UnicodeAttribute(null=True)


IMPORT_STATUS_SK = "STATUS"
IMPORT_CHUNK_PREFIX = "CHUNK#"
IMPORT_FAILED_PREFIX = "FAILED#"


class ImportStatusItem(TableItem, discriminator="import_status"):
    """``IMPORT#<import_id>`` / ``STATUS``: a fanned-out import's plan and running totals, each
    counter changed by ``ADD`` in the transaction that records one chunk (store/imports.py)."""

    import_id = UnicodeAttribute()
    source = JSONAttribute()  # where the file is: {"kind": "s3", "bucket", "key"} or {"kind": "file", "path"}
    planned_at = UTCDateTimeAttribute()  # the import's clock: every chunk parses and records with it
    chunks_planned = NumberAttribute(default=0)
    rows_planned = NumberAttribute(default=0)  # lines after the header, blank ones included
    chunks_done = NumberAttribute(default=0)
    chunks_failed = NumberAttribute(default=0)
    rows = NumberAttribute(default=0)
    imported = NumberAttribute(default=0)
    already_present = NumberAttribute(default=0)
    rejected = NumberAttribute(default=0)
    customers = NumberAttribute(default=0)
    file_error = UnicodeAttribute(null=True)
    report_location = UnicodeAttribute(null=True)
    # Set once every chunk's message is sent. A planner killed before that leaves it unset, and
    # the notification's retry sends the chunks not yet recorded instead of planning nothing.
    dispatched_at = UTCDateTimeAttribute(null=True)


class ImportChunkItem(TableItem, discriminator="import_chunk"):
    """``IMPORT#<import_id>`` / ``CHUNK#<n>``: one chunk recorded as done (written only if
    absent, with the totals' ADD: a redelivered chunk counts once). ``partial`` holds the
    chunk's rejected rows and notes, zlib-compressed JSON, for the merged report."""

    import_id = UnicodeAttribute()
    chunk = NumberAttribute()
    first_line = NumberAttribute()
    last_line = NumberAttribute()
    rows = NumberAttribute(default=0)
    imported = NumberAttribute(default=0)
    already_present = NumberAttribute(default=0)
    rejected = NumberAttribute(default=0)
    customers = NumberAttribute(default=0)
    seconds = NumberAttribute(default=0)
    partial = BinaryAttribute(null=True, legacy_encoding=False)


class ImportFailedChunkItem(TableItem, discriminator="import_failed_chunk"):
    """``IMPORT#<import_id>`` / ``FAILED#<n>``: a chunk that failed its last delivery and went
    to the dead-letter queue; its lines were not imported (the report says so)."""

    import_id = UnicodeAttribute()
    chunk = NumberAttribute()
    first_line = NumberAttribute()
    last_line = NumberAttribute()
    reason = UnicodeAttribute()
    failed_at = UTCDateTimeAttribute()
