"""The customer ledger: orders, the events that follow them, and their effect on aggregates.

Everything here is pure: a service loads an :class:`OrderState`, asks this module what an
event does to it, and saves the new state together with the :class:`StatsDelta` in one
transaction. The rules that keep the ledger exact live here:

- money never goes back more than remains of an order (refunds + returns + chargebacks);
- a cancelled order leaves the aggregates as if it had never been placed;
- every reversal is taken from the month the order was placed in, so a rolling window
  ("net spend in the last 12 months") never counts an order that was later refunded;
- amounts in the store's base currency are derived from the order's own rate, fixed when the
  order was placed, so a full refund removes exactly what the order added.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Dict, Iterable, List, Optional, Tuple

from .errors import Unprocessable
from .money import allocate, format_money
from .times import iso_utc

EVENT_TYPES = ("delivered", "returned", "refunded", "cancelled", "chargeback")
MONEY_EVENTS = ("returned", "refunded", "chargeback")


@dataclass(frozen=True)
class OrderLine:
    sku: str
    category: str
    quantity: int
    unit_amount: int
    discount_amount: int = 0

    @property
    def net_amount(self) -> int:
        return self.quantity * self.unit_amount - self.discount_amount

    def unit_values(self) -> List[int]:
        """What each unit of the line cost after its discount, summing exactly to the line."""
        return allocate(self.net_amount, [1] * self.quantity) if self.quantity else []


@dataclass(frozen=True)
class Order:
    """An order as the storefront reported it, with its value in the base currency."""

    order_id: str
    customer_id: str
    placed_at: datetime
    currency: str
    lines: Tuple[OrderLine, ...]
    total_amount: int
    base_currency: str
    base_total: int
    shipping_address: Optional[dict] = None

    @property
    def month(self) -> str:
        return month_key(self.placed_at)

    @property
    def day(self) -> str:
        return day_key(self.placed_at)


@dataclass(frozen=True)
class OrderSubmission:
    """An order as a storefront or an import file submits it, already checked field by field."""

    order_id: str
    placed_at: datetime
    currency: str
    lines: Tuple[OrderLine, ...]
    total_amount: int
    shipping_address: Optional[dict]
    canonical: dict  # the normalised body, hashed to tell a replay from a different request
    quote_token: Optional[str] = None
    payment_confirmed_address: Optional[dict] = None


@dataclass(frozen=True)
class OrderState:
    """The mutable side of an order, kept on its order item and guarded by ``version``."""

    order: Order
    status: str = "placed"  # placed | delivered | cancelled
    refunded: int = 0  # order currency, minor units
    returned: int = 0
    charged_back: int = 0
    base_reversed: int = 0  # base currency taken back from net spend so far
    returned_units: Dict[str, int] = field(default_factory=dict)  # sku -> units given back (any money event)
    delivered_at: Optional[datetime] = None
    version: int = 0

    @property
    def reversed(self) -> int:
        return self.refunded + self.returned + self.charged_back

    @property
    def remaining(self) -> int:
        """What can still be refunded, returned or charged back, in the order's currency."""
        return self.order.total_amount - self.reversed


@dataclass(frozen=True)
class EventLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class OrderEvent:
    event_id: str
    type: str
    at: datetime
    amount: Optional[int] = None
    lines: Tuple[EventLine, ...] = ()
    reason: Optional[str] = None
    as_store_credit: bool = False  # a refund or return paid as store credit (domain/store_credit.py)


@dataclass(frozen=True)
class StatsDelta:
    """How one ledger entry changes a customer's aggregates.

    ``month`` is the bucket the money and order count belong to (the order's month);
    ``day`` is the order's UTC purchase day, whose bucket the customer-value model reads
    (orders and net spend per day; see docs/customer-value.md).
    """

    month: str
    orders: int = 0
    net_spend: int = 0  # base currency
    gross_spend: int = 0  # base currency, what orders were placed for, before reversals
    delivered_orders: int = 0
    returns: int = 0
    refunds: int = 0
    chargebacks: int = 0
    cancellations: int = 0
    day: Optional[str] = None

    def counters(self) -> Dict[str, int]:
        """The profile counters this delta adds to (only the non-zero ones)."""
        values = {
            "lifetime_orders": self.orders,
            "lifetime_net_spend": self.net_spend,
            "lifetime_gross_spend": self.gross_spend,
            "delivered_orders": self.delivered_orders,
            "returns_count": self.returns,
            "refunds_count": self.refunds,
            "chargebacks_count": self.chargebacks,
            "cancellations_count": self.cancellations,
        }
        return {name: value for name, value in values.items() if value}


@dataclass(frozen=True)
class LedgerEntry:
    """One immutable line of a customer's ledger."""

    customer_id: str
    entry_type: str  # order_placed | delivered | returned | refunded | cancelled | chargeback | adjustment
    at: datetime
    order_id: Optional[str] = None
    event_id: Optional[str] = None
    currency: Optional[str] = None
    amount: Optional[int] = None
    base_currency: Optional[str] = None
    base_amount: Optional[int] = None
    description: str = ""
    details: Optional[dict] = None

    @property
    def subject(self) -> str:
        """What the entry is about, as it reads in its sort key: ``ORDER#o-1#refunded#ev-7``,
        or ``ADJUSTMENT#adj-3#goodwill_credit`` for an operator's adjustment."""
        if self.order_id is None:
            return f"ADJUSTMENT#{self.event_id}#{self.entry_type}"
        if self.entry_type == "order_placed":
            return f"ORDER#{self.order_id}#placed"
        return f"ORDER#{self.order_id}#{self.entry_type}#{self.event_id}"


@dataclass(frozen=True)
class EventOutcome:
    """The result of applying an event: the new order state, the aggregate change, and
    the money it moved (in the order's currency and in base)."""

    state: OrderState
    delta: StatsDelta
    amount: int = 0
    base_amount: int = 0
    description: str = ""


def month_key(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m")


def day_key(moment: datetime) -> str:
    """The UTC calendar day of ``moment``: orders of one day are one purchase for the value model."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d")


def fingerprint(payload: dict) -> str:
    """A stable hash of a request body, to tell a replay from a different request."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def total_mismatch(lines: Iterable[OrderLine], total_amount: int) -> Optional[str]:
    """Why ``total_amount`` disagrees with the lines, or None when it adds up."""
    expected = sum(line.net_amount for line in lines)
    if expected != total_amount:
        return f"is {total_amount} but the lines add up to {expected} (quantity x unit_amount - discount_amount)"
    return None


def placement_delta(order: Order) -> StatsDelta:
    """What placing an order adds to the aggregates."""
    return StatsDelta(month=order.month, orders=1, net_spend=order.base_total, gross_spend=order.base_total,
                      day=order.day)


def apply_event(state: OrderState, event: OrderEvent) -> EventOutcome:
    """Apply one event to an order, enforcing the ledger's rules.

    Raises :class:`Unprocessable` when the event is impossible for the order's state:
    anything after a cancellation, a cancellation after delivery, or money back beyond
    what remains of the order.
    """
    order = state.order
    if state.status == "cancelled":
        raise Unprocessable(f"order {order.order_id} was cancelled; no further events apply")
    if event.at < order.placed_at:
        raise Unprocessable(f"at: the event is dated before the order was placed ({iso_utc(order.placed_at)})",
                            [{"field": "at", "reason": "before the order was placed"}])
    if event.type == "delivered":
        return _deliver(state, event)
    if event.type == "cancelled":
        return _cancel(state)
    return _money_back(state, event)


def _deliver(state: OrderState, event: OrderEvent) -> EventOutcome:
    first_delivery = state.delivered_at is None
    new_state = replace(
        state,
        status="delivered",
        delivered_at=state.delivered_at or event.at,
        version=state.version + 1,
    )
    delta = StatsDelta(month=state.order.month, delivered_orders=1 if first_delivery else 0)
    return EventOutcome(new_state, delta, description="Delivered")


def _cancel(state: OrderState) -> EventOutcome:
    order = state.order
    if state.status == "delivered":
        raise Unprocessable(
            f"order {order.order_id} was delivered and cannot be cancelled; record a return instead"
        )
    base_left = order.base_total - state.base_reversed
    new_state = replace(state, status="cancelled", base_reversed=order.base_total, version=state.version + 1)
    delta = StatsDelta(
        month=order.month, orders=-1, net_spend=-base_left, gross_spend=-order.base_total, cancellations=1,
        day=order.day,
    )
    return EventOutcome(new_state, delta, amount=state.remaining, base_amount=base_left, description="Cancelled")


def _money_back(state: OrderState, event: OrderEvent) -> EventOutcome:
    order = state.order
    returned_units = dict(state.returned_units)
    lines_value = None
    if event.lines:
        lines_value = 0
        for index, line in enumerate(event.lines):
            value, units = _value_of_units(order, line, returned_units, index)
            lines_value += value
            returned_units[line.sku] = units
    amount = event.amount if event.amount is not None else lines_value
    if amount is None:
        if event.type != "chargeback":
            raise Unprocessable(f"a {event.type} event needs an amount or lines",
                                [{"field": "amount", "reason": "required when lines are absent"}])
        amount = state.remaining
    if lines_value is not None and amount > lines_value:
        raise Unprocessable(
            f"amount: {amount} is more than the returned lines are worth ({lines_value})",
            [{"field": "amount", "reason": f"more than the lines are worth ({lines_value})"}],
        )
    if amount > state.remaining:
        left = format_money(state.remaining, order.currency)
        raise Unprocessable(
            f"amount: {format_money(amount, order.currency)} is more than remains of order "
            f"{order.order_id} ({left})",
            [{"field": "amount", "reason": f"at most {state.remaining} remains of the order"}],
        )
    reversed_after = state.reversed + amount
    base_reversed_after = base_share(order, reversed_after)
    base_amount = base_reversed_after - state.base_reversed
    counts = {"returned": "returns", "refunded": "refunds", "chargeback": "chargebacks"}
    delta = StatsDelta(month=order.month, net_spend=-base_amount, day=order.day, **{counts[event.type]: 1})
    money_field = {"returned": "returned", "refunded": "refunded", "chargeback": "charged_back"}[event.type]
    new_state = replace(
        state,
        returned_units=returned_units,
        base_reversed=base_reversed_after,
        version=state.version + 1,
        **{money_field: getattr(state, money_field) + amount},
    )
    return EventOutcome(
        new_state, delta, amount=amount, base_amount=base_amount,
        description=f"{event.type.capitalize()} {format_money(amount, order.currency)}",
    )


def _value_of_units(order: Order, line: EventLine, returned_units: Dict[str, int], index: int) -> Tuple[int, int]:
    """Value of ``line.quantity`` more units of a SKU, and the units of it returned after."""
    unit_values = [value for ordered in order.lines if ordered.sku == line.sku for value in ordered.unit_values()]
    if not unit_values:
        raise Unprocessable(f"lines[{index}].sku: {line.sku!r} is not in order {order.order_id}",
                            [{"field": f"lines[{index}].sku", "reason": "not in the order"}])
    already = returned_units.get(line.sku, 0)
    after = already + line.quantity
    if after > len(unit_values):
        raise Unprocessable(
            f"lines[{index}].quantity: only {len(unit_values) - already} of {line.sku!r} remain to return",
            [{"field": f"lines[{index}].quantity", "reason": f"at most {len(unit_values) - already} remain"}],
        )
    return sum(unit_values[already:after]), after


def base_share(order: Order, amount: int) -> int:
    """Base-currency value of ``amount`` of the order's currency (a part of the order: money
    reversed, a discount), rounded half up; exact at 100%."""
    if order.total_amount == 0:
        return 0
    numerator = order.base_total * amount
    quotient, remainder = divmod(numerator, order.total_amount)
    return quotient + (1 if 2 * remainder >= order.total_amount else 0)
