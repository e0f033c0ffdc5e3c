"""Storefront API keys: created, listed and revoked by operators, checked by the authorizer.

A key is ``lk_<channel>_<43 random characters>``; only its SHA-256 is stored, so a leaked
table does not leak keys. Each key names its sales channel and carries scopes that decide
which routes it may call (see ``chalicelib/api/auth.py``).
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import List, Optional, Sequence, Tuple

from ..domain.errors import InvalidInput, NotFound
from ..store import api_keys as store

SCOPES = ("quotes", "orders", "customers")
CHANNEL = re.compile(r"^[a-z][a-z0-9-]{1,30}\Z")
KEY_FORMAT = re.compile(r"^lk_[a-z][a-z0-9-]{1,30}_[A-Za-z0-9_-]{43}\Z")


@dataclass(frozen=True)
class StorefrontKey:
    key_id: str
    name: str
    channel: str
    scopes: Tuple[str, ...]
    last4: str
    created_at: datetime
    revoked_at: Optional[datetime]

    def to_json(self) -> dict:
        return {"key_id": self.key_id, "name": self.name, "channel": self.channel, "scopes": list(self.scopes),
                "last4": self.last4, "created_at": self.created_at.isoformat(),
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None}


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _from_item(item) -> StorefrontKey:
    return StorefrontKey(item.key_id, item.name, item.channel, tuple(item.scopes), item.last4, item.created_at,
                         item.revoked_at)


def create_key(name: str, channel: str, scopes: Sequence[str], *, created_by: Optional[str] = None,
               now: Optional[datetime] = None) -> Tuple[StorefrontKey, str]:
    """A new key and its secret; the secret is shown once and never stored."""
    problems = []
    if not name or len(name) > 100:
        problems.append({"field": "name", "reason": "must be 1-100 characters"})
    if not CHANNEL.match(channel or ""):
        problems.append({"field": "channel", "reason": "must be lower-case letters, digits and -, e.g. web-shop"})
    unknown = sorted(set(scopes) - set(SCOPES))
    if not scopes or unknown:
        problems.append({"field": "scopes", "reason": f"must be some of {', '.join(SCOPES)}"})
    if problems:
        raise InvalidInput.for_fields(problems)
    now = now or datetime.now(timezone.utc)
    secret = f"lk_{channel}_{secrets.token_urlsafe(32)}"
    key_id = f"key_{secrets.token_hex(6)}"
    ordered = [scope for scope in SCOPES if scope in scopes]
    store.save_key(_hash(secret), key_id, name, channel, ordered, secret[-4:], now, created_by)
    return StorefrontKey(key_id, name, channel, tuple(ordered), secret[-4:], now, None), secret


def list_keys() -> List[StorefrontKey]:
    return sorted((_from_item(item) for item in store.all_keys()), key=lambda key: key.created_at)


def revoke_key(key_id: str, *, now: Optional[datetime] = None) -> StorefrontKey:
    item = store.find_by_id(key_id)
    if item is None:
        raise NotFound(f"no key {key_id}")
    return _from_item(store.revoke(item, now or datetime.now(timezone.utc)))


def verify_key(secret: str) -> Optional[StorefrontKey]:
    """The key for a presented secret, or None when it is unknown, malformed or revoked."""
    if not KEY_FORMAT.match(secret):
        return None
    item = store.find_key(_hash(secret))
    if item is None or item.revoked_at is not None:
        return None
    return _from_item(item)
