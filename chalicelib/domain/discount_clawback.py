"""Taking back the matching share of an order's discounts when money goes back.

An order records, per line, what each discount code took off (the quote's
:class:`~chalicelib.domain.pricing.QuotedLine`). When units come back or an amount is
refunded, the same share of each discount is taken back, per code, so promotion costs and
the decision record stay true. Net spend for tiers is reversed by the ledger from the money
that goes back (:mod:`chalicelib.domain.ledger`); the ``net_value`` of returned units here is
computed the same way (a line's net amount split evenly over its units by largest
remainder, first units first), so the two agree to the minor unit.

Exactness. Every share is capped by what is left of that code's discount, and returning the
last units, or refunding the rest of the order, takes back exactly what remains; so partial
returns and refunds in any mix never take back more than a discount gave, and take all of
it once the whole order has come back.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Mapping, Sequence

from .money import allocate
from .pricing import QuotedLine

_NONE: Mapping[str, int] = {}


@dataclass(frozen=True)
class DiscountShare:
    """Discount taken back per code, and the money the reversed part of the order is worth."""

    by_code: Mapping[str, int]
    net_value: int

    @property
    def total(self) -> int:
        return sum(self.by_code.values())


def discount_share_of_return(
    lines: Sequence[QuotedLine],
    returned: Mapping[str, int],
    already_returned: Mapping[str, int] = _NONE,
    already_taken: Mapping[str, int] = _NONE,
) -> DiscountShare:
    """The discount carried by ``returned`` units (SKU -> units) of an order.

    Units of a SKU are counted across its lines in order, after the ``already_returned``
    ones; ``already_taken`` is the discount per code taken back by earlier events.
    Raises ValueError when more units come back than were ordered.
    """
    taken: Dict[str, int] = {}
    net_value = 0
    for sku, quantity in returned.items():
        units = _units_of(lines, sku)
        start = already_returned.get(sku, 0)
        if quantity < 0 or start + quantity > len(units):
            raise ValueError(f"{sku}: {quantity} units returned but only {len(units) - start} remain")
        for unit in units[start:start + quantity]:
            net_value += unit.net
            for code, amount in unit.discounts.items():
                taken[code] = taken.get(code, 0) + amount
    ordered = _discount_by_code(lines)
    capped = {code: min(amount, ordered[code] - already_taken.get(code, 0)) for code, amount in taken.items()}
    return DiscountShare({code: amount for code, amount in capped.items() if amount > 0}, net_value)


def discount_share_of_refund(
    lines: Sequence[QuotedLine],
    amount: int,
    already_reversed: int = 0,
    already_taken: Mapping[str, int] = _NONE,
) -> DiscountShare:
    """The discount matching a refund of ``amount`` (order currency) not tied to units.

    Each code gives back the refund's share of what is left of its discount:
    ``left_of_code * amount / left_of_order``, rounded down, and all of it when the refund
    reverses the rest of the order. ``already_reversed`` is the money given back so far by
    refunds, returns and chargebacks. Raises ValueError when the refund exceeds what is left.
    """
    order_net = sum(line.total for line in lines)
    left = order_net - already_reversed
    if amount < 0 or amount > left:
        raise ValueError(f"refund of {amount} but only {left} remains of the order")
    shares: Dict[str, int] = {}
    for code, total in _discount_by_code(lines).items():
        code_left = total - already_taken.get(code, 0)
        share = code_left if amount == left else (code_left * amount // left if left else 0)
        if share > 0:
            shares[code] = share
    return DiscountShare(shares, amount)


@dataclass(frozen=True)
class _Unit:
    net: int
    discounts: Mapping[str, int]


def _units_of(lines: Sequence[QuotedLine], sku: str) -> List[_Unit]:
    """Every unit of ``sku`` in order, each with its even share of its line's net amount and discounts."""
    units: List[_Unit] = []
    for line in lines:
        if line.sku != sku:
            continue
        nets = allocate(line.total, [1] * line.quantity)
        per_code = {part.code: allocate(part.amount, [1] * line.quantity) for part in line.discounts}
        units.extend(
            _Unit(nets[n], {code: shares[n] for code, shares in per_code.items()}) for n in range(line.quantity)
        )
    return units


def _discount_by_code(lines: Sequence[QuotedLine]) -> Dict[str, int]:
    totals: Dict[str, int] = {}
    for line in lines:
        for part in line.discounts:
            totals[part.code] = totals.get(part.code, 0) + part.amount
    return totals
