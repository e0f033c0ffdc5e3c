"""Orders and their events. Recording orders or an event is one TransactWriteItems: the immutable
ledger entries, the idempotency record (an order or event item written only if absent), and the
aggregate updates (counters by ``ADD``, so concurrent orders never lose an update). Where an
aggregate cannot be an ``ADD`` (first and last order time), the update carries a condition on
what was read, and a stale read becomes a retry, never a lost write.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from pynamodb.exceptions import TransactWriteError

from ..domain.customer import CustomerStats
from ..domain.ledger import LedgerEntry, Order, OrderLine, OrderState, StatsDelta
from .models import (
    LedgerItem, ORDER_SK, OrderEventItem, OrderItem, PROFILE_SK, ProfileItem, customer_pk, order_pk,
)
from .addresses import NO_ENTRY, AddressTimes, AddressUse, address_keys, address_update, merged_address_uses
from .aggregates import AggregateChange, counter_actions, month_updates, span_update
from .credit import CreditBack, CreditChanged, CreditSpend, give_back_credit, spend_credit
from .customers import fill_actions, first_seen_update, profile_identity_actions
from .identity import add_identity
from .ledger import LEDGER_ENTRY_TYPES_PLACED, ledger_item, ledger_sort_key
from .promotions import (
    PromotionClaim, PromotionUnavailable, claim_failure_reasons, claim_promotions, release_claims,
)
from .retry import RetryableConflict, cancellation_codes
from .transactions import EventAlreadyExists, transact


class OrdersAlreadyExist(Exception):
    """Some orders of a commit were already recorded; ``order_ids`` says which."""

    def __init__(self, order_ids: Sequence[str]) -> None:
        super().__init__(", ".join(order_ids))
        self.order_ids = list(order_ids)


@dataclass(frozen=True)
class StoredOrder:
    state: OrderState
    request_hash: str
    result: dict
    source: str
    decision: Optional[dict] = None
    discount_taken_back: Optional[Dict[str, int]] = None
    credit: Optional[dict] = None


@dataclass(frozen=True)
class StoredEvent:
    customer_id: str
    request_hash: str
    result: dict


@dataclass
class NewOrder:
    """An order to record, possibly with events already applied (an imported order)."""

    state: OrderState
    request_hash: str
    result: dict
    entries: List[LedgerEntry]
    deltas: List[StatsDelta]
    source: str = "api"
    decision: Optional[dict] = None
    address_use: Optional[AddressUse] = None
    credit: Optional[dict] = None  # the order's credit record (OrderItem.credit)


def get_order(order_id: str) -> Optional[StoredOrder]:
    try:
        item = OrderItem.get(order_pk(order_id), ORDER_SK, consistent_read=True)
    except OrderItem.DoesNotExist:
        return None
    return StoredOrder(state=order_state(item), request_hash=item.request_hash, result=item.result,
                       source=item.source, decision=item.decision, discount_taken_back=item.discount_taken_back,
                       credit=item.credit)


def existing_order_hashes(order_ids: Sequence[str]) -> Dict[str, Tuple[str, str]]:
    """For the given ids already recorded: order_id -> (request hash, customer id). BatchGetItem."""
    keys = [(order_pk(order_id), ORDER_SK) for order_id in dict.fromkeys(order_ids)]
    found = {}
    for item in OrderItem.batch_get(keys, consistent_read=True,
                                    attributes_to_get=["order_id", "request_hash", "customer_id", "item_type"]):
        found[item.order_id] = (item.request_hash, item.customer_id)
    return found


def get_order_event(order_id: str, event_id: str) -> Optional[StoredEvent]:
    try:
        item = OrderEventItem.get(order_pk(order_id), f"EVENT#{event_id}", consistent_read=True)
    except OrderEventItem.DoesNotExist:
        return None
    return StoredEvent(customer_id=item.customer_id, request_hash=item.request_hash, result=item.result)


def commit_orders(
    customer_id: str,
    orders: Sequence[NewOrder],
    observed: Optional[CustomerStats],
    now: datetime,
    base_currency: str,
    profile_fields: Optional[Dict[str, object]] = None,
    promotion_claims: Sequence[PromotionClaim] = (),
    credit_spend: Optional[CreditSpend] = None,
    identity: Optional[Dict[str, str]] = None,
    observed_addresses: Optional[Mapping[str, AddressTimes]] = None,
) -> None:
    """Record orders of one customer in one transaction, with their ledger entries and aggregates.

    ``observed_addresses`` is what the caller read of the address book entries the orders
    ship to (by address id; one not named was read as absent): each entry's ``first_used_at``
    only moves earlier and ``last_delivery_at`` only later, conditioned on what was read.

    ``identity`` (keyed hash -> kind: the import file's email and phone) and the keys of
    addresses delivered to are listed on the identity index in the same transaction.

    ``credit_spend`` takes store credit from the grants it names in the same transaction, each
    update conditioned on the grant holding enough and not having expired:
    :class:`CreditChanged` when one no longer does (nothing is written then).

    ``profile_fields`` (contact details from an import file) fill, in the same update, the
    fields the profile does not have yet; ``first_seen_at`` moves back to the earliest order.
    ``promotion_claims`` count the promotions the order used against their per-customer
    limits and total budgets in the same transaction: :class:`PromotionUnavailable` when one
    is used up (nothing is written then).

    Raises :class:`OrdersAlreadyExist` naming the order ids already recorded (nothing is
    written then), or :class:`RetryableConflict` when the profile changed since
    ``observed`` was read in a way that matters (the first or last order time), or an address
    book entry's times since ``observed_addresses`` were read.
    """
    change = AggregateChange()
    entries: List[Tuple[LedgerEntry, str]] = []
    for new_order in orders:
        for delta in new_order.deltas:
            change.add(delta)
        entries.extend((entry, new_order.source) for entry in new_order.entries)
    placed_times = [o.state.order.placed_at for o in orders if o.state.status != "cancelled"]
    with_span = span_update(observed, placed_times)
    seen_actions, seen_condition = first_seen_update(observed, [o.state.order.placed_at for o in orders], now)
    addresses = merged_address_uses(o.address_use for o in orders)
    try:
        with transact() as tx:
            for new_order in orders:
                tx.save(order_item(new_order, now), condition=OrderItem.pk.does_not_exist())
            for entry, source in entries:
                tx.save(ledger_item(entry, now, source), condition=LedgerItem.pk.does_not_exist())
            profile_actions, profile_condition = with_span
            if seen_condition is not None:
                profile_condition = seen_condition if profile_condition is None else profile_condition & seen_condition
            tx.update(
                ProfileItem(customer_pk(customer_id), PROFILE_SK),
                actions=profile_identity_actions(customer_id, now, base_currency, first_seen=False)
                + seen_actions
                + fill_actions(profile_fields or {})
                + counter_actions(change.counters)
                + profile_actions
                + ([ProfileItem.identity_keys.add(set(identity))] if identity else [])
                + [ProfileItem.version.add(1)],
                condition=profile_condition,
            )
            month_updates(tx, customer_id, change)
            for use in addresses:
                address_update(tx, customer_id, use, (observed_addresses or {}).get(use.address_id, NO_ENTRY))
            claim_promotions(tx, customer_id, promotion_claims)
            if credit_spend is not None:
                spend_credit(tx, credit_spend)
            # Last: unconditional, so the positions of the conditions read below do not move.
            add_identity(tx, customer_id, {**(identity or {}), **address_keys(addresses)})
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        existing = [o.state.order.order_id for o, code in zip(orders, codes) if code == "ConditionalCheckFailed"]
        if existing:
            raise OrdersAlreadyExist(existing) from error
        # PynamoDB sends every Put before every Update: the credit journal line (a Put) comes
        # before the profile, whatever the order of the calls above.
        profile_index = len(orders) + len(entries) + (1 if credit_spend is not None else 0)
        if len(codes) > profile_index and codes[profile_index] == "ConditionalCheckFailed":
            raise RetryableConflict("profile changed since it was read") from error
        addresses_start = profile_index + 1 + len(change.days) + len(change.months)
        claims_start = addresses_start + len(addresses)
        if "ConditionalCheckFailed" in codes[addresses_start:claims_start]:
            raise RetryableConflict("an address book entry changed since it was read") from error
        claim_reasons = claim_failure_reasons(promotion_claims)
        for (claim, reason), code in zip(claim_reasons, codes[claims_start:]):
            if code == "ConditionalCheckFailed":
                raise PromotionUnavailable(claim.code, reason) from error
        if "ConditionalCheckFailed" in codes[claims_start + len(claim_reasons):]:
            raise CreditChanged("a credit grant changed since it was read") from error
        raise


def commit_event(
    stored: StoredOrder,
    new_state: OrderState,
    event_id: str,
    event_type: str,
    request_hash: str,
    result: dict,
    entry: LedgerEntry,
    delta: StatsDelta,
    now: datetime,
    span: Optional[Tuple[Optional[datetime], Optional[datetime], int]] = None,
    discount_taken_back: Optional[Dict[str, int]] = None,
    address_use: Optional[AddressUse] = None,
    observed_address: AddressTimes = NO_ENTRY,
    released_claims: Sequence[dict] = (),
    credit: Optional[dict] = None,
    credit_back: Optional[CreditBack] = None,
) -> None:
    """Record one event: its idempotency item, the order's new state (only if the order is
    unchanged since read), the ledger entry and the aggregate change, atomically.

    ``span`` (first, last, profile version) is given when a cancellation moves the customer's
    first or last order time; the profile update is then conditioned on that version.
    ``observed_address`` is what the caller read of ``address_use``'s entry (its
    ``last_delivery_at`` only moves later, see :func:`.addresses.address_update`).
    """
    order = new_state.order
    change = AggregateChange()
    change.add(delta)
    try:
        with transact() as tx:
            tx.save(
                OrderEventItem(
                    order_pk(order.order_id),
                    f"EVENT#{event_id}",
                    order_id=order.order_id,
                    event_id=event_id,
                    customer_id=order.customer_id,
                    event_type=event_type,
                    request_hash=request_hash,
                    ledger_sk=ledger_sort_key(entry),
                    result=result,
                ),
                condition=OrderEventItem.pk.does_not_exist(),
            )
            tx.update(
                OrderItem(order_pk(order.order_id), ORDER_SK),
                actions=_order_state_actions(new_state)
                + ([OrderItem.discount_taken_back.set(discount_taken_back)] if discount_taken_back else [])
                + ([OrderItem.credit.set(credit)] if credit else []),
                condition=OrderItem.version == stored.state.version,
            )
            tx.save(ledger_item(entry, now, "api"), condition=LedgerItem.pk.does_not_exist())
            profile_actions = counter_actions(change.counters) + [ProfileItem.version.add(1)]
            profile_condition = ProfileItem.pk.exists()
            if span is not None:
                first, last, version = span
                profile_actions += [
                    ProfileItem.first_order_at.set(first) if first else ProfileItem.first_order_at.remove(),
                    ProfileItem.last_order_at.set(last) if last else ProfileItem.last_order_at.remove(),
                ]
                profile_condition = ProfileItem.version == version
            tx.update(ProfileItem(customer_pk(order.customer_id), PROFILE_SK), actions=profile_actions,
                      condition=profile_condition)
            month_updates(tx, order.customer_id, change)
            if address_use is not None:
                address_update(tx, order.customer_id, address_use, observed_address)
            release_claims(tx, order.customer_id, released_claims)
            if credit_back is not None:
                give_back_credit(tx, credit_back)
            add_identity(tx, order.customer_id, address_keys([address_use] if address_use else []))
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if codes and codes[0] == "ConditionalCheckFailed":
            raise EventAlreadyExists(event_id) from error
        # Past the event record, every condition is on state read before (the order's version,
        # the profile's) or holds by construction (credit items named after the event and order).
        if "ConditionalCheckFailed" in codes[1:]:
            raise RetryableConflict("order or profile changed since read") from error
        raise


def order_item(new_order: NewOrder, now: datetime) -> OrderItem:
    state = new_order.state
    order = state.order
    placed_entry = next(e for e in new_order.entries if e.entry_type == LEDGER_ENTRY_TYPES_PLACED)
    item = OrderItem(
        order_pk(order.order_id),
        ORDER_SK,
        order_id=order.order_id,
        customer_id=order.customer_id,
        placed_at=order.placed_at,
        currency=order.currency,
        total_amount=order.total_amount,
        base_currency=order.base_currency,
        base_total=order.base_total,
        lines=[line.__dict__ for line in order.lines],
        shipping_address=order.shipping_address,
        request_hash=new_order.request_hash,
        ledger_sk=ledger_sort_key(placed_entry),
        recorded_at=now,
        source=new_order.source,
        result={key: value for key, value in new_order.result.items() if key != "lines"},
        decision=new_order.decision,
        shipping_address_id=new_order.address_use.address_id if new_order.address_use else None,
        credit=new_order.credit,
    )
    _copy_state(item, state)
    return item


def _copy_state(item: OrderItem, state: OrderState) -> None:
    item.status = state.status
    item.refunded = state.refunded
    item.returned = state.returned
    item.charged_back = state.charged_back
    item.base_reversed = state.base_reversed
    item.returned_units = dict(state.returned_units) or None
    item.delivered_at = state.delivered_at
    item.version = state.version


def _order_state_actions(state: OrderState) -> list:
    actions = [
        OrderItem.status.set(state.status),
        OrderItem.refunded.set(state.refunded),
        OrderItem.returned.set(state.returned),
        OrderItem.charged_back.set(state.charged_back),
        OrderItem.base_reversed.set(state.base_reversed),
        OrderItem.version.set(state.version),
    ]
    if state.returned_units:
        actions.append(OrderItem.returned_units.set(dict(state.returned_units)))
    if state.delivered_at:
        actions.append(OrderItem.delivered_at.set(state.delivered_at))
    return actions


def order_state(item: OrderItem) -> OrderState:
    order = Order(
        order_id=item.order_id,
        customer_id=item.customer_id,
        placed_at=item.placed_at,
        currency=item.currency,
        lines=tuple(OrderLine(**line) for line in item.lines),
        total_amount=int(item.total_amount),
        base_currency=item.base_currency,
        base_total=int(item.base_total),
        shipping_address=item.shipping_address,
    )
    return OrderState(
        order=order,
        status=item.status,
        refunded=int(item.refunded),
        returned=int(item.returned),
        charged_back=int(item.charged_back),
        base_reversed=int(item.base_reversed),
        returned_units={sku: int(units) for sku, units in (item.returned_units or {}).items()},
        delivered_at=item.delivered_at,
        version=int(item.version),
    )
