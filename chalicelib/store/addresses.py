"""The customer's address book: what orders and deliveries add to each entry, and confirmations.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Dict, List, Optional, Sequence

from pynamodb.transactions import TransactWrite

from .models import AddressItem, address_sk, customer_pk


@dataclass(frozen=True)
class AddressUse:
    """What one write does to an address book entry: orders shipped and deliveries to add."""

    address_id: str
    normalised: dict
    address: dict
    first_used_at: datetime
    orders: int = 0
    deliveries: int = 0
    last_delivery_at: Optional[datetime] = None
    payment_confirmed: bool = False
    identity_key: Optional[str] = None  # the keyed hash of the fingerprint, when this use is a delivery

    def merged(self, other: "AddressUse") -> "AddressUse":
        deliveries = [t for t in (self.last_delivery_at, other.last_delivery_at) if t]
        return AddressUse(self.address_id, self.normalised, self.address,
                          min(self.first_used_at, other.first_used_at), self.orders + other.orders,
                          self.deliveries + other.deliveries, max(deliveries) if deliveries else None,
                          self.payment_confirmed or other.payment_confirmed,
                          self.identity_key or other.identity_key)


def address_keys(uses: Sequence[AddressUse]) -> Dict[str, str]:
    return {use.identity_key: "address" for use in uses if use.identity_key and use.deliveries}


def merged_address_uses(uses) -> List[AddressUse]:
    """One update per address touched, however many orders of the batch went there."""
    merged: Dict[str, AddressUse] = {}
    for use in uses:
        if use is not None:
            merged[use.address_id] = merged[use.address_id].merged(use) if use.address_id in merged else use
    return list(merged.values())


def address_update(tx: TransactWrite, customer_id: str, use: AddressUse) -> None:
    actions = [
        AddressItem.item_type.set(AddressItem),
        AddressItem.customer_id.set(customer_id),
        AddressItem.address_id.set(use.address_id),
        AddressItem.normalised.set(AddressItem.normalised | use.normalised),
        AddressItem.address.set(AddressItem.address | use.address),
        AddressItem.first_used_at.set(AddressItem.first_used_at | use.first_used_at),
    ]
    if use.orders:
        actions.append(AddressItem.orders_shipped.add(use.orders))
    if use.deliveries:
        actions.append(AddressItem.deliveries_confirmed.add(use.deliveries))
    if use.last_delivery_at:
        actions.append(AddressItem.last_delivery_at.set(use.last_delivery_at))
    if use.payment_confirmed:  # an operator's confirmation is the stronger one and is kept
        actions.append(AddressItem.confirmed_by.set(AddressItem.confirmed_by | "payment_provider"))
    tx.update(AddressItem(customer_pk(customer_id), address_sk(use.address_id)), actions=actions)


def confirm_address(customer_id: str, address_id: str, confirmed_by: str, now: datetime, operator: str) -> bool:
    """Mark an address book entry confirmed; False when the customer has no such address."""
    from pynamodb.exceptions import UpdateError

    try:
        AddressItem(customer_pk(customer_id), address_sk(address_id)).update(
            actions=[AddressItem.confirmed_by.set(confirmed_by), AddressItem.confirmed_at.set(now),
                     AddressItem.confirmed_by_operator.set(operator)],
            condition=AddressItem.pk.exists(),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
