"""Erasure of a customer's personal data: addresses, free-text reasons and decisions, then the
profile's fields replaced by tokens in one last transaction.
"""
from __future__ import annotations

from datetime import datetime
from typing import Dict, List, Optional

from ..domain.ledger import LedgerEntry
from .models import (
    AddressItem, AdjustmentItem, CREDIT_GRANT_PREFIX, CREDIT_MOVEMENT_PREFIX, CreditGrantItem,
    CreditMovementItem, DecisionItem, LEDGER_PREFIX, LedgerItem, ORDER_SK, OrderItem, PROFILE_SK, ProfileItem,
    audit_sk, customer_pk, key_range, order_pk,
)
from .ledger import LEDGER_ENTRY_TYPES_PLACED, ledger_item
from .transactions import transact


def customer_order_ids(customer_id: str) -> List[str]:
    """Every order id in the customer's ledger (placements), read page by page."""
    query = LedgerItem.query(customer_pk(customer_id), key_range(LEDGER_PREFIX),
                             attributes_to_get=["entry_type", "order_id", "item_type"])
    return sorted({item.order_id for item in query if item.entry_type == LEDGER_ENTRY_TYPES_PLACED})


def erase_order_address(order_id: str, customer_id: str, token: str) -> bool:
    """Replace an order's shipping address by a token; False when the order is not this customer's."""
    from pynamodb.exceptions import UpdateError

    try:
        OrderItem(order_pk(order_id), ORDER_SK).update(
            actions=[OrderItem.shipping_address.set({"erased": token})],
            condition=(OrderItem.customer_id == customer_id) & OrderItem.shipping_address.exists())
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def erase_addresses(customer_id: str, token_for) -> int:
    count = 0
    for item in AddressItem.query(customer_pk(customer_id), key_range("PROFILE#ADDR#")):
        if "erased" in (item.address or {}):
            continue
        item.update(actions=[AddressItem.address.set({"erased": token_for("address")}),
                             AddressItem.normalised.set({"erased": True})])
        count += 1
    return count


ORDER_EVENT_ENTRY_TYPES = ("delivered", "returned", "refunded", "cancelled", "chargeback")


def erase_event_reasons(customer_id: str, redact) -> int:
    """Rewrite the description of each of the customer's order-event ledger entries by
    ``redact(description)`` (its free-text ``reason`` removed), where that changes it."""
    count = 0
    query = LedgerItem.query(customer_pk(customer_id), key_range(LEDGER_PREFIX),
                             attributes_to_get=["pk", "sk", "entry_type", "description", "item_type"])
    for item in query:
        if item.entry_type not in ORDER_EVENT_ENTRY_TYPES or not item.description:
            continue
        redacted = redact(item.description)
        if redacted != item.description:
            LedgerItem(item.pk, item.sk).update(actions=[LedgerItem.description.set(redacted)],
                                                condition=LedgerItem.pk.exists())
            count += 1
    return count


CREDIT_REASON_ERASED = "(reason erased)"


def erase_credit_reasons(customer_id: str) -> int:
    """Replace the free-text reason of every credit grant and credit journal line of the
    customer; amounts, dates and who granted stay (money is not personal data)."""
    count = 0
    pk = customer_pk(customer_id)
    for model, prefix in ((CreditGrantItem, CREDIT_GRANT_PREFIX), (CreditMovementItem, CREDIT_MOVEMENT_PREFIX)):
        for item in model.query(pk, key_range(prefix), attributes_to_get=["pk", "sk", "reason", "item_type"]):
            if item.reason and item.reason != CREDIT_REASON_ERASED:
                model(item.pk, item.sk).update(actions=[model.reason.set(CREDIT_REASON_ERASED)],
                                               condition=model.pk.exists())
                count += 1
    return count


def erase_decisions(customer_id: str) -> int:
    count = 0
    for item in DecisionItem.query(customer_pk(customer_id), key_range("DECISION#")):
        if not item.details.get("erased"):
            item.update(actions=[DecisionItem.details.set({"erased": True})])
            count += 1
    return count


def finish_erasure(customer_id: str, tokens: Dict[str, str], now: datetime, operator: str, summary: dict,
                   entry: LedgerEntry, audit: bool = True) -> None:
    """The last step, in one transaction: profile fields replaced by tokens, lookup hashes
    removed, the erasure recorded on the ledger and as an adjustment naming the operator."""
    profile_actions = [
        ProfileItem.name.set(tokens["name"]), ProfileItem.email.set(tokens["email"]),
        ProfileItem.phone.set(tokens["phone"]), ProfileItem.email_hash.remove(), ProfileItem.phone_hash.remove(),
        ProfileItem.identity_keys.remove(),
        ProfileItem.erased_at.set(ProfileItem.erased_at | now), ProfileItem.version.add(1)]
    with transact() as tx:
        if audit:
            tx.save(AdjustmentItem(customer_pk(customer_id), audit_sk("erasure"), customer_id=customer_id,
                                   adjustment_id=entry.event_id, kind="erasure", at=now, operator=operator,
                                   request_hash="erasure", details=summary),
                    condition=AdjustmentItem.pk.does_not_exist())
            tx.save(ledger_item(entry, now, "admin"), condition=LedgerItem.pk.does_not_exist())
        tx.update(ProfileItem(customer_pk(customer_id), PROFILE_SK), actions=profile_actions,
                  condition=ProfileItem.pk.exists())


def erased_at(customer_id: str) -> Optional[datetime]:
    try:
        return ProfileItem.get(customer_pk(customer_id), PROFILE_SK, consistent_read=True,
                               attributes_to_get=["erased_at", "item_type"]).erased_at
    except ProfileItem.DoesNotExist:
        raise LookupError(customer_id) from None
