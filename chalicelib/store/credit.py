"""Store credit: grants, their expiry markers and the credit journal. Spends and give-backs are
parts of an order's or event's transaction (see :mod:`.orders`), conditioned on each grant.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Dict, List, Optional, Tuple

from pynamodb.transactions import TransactWrite

from ..domain.store_credit import CreditGrant
from ..domain.times import iso_utc
from .models import (
    CREDIT_EXPIRY_PREFIX, CREDIT_GRANT_PREFIX, CREDIT_MOVEMENT_PREFIX, CreditExpiryItem, CreditGrantItem,
    CreditMovementItem, customer_pk, key_range,
)
from .retry import RetryableConflict


class CreditChanged(RetryableConflict):
    """A grant an order meant to spend changed since it was read (spent by a racing order, or
    expired): read the grants again and plan the spend anew."""


@dataclass(frozen=True)
class CreditMovement:
    """A line of the credit journal, written with the change it records."""

    movement_id: str
    kind: str  # granted | spent | returned
    at: datetime
    amount: int
    currency: str
    grants: Optional[Dict[str, int]] = None
    order_id: Optional[str] = None
    event_id: Optional[str] = None
    by: Optional[str] = None
    source: Optional[str] = None
    reason: Optional[str] = None


@dataclass(frozen=True)
class CreditSpend:
    """Credit an order spends: base amount per grant, conditioned at ``now``."""

    customer_id: str
    plan: Dict[str, int]
    now: datetime
    movement: CreditMovement


@dataclass(frozen=True)
class CreditBack:
    """Credit an event gives back to the grants it came from (``customer_id``: whose grants the
    order spent, which a merge does not move) and/or grants anew to the order's customer."""

    customer_id: str
    parts: Dict[str, int]
    movements: Tuple[CreditMovement, ...] = ()
    new_grant: Optional[CreditGrant] = None
    grant_customer_id: Optional[str] = None
    grant_movement: Optional[CreditMovement] = None


def grant_from(item: CreditGrantItem) -> CreditGrant:
    return CreditGrant(item.grant_id, int(item.amount), item.granted_at, item.expires_at, int(item.spent or 0),
                       int(item.returned or 0), item.source, item.granted_by, item.reason, item.order_id)


def credit_grants(customer_id: str) -> List[CreditGrant]:
    """The customer's credit grants, read consistently (an order's commit plans its spend on them)."""
    return [grant_from(item) for item in CreditGrantItem.query(customer_pk(customer_id),
                                                                 key_range(CREDIT_GRANT_PREFIX),
                                                                 consistent_read=True)]


def credit_movements(customer_id: str, limit: int = 50) -> List[dict]:
    """The newest lines of the customer's credit journal (grants, spends, credit given back)."""
    query = CreditMovementItem.query(customer_pk(customer_id), key_range(CREDIT_MOVEMENT_PREFIX),
                                     scan_index_forward=False, limit=limit)
    return [{"movement_id": item.movement_id, "kind": item.kind, "at": iso_utc(item.at),
             "amount": {"amount": int(item.amount), "currency": item.currency},
             "grants": item.grants or {}, "order_id": item.order_id, "event_id": item.event_id,
             "by": item.by, "source": item.source, "reason": item.reason} for item in query]


def spend_credit(tx: TransactWrite, spend: CreditSpend) -> None:
    """Take credit from each grant only if it holds enough and has not expired at ``spend.now``."""
    for grant_id, amount in spend.plan.items():
        tx.update(CreditGrantItem(customer_pk(spend.customer_id), CREDIT_GRANT_PREFIX + grant_id),
                  actions=[CreditGrantItem.remaining.add(-amount), CreditGrantItem.spent.add(amount)],
                  condition=(CreditGrantItem.remaining >= amount)
                  & (CreditGrantItem.expires_at.does_not_exist() | (CreditGrantItem.expires_at > spend.now)))
    tx.save(movement_item(spend.customer_id, spend.movement), condition=CreditMovementItem.pk.does_not_exist())


def give_back_credit(tx: TransactWrite, back: CreditBack) -> None:
    """Credit back to the grants it was spent from (an expired grant stays expired), and a new
    grant for a refund made as store credit."""
    pk = customer_pk(back.customer_id)
    for grant_id, amount in back.parts.items():
        tx.update(CreditGrantItem(pk, CREDIT_GRANT_PREFIX + grant_id),
                  actions=[CreditGrantItem.remaining.add(amount), CreditGrantItem.returned.add(amount)],
                  condition=CreditGrantItem.pk.exists())
    for movement in back.movements:
        tx.save(movement_item(back.customer_id, movement), condition=CreditMovementItem.pk.does_not_exist())
    if back.new_grant is not None and back.grant_customer_id is not None:
        save_grant(tx, back.grant_customer_id, back.new_grant)
        if back.grant_movement is not None:
            tx.save(movement_item(back.grant_customer_id, back.grant_movement),
                    condition=CreditMovementItem.pk.does_not_exist())


def save_grant(tx: TransactWrite, customer_id: str, grant: CreditGrant) -> None:
    """A new grant and, when it expires, its expiry marker (see :class:`CreditExpiryItem`)."""
    tx.save(_grant_item(customer_id, grant), condition=CreditGrantItem.pk.does_not_exist())
    if grant.expires_at is not None:
        tx.save(CreditExpiryItem(customer_pk(customer_id), CREDIT_EXPIRY_PREFIX + grant.grant_id,
                                 customer_id=customer_id, grant_id=grant.grant_id, amount=grant.amount,
                                 currency=_base_currency(), grant_expires_at=grant.expires_at,
                                 expires_at=math.ceil(grant.expires_at.timestamp())))


def has_expiry(grant: Optional[CreditGrant]) -> int:
    return int(grant is not None and grant.expires_at is not None)


def _grant_item(customer_id: str, grant: CreditGrant) -> CreditGrantItem:
    return CreditGrantItem(customer_pk(customer_id), CREDIT_GRANT_PREFIX + grant.grant_id, customer_id=customer_id,
                           grant_id=grant.grant_id, source=grant.source, amount=grant.amount, spent=grant.spent,
                           returned=grant.returned, remaining=grant.remaining, currency=_base_currency(),
                           granted_at=grant.granted_at, expires_at=grant.expires_at, granted_by=grant.granted_by,
                           reason=grant.reason, order_id=grant.order_id)


def _base_currency() -> str:
    from ..config import settings

    return settings().base_currency


def movement_item(customer_id: str, movement: CreditMovement) -> CreditMovementItem:
    stamp = movement.at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return CreditMovementItem(customer_pk(customer_id), f"{CREDIT_MOVEMENT_PREFIX}{stamp}#{movement.movement_id}",
                              customer_id=customer_id, movement_id=movement.movement_id, kind=movement.kind,
                              at=movement.at, amount=movement.amount, currency=movement.currency,
                              grants=movement.grants, order_id=movement.order_id, event_id=movement.event_id,
                              by=movement.by, source=movement.source, reason=movement.reason)
