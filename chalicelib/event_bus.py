"""Where domain events go: the stack's EventBridge bus in AWS, a JSON Lines file locally.

Both publishers have the same two methods: ``publish(events)`` (raises :class:`PublishFailed`
when an event could be neither delivered nor parked, so the stream record is retried: nothing
is lost silently) and ``dead_letter(note)`` (a record that can never be mapped, parked with
no personal data so the shard moves on).
"""
from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from pathlib import Path
from typing import Callable, List, Mapping, Optional, Sequence, TextIO

from .domain.events import DomainEvent

SOURCE = "loyalty-api"
MAX_ENTRIES_PER_PUT = 10  # EventBridge's limit per PutEvents call
RETRYABLE_CODES = {"ThrottlingException", "InternalException", "InternalFailure", "ServiceUnavailable"}


class PublishFailed(RuntimeError):
    """Events were neither put on the bus nor parked on the dead-letter queue."""


def event_entry(event: DomainEvent, bus_name: str) -> dict:
    return {"Source": SOURCE, "DetailType": event.type, "Detail": json.dumps(event.to_json(), sort_keys=True),
            "EventBusName": bus_name, "Time": event.occurred_at, "Resources": []}


class EventBridgePublisher:
    """PutEvents in chunks of ten; throttled or failed entries retried with full-jitter
    backoff for ``attempts`` tries, then sent to the dead-letter queue with the error code."""

    def __init__(self, bus_name: str, dead_letter_url: Optional[str], *, events_client=None, sqs_client=None,
                 attempts: int = 5, base_delay: float = 0.05, sleep: Callable[[float], None] = time.sleep) -> None:
        self.bus_name = bus_name
        self.dead_letter_url = dead_letter_url
        self._events = events_client
        self._sqs = sqs_client
        self.attempts = attempts
        self.base_delay = base_delay
        self.sleep = sleep

    def _clients(self):
        if self._events is None:
            import boto3  # paid by the stream function only, never by the API

            self._events = boto3.client("events")
            self._sqs = self._sqs or boto3.client("sqs")
        return self._events, self._sqs

    def publish(self, events: Sequence[DomainEvent]) -> None:
        for start in range(0, len(events), MAX_ENTRIES_PER_PUT):
            self._put_chunk(list(events[start:start + MAX_ENTRIES_PER_PUT]))

    def _put_chunk(self, pending: List[DomainEvent]) -> None:
        client, _ = self._clients()
        last_error = "unknown"
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(random.uniform(0, self.base_delay * 2 ** attempt))
            try:
                answer = client.put_events(Entries=[event_entry(event, self.bus_name) for event in pending])
            except Exception as error:  # botocore ClientError / connection errors: all retried, then parked
                last_error = getattr(error, "response", {}).get("Error", {}).get("Code") or type(error).__name__
                continue
            failed = [(event, entry.get("ErrorCode")) for event, entry in zip(pending, answer.get("Entries", []))
                      if entry.get("ErrorCode")]
            if not failed:
                return
            last_error = failed[0][1]
            if any(code not in RETRYABLE_CODES for _, code in failed):
                pending = [event for event, _ in failed]
                break
            pending = [event for event, _ in failed]
        self._park(pending, last_error)

    def _park(self, events: Sequence[DomainEvent], error_code: str) -> None:
        if not self.dead_letter_url:
            raise PublishFailed(f"{len(events)} events not delivered ({error_code}) and no dead-letter queue")
        _, sqs = self._clients()
        try:
            for event in events:
                sqs.send_message(QueueUrl=self.dead_letter_url, MessageBody=json.dumps(
                    {"reason": "not_delivered", "error_code": error_code, "event": event.to_json()}, sort_keys=True))
        except Exception as error:
            raise PublishFailed(f"dead-letter queue refused events ({type(error).__name__})") from None

    def dead_letter(self, note: Mapping[str, object]) -> None:
        if not self.dead_letter_url:
            raise PublishFailed("a malformed record and no dead-letter queue")
        _, sqs = self._clients()
        sqs.send_message(QueueUrl=self.dead_letter_url, MessageBody=json.dumps(dict(note), sort_keys=True))


class JsonlPublisher:
    """Local stand-in for the bus: one JSON object a line in ``path`` (what ``events tail``
    follows) and one short line on ``console``; malformed-record notes go to ``dead_letter_path``."""

    def __init__(self, path: Path, console: Optional[TextIO] = None, dead_letter_path: Optional[Path] = None) -> None:
        self.path = Path(path)
        self.console = console
        self.dead_letter_path = dead_letter_path or self.path.with_name("events-dead-letter.jsonl")
        self._lock = threading.Lock()

    def publish(self, events: Sequence[DomainEvent]) -> None:
        if not events:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            for event in events:
                handle.write(json.dumps({"source": SOURCE, "detail-type": event.type, **event.to_json()},
                                        sort_keys=True) + "\n")
        if self.console is not None:
            for event in events:
                print(short_line(event.to_json()), file=self.console, flush=True)

    def dead_letter(self, note: Mapping[str, object]) -> None:
        self.dead_letter_path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.dead_letter_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(dict(note), sort_keys=True) + "\n")


def short_line(event: Mapping[str, object]) -> str:
    """``[event] customer.tier_changed c-123 Member -> Silver``: one console line, no personal data."""
    detail = event.get("detail") or {}
    summary = ""
    if event.get("type") == "customer.tier_changed":
        summary = f" {detail.get('from')} -> {detail.get('to')}"
    elif "order_id" in detail:
        summary = f" {detail['order_id']}" + (f" {detail['event_type']}" if detail.get("event_type") else "")
    elif "quote_id" in detail:
        summary = f" quote {detail['quote_id']}"
    return f"[event] {event.get('type')} {event.get('customer_id') or '-'}{summary}"


def publisher_from_environment(environ: Mapping[str, str] = os.environ):
    """The bus of a deployed stage (``LOYALTY_EVENT_BUS``), else the local file ``LOYALTY_EVENTS_FILE``."""
    bus = environ.get("LOYALTY_EVENT_BUS")
    if bus:
        return EventBridgePublisher(bus, environ.get("LOYALTY_EVENTS_DLQ_URL") or None)
    return JsonlPublisher(Path(environ.get("LOYALTY_EVENTS_FILE") or ".data/events.jsonl"), console=sys.stdout)
