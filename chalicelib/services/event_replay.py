"""Replay: re-send one customer's events of a time range, for a consumer that missed them.

The events are rebuilt from the customer's items with the same pure mapping the stream uses
(chalicelib/domain/events.py), so each has the ``event_id`` it was first sent with: a consumer
that deduplicates on it (as docs/events.md asks) takes only what it lacked. They go through the
same publisher as the stream's (the stage's bus, or ``.data/events.jsonl`` locally). Tier events
are not replayed (docs/events.md, Replay).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from ..domain.events import replay_events
from ..store import event_stream as stream


class NothingToReplay(LookupError):
    """The customer has no items at all (never recorded, or a mistyped id)."""


def replay_customer_events(customer_id: str, since: datetime, until: datetime, publisher,
                           now: Optional[datetime] = None) -> dict:
    """Publish the customer's events with ``since <= occurred_at < until``; what was sent."""
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until need a UTC offset")
    if until <= since:
        raise ValueError("until must be after since")
    images = stream.customer_event_items(customer_id)
    if not any(image.get("item_type") == "profile" for image in images):
        raise NothingToReplay(customer_id)
    replay = replay_events(images, since, until, now or datetime.now(timezone.utc))
    publisher.publish(list(replay.events))
    return {"customer_id": customer_id, "since": since.isoformat(), "until": until.isoformat(),
            "sent": len(replay.events), "unreadable_items": replay.malformed,
            "events": [event.to_json() for event in replay.events]}
