"""The one place the API asks what time it is.

Every route and service that is not handed a ``now`` reads :func:`now`. Tests (and the
demo's "seed as if it were another day") move it with :func:`shifted` instead of patching
``datetime`` in every module, so a story can be replayed 400 days from today through the
HTTP app exactly as it would run then.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Iterator

_offset = timedelta(0)


def now() -> datetime:
    """The current time, timezone-aware UTC (plus the offset of an enclosing :func:`shifted`)."""
    return datetime.now(timezone.utc) + _offset


@contextmanager
def shifted(by: timedelta) -> Iterator[None]:
    """Within the block, :func:`now` answers ``by`` later than the wall clock."""
    global _offset
    previous, _offset = _offset, _offset + by
    try:
        yield
    finally:
        _offset = previous
