"""Storefront API keys: the items the authorizer reads. Apart from ``models.py`` (which
re-exports them) so that the authorizer's cold start, which checks a key on every new
container, loads these two models and not every model of the table.
"""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute

from .table_item import TableItem


class ApiKeyItem(TableItem, discriminator="api_key"):
    """A storefront API key, found by the SHA-256 of the secret; the secret itself is never stored."""

    key_id = UnicodeAttribute()
    name = UnicodeAttribute()
    channel = UnicodeAttribute()
    scopes = JSONAttribute()
    last4 = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute(null=True)
    revoked_at = UTCDateTimeAttribute(null=True)


class ApiKeyRefItem(TableItem, discriminator="api_key_ref"):
    """Lists keys without a Scan: one item per key under ``APIKEYS``, pointing at its hash."""

    key_id = UnicodeAttribute()
    secret_hash = UnicodeAttribute()
