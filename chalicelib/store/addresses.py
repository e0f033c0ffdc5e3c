"""The customer's address book: what orders and deliveries add to each entry, and confirmations.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

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


@dataclass(frozen=True)
class AddressTimes:
    """What a writer read of an address book entry's times (both None: no entry)."""

    first_used_at: Optional[datetime] = None
    last_delivery_at: Optional[datetime] = None


NO_ENTRY = AddressTimes()


def address_times(item: AddressItem) -> AddressTimes:
    return AddressTimes(item.first_used_at, item.last_delivery_at)


def address_keys_of(customer_id: str, address_ids: Iterable[str]) -> List[Tuple[str, str]]:
    """The table keys of these entries of a customer's address book (for a BatchGet)."""
    return [(customer_pk(customer_id), address_sk(address_id)) for address_id in dict.fromkeys(address_ids)]


def load_address_times(customer_id: str, address_id: str) -> AddressTimes:
    """The times of one entry of the customer's address book (a consistent GetItem)."""
    try:
        return address_times(AddressItem.get(customer_pk(customer_id), address_sk(address_id), consistent_read=True))
    except AddressItem.DoesNotExist:
        return NO_ENTRY


def times_after(observed: AddressTimes, use: AddressUse) -> AddressTimes:
    """The entry's times once ``use`` is written over what was ``observed``."""
    deliveries = [t for t in (observed.last_delivery_at, use.last_delivery_at) if t]
    firsts = [t for t in (observed.first_used_at, use.first_used_at) if t]
    return AddressTimes(min(firsts), max(deliveries) if deliveries else None)


def _only_earlier(attribute, known: Optional[datetime], value: datetime):
    """Actions and condition that move ``attribute`` to ``value`` only if that is earlier than
    what the writer read (the store's ``first_seen_update`` pattern): conditioned on what was
    read, so a racing writer's value is never overwritten by a later one."""
    if known is None:
        return [attribute.set(value)], attribute.does_not_exist()
    if value < known:
        return [attribute.set(value)], attribute == known
    # What is stored already wins. Filling it if absent keeps an entry deleted meanwhile
    # (erasure) from being recreated without it; a concurrent writer can only move it earlier.
    return [attribute.set(attribute | value)], None


def _only_later(attribute, known: Optional[datetime], value: datetime):
    if known is None:
        return [attribute.set(value)], attribute.does_not_exist()
    if value > known:
        return [attribute.set(value)], attribute == known
    return [attribute.set(attribute | value)], None


def address_update(tx: TransactWrite, customer_id: str, use: AddressUse, observed: AddressTimes) -> None:
    """Add ``use`` to the customer's entry for its address: counters add up, ``first_used_at``
    only ever moves earlier and ``last_delivery_at`` only ever later, whatever order the writes
    arrive in (an import of older history, a late ``delivered`` event, a merge, chunks of a
    fanned-out import). ``observed`` is what the writer read of the entry (:data:`NO_ENTRY`
    when it read none); when the entry no longer holds it, the condition fails and the caller
    raises :class:`~.retry.RetryableConflict`, so the retry reads again."""
    first_actions, condition = _only_earlier(AddressItem.first_used_at, observed.first_used_at, use.first_used_at)
    actions = [
        AddressItem.item_type.set(AddressItem),
        AddressItem.customer_id.set(customer_id),
        AddressItem.address_id.set(use.address_id),
        AddressItem.normalised.set(AddressItem.normalised | use.normalised),
        AddressItem.address.set(AddressItem.address | use.address),
        *first_actions,
    ]
    if use.orders:
        actions.append(AddressItem.orders_shipped.add(use.orders))
    if use.deliveries:
        actions.append(AddressItem.deliveries_confirmed.add(use.deliveries))
    if use.last_delivery_at:
        last_actions, last_condition = _only_later(AddressItem.last_delivery_at, observed.last_delivery_at,
                                                   use.last_delivery_at)
        actions.extend(last_actions)
        if last_condition is not None:
            condition = last_condition if condition is None else condition & last_condition
    if use.payment_confirmed:  # an operator's confirmation is the stronger one and is kept
        actions.append(AddressItem.confirmed_by.set(AddressItem.confirmed_by | "payment_provider"))
    tx.update(AddressItem(customer_pk(customer_id), address_sk(use.address_id)), actions=actions,
              condition=condition)


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
