"""Storefront API keys: one item per key, keyed by the SHA-256 of its secret."""
from __future__ import annotations

from datetime import datetime
from typing import List, Optional

from .models import ApiKeyItem

KEY_SK = "APIKEY"


def key_pk(secret_hash: str) -> str:
    return f"APIKEY#{secret_hash}"


def save_key(secret_hash: str, key_id: str, name: str, channel: str, scopes: List[str], last4: str,
             now: datetime, created_by: Optional[str]) -> None:
    ApiKeyItem(key_pk(secret_hash), KEY_SK, key_id=key_id, name=name, channel=channel, scopes=scopes,
               last4=last4, created_at=now, created_by=created_by).save(condition=ApiKeyItem.pk.does_not_exist())


def find_key(secret_hash: str) -> Optional[ApiKeyItem]:
    try:
        return ApiKeyItem.get(key_pk(secret_hash), KEY_SK)
    except ApiKeyItem.DoesNotExist:
        return None


def all_keys() -> List[ApiKeyItem]:
    """Every key, for the operator CLI (a Scan: rare, and the table holds few keys per store)."""
    return list(ApiKeyItem.scan())  # PynamoDB filters a subclass's scan on its item_type


def revoke(item: ApiKeyItem, now: datetime) -> None:
    item.update(actions=[ApiKeyItem.revoked_at.set(ApiKeyItem.revoked_at | now)])
