"""Opaque pagination cursors: the position to continue after, base64url-encoded.

A cursor only ever positions a Query inside the caller's own partition (the partition key
comes from the path or the customer's token), so a forged one can show nothing a caller
could not page to anyway: it needs no signature. It must still be a position DynamoDB takes.
The Query's key condition is ``sk BETWEEN prefix AND prefix~`` (``store.models.key_range``),
and DynamoDB refuses a starting key outside it, bounds included ("The provided starting key
does not match the range key predicate", a ValidationException that moto does not raise).
So a cursor's position is the prefix followed by 1-1000 printable ASCII characters other than
space and ``~`` (``!`` to ``}``): strictly between the bounds, in DynamoDB's byte order.
Every sort key the ledger writes has that form (times, ids and entry types are ASCII), so
every cursor this API gives out passes; anything else is a 400 naming ``cursor``.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Optional

from ..domain.errors import InvalidInput

# After the prefix: what lies strictly between ``prefix`` and ``prefix~`` (see the module docstring).
_POSITION_AFTER_PREFIX = re.compile(r"[!-}]{1,1000}\Z")


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
    if (not isinstance(value, str) or not value.startswith(prefix)
            or not _POSITION_AFTER_PREFIX.match(value[len(prefix):])):
        raise InvalidInput("cursor is not one this API gave out", [{"field": "cursor", "reason": "invalid"}])
    return value
