"""Times on the wire: timezone-aware UTC, ISO 8601 with a ``Z``."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional


def iso_utc(moment: Optional[datetime]) -> Optional[str]:
    """``2026-11-23T10:15:00Z`` (microseconds kept when present); None stays None."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
