"""Store credit: balances a customer can spend, kept exact under spends, reversals and expiry.

Credit arrives as *grants* (a goodwill gesture, an operator's credit, a refund made as store
credit), each in the store's base currency with an optional expiry. A grant keeps what was
granted, spent and given back; what is left of it is ``amount - spent + returned``. Nothing
is written when a grant expires: what is left of it stops being spendable and is counted as
expired from then on. So for every customer, at any clock::

    available = granted - spent + returned - expired >= 0

Spending takes the grants that expire first (no expiry last; then the oldest grant), never
an expired one. Giving credit back (a cancelled, refunded or returned order) returns it to
the grants it came from; a grant that has expired since stays expired, so credit given back
to it is shown as expired, not revived.

Money in other currencies. Balances are in the base currency. A quote in another currency
sees the balance converted with the rules' ``fx`` rate rounded *up* (the balance buys at
least what it is worth), and the applied credit draws from the balance converted back rounded
*down*, never more than the balance: both roundings are in the customer's favour, by less
than one minor unit.

Reversals follow the rule of discount clawback (:mod:`.discount_clawback`): credit is treated
as one more discount on the lines it was allocated to, so returned units give back their own
share, a refund gives back ``credit left * refund / order value left`` (rounded down) and the
last refund, return or a cancellation gives back all that is left.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .money import allocate, exponent_of

CREDIT_CODE = "store_credit"
GRANT_SOURCES = ("goodwill", "manual", "refund")
# One order's credit touches at most this many grants, so its transaction (order, ledger,
# aggregates, promotion claims and these) stays far below DynamoDB's 100 items.
MAX_GRANTS_PER_SPEND = 25
MAX_LIFETIME_DAYS = 3650


class InsufficientCredit(ValueError):
    """Less credit is spendable than an order needs."""


@dataclass(frozen=True)
class CreditGrant:
    """One grant of store credit, amounts in minor units of the base currency."""

    grant_id: str
    amount: int
    granted_at: datetime
    expires_at: Optional[datetime] = None
    spent: int = 0
    returned: int = 0
    source: str = "manual"
    granted_by: Optional[str] = None
    reason: Optional[str] = None
    order_id: Optional[str] = None

    @property
    def remaining(self) -> int:
        return self.amount - self.spent + self.returned

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def available(self, now: datetime) -> int:
        return 0 if self.expired(now) else self.remaining


@dataclass(frozen=True)
class CreditSummary:
    """A customer's credit at a moment: ``available == granted - spent + returned - expired``."""

    granted: int
    spent: int
    returned: int
    expired: int
    available: int


def spending_order(grants: Sequence[CreditGrant]) -> List[CreditGrant]:
    """Grants in the order they are spent: soonest expiry first, no expiry last, then oldest."""
    return sorted(grants, key=lambda g: (g.expires_at is None, g.expires_at or g.granted_at, g.granted_at,
                                         g.grant_id))


def summarize(grants: Sequence[CreditGrant], now: datetime) -> CreditSummary:
    granted = sum(g.amount for g in grants)
    spent = sum(g.spent for g in grants)
    returned = sum(g.returned for g in grants)
    expired = sum(g.remaining for g in grants if g.expired(now))
    return CreditSummary(granted, spent, returned, expired, sum(g.available(now) for g in grants))


def spendable(grants: Sequence[CreditGrant], now: datetime) -> int:
    """What one order can spend: the live grants it may touch, soonest expiry first."""
    live = [g for g in spending_order(grants) if g.available(now) > 0]
    return sum(g.available(now) for g in live[:MAX_GRANTS_PER_SPEND])


def expiring(grants: Sequence[CreditGrant], now: datetime) -> List[Tuple[datetime, int]]:
    """``(expiry, amount)`` of the live credit that expires, soonest first, one row per moment."""
    by_moment: Dict[datetime, int] = {}
    for grant in grants:
        if grant.expires_at is not None and grant.available(now) > 0:
            by_moment[grant.expires_at] = by_moment.get(grant.expires_at, 0) + grant.available(now)
    return sorted(by_moment.items())


def plan_spend(grants: Sequence[CreditGrant], amount: int, now: datetime) -> Dict[str, int]:
    """Which grants pay ``amount`` (grant id -> minor units), soonest expiry first.

    Raises :class:`InsufficientCredit` when the live grants an order may touch hold less.
    """
    if amount < 0:
        raise ValueError("a spend is a non-negative amount")
    plan: Dict[str, int] = {}
    left = amount
    for grant in [g for g in spending_order(grants) if g.available(now) > 0][:MAX_GRANTS_PER_SPEND]:
        if left == 0:
            break
        part = min(left, grant.available(now))
        plan[grant.grant_id] = part
        left -= part
    if left:
        raise InsufficientCredit(f"{amount - left} of {amount} is spendable")
    return plan


def spend(grants: Sequence[CreditGrant], plan: Mapping[str, int], now: datetime) -> List[CreditGrant]:
    """The grants after a planned spend (what the store's conditioned updates do)."""
    changed = []
    for grant in grants:
        part = plan.get(grant.grant_id, 0)
        if part and (grant.expired(now) or part > grant.remaining):
            raise InsufficientCredit(f"grant {grant.grant_id} cannot pay {part}")
        changed.append(replace(grant, spent=grant.spent + part) if part else grant)
    return changed


def give_back(grants: Sequence[CreditGrant], parts: Mapping[str, int]) -> List[CreditGrant]:
    """The grants after credit is given back to them (an expired grant stays expired)."""
    return [replace(g, returned=g.returned + parts[g.grant_id]) if parts.get(g.grant_id) else g for g in grants]


def split_back(spent_by_grant: Mapping[str, int], returned_by_grant: Mapping[str, int], amount: int) -> Dict[str, int]:
    """Split ``amount`` given back over the grants an order spent, in proportion to what is
    still out of each (largest remainder, so the parts sum exactly); all of it at the end."""
    order = list(spent_by_grant)
    left = [spent_by_grant[g] - returned_by_grant.get(g, 0) for g in order]
    if amount < 0 or amount > sum(left):
        raise ValueError(f"{amount} given back but only {sum(left)} is out")
    return {g: part for g, part in zip(order, allocate(amount, left)) if part}


# ---------------------------------------------------------------- quotes


def rate_minor(currency: str, base_currency: str, rate: Optional[str]) -> Decimal:
    """Base minor units per minor unit of ``currency`` (``rate`` is the rules' fx: base per unit)."""
    if currency == base_currency:
        return Decimal(1)
    if rate is None:
        raise ValueError(f"no rate for {currency}")
    return Decimal(rate) * Decimal(10) ** (exponent_of(base_currency) - exponent_of(currency))


def balance_in(amount_base: int, per_unit: Decimal) -> int:
    """A base-currency balance in the quote currency, rounded up (the customer's favour)."""
    return int((Decimal(amount_base) / per_unit).to_integral_value(rounding=ROUND_CEILING))


def draw_for(applied: int, per_unit: Decimal, balance_base: int) -> int:
    """What ``applied`` minor units of the quote currency take from a base balance: rounded
    down (the customer's favour), never more than the balance."""
    return min(balance_base, int((Decimal(applied) * per_unit).to_integral_value(rounding=ROUND_FLOOR)))


@dataclass(frozen=True)
class AppliedCredit:
    """Credit in a quote: amounts in the quote currency except ``draw`` (base currency)."""

    available: int
    applied: int
    draw: int
    lines: Tuple[int, ...]

    @property
    def remaining_after(self) -> int:
        return self.available - self.applied


def apply_credit(spendable_base: int, per_unit: Decimal, line_totals: Sequence[int],
                 requested: Optional[int]) -> AppliedCredit:
    """Credit applied to a cart after its discounts: at most what is spendable, the cart's
    total and ``requested`` (None: as much as possible), split over the lines in proportion to
    their totals by largest remainder (no line below zero; the parts sum exactly)."""
    available = balance_in(spendable_base, per_unit)
    total = sum(line_totals)
    applied = min(available, total, available if requested is None else requested)
    lines = tuple(allocate(applied, list(line_totals))) if total else tuple(0 for _ in line_totals)
    return AppliedCredit(available, applied, draw_for(applied, per_unit, spendable_base), lines)


# ---------------------------------------------------------------- reversals


def credit_lines(order_lines: Sequence[Any], credit_by_line: Sequence[int]) -> tuple:
    """An order's lines with their credit as a discount whose lines total the order's value,
    so the discount clawback rule computes credit shares against the order's own money."""
    from .pricing import LineDiscount, QuotedLine

    return tuple(QuotedLine(line.sku, line.category, line.quantity, line.net_amount + part,
                            (LineDiscount(CREDIT_CODE, part),) if part else ())
                 for line, part in zip(order_lines, credit_by_line))


def credit_share(lines: Sequence[Any], *, kind: str, amount: int, returned_units: Mapping[str, int],
                 units_before: Mapping[str, int], reversed_before: int, credit_back_before: int) -> int:
    """Credit (order currency) that money going back takes with it, by the discount clawback rule.

    ``kind`` is ``returned`` with ``returned_units`` (SKU -> units), ``refunded`` (or a return
    without lines: an amount), or ``cancelled`` (everything left).
    """
    from .discount_clawback import discount_share_of_refund, discount_share_of_return

    taken = {CREDIT_CODE: credit_back_before}
    if kind == "cancelled":
        return sum(part.amount for line in lines for part in line.discounts) - credit_back_before
    if kind == "returned" and returned_units:
        share = discount_share_of_return(lines, returned_units, units_before, taken)
    else:
        share = discount_share_of_refund(lines, amount, reversed_before, taken)
    return share.by_code.get(CREDIT_CODE, 0)


def base_back(draw: int, applied: int, back_after: int, base_back_before: int) -> int:
    """Base credit given back when ``back_after`` of ``applied`` has come back in all: the
    running share of the base drawn, rounded up (the customer's favour), exact at 100%."""
    if applied == 0:
        return 0
    due = -((-draw * back_after) // applied)
    return min(draw, due) - base_back_before


# ---------------------------------------------------------------- policy


@dataclass(frozen=True)
class CreditPolicy:
    """The rules' ``credit`` section: how long a grant lasts unless it says otherwise."""

    default_lifetime_days: Optional[int] = 365

    def expiry_for(self, granted_at: datetime) -> Optional[datetime]:
        if self.default_lifetime_days is None:
            return None
        return granted_at + timedelta(days=self.default_lifetime_days)


_POLICY_FIELDS = ("default_lifetime_days",)


def credit_policy_problems(section: Any) -> List[Dict[str, str]]:
    """What is wrong with a rules document's ``credit`` section, field by field (empty: fine)."""
    if not isinstance(section, dict):
        return [{"field": "credit", "reason": "must be an object such as {\"default_lifetime_days\": 365}"}]
    problems = [{"field": f"credit.{name}", "reason": "is not a known field (known: default_lifetime_days)"}
                for name in section if name not in _POLICY_FIELDS]
    days = section.get("default_lifetime_days", 365)
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_LIFETIME_DAYS):
        problems.append({"field": "credit.default_lifetime_days",
                         "reason": f"must be a whole number of days from 1 to {MAX_LIFETIME_DAYS}, or null for no expiry"})
    return problems


def credit_policy_of(section: Optional[Mapping[str, Any]]) -> CreditPolicy:
    """The policy of a (valid) ``credit`` section; the default when the rules have none."""
    if not section:
        return CreditPolicy()
    return CreditPolicy(section.get("default_lifetime_days", 365))
