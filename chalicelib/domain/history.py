"""What a quote knows about a customer's past: the input to tiers and promotions.

The store builds a :class:`CustomerHistory` from the aggregates it maintains at write time
(lifetime totals and one bucket per UTC calendar month), so a quote never reads the ledger.
Spend is net of refunds, returns and cancellations, in the rules' base currency, in minor
units. A guest, or a customer the store does not know, is :meth:`CustomerHistory.guest`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping, Optional

from .customer import MonthTotals

__all__ = ["CustomerHistory", "MonthTotals", "TierOverride"]


@dataclass(frozen=True)
class TierOverride:
    """A tier set by an operator, honoured while ``now < until``.

    ``reason`` is for staff reading the decision record; it is never shown to shoppers.
    """

    tier: str
    until: datetime
    reason: str = ""

    def active_at(self, now: datetime) -> bool:
        return now < self.until


@dataclass(frozen=True)
class CustomerHistory:
    """A customer's orders so far, as aggregates.

    ``months`` maps ``"YYYY-MM"`` (UTC) to that month's :class:`MonthTotals`; months without
    orders may be absent. ``promotion_uses`` maps a promotion code (compared
    case-insensitively) to how many committed orders of this customer used it.
    """

    customer_id: Optional[str]
    lifetime_orders: int = 0
    lifetime_net_spend: int = 0
    first_order_at: Optional[datetime] = None
    last_order_at: Optional[datetime] = None
    months: Mapping[str, MonthTotals] = field(default_factory=dict)
    promotion_uses: Mapping[str, int] = field(default_factory=dict)
    tier_override: Optional[TierOverride] = None
    customer_since: Optional[datetime] = None
    # The record is new, but its email, phone or delivered address belongs to a customer with
    # orders (the rules' identity.new_customer_signals): first-order offers are not for it.
    ordered_before: bool = False

    @property
    def since(self) -> Optional[datetime]:
        """When tenure starts: ``customer_since``, else the first order."""
        return self.customer_since or self.first_order_at

    @classmethod
    def guest(cls) -> "CustomerHistory":
        """A shopper without an account (or one the store does not know): no history, no tier."""
        return cls(customer_id=None)

    @property
    def is_guest(self) -> bool:
        return self.customer_id is None

    def uses_of(self, code: str) -> int:
        """How many times this customer has used the promotion ``code`` (case-insensitive)."""
        wanted = code.upper()
        return sum(count for used, count in self.promotion_uses.items() if used.upper() == wanted)
