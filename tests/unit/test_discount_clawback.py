"""Refunds and returns take back the matching share of an order's discounts, exactly once."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.discount_clawback import discount_share_of_refund, discount_share_of_return
from chalicelib.domain.ledger import OrderLine
from chalicelib.domain.pricing import LineDiscount, QuotedLine


def line(sku, quantity, subtotal, **discounts) -> QuotedLine:
    return QuotedLine(sku, "shoes", quantity, subtotal, tuple(LineDiscount(code, amount) for code, amount in discounts.items()))


ORDER = [
    line("SHOE", 3, 30000, GOLD=3000, SPRING=4051),   # 3 pairs at £100, two discounts
    line("SOCK", 2, 2000, GOLD=100),
]


def test_returning_one_of_three_units_takes_back_a_third_of_each_discount():
    share = discount_share_of_return(ORDER, {"SHOE": 1})
    assert dict(share.by_code) == {"GOLD": 1000, "SPRING": 1351}   # 4051 split 1351/1350/1350
    assert share.net_value == 7650  # the first of 22949 split 7650/7650/7649


def test_returning_every_unit_in_steps_takes_back_exactly_the_discount():
    taken = {}
    returned = {}
    for sku, units in [("SHOE", 1), ("SOCK", 1), ("SHOE", 2), ("SOCK", 1)]:
        share = discount_share_of_return(ORDER, {sku: units}, returned, taken)
        returned[sku] = returned.get(sku, 0) + units
        for code, amount in share.by_code.items():
            taken[code] = taken.get(code, 0) + amount
    assert taken == {"GOLD": 3100, "SPRING": 4051}


def test_a_refund_of_an_amount_takes_back_its_share_rounded_down():
    order_net = 32000 - 7151
    share = discount_share_of_refund(ORDER, 10000)
    assert dict(share.by_code) == {"GOLD": 3100 * 10000 // order_net, "SPRING": 4051 * 10000 // order_net}
    assert share.net_value == 10000


def test_refunding_the_rest_of_the_order_takes_back_all_that_is_left():
    first = discount_share_of_refund(ORDER, 10000)
    rest = discount_share_of_refund(ORDER, 24849 - 10000, already_reversed=10000, already_taken=first.by_code)
    assert {code: first.by_code[code] + rest.by_code[code] for code in first.by_code} == {"GOLD": 3100, "SPRING": 4051}


def test_a_return_after_a_refund_never_takes_back_more_than_the_discount():
    refund = discount_share_of_refund(ORDER, 5000)
    back = discount_share_of_return(ORDER, {"SHOE": 3, "SOCK": 2}, already_taken=refund.by_code)
    total = {code: refund.by_code.get(code, 0) + back.by_code.get(code, 0) for code in ("GOLD", "SPRING")}
    assert total == {"GOLD": 3100, "SPRING": 4051}


def test_returned_units_are_worth_what_the_ledger_refunds_for_them():
    ledger_line = OrderLine("SHOE", "shoes", 3, 10000, discount_amount=7051)
    for units in (1, 2, 3):
        assert discount_share_of_return(ORDER, {"SHOE": units}).net_value == sum(ledger_line.unit_values()[:units])


def test_returning_more_units_than_remain_is_refused():
    with pytest.raises(ValueError):
        discount_share_of_return(ORDER, {"SHOE": 2}, already_returned={"SHOE": 2})


def test_refunding_more_than_remains_is_refused():
    with pytest.raises(ValueError):
        discount_share_of_refund(ORDER, 100, already_reversed=24849)


@st.composite
def orders_and_returns(draw):
    count = draw(st.integers(1, 4))
    lines = []
    for n in range(count):
        quantity = draw(st.integers(1, 5))
        subtotal = draw(st.integers(0, 50000))
        a = draw(st.integers(0, subtotal))
        b = draw(st.integers(0, subtotal - a))
        lines.append(line(f"S{n % 3}", quantity, subtotal, A=a, B=b))
    units = [lines_sku for l in lines for lines_sku in [l.sku] * l.quantity]
    order = draw(st.permutations(units))
    cuts = sorted(draw(st.lists(st.integers(0, len(order)), max_size=4)))
    steps = [order[i:j] for i, j in zip([0] + cuts, cuts + [len(order)])]
    return lines, steps


@settings(max_examples=150, deadline=None)
@given(orders_and_returns())
def test_any_sequence_of_partial_returns_takes_back_each_discount_exactly(case):
    lines, steps = case
    taken, returned, net = {}, {}, 0
    for step in steps:
        batch = {}
        for sku in step:
            batch[sku] = batch.get(sku, 0) + 1
        share = discount_share_of_return(lines, batch, returned, taken)
        assert all(amount > 0 for amount in share.by_code.values())
        for sku, units in batch.items():
            returned[sku] = returned.get(sku, 0) + units
        for code, amount in share.by_code.items():
            taken[code] = taken.get(code, 0) + amount
        net += share.net_value
    ordered = {}
    for l in lines:
        for part in l.discounts:
            ordered[part.code] = ordered.get(part.code, 0) + part.amount
    assert taken == {code: amount for code, amount in ordered.items() if amount}
    assert net == sum(l.total for l in lines)
