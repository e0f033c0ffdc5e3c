"""The table's stream to domain events: the use case behind the stream function (Lambda) and the
local consumer of ``make run`` (same code, same Lambda-shaped records).

For each record, in order: map the item change to events (chalicelib/domain/events.py), move
the customer's tier watch for profile and month changes, publish, then store the watch. A
record whose publishing fails stops the batch and is reported as the batch item failure, so
it and the records after it are retried in order (Lambda's ``ReportBatchItemFailures``). A
malformed record is logged without personal data, parked on the dead-letter queue and skipped:
it never blocks the shard. Items the mapping does not know are ignored and counted.
"""
from __future__ import annotations

import logging
from collections import Counter
from typing import Iterable, List, Mapping, Sequence

from ..domain.events import (
    DomainEvent, ItemChange, MalformedChange, advance_tier, credit_expired, events_for, expired_grant, tier_inputs,
    watch_from,
)
from ..store import event_stream as stream
from .rules import current_rules

logger = logging.getLogger("loyalty-api.events")


def handle_stream_batch(records: Sequence[Mapping], publisher) -> dict:
    """Process one batch of Lambda DynamoDB stream records; returns ``{"batchItemFailures": [...]}``."""
    counts: Counter = Counter()
    rules = current_rules()
    for record in records:
        sequence = str((record.get("dynamodb") or {}).get("SequenceNumber", ""))
        try:
            change = stream.change_from_record(record)
            events, watch_step = _events_of(change, rules)
        except MalformedChange as error:
            counts["malformed"] += 1
            note = {"reason": "malformed_record", "problem": str(error), "stream_event_id": record.get("eventID"),
                    "sequence_number": sequence, "event_source_arn": record.get("eventSourceARN")}
            logger.warning("stream record skipped: %s (record %s)", error, record.get("eventID"))
            publisher.dead_letter(note)
            continue
        if not events and watch_step is None:
            counts["unmapped" if change.item_type not in _QUIET else "ignored"] += 1
            continue
        try:
            publisher.publish(events)
            if watch_step is not None:
                watch, read_sequence = watch_step
                stream.save_tier_watch(watch, read_sequence)
        except Exception as error:  # PublishFailed, or the table: retried from this record
            counts["failed"] += 1
            logger.error("stream record not published, retried from it: %s (record %s)",
                         type(error).__name__, record.get("eventID"))
            _log_counts(counts)
            return {"batchItemFailures": [{"itemIdentifier": sequence}]}
        _count_expired(events)
        counts["events"] += len(events)
        counts["mapped"] += 1
    _log_counts(counts)
    return {"batchItemFailures": []}


# Types that are never events (the consumer's own writes, read models): not worth a count.
_QUIET = {"tier_watch", "ledger", "purchase_day", "address", "promotion_use", "promotion_budget", "credit_grant",
          "month", "credit_expiry"}


def _events_of(change: ItemChange, rules):
    expired = expired_grant(change)
    if expired is not None:  # Time to Live removed a grant's expiry marker: what was left of it expired
        grant = stream.credit_grant_image(*expired)
        if grant is None:
            raise MalformedChange("credit expiry marker of a grant that is not there")
        return credit_expired(grant, change.at), None
    events: List[DomainEvent] = list(events_for(change))
    inputs = tier_inputs(change)
    if inputs is None:
        return events, None
    customer_id, _ = inputs
    watch = stream.load_tier_watch(customer_id)
    read_sequence = None if watch is None else watch.sequence
    if watch is None:
        profile, months = _inputs_before(change, customer_id)
        watch = watch_from(customer_id, profile, months, rules.tiers, change.at, rules.base_currency)
    watch, tier_events = advance_tier(watch, change, rules.tiers, rules.base_currency)
    return events + tier_events, (watch, read_sequence)


def _inputs_before(change: ItemChange, customer_id: str):
    """A first watch starts from the table as it is now, minus this change where it can tell.
    For a new customer (the profile's first write) that is nothing at all: exact."""
    if change.item_type == "profile" and change.old is None:
        return None, {}
    profile, months = stream.tier_inputs_now(customer_id)
    if change.item_type == "profile":
        profile = change.old
    elif change.item_type == "month":
        month = change.new.get("month")
        if change.old is None:
            months.pop(month, None)
        else:
            months[month] = (int(change.old.get("orders") or 0), int(change.old.get("net_spend") or 0))
    return profile, months


def _count_expired(events: Sequence[DomainEvent]) -> None:
    """The ``CreditExpired`` business metric (EMF), once the expiry is announced."""
    pending = [("CreditExpired", event.detail["amount"]["amount"], "None",
                (("source", event.detail.get("source") or "unknown"),))
               for event in events if event.type == "credit.expired"]
    if pending:
        from ..observability import flush_metrics

        flush_metrics(pending)


def _log_counts(counts: Counter) -> None:
    if counts:
        logger.info("stream batch: %s", ", ".join(f"{name}={value}" for name, value in sorted(counts.items())))


def consume(batches: Iterable, publisher, on_failure) -> int:
    """Feed ``(shard, records)`` batches to :func:`handle_stream_batch`; a reported failure is
    handed to ``on_failure(shard, sequence)`` to read it again. Returns records seen."""
    seen = 0
    for shard, records in batches:
        answer = handle_stream_batch(records, publisher)
        seen += len(records)
        for failure in answer["batchItemFailures"]:
            on_failure(shard, failure["itemIdentifier"])
    return seen
