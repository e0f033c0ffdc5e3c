"""Converting an order's amount to the store's base currency for the aggregates.

Rates come from the ``fx`` section of the rules document (decimal strings, units of base
currency per unit of the foreign currency). The rate is applied once, when the order is
recorded, and kept with the order so later refunds reverse exactly what it added.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Dict

from ..domain.errors import Unprocessable
from ..domain.money import convert

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "rules" / "default.json"


@lru_cache(maxsize=1)
def default_fx_rates() -> Dict[str, str]:
    if not DEFAULT_RULES.exists():
        return {}
    return dict(json.loads(DEFAULT_RULES.read_text(encoding="utf-8")).get("fx", {}))


def to_base(amount: int, currency: str, base_currency: str, rates: Dict[str, str]) -> int:
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
