"""Storefront API keys: one item per key, keyed by the SHA-256 of its secret, plus a small
reference item under ``APIKEYS`` so operators list and revoke keys with a Query, not a Scan."""
from __future__ import annotations

from datetime import datetime
from typing import List, Optional

from pynamodb.transactions import TransactWrite

from .key_models import ApiKeyItem, ApiKeyRefItem
from .table_item import TableItem

KEY_SK = "APIKEY"
REFS_PK = "APIKEYS"


def key_pk(secret_hash: str) -> str:
    return f"APIKEY#{secret_hash}"


def save_key(secret_hash: str, key_id: str, name: str, channel: str, scopes: List[str], last4: str,
             now: datetime, created_by: Optional[str]) -> None:
    with TransactWrite(connection=TableItem._get_connection().connection) as tx:
        tx.save(ApiKeyItem(key_pk(secret_hash), KEY_SK, key_id=key_id, name=name, channel=channel, scopes=scopes,
                           last4=last4, created_at=now, created_by=created_by),
                condition=ApiKeyItem.pk.does_not_exist())
        tx.save(ApiKeyRefItem(REFS_PK, key_id, key_id=key_id, secret_hash=secret_hash),
                condition=ApiKeyRefItem.pk.does_not_exist())


def find_key(secret_hash: str) -> Optional[ApiKeyItem]:
    try:
        return ApiKeyItem.get(key_pk(secret_hash), KEY_SK)
    except ApiKeyItem.DoesNotExist:
        return None


def _hashes() -> List[str]:
    return [ref.secret_hash for ref in ApiKeyRefItem.query(REFS_PK)]


def all_keys() -> List[ApiKeyItem]:
    hashes = _hashes()
    return list(ApiKeyItem.batch_get([(key_pk(h), KEY_SK) for h in hashes])) if hashes else []


def find_by_id(key_id: str) -> Optional[ApiKeyItem]:
    try:
        ref = ApiKeyRefItem.get(REFS_PK, key_id)
    except ApiKeyRefItem.DoesNotExist:
        return None
    return find_key(ref.secret_hash)


def revoke(item: ApiKeyItem, now: datetime) -> ApiKeyItem:
    item.update(actions=[ApiKeyItem.revoked_at.set(ApiKeyItem.revoked_at | now)])
    return item
