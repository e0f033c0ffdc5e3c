"""Whether a promotion is open to a customer, for a basket, at a moment, and if not, why.

Each refusal carries a reason written for the shopper ("Spend £4.00 more to get 10% off")
and, when the problem is money, how much is missing (``short_by``, quote currency minor
units). The checks run in a fixed order so the first reason is the most useful one: whether
the offer is open to this customer now (:func:`customer_refusal`) comes before whether the
basket qualifies (:func:`basket_refusal`), so an offer that has ended says so before it
mentions the basket.

Promotions that depend on who the customer is (eligible tiers, history conditions, a
per-customer limit) need an identity: a guest is asked to sign in, because a limit that
cannot be counted cannot be honoured.

What is *not* checked here: the total budget is only pre-checked against the remaining count
the caller knows at quote time; it is enforced atomically when an order commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional, Sequence

from .history import CustomerHistory
from .money import format_money
from .rules import CustomerCondition, Promotion, PromotionWindow


@dataclass(frozen=True)
class BasketFit:
    """How a cart fits one promotion, as the pricing module measured it.

    ``lines`` and ``subtotal`` are the lines the promotion covers and their amount before any
    discount (quote currency); ``sale_lines_left_out`` counts lines it would cover if they
    were not on sale.
    """

    lines: int
    subtotal: int
    sale_lines_left_out: int = 0


@dataclass(frozen=True)
class Refusal:
    """Why a promotion does not apply. ``near_miss`` marks a refusal worth showing even for an
    automatic promotion the shopper never asked for (it is only short of a minimum spend)."""

    reason: str
    short_by: Optional[int] = None
    near_miss: bool = False


def customer_refusal(
    promotion: Promotion,
    history: CustomerHistory,
    tier: Optional[str],
    now: datetime,
    remaining_budget: Optional[int] = None,
) -> Optional[Refusal]:
    """Why ``promotion`` is not open to this customer at ``now``, or None when it is.

    Checks the window, identity, eligible tiers, history condition, per-customer limit and
    budget (``remaining_budget``: uses left, if the caller knows).
    """
    if promotion.window is not None and not promotion.window.contains(now):
        return Refusal(_window_reason(promotion.window, now, promotion.name))
    if promotion.needs_identity and history.is_guest:
        return Refusal("Sign in to use this offer")
    if promotion.tiers and tier not in promotion.tiers:
        return Refusal(f"This offer is for {join_names(promotion.tiers)} members")
    if promotion.customer is not None:
        reason = _history_reason(promotion.customer, history, now)
        if reason is not None:
            return Refusal(reason)
    if promotion.per_customer_limit is not None and history.uses_of(promotion.code) >= promotion.per_customer_limit:
        limit = promotion.per_customer_limit
        return Refusal(
            "You've already used this offer" if limit == 1
            else f"You've already used this offer {limit} times, the most allowed"
        )
    if promotion.budget == 0 or (remaining_budget is not None and remaining_budget <= 0):
        return Refusal("This offer has been fully claimed")
    return None


def basket_refusal(
    promotion: Promotion,
    fit: BasketFit,
    currency: str,
    min_subtotal: Optional[int] = None,
    amount_off: Optional[int] = None,
) -> Optional[Refusal]:
    """Why the basket does not qualify for ``promotion``, or None when it does.

    ``min_subtotal`` and ``amount_off`` are the promotion's amounts already converted to the
    quote ``currency``.
    """
    if fit.lines == 0:
        if fit.sale_lines_left_out:
            return Refusal("Items already on sale aren't included in this offer")
        return Refusal("None of the items in your basket are included in this offer")
    if min_subtotal is not None and fit.subtotal < min_subtotal:
        short = min_subtotal - fit.subtotal
        where = " on qualifying items" if promotion.items.categories or promotion.items.skus else ""
        benefit = benefit_text(promotion, amount_off, currency)
        return Refusal(f"Spend {format_money(short, currency)} more{where} to get {benefit}", short, near_miss=True)
    return None


def benefit_text(promotion: Promotion, amount_off: Optional[int], currency: str) -> str:
    """``"15% off"``, ``"12.5% off"`` or ``"£10.00 off"`` (``amount_off`` in ``currency``)."""
    if promotion.kind == "amount_off":
        return f"{format_money(amount_off if amount_off is not None else promotion.amount or 0, currency)} off"
    return f"{percent_text(promotion.percent_bp or 0)} off"


def percent_text(basis_points: int) -> str:
    """1500 -> ``"15%"``, 1250 -> ``"12.5%"``."""
    whole, fraction = divmod(basis_points, 100)
    return f"{whole}%" if not fraction else f"{whole}.{fraction:02d}".rstrip("0") + "%"


def _window_reason(window: PromotionWindow, now: datetime, name: Optional[str] = None) -> str:
    """When the offer runs, named as shoppers know it: "The Spring Forward sale ended on 9 March 2026 (PST)"."""
    subject = f"The {name}" if name else "This offer"
    if window.starts_at is not None and now < window.starts_at:
        return f"{subject} starts on {_local_moment(window.starts_at)}"
    assert window.ends_at is not None
    end = window.ends_at
    if (end.hour, end.minute, end.second) == (0, 0, 0):
        last_day = end - timedelta(days=1)
        return f"{subject} ended on {last_day.day} {last_day:%B %Y} ({end.tzname()})"
    return f"{subject} ended on {_local_moment(end)}"


def _local_moment(moment: datetime) -> str:
    """``6 March 2026 (PST)``, or ``27 August 2026 at 09:00 BST`` when not at midnight."""
    day = f"{moment.day} {moment:%B %Y}"
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return f"{day} ({moment.tzname()})"
    return f"{day} at {moment:%H:%M} {moment.tzname()}"


def _history_reason(condition: CustomerCondition, history: CustomerHistory, now: datetime) -> Optional[str]:
    orders = history.lifetime_orders
    if condition.kind == "first_order":
        if orders == 0 and history.ordered_before:
            from .identity import ORDERED_BEFORE

            return ORDERED_BEFORE
        return None if orders == 0 else "This offer is for your first order"
    days = condition.days or 0
    if condition.kind == "second_order":
        if orders == 0:
            return "This offer is for your second order: it unlocks after your first"
        if orders > 1 or history.first_order_at is None:
            return "This offer was for your second order"
        deadline = history.first_order_at + timedelta(days=days)
        if now >= deadline:
            utc = deadline.astimezone(timezone.utc)
            return f"This offer was for a second order by {utc.day} {utc:%B %Y}"
        return None
    if history.last_order_at is None or now - history.last_order_at < timedelta(days=days):
        return f"This offer is for customers whose last order was more than {days} days ago"
    return None


def join_names(names: Sequence[str]) -> str:
    """``Gold``; ``Silver and Gold``; ``Bronze, Silver and Gold``."""
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} and {names[-1]}"
