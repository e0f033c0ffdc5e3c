"""Merging two records of one customer (a guest checkout, an old email) into one.

"None of my historical purchases were showing" is fixed in one call: every order of the
source record moves to the target with its ledger entries, and both records' aggregates
change by exactly what each order contributed. Each order moves in its own transaction and
only if it still belongs to the source, so the merge is idempotent, resumable after a
failure, and works for any length of history. It ends with an audited record on the target
and a ``merged_into`` mark on the source. The source keeps its profile and adjustments; the
promotion uses an order still counts move with it, and so does every store credit grant
(with its expiry marker; see store/credit_moves.py), so the target can spend what the source
was given and credit given back later for a moved order finds its grant on the target. Orders the source receives later can be
merged by calling again. An order whose move would not fit one transaction (DynamoDB's 100
items, counted from the very plan that is sent) is refused up front, before anything moves.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from pynamodb.exceptions import TransactWriteError

from .. import clock
from ..config import settings
from ..domain.errors import InvalidInput, NotFound, Unprocessable
from ..domain.ledger import LedgerEntry, StatsDelta, day_key, month_key
from ..store import aggregates as aggregates_store
from ..store import customers as customers_store
from ..store import ledger as ledger_store
from ..store import merge as merge_store
from ..store import orders as orders_store
from ..store import transactions as transactions_store
from ..store.addresses import NO_ENTRY
from ..store.retry import RetryableConflict, cancellation_codes, with_retries
from .address_book import address_use


def merge_customers(target: str, source: str, operator: str, *, now: Optional[datetime] = None) -> dict:
    now = now or clock.now()
    if source == target:
        raise InvalidInput("source_customer_id: cannot merge a customer into itself",
                           [{"field": "source_customer_id", "reason": "same as the target"}])
    for customer_id in (target, source):
        if customers_store.load_profile_stats(customer_id) is None:
            raise NotFound(f"no customer {customer_id}")
    grouped = merge_store.ledger_by_order(source)
    orders = merge_store.get_order_items(list(grouped))
    limit = transactions_store.MAX_TRANSACTION_ITEMS
    too_large = sorted(order_id for order_id, entries in grouped.items()
                       if order_id in orders and orders[order_id].customer_id == source
                       and len(_plan(orders[order_id], entries, source, target, None)) > limit)
    if too_large:
        raise Unprocessable(
            f"orders {', '.join(too_large[:5])} each need more than the {limit} items one transaction can "
            "hold to move (their ledger entries and promotion uses); nothing was moved",
            [{"field": "source_customer_id", "reason": f"orders needing over {limit} items in one transaction"}])
    moved = 0
    budget = max(settings().retry_budget_seconds, 10)
    for order_id in grouped:
        moved += with_retries(lambda: _move_one(order_id, source, target, now), budget_seconds=budget)
    grants_moved = _move_credit(source, target, now, operator, budget)
    summary = {"source_customer_id": source, "orders_moved": moved, "credit_grants_moved": grants_moved}
    merge_id = f"merge-{source}"
    entries = [
        LedgerEntry(customer_id=target, entry_type="merged_from", at=now, event_id=merge_id,
                    description=f"History of {source} merged into this customer", details={"operator": operator, **summary}),
        # Named after the target too: a source merged into two customers within one second (the
        # ledger key's resolution) would otherwise collide with itself and be retried until a 503.
        LedgerEntry(customer_id=source, entry_type="merged_into", at=now, event_id=f"{merge_id}-into-{target}",
                    description=f"History moved to {target}", details={"operator": operator, "target": target}),
    ]
    def finish() -> bool:
        first, last = ledger_store.remaining_order_span(source, without_order_id="")
        version = customers_store.load_profile_stats(source).version
        return merge_store.finish_merge(source, target, first, last, version, now, operator, merge_id, summary,
                                        entries)

    if not with_retries(finish, budget_seconds=budget):
        summary["already_merged"] = True  # finished before; orders that arrived since were moved above
    from .identity_keys import move_identity

    with_retries(lambda: move_identity(source, target), budget_seconds=budget)
    return {"customer_id": target, **summary}


def _move_credit(source: str, target: str, now: datetime, operator: str, budget: float) -> int:
    """Move every store credit grant of the source to the target (with its expiry marker and a
    journal line on both), a batch per transaction; a grant spent or given back meanwhile makes
    its batch read again. Returns how many moved (0 when run again)."""
    from ..store import credit_moves

    moved = 0

    def attempt() -> None:
        nonlocal moved
        for batch in credit_moves.in_batches(credit_moves.plan_grant_moves(source, target)):
            moved += credit_moves.move_grants(source, target, batch, now, operator)

    with_retries(attempt, budget_seconds=budget)
    return moved


def _move_one(order_id: str, source: str, target: str, now: datetime) -> int:
    """Move one order if it still belongs to the source: 1 when moved, 0 when not.

    Everything is read fresh on each attempt, and the move is conditioned on the order's
    version, so an event committed meanwhile makes the attempt fail and start over."""
    order = merge_store.get_order_item(order_id)
    if order is None or order.customer_id != source:
        return 0
    entries = merge_store.ledger_by_order(source).get(order_id, [])
    state = orders_store.order_state(order)
    use = address_use(state.order, state)
    observed_target, observed_addresses = customers_store.load_write_state(target, [use.address_id] if use else [])
    try:
        merge_store.move_order(order, entries, source, target, _contribution(order, entries), observed_target, now,
                               use, observed_addresses.get(use.address_id, NO_ENTRY) if use else NO_ENTRY)
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancellation_codes(error):
            raise RetryableConflict(f"order {order_id} or the target changed during the merge") from error
        raise
    return 1


def _plan(order, entries, source: str, target: str, observed_target) -> transactions_store.PlannedTransaction:
    """The very transaction that moving ``order`` sends (the same plan :func:`_move_one` commits)."""
    state = orders_store.order_state(order)
    return merge_store.plan_order_move(order, entries, source, target, _contribution(order, entries),
                                       observed_target, address_use(state.order, state))


def _contribution(order, entries) -> aggregates_store.AggregateChange:
    """What one order added to its customer's aggregates, from its state and its events."""
    cancelled = order.status == "cancelled"
    counts = {kind: sum(1 for entry in entries if entry.entry_type == kind)
              for kind in ("returned", "refunded", "chargeback")}
    delta = StatsDelta(
        month=month_key(order.placed_at),
        day=day_key(order.placed_at),
        orders=0 if cancelled else 1,
        net_spend=int(order.base_total) - int(order.base_reversed),
        gross_spend=0 if cancelled else int(order.base_total),
        delivered_orders=1 if order.delivered_at else 0,
        returns=counts["returned"], refunds=counts["refunded"], chargebacks=counts["chargeback"],
        cancellations=1 if cancelled else 0,
    )
    change = aggregates_store.AggregateChange()
    change.add(delta)
    return change
