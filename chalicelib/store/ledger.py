"""The customer's ledger: immutable entries keyed by time (``LEDGER#<time>#<subject>``).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Dict, List, Optional, Tuple

from ..domain.ledger import LedgerEntry
from ..domain.money_json import ledger_details_json
from ..domain.times import iso_utc
from .models import LEDGER_PREFIX, LedgerItem, customer_pk, key_range


LEDGER_ENTRY_TYPES_PLACED = "order_placed"


def ledger_sort_key(entry: LedgerEntry) -> str:
    """``LEDGER#2026-11-20T10:15:00Z#ORDER#o-1#refunded#ev-7``: time first, so newest-first is a reverse Query."""
    stamp = entry.at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    parts = [LEDGER_PREFIX.rstrip("#"), stamp, entry.subject]
    return "#".join(parts)


def ledger_page(customer_id: str, limit: int, after_sort_key: Optional[str]) -> Tuple[List[dict], Optional[str]]:
    """Newest-first ledger entries and the sort key to continue after, if more remain."""
    kwargs = {}
    if after_sort_key:
        kwargs["last_evaluated_key"] = {"pk": {"S": customer_pk(customer_id)}, "sk": {"S": after_sort_key}}
    query = LedgerItem.query(
        customer_pk(customer_id),
        key_range(LEDGER_PREFIX),
        scan_index_forward=False,
        limit=limit,
        page_size=limit,
        **kwargs,
    )
    entries = [_entry_json(item) for item in query]
    next_key = query.last_evaluated_key
    return entries, (next_key["sk"]["S"] if next_key and len(entries) == limit else None)


def remaining_order_span(customer_id: str, without_order_id: str) -> Tuple[Optional[datetime], Optional[datetime]]:
    """First and last placement time of the customer's orders that still count.

    Used only when a cancellation removes the customer's first or last order: it reads the
    ledger once (placements minus cancellations), which is the one place the times live.
    """
    placed: Dict[str, datetime] = {}
    cancelled = {without_order_id}
    query = LedgerItem.query(
        customer_pk(customer_id),
        key_range(LEDGER_PREFIX),
        attributes_to_get=["entry_type", "order_id", "at", "item_type"],
        consistent_read=True,
    )
    for item in query:
        if item.entry_type == LEDGER_ENTRY_TYPES_PLACED:
            placed[item.order_id] = item.at
        elif item.entry_type == "cancelled":
            cancelled.add(item.order_id)
    times = [at for order_id, at in placed.items() if order_id not in cancelled]
    return (min(times), max(times)) if times else (None, None)


def _entry_json(item: LedgerItem) -> dict:
    body = {
        "entry_id": item.sk,
        "type": item.entry_type,
        "at": iso_utc(item.at),
        "recorded_at": iso_utc(item.recorded_at),
        "order_id": item.order_id,
        "event_id": item.event_id,
        "description": item.description,
        "source": item.source,
    }
    if item.amount is not None:
        body["amount"] = {"amount": int(item.amount), "currency": item.currency}
    if item.base_amount is not None:
        body["base_amount"] = {"amount": int(item.base_amount), "currency": item.base_currency}
    if item.details:
        body["details"] = ledger_details_json(item.details, item.currency)
    return {key: value for key, value in body.items() if value is not None}


def ledger_item(entry: LedgerEntry, now: datetime, source: str) -> LedgerItem:
    return LedgerItem(
        customer_pk(entry.customer_id),
        ledger_sort_key(entry),
        customer_id=entry.customer_id,
        entry_type=entry.entry_type,
        at=entry.at,
        recorded_at=now,
        order_id=entry.order_id,
        event_id=entry.event_id,
        currency=entry.currency,
        amount=entry.amount,
        base_currency=entry.base_currency,
        base_amount=entry.base_amount,
        description=entry.description,
        source=source,
        details=entry.details,
    )
