"""Support's adjustments (goodwill, tier overrides, credit grants) and the audit records, each one
transaction with its ledger entry and profile change.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import List, Optional

from pynamodb.exceptions import TransactWriteError

from ..domain.ledger import LedgerEntry
from ..domain.money_json import amount_and_currency_json
from ..domain.store_credit import CreditGrant
from ..domain.times import iso_utc
from .models import (
    ADJUSTMENT_PREFIX, AUDIT_PREFIX, AdjustmentItem, CreditMovementItem, LedgerItem, MONTH_PREFIX, MonthItem,
    PROFILE_SK, ProfileItem, adjustment_sk, customer_pk, key_range,
)
from .credit import CreditMovement, has_expiry, movement_item, save_grant
from .ledger import ledger_item
from .retry import cancellation_codes
from .transactions import EventAlreadyExists, transact


def adjustments(customer_id: str, limit: int = 100) -> List[dict]:
    """The customer's adjustments and the system's audit records (erasure, merge), newest first.

    Audit records written before ``AUDIT#`` existed are under ``ADJUSTMENT#`` and read the same."""
    items = [item for prefix in (ADJUSTMENT_PREFIX, AUDIT_PREFIX)
             for item in AdjustmentItem.query(customer_pk(customer_id), key_range(prefix), limit=limit)]
    items.sort(key=lambda item: item.at, reverse=True)
    return [{"adjustment_id": item.adjustment_id, "kind": item.kind, "at": iso_utc(item.at),
             "operator": item.operator, **amount_and_currency_json(item.details)} for item in items]


def get_adjustment(customer_id: str, adjustment_id: str) -> Optional[AdjustmentItem]:
    try:
        return AdjustmentItem.get(customer_pk(customer_id), adjustment_sk(adjustment_id), consistent_read=True)
    except AdjustmentItem.DoesNotExist:
        return None


def commit_adjustment(customer_id: str, adjustment_id: str, kind: str, at: datetime, operator: str,
                      request_hash: str, details: dict, entry: LedgerEntry, profile_actions: list,
                      goodwill_base: int = 0, credit_grant: Optional[CreditGrant] = None,
                      credit_movement: Optional[CreditMovement] = None) -> None:
    """One transaction: the adjustment record (if absent), its ledger entry, the profile change.

    Raises :class:`EventAlreadyExists` when the adjustment id was used before, and
    ``NotFound``-worthy :class:`LookupError` when the customer does not exist.
    """
    try:
        with transact() as tx:
            tx.save(AdjustmentItem(customer_pk(customer_id), adjustment_sk(adjustment_id), customer_id=customer_id,
                                   adjustment_id=adjustment_id, kind=kind, at=at, operator=operator,
                                   request_hash=request_hash, details=details),
                    condition=AdjustmentItem.pk.does_not_exist())
            tx.save(ledger_item(entry, at, "admin"), condition=LedgerItem.pk.does_not_exist())
            actions = profile_actions + [ProfileItem.version.add(1)]
            if goodwill_base:
                actions.append(ProfileItem.lifetime_goodwill.add(goodwill_base))
            tx.update(ProfileItem(customer_pk(customer_id), PROFILE_SK), actions=actions,
                      condition=ProfileItem.pk.exists())
            if goodwill_base:
                month = entry.at.astimezone(timezone.utc).strftime("%Y-%m")
                tx.update(MonthItem(customer_pk(customer_id), MONTH_PREFIX + month),
                          actions=[MonthItem.item_type.set(MonthItem), MonthItem.customer_id.set(customer_id),
                                   MonthItem.month.set(month), MonthItem.goodwill.add(goodwill_base)])
            if credit_grant is not None:
                save_grant(tx, customer_id, credit_grant)
            if credit_movement is not None:
                tx.save(movement_item(customer_id, credit_movement), condition=CreditMovementItem.pk.does_not_exist())
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if codes and codes[0] == "ConditionalCheckFailed":
            raise EventAlreadyExists(adjustment_id) from error
        # Puts come first: the adjustment, the ledger entry, the grant, its expiry marker, the journal line.
        profile_index = 2 + (credit_grant is not None) + has_expiry(credit_grant) + (credit_movement is not None)
        if len(codes) > profile_index and codes[profile_index] == "ConditionalCheckFailed":
            raise LookupError(customer_id) from error
        raise
