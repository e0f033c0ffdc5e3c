"""Use cases of the ledger: record an order, record an event that follows it.

Each use case is idempotent by the caller's id (order_id, event_id): the same request
again gets the first answer and changes nothing; the same id with a different body is a
conflict. Both run inside :func:`with_retries`, so a transaction conflict or throttling
re-reads and tries again instead of failing the checkout.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional, Tuple

from ..config import settings
from ..domain.errors import Conflict, NotFound
from ..domain.ledger import (
    LedgerEntry,
    Order,
    OrderEvent,
    OrderState,
    OrderSubmission,
    apply_event,
    fingerprint,
    placement_delta,
)
from ..domain.times import iso_utc
from ..domain.money import format_money
from ..store import repository as store
from ..store.retry import with_retries
from .exchange import default_fx_rates, to_base


def record_order(customer_id: str, request: OrderSubmission, *, now: Optional[datetime] = None) -> Tuple[int, dict]:
    """Record a placed order. Returns (201, result) the first time, (200, same result) on a replay."""
    now = now or datetime.now(timezone.utc)
    new_order = build_new_order(customer_id, request, source="api")
    base = new_order.state.order.base_currency

    def attempt() -> None:
        observed = store.load_profile_stats(customer_id)
        store.commit_orders(customer_id, [new_order], observed, now, base)

    try:
        with_retries(attempt, budget_seconds=settings().retry_budget_seconds)
    except store.OrdersAlreadyExist:
        return 200, replayed_order(customer_id, request.order_id, new_order.request_hash)
    return 201, new_order.result


def build_new_order(customer_id: str, request: OrderSubmission, *, source: str,
                    events: Tuple[OrderEvent, ...] = ()) -> store.NewOrder:
    """The items an order writes: its state, ledger entries and aggregate deltas.

    ``events`` are applied straight away (an imported order that was already delivered or
    refunded), through the same rules as events arriving later through the API, so an
    import and a replay of the same history produce the same aggregates.
    """
    base = settings().base_currency
    order = Order(
        order_id=request.order_id,
        customer_id=customer_id,
        placed_at=request.placed_at,
        currency=request.currency,
        lines=request.lines,
        total_amount=request.total_amount,
        base_currency=base,
        base_total=to_base(request.total_amount, request.currency, base, default_fx_rates()),
        shipping_address=request.shipping_address,
    )
    state = OrderState(order=order)
    placed = LedgerEntry(
        customer_id=customer_id,
        entry_type="order_placed",
        at=order.placed_at,
        order_id=order.order_id,
        currency=order.currency,
        amount=order.total_amount,
        base_currency=base,
        base_amount=order.base_total,
        description=f"Order {order.order_id} placed: {format_money(order.total_amount, order.currency)}, "
        f"{sum(line.quantity for line in order.lines)} item(s)",
        details={"lines": [line.__dict__ for line in order.lines]},
    )
    entries = [placed]
    deltas = [placement_delta(order)]
    for event in events:
        outcome = apply_event(state, event)
        state = outcome.state
        entries.append(event_entry(order, event, outcome.amount, outcome.base_amount, outcome.description))
        deltas.append(outcome.delta)
    request_hash = fingerprint({"customer_id": customer_id, **request.canonical})
    return store.NewOrder(
        state=state,
        request_hash=request_hash,
        result=order_result(order, placed),
        entries=entries,
        deltas=deltas,
        source=source,
    )


def replayed_order(customer_id: str, order_id: str, request_hash: str) -> dict:
    existing = store.get_order(order_id)
    if existing is None:  # pragma: no cover - the failed condition proves it exists
        raise Conflict(f"order {order_id} could not be read back; retry")
    if existing.request_hash != request_hash or existing.state.order.customer_id != customer_id:
        raise Conflict(
            f"order_id {order_id} was already recorded with a different body"
            + ("" if existing.state.order.customer_id == customer_id else " for another customer"),
            [{"field": "order_id", "reason": "already used with a different body"}],
        )
    return existing.result


def order_result(order: Order, placed: LedgerEntry) -> dict:
    return {
        "order_id": order.order_id,
        "customer_id": order.customer_id,
        "placed_at": iso_utc(order.placed_at),
        "status": "placed",
        "total": {"amount": order.total_amount, "currency": order.currency},
        "base_total": {"amount": order.base_total, "currency": order.base_currency},
        "lines": [line.__dict__ | {"net_amount": line.net_amount} for line in order.lines],
        "ledger_entry_id": store.ledger_sort_key(placed),
    }


def event_entry(order: Order, event: OrderEvent, amount: int, base_amount: int, description: str) -> LedgerEntry:
    moves_money = event.type in ("returned", "refunded", "chargeback", "cancelled")
    return LedgerEntry(
        customer_id=order.customer_id,
        entry_type=event.type,
        at=event.at,
        order_id=order.order_id,
        event_id=event.event_id,
        currency=order.currency if moves_money else None,
        amount=amount if moves_money else None,
        base_currency=order.base_currency if moves_money else None,
        base_amount=base_amount if moves_money else None,
        description=f"Order {order.order_id}: {description}" + (f" ({event.reason})" if event.reason else ""),
        details={"lines": [line.__dict__ for line in event.lines]} if event.lines else None,
    )


def record_event(customer_id: str, order_id: str, event: OrderEvent, canonical: dict,
                 *, now: Optional[datetime] = None) -> Tuple[int, dict]:
    """Apply a delivered/returned/refunded/cancelled/chargeback event to an order.

    404 when the order is unknown (or belongs to another customer), 422 when the ledger's
    rules forbid it, 409 when the event id was used with a different body.
    """
    now = now or datetime.now(timezone.utc)
    request_hash = fingerprint({"customer_id": customer_id, "order_id": order_id, **canonical})

    def earlier_answer() -> Optional[dict]:
        existing = store.get_order_event(order_id, event.event_id)
        if existing is None:
            return None
        if existing.request_hash != request_hash:
            raise Conflict(
                f"event_id {event.event_id} was already recorded for order {order_id} with a different body",
                [{"field": "event_id", "reason": "already used with a different body"}],
            )
        return existing.result

    def attempt() -> Tuple[int, dict]:
        earlier = earlier_answer()
        if earlier is not None:
            return 200, earlier
        stored = store.get_order(order_id)
        if stored is None or stored.state.order.customer_id != customer_id:
            raise NotFound(f"customer {customer_id} has no order {order_id}")
        outcome = apply_event(stored.state, event)
        order = stored.state.order
        entry = event_entry(order, event, outcome.amount, outcome.base_amount, outcome.description)
        result = event_result(order_id, event, outcome.state, entry, outcome.amount)
        span = None
        if event.type == "cancelled":
            span = _span_without(customer_id, order)
        try:
            store.commit_event(stored, outcome.state, event.event_id, event.type, request_hash, result,
                               entry, outcome.delta, now, span)
        except store.EventAlreadyExists:
            return 200, earlier_answer() or {}
        return 201, result

    return with_retries(attempt, budget_seconds=settings().retry_budget_seconds)


def _span_without(customer_id: str, order: Order):
    """(first, last, version) after removing ``order``, or None when it is neither end."""
    stats = store.load_profile_stats(customer_id)
    if stats is None or order.placed_at not in (stats.first_order_at, stats.last_order_at):
        return None
    first, last = store.remaining_order_span(customer_id, order.order_id)
    return first, last, stats.version


def event_result(order_id: str, event: OrderEvent, state: OrderState, entry: LedgerEntry, amount: int) -> dict:
    order = state.order
    body = {
        "event_id": event.event_id,
        "order_id": order_id,
        "type": event.type,
        "at": iso_utc(event.at),
        "ledger_entry_id": store.ledger_sort_key(entry),
        "order": {
            "status": state.status,
            "total": {"amount": order.total_amount, "currency": order.currency},
            "refunded": {"amount": state.refunded, "currency": order.currency},
            "returned": {"amount": state.returned, "currency": order.currency},
            "charged_back": {"amount": state.charged_back, "currency": order.currency},
            "remaining": {"amount": state.remaining if state.status != "cancelled" else 0, "currency": order.currency},
        },
    }
    if entry.amount is not None:
        body["amount"] = {"amount": amount, "currency": order.currency}
    return body
