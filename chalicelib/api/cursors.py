"""Opaque pagination cursors: the position to continue after, base64url-encoded.

A cursor only ever positions a Query inside the caller's own partition (the partition
key comes from the path), so it needs no signature; it is still checked so a mangled
cursor is a clear 400, not a DynamoDB error.
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Optional

from ..domain.errors import InvalidInput


def encode_cursor(sort_key: Optional[str]) -> Optional[str]:
    if sort_key is None:
        return None
    raw = json.dumps({"after": sort_key}, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: Optional[str], *, prefix: str) -> Optional[str]:
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeError):
        value = None
    if not isinstance(value, str) or not value.startswith(prefix) or len(value) > 1024:
        raise InvalidInput("cursor is not one this API gave out", [{"field": "cursor", "reason": "invalid"}])
    return value
