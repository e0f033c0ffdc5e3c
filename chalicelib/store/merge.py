"""Merging one customer into another: each order moved with its ledger entries in one transaction
(sized before it is sent), then the source marked merged and the merge audited once.
"""
from __future__ import annotations

from datetime import datetime
from typing import Dict, List, Optional, Sequence

from pynamodb.exceptions import TransactWriteError

from ..domain.customer import CustomerStats
from ..domain.ledger import LedgerEntry
from .models import (
    AdjustmentItem, LEDGER_PREFIX, LedgerItem, ORDER_SK, OrderItem, PROFILE_SK, PROMO_USE_PREFIX, ProfileItem,
    PromotionUseItem, adjustment_sk, audit_sk, customer_pk, key_range, order_pk,
)
from .addresses import NO_ENTRY, AddressTimes, AddressUse, address_update
from .aggregates import AggregateChange, counter_actions, month_updates, span_update
from .ledger import ledger_item
from .retry import RetryableConflict, cancellation_codes
from .transactions import PlannedTransaction, transact


def ledger_by_order(customer_id: str) -> Dict[str, List[LedgerItem]]:
    """The customer's order ledger entries grouped by order id (oldest first), page by page."""
    grouped: Dict[str, List[LedgerItem]] = {}
    for item in LedgerItem.query(customer_pk(customer_id), key_range(LEDGER_PREFIX), consistent_read=True):
        if item.order_id:
            grouped.setdefault(item.order_id, []).append(item)
    return grouped


def get_order_item(order_id: str) -> Optional[OrderItem]:
    try:
        return OrderItem.get(order_pk(order_id), ORDER_SK, consistent_read=True)
    except OrderItem.DoesNotExist:
        return None


def get_order_items(order_ids: Sequence[str]) -> Dict[str, OrderItem]:
    """The orders of these ids that exist, by BatchGetItem (consistent)."""
    keys = [(order_pk(order_id), ORDER_SK) for order_id in dict.fromkeys(order_ids)]
    return {item.order_id: item for item in OrderItem.batch_get(keys, consistent_read=True)}


def move_order(order: OrderItem, entries: Sequence[LedgerItem], source: str, target: str,
               change: AggregateChange, observed_target: Optional[CustomerStats], now: datetime,
               address_use: Optional[AddressUse], observed_address: AddressTimes = NO_ENTRY) -> None:
    """Move one order and its ledger entries from ``source`` to ``target`` in one transaction:
    the order is re-pointed only if it still belongs to ``source`` (so a rerun skips it), the
    entries are copied to the target and deleted from the source, and both customers'
    aggregates change by exactly what the order contributed. ``observed_address`` is what was
    read of the target's entry for ``address_use`` (its times only move outwards, conditioned
    on that read: see :func:`.addresses.address_update`)."""
    plan_order_move(order, entries, source, target, change, observed_target, address_use,
                    observed_address).commit()


def plan_order_move(order: OrderItem, entries: Sequence[LedgerItem], source: str, target: str,
                    change: AggregateChange, observed_target: Optional[CustomerStats],
                    address_use: Optional[AddressUse], observed_address: AddressTimes = NO_ENTRY
                    ) -> PlannedTransaction:
    """The transaction :func:`move_order` sends; its length is the number of items it holds
    (two per ledger entry, the order, two profiles, their days and months, the address, and
    two per promotion use still counted)."""
    negative = change.negated()
    placed = [order.placed_at] if order.status != "cancelled" else []
    span_actions, span_condition = span_update(observed_target, placed)
    tx = PlannedTransaction()
    for entry in entries:
        attributes = {name: value for name, value in entry.attribute_values.items()
                      if name not in ("pk", "sk", "item_type")}
        copy = LedgerItem(customer_pk(target), entry.sk, **{**attributes, "customer_id": target,
                                                             "merged_from": source})
        tx.save(copy, condition=LedgerItem.pk.does_not_exist())
    tx.update(order, actions=[OrderItem.customer_id.set(target), OrderItem.merged_from.set(source),
                              OrderItem.version.add(1)],
              condition=(OrderItem.customer_id == source) & (OrderItem.version == order.version))
    for entry in entries:
        tx.delete(entry, condition=LedgerItem.pk.exists())
    tx.update(ProfileItem(customer_pk(target), PROFILE_SK),
              actions=counter_actions(change.counters) + span_actions + [ProfileItem.version.add(1)],
              condition=ProfileItem.pk.exists() & span_condition if span_condition is not None
              else ProfileItem.pk.exists())
    tx.update(ProfileItem(customer_pk(source), PROFILE_SK),
              actions=counter_actions(negative.counters) + [ProfileItem.version.add(1)])
    month_updates(tx, target, change)
    month_updates(tx, source, negative)
    if address_use is not None:
        address_update(tx, target, address_use, observed_address)
    # A cancelled order's uses were given back by its cancellation: nothing left to move.
    claims = [] if order.status == "cancelled" else (order.decision or {}).get("claimed", [])
    for claim in claims:
        if claim.get("per_customer_limit") is not None:
            code = claim["code"].upper()
            tx.update(PromotionUseItem(customer_pk(target), PROMO_USE_PREFIX + code),
                      actions=[PromotionUseItem.item_type.set(PromotionUseItem),
                               PromotionUseItem.customer_id.set(target), PromotionUseItem.code.set(code),
                               PromotionUseItem.uses.add(1)])
            tx.update(PromotionUseItem(customer_pk(source), PROMO_USE_PREFIX + code),
                      actions=[PromotionUseItem.uses.add(-1)])
    return tx


def finish_merge(source: str, target: str, first: Optional[datetime], last: Optional[datetime],
                 source_version: int, now: datetime, operator: str, merge_id: str, summary: dict,
                 entries: Sequence[LedgerEntry]) -> None:
    """Mark the source merged, reset its first/last order to what remains, and audit (once).

    Returns False when the audit already existed (an earlier run finished the merge); the
    source's first/last order are brought up to date either way. A profile changed since it
    was read is a :class:`RetryableConflict`.
    """
    span = [ProfileItem.merged_into.set(target),
            ProfileItem.first_order_at.set(first) if first else ProfileItem.first_order_at.remove(),
            ProfileItem.last_order_at.set(last) if last else ProfileItem.last_order_at.remove(),
            ProfileItem.version.add(1)]
    try:
        with transact() as tx:
            tx.save(AdjustmentItem(customer_pk(target), audit_sk("merge", source), customer_id=target,
                                   adjustment_id=merge_id, kind="merge", at=now, operator=operator,
                                   request_hash=f"merge:{source}", details=summary),
                    condition=AdjustmentItem.pk.does_not_exist())
            # A merge audited before AUDIT# existed has its record under ADJUSTMENT#<merge_id>.
            tx.condition_check(AdjustmentItem, customer_pk(target), adjustment_sk(merge_id),
                               condition=AdjustmentItem.pk.does_not_exist() | (AdjustmentItem.kind != "merge"))
            for entry in entries:
                tx.save(ledger_item(entry, now, "admin"), condition=LedgerItem.pk.does_not_exist())
            tx.update(ProfileItem(customer_pk(source), PROFILE_SK), actions=span,
                      condition=ProfileItem.version == source_version)
        return True
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if "ConditionalCheckFailed" in codes[:2]:  # audited already (now, or under the old key)
            from pynamodb.exceptions import UpdateError

            try:
                ProfileItem(customer_pk(source), PROFILE_SK).update(
                    actions=span, condition=ProfileItem.version == source_version)
            except UpdateError as update_error:
                if update_error.cause_response_code == "ConditionalCheckFailedException":
                    raise RetryableConflict("the source changed while finishing the merge") from update_error
                raise
            return False
        if "ConditionalCheckFailed" in codes:
            raise RetryableConflict("the source changed while finishing the merge") from error
        raise
