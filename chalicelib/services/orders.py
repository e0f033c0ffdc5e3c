"""Use cases of the ledger: record an order, record an event that follows it.

Each use case is idempotent by the caller's id (order_id, event_id): the same request
again gets the first answer and changes nothing; the same id with a different body is a
conflict. Both run inside :func:`with_retries`, so a transaction conflict or throttling
re-reads and tries again instead of failing the checkout.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime
from typing import Dict, Optional, Tuple

from .. import clock
from .. import observability
from ..config import settings
from ..domain.checkout import quoted_lines
from ..domain.discount_clawback import discount_share_of_refund, discount_share_of_return
from ..domain.errors import Conflict, CreditUnavailable, LoyaltyError, NotFound, PromotionUnavailable
from ..domain.ledger import (
    LedgerEntry,
    Order,
    OrderEvent,
    OrderState,
    OrderSubmission,
    apply_event,
    base_share,
    fingerprint,
    placement_delta,
)
from ..domain.times import iso_utc
from ..domain.money import format_money
from ..domain.money_json import decision_json, order_line_json
from ..store import addresses as addresses_store
from ..store import customers as customers_store
from ..store import ledger as ledger_store
from ..store import orders as orders_store
from ..store import promotions as promotions_store
from ..store import transactions as transactions_store
from ..store.retry import with_retries
from . import address_book, credit, quotes
from .exchange import to_base
from .rules import current_rules


def record_order(customer_id: str, request: OrderSubmission, *, now: Optional[datetime] = None) -> Tuple[int, dict]:
    """Record a placed order. Returns (201, result) the first time, (200, same result) on a replay."""
    now = now or clock.now()
    try:
        decided = quotes.decision_for_order(customer_id, request, request.quote_token, now) if request.quote_token else None
        claims = quotes.promotion_claims(decided.promotion_codes) if decided else []
        if decided and claims:
            decided = replace(decided, decision={**decided.decision, "claimed": [claim.__dict__ for claim in claims]})
        new_order = build_new_order(customer_id, request, source="api", decided=decided)
    except LoyaltyError:
        # An exact replay is answered as before even if its token or exchange rate no longer checks out.
        existing = orders_store.get_order(request.order_id)
        if existing is not None and existing.request_hash == submission_hash(customer_id, request, ()):
            return 200, replayed_result(existing)
        raise
    base = new_order.state.order.base_currency

    shipped_to = [new_order.address_use.address_id] if new_order.address_use else []

    def attempt() -> None:
        # One read either way: the profile alone, or with the address book entry it ships to.
        observed, observed_addresses = customers_store.load_write_state(customer_id, shipped_to)
        spend = None
        if decided and decided.credit and decided.credit["applied"]:
            try:
                spend, new_order.credit = credit.plan_order_spend(customer_id, request.order_id, decided.credit,
                                                                  base, now)
            except CreditUnavailable:
                if orders_store.get_order(request.order_id) is not None:  # spent by this very order: a replay
                    raise orders_store.OrdersAlreadyExist([request.order_id]) from None
                raise
            new_order.result["credit"] = credit.order_credit_json(new_order.credit)
        orders_store.commit_orders(customer_id, [new_order], observed, now, base, promotion_claims=claims,
                                   credit_spend=spend, observed_addresses=observed_addresses)

    try:
        with_retries(attempt, budget_seconds=settings().retry_budget_seconds)
    except orders_store.OrdersAlreadyExist:
        return 200, replayed_order(customer_id, request.order_id, new_order.request_hash)
    except promotions_store.PromotionUnavailable as used_up:
        raise PromotionUnavailable(
            f"{used_up.code} can no longer be applied: {used_up.reason}; quote again",
            [{"field": "quote_token", "reason": f"{used_up.code}: {used_up.reason}"}],
        ) from None
    _count_commit(customer_id, new_order)
    credit.count_spend(new_order.credit)
    from .recognition import attach_guest_order

    attached = attach_guest_order(customer_id, current_rules())  # reads nothing unless identity.attach is auto
    if attached is not None:
        observability.metric("GuestOrdersAttached")
        return 201, {**new_order.result, "attached_to": attached}
    return 201, new_order.result


def _count_commit(customer_id: str, new_order: orders_store.NewOrder) -> None:
    """The business metrics of a newly recorded order: one commit, and its discounts by kind
    in minor units of the base currency (replays count nothing)."""
    order = new_order.state.order
    observability.metric("OrdersCommitted")
    by_kind = {"tier": 0, "promotion": 0}
    for discount in (new_order.decision or {}).get("discounts", []):
        # The decision records minor units of the order's currency.
        by_kind["tier" if discount["kind"] == "tier" else "promotion"] += base_share(order, int(discount["amount"]))
    for kind, amount in by_kind.items():
        if amount:
            observability.metric("DiscountGranted", amount, unit="None", kind=kind)
    observability.note(customer=observability.customer_ref(customer_id), discount_granted=sum(by_kind.values()),
                       base_total=order.base_total)


def build_new_order(customer_id: str, request: OrderSubmission, *, source: str,
                    events: Tuple[OrderEvent, ...] = (),
                    decided: Optional["quotes.OrderDecision"] = None) -> orders_store.NewOrder:
    """The items an order writes: its state, ledger entries and aggregate deltas.

    ``events`` are applied straight away (an imported order that was already delivered or
    refunded), through the same rules as events arriving later through the API, so an
    import and a replay of the same history produce the same aggregates.
    """
    rules = current_rules()
    base = rules.base_currency
    order = Order(
        order_id=request.order_id,
        customer_id=customer_id,
        placed_at=request.placed_at,
        currency=request.currency,
        lines=request.lines,
        total_amount=request.total_amount,
        base_currency=base,
        base_total=to_base(request.total_amount, request.currency, base, rules.fx),
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
        details={"lines": [line.__dict__ for line in order.lines],
                 "rules_version": decided.decision["rules_version"] if decided else (rules.version or 0),
                 **({"decision": decided.decision} if decided else {})},
    )
    entries = [placed]
    deltas = [placement_delta(order)]
    for event in events:
        outcome = apply_event(state, event)
        state = outcome.state
        entries.append(event_entry(order, event, outcome.amount, outcome.base_amount, outcome.description))
        deltas.append(outcome.delta)
    request_hash = submission_hash(customer_id, request, events)
    result = order_result(order, placed)
    result["rules_version"] = placed.details["rules_version"]
    if decided:
        result["quote"] = decided.report
        result["discounts"] = decision_json(decided.decision)["discounts"]
    return orders_store.NewOrder(
        state=state,
        request_hash=request_hash,
        result=result,
        entries=entries,
        deltas=deltas,
        source=source,
        decision=decided.decision if decided else None,
        address_use=address_book.address_use(order, state, request.payment_confirmed_address),
    )


def submission_hash(customer_id: str, request: OrderSubmission, events: Tuple[OrderEvent, ...]) -> str:
    """Tells a replay from a different request. An imported row's later life (refunds,
    cancellation) is part of it, so a re-import with changed data is not mistaken for a replay."""
    body = {"customer_id": customer_id, **request.canonical}
    if events:
        body["events"] = [[e.event_id, e.type, e.at.isoformat(), e.amount] for e in events]
    return fingerprint(body)


def replayed_result(existing: orders_store.StoredOrder) -> dict:
    """The answer first given for an order (its lines are kept once, on the order itself)."""
    order = existing.state.order
    lines = [order_line_json(line.__dict__ | {"net_amount": line.net_amount}, order.currency) for line in order.lines]
    return {**existing.result, "lines": lines}


def replayed_order(customer_id: str, order_id: str, request_hash: str) -> dict:
    existing = orders_store.get_order(order_id)
    if existing is None:  # pragma: no cover - the failed condition proves it exists
        raise Conflict(f"order {order_id} could not be read back; retry")
    if existing.request_hash != request_hash or existing.state.order.customer_id != customer_id:
        raise Conflict(
            f"order_id {order_id} was already recorded with a different body"
            + ("" if existing.state.order.customer_id == customer_id else " for another customer"),
            [{"field": "order_id", "reason": "already used with a different body"}],
        )
    return replayed_result(existing)


def order_result(order: Order, placed: LedgerEntry) -> dict:
    return {
        "order_id": order.order_id,
        "customer_id": order.customer_id,
        "placed_at": iso_utc(order.placed_at),
        "status": "placed",
        "total": {"amount": order.total_amount, "currency": order.currency},
        "base_total": {"amount": order.base_total, "currency": order.base_currency},
        "lines": [order_line_json(line.__dict__ | {"net_amount": line.net_amount}, order.currency)
                  for line in order.lines],
        "ledger_entry_id": ledger_store.ledger_sort_key(placed),
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
    now = now or clock.now()
    request_hash = fingerprint({"customer_id": customer_id, "order_id": order_id, **canonical})

    def earlier_answer() -> Optional[dict]:
        existing = orders_store.get_order_event(order_id, event.event_id)
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
        stored = orders_store.get_order(order_id)
        if stored is None or stored.state.order.customer_id != customer_id:
            raise NotFound(f"customer {customer_id} has no order {order_id}")
        outcome = apply_event(stored.state, event)
        order = stored.state.order
        taken, taken_now = discount_taken_back(stored, event, outcome.amount)
        entry = event_entry(order, event, outcome.amount, outcome.base_amount, outcome.description)
        if taken_now:
            entry = replace(entry, details={**(entry.details or {}), "discount_taken_back": taken_now})
        credit_record, credit_back, credit_answer = credit.credit_back_for_event(
            stored, event, outcome.amount, outcome.base_amount, current_rules(), now)
        if credit_answer:
            entry = replace(entry, details={**(entry.details or {}), **credit_answer})
        result = {**event_result(order_id, event, outcome.state, entry, outcome.amount), **credit_answer}
        span = None
        if event.type == "cancelled":
            span = _span_without(customer_id, order)
        first_delivery = event.type == "delivered" and stored.state.delivered_at is None
        delivered_to = address_book.delivery_use(order, event.at) if first_delivery else None
        observed_address = (addresses_store.load_address_times(customer_id, delivered_to.address_id)
                            if delivered_to else addresses_store.NO_ENTRY)
        try:
            released = (stored.decision or {}).get("claimed", []) if event.type == "cancelled" else []
            orders_store.commit_event(stored, outcome.state, event.event_id, event.type, request_hash, result,
                                      entry, outcome.delta, now, span, discount_taken_back=taken,
                                      address_use=delivered_to, observed_address=observed_address,
                                      released_claims=released,
                                      credit=credit_record if credit_back else None, credit_back=credit_back)
        except transactions_store.EventAlreadyExists:
            return 200, earlier_answer() or {}
        credit.count_back(credit_back)
        return 201, result

    return with_retries(attempt, budget_seconds=settings().retry_budget_seconds)


def discount_taken_back(stored: orders_store.StoredOrder, event: OrderEvent,
                        amount: int) -> Tuple[Dict[str, int], Dict[str, int]]:
    """The matching share of the order's discounts that money going back takes with it.

    Returns (total taken back per code after this event, taken by this event). Orders
    recorded without a quote decision have nothing to take back.
    """
    before = dict(stored.discount_taken_back or {})
    if not stored.decision or event.type == "delivered" or amount <= 0:
        return before, {}
    lines = quoted_lines(stored.decision)
    state = stored.state
    try:
        if event.type == "returned" and event.lines:
            units = dict(Counter(line.sku for line in event.lines for _ in range(line.quantity)))
            share = discount_share_of_return(lines, units, state.returned_units, before)
        else:
            share = discount_share_of_refund(lines, amount, state.reversed, before)
    except ValueError:
        # The storefront charged other discounts than the quote decided: the order's money
        # no longer maps onto the decision, so no share can be attributed.
        return before, {}
    after = {code: before.get(code, 0) + share.by_code.get(code, 0) for code in set(before) | set(share.by_code)}
    return after, dict(share.by_code)


def _span_without(customer_id: str, order: Order):
    """(first, last, profile version) once ``order`` no longer counts.

    The commit is conditioned on that version, so a cancellation racing another change of
    the profile is retried on fresh reads instead of leaving a stale first or last order.
    """
    stats = customers_store.load_profile_stats(customer_id)
    if stats is None:
        return None
    if order.placed_at not in (stats.first_order_at, stats.last_order_at):
        return stats.first_order_at, stats.last_order_at, stats.version
    first, last = ledger_store.remaining_order_span(customer_id, order.order_id)
    return first, last, stats.version


def event_result(order_id: str, event: OrderEvent, state: OrderState, entry: LedgerEntry, amount: int) -> dict:
    order = state.order
    body = {
        "event_id": event.event_id,
        "order_id": order_id,
        "type": event.type,
        "at": iso_utc(event.at),
        "ledger_entry_id": ledger_store.ledger_sort_key(entry),
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
