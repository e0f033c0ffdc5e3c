"""The ledger's rules: money back never exceeds the order, cancellations undo placement exactly."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import Unprocessable
from chalicelib.domain.ledger import (
    EventLine,
    Order,
    OrderEvent,
    OrderLine,
    OrderState,
    apply_event,
    placement_delta,
    total_mismatch,
)

PLACED = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
LATER = PLACED + timedelta(days=3)


def make_order(total=10000, base_total=None, lines=None, currency="GBP"):
    lines = lines or (OrderLine("SHOE", "running-shoes", 2, 5000),)
    return Order("o-1", "c-1", PLACED, currency, tuple(lines), total, "GBP",
                 total if base_total is None else base_total)


def event(kind, amount=None, lines=(), event_id="e-1", at=LATER):
    return OrderEvent(event_id, kind, at, amount=amount, lines=tuple(lines))


def test_total_must_equal_the_lines_after_discounts():
    lines = [OrderLine("A", "x", 2, 1000, 150), OrderLine("B", "y", 1, 499)]
    assert total_mismatch(lines, 2349) is None
    assert "add up to 2349" in total_mismatch(lines, 2350)


def test_placement_counts_one_order_and_its_base_value_in_its_month():
    delta = placement_delta(make_order(total=10000, base_total=8500, currency="EUR"))
    assert (delta.month, delta.orders, delta.net_spend, delta.gross_spend) == ("2026-03", 1, 8500, 8500)


def test_refund_reduces_net_spend_in_the_month_the_order_was_placed():
    outcome = apply_event(OrderState(make_order()), event("refunded", amount=2500))
    assert outcome.delta.month == "2026-03"
    assert outcome.delta.net_spend == -2500 and outcome.delta.refunds == 1
    assert outcome.state.remaining == 7500


def test_refunds_can_never_exceed_what_remains_of_the_order():
    state = apply_event(OrderState(make_order()), event("refunded", amount=6000)).state
    with pytest.raises(Unprocessable, match="more than remains"):
        apply_event(state, event("returned", amount=4001, event_id="e-2"))
    assert apply_event(state, event("returned", amount=4000, event_id="e-2")).state.remaining == 0


def test_returned_lines_are_valued_at_what_the_units_cost_after_discount():
    order = make_order(total=9500, lines=(OrderLine("SHOE", "running-shoes", 2, 5000, 500),))
    first = apply_event(OrderState(order), event("returned", lines=[EventLine("SHOE", 1)]))
    assert first.amount == 4750
    second = apply_event(first.state, event("returned", lines=[EventLine("SHOE", 1)], event_id="e-2"))
    assert first.amount + second.amount == 9500
    with pytest.raises(Unprocessable, match="remain"):
        apply_event(second.state, event("returned", lines=[EventLine("SHOE", 1)], event_id="e-3"))


def test_returning_a_sku_that_is_not_in_the_order_is_refused():
    with pytest.raises(Unprocessable, match="not in order"):
        apply_event(OrderState(make_order()), event("returned", lines=[EventLine("HAT", 1)]))


def test_cancellation_leaves_the_aggregates_as_if_the_order_never_happened():
    order = make_order(total=10000, base_total=8300)
    refunded = apply_event(OrderState(order), event("refunded", amount=3333))
    cancelled = apply_event(refunded.state, event("cancelled", event_id="e-2"))
    placed = placement_delta(order)
    assert placed.orders + cancelled.delta.orders == 0
    assert placed.net_spend + refunded.delta.net_spend + cancelled.delta.net_spend == 0
    assert placed.gross_spend + cancelled.delta.gross_spend == 0
    with pytest.raises(Unprocessable, match="cancelled"):
        apply_event(cancelled.state, event("refunded", amount=1, event_id="e-3"))


def test_a_delivered_order_cannot_be_cancelled():
    delivered = apply_event(OrderState(make_order()), event("delivered")).state
    with pytest.raises(Unprocessable, match="record a return"):
        apply_event(delivered, event("cancelled", event_id="e-2"))


def test_only_the_first_delivery_counts_as_a_delivered_order():
    first = apply_event(OrderState(make_order()), event("delivered"))
    second = apply_event(first.state, event("delivered", event_id="e-2", at=LATER + timedelta(days=1)))
    assert (first.delta.delivered_orders, second.delta.delivered_orders) == (1, 0)
    assert second.state.delivered_at == LATER


def test_a_chargeback_without_an_amount_takes_back_the_rest_of_the_order():
    state = apply_event(OrderState(make_order()), event("refunded", amount=1000)).state
    outcome = apply_event(state, event("chargeback", event_id="e-2"))
    assert outcome.amount == 9000 and outcome.delta.chargebacks == 1 and outcome.state.remaining == 0


def test_events_dated_before_the_order_are_refused():
    with pytest.raises(Unprocessable, match="before the order"):
        apply_event(OrderState(make_order()), event("delivered", at=PLACED - timedelta(seconds=1)))


@given(
    total=st.integers(1, 10**7),
    base_total=st.integers(0, 10**7),
    cuts=st.lists(st.integers(1, 10**6), min_size=1, max_size=12),
)
def test_base_currency_reversals_add_up_to_exactly_what_the_order_added(total, base_total, cuts):
    """Whatever the refunds, the base-currency value taken back never exceeds, and at 100%
    exactly equals, what the order added (no rounding drift across partial refunds)."""
    state = OrderState(make_order(total=total, base_total=base_total,
                                  lines=(OrderLine("X", "x", 1, total),)))
    taken = 0
    for number, cut in enumerate(cuts):
        amount = min(cut, state.remaining)
        if amount == 0:
            break
        outcome = apply_event(state, event("refunded", amount=amount, event_id=f"e-{number}"))
        taken += outcome.base_amount
        state = outcome.state
        assert 0 <= taken <= base_total
    if state.remaining:
        taken += apply_event(state, event("refunded", amount=state.remaining, event_id="last")).base_amount
    assert taken == base_total
