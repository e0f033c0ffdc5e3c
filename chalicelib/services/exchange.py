"""Converting an order's amount to the store's base currency for the aggregates.

Rates come from the ``fx`` section of the rules document (decimal strings, units of base
currency per unit of the foreign currency). The rate is applied once, when the order is
recorded, and kept with the order so later refunds reverse exactly what it added.
"""
from __future__ import annotations

from typing import Mapping

from ..domain.errors import Unprocessable
from ..domain.money import convert


def to_base(amount: int, currency: str, base_currency: str, rates: Mapping[str, str]) -> int:
    """``amount`` of ``currency`` in ``base_currency`` minor units; 422 when no rate is known."""
    if currency == base_currency:
        return amount
    rate = rates.get(currency)
    if rate is None:
        raise Unprocessable(
            f"currency: no exchange rate from {currency} to the store's base currency {base_currency}; "
            "add it to the fx section of the rules",
            [{"field": "currency", "reason": f"no rate to {base_currency}"}],
        )
    return convert(amount, currency, base_currency, rate)
