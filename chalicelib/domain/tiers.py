"""Which tier a customer holds, why, and what the next tier needs.

The rolling window. Qualification reads the monthly buckets of :class:`CustomerHistory`, so
"the last 12 months" at ``now`` is the calendar month of ``now`` (UTC) and the 11 months
before it, the same window as ``CustomerStats.window``. An order therefore drops out on the
first day of its 13th month, not on the exact anniversary: the price of answering from
aggregates instead of reading the ledger.

Downgrade grace. A tier with ``grace_days = N`` is kept while the customer qualified for it
at some moment of the last N days. Inside a calendar month a window's totals only grow (new
orders land in the current bucket), so the best moment of each month is its end. Checking
the window at ``now`` and at the close of every month that ended within the last N days
therefore covers every moment of the grace period; the tier is kept until N days after the
latest such month end. The approximation: buckets are read as they are today, so a refund
recorded after the lapse counts as if it had always been there.

Two paths. A tier may be reached through a rolling window ("10 orders in 12 months") or
through staying ("12 orders in total and 2 years as a customer"). Tenure is counted in full
years from ``customer_since`` (the earliest evidence of the customer, whatever its source),
so an imported regular has his years from the first quote. Lifetime rules and tenure never
lapse except through refunds, so grace concerns window rules; when both paths are met the
explanation names the one that stays ("Silver: a customer since 2021 with 24 orders").
An operator's :class:`TierOverride` wins while it has not expired. All figures are in the
rules' base currency, the currency spend is recorded in.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Optional, Sequence, Tuple

from .history import CustomerHistory
from .money import format_money
from .rules import QualifyRule, Tier
from .times import iso_utc

GUEST_EXPLANATION = "Guest checkout: sign in to use your tier benefits"


@dataclass(frozen=True)
class NextTier:
    """What the customer still needs: either more orders or more spend (base currency minor
    units) reaches ``name``; None where that alone would not."""

    name: str
    orders_needed: Optional[int]
    spend_needed: Optional[int]
    currency: str
    progress: str

    def to_json(self) -> dict:
        spend = None if self.spend_needed is None else {"amount": self.spend_needed, "currency": self.currency}
        return {
            "name": self.name, "orders_needed": self.orders_needed, "spend_needed": spend, "progress": self.progress,
        }


@dataclass(frozen=True)
class TierStatus:
    """A customer's tier and why.

    ``basis`` is ``earned``, ``grace`` (kept after lapsing, until ``held_until``),
    ``override`` (set by an operator until ``held_until``), ``guest`` or ``none``.
    ``next_tier`` is the tier above, or, during grace, the held tier itself: what it takes
    to keep it. ``override_reason`` is for staff only.
    """

    tier: Optional[str]
    explanation: str
    basis: str
    held_until: Optional[datetime] = None
    next_tier: Optional[NextTier] = None
    override_reason: Optional[str] = None

    def to_json(self) -> dict:
        """The ``customer`` block of a quote (without the staff-only override reason)."""
        return {
            "tier": self.tier,
            "tier_explanation": self.explanation,
            "tier_basis": self.basis,
            "tier_held_until": iso_utc(self.held_until),
            "next_tier": self.next_tier.to_json() if self.next_tier else None,
        }


def evaluate_tier(tiers: Sequence[Tier], history: CustomerHistory, now: datetime, base_currency: str) -> TierStatus:
    """The tier ``history`` holds at ``now`` under ``tiers`` (lowest first).

    ``base_currency`` is the rules' base currency, in which thresholds and spend are written.
    Guests get no tier. Otherwise: an unexpired operator override naming a known tier; else
    the highest tier the customer qualifies for now or holds through its grace period.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if history.is_guest:
        return TierStatus(None, GUEST_EXPLANATION, "guest")
    standing = _Standing(history, now)

    override = history.tier_override
    if override is not None and override.active_at(now):
        position = _position(tiers, override.tier)
        if position is not None:
            tier = tiers[position]
            return TierStatus(
                tier.name,
                f"{tier.name} until {_day(override.until)}, set by our customer team",
                "override",
                held_until=override.until,
                next_tier=_progress_to(tiers, position + 1, standing, base_currency),
                override_reason=override.reason,
            )

    for position in range(len(tiers) - 1, -1, -1):
        tier = tiers[position]
        rule = _rule_met(tier, standing)
        if rule is not None or tier.open_to_all:
            return TierStatus(
                tier.name,
                _earned_explanation(tier, rule, standing, base_currency),
                "earned",
                next_tier=_progress_to(tiers, position + 1, standing, base_currency),
            )
        kept = _kept_by_grace(tier, standing)
        if kept is not None:
            rule, last_month, until = kept
            return TierStatus(
                tier.name,
                _grace_explanation(tier, rule, last_month, until, standing, base_currency),
                "grace",
                held_until=until,
                next_tier=_progress(tier, standing, base_currency, f"to keep {tier.name} after {_day(until)}"),
            )
    return TierStatus(None, "No tier yet", "none", next_tier=_progress_to(tiers, 0, standing, base_currency))


class _Standing:
    """A customer's totals as the tier rules measure them, memoised per window."""

    def __init__(self, history: CustomerHistory, now: datetime) -> None:
        self.history = history
        self.now = now
        self.month = _month_index(now)
        self.since = history.since
        self.tenure = _full_years(self.since, now) if self.since else 0
        self._windows: Dict[Tuple[int, int], Tuple[int, int]] = {}

    def totals(self, rule: QualifyRule, last_month: Optional[int] = None) -> Tuple[int, int]:
        """(orders, net spend) of the rule's window ending with ``last_month`` (default: now's month)."""
        if rule.window_months is None:
            return self.history.lifetime_orders, self.history.lifetime_net_spend
        end = self.month if last_month is None else last_month
        key = (rule.window_months, end)
        found = self._windows.get(key)
        if found is None:
            orders = spend = 0
            months = self.history.months
            for index in range(end - rule.window_months + 1, end + 1):
                bucket = months.get(_month_key(index))
                if bucket is not None:
                    orders += bucket.orders
                    spend += bucket.net_spend
            found = self._windows[key] = (orders, spend)
        return found

    def meets(self, rule: QualifyRule, last_month: Optional[int] = None) -> bool:
        if rule.tenure_years is not None and self.tenure < rule.tenure_years:
            return False
        orders, spend = self.totals(rule, last_month)
        checks = []
        if rule.orders is not None:
            checks.append(orders >= rule.orders)
        if rule.net_spend is not None:
            checks.append(spend >= rule.net_spend)
        if not checks:
            return True
        return all(checks) if rule.require_both else any(checks)


def _rule_met(tier: Tier, standing: _Standing, last_month: Optional[int] = None) -> Optional[QualifyRule]:
    """The first rule met, lifetime (staying) rules before window ones: they do not lapse, so
    they make the steadier explanation."""
    staying_first = sorted(tier.qualify, key=lambda rule: rule.window_months is not None)
    return next((rule for rule in staying_first if standing.meets(rule, last_month)), None)


def _kept_by_grace(tier: Tier, standing: _Standing) -> Optional[Tuple[QualifyRule, int, datetime]]:
    """(rule met, last month of its window, held until) for the latest month end in the grace period."""
    if not tier.grace_days:
        return None
    grace = timedelta(days=tier.grace_days)
    since = standing.now - grace
    month = standing.month
    while _month_start(month) > since:
        rule = _rule_met(tier, standing, last_month=month - 1)
        if rule is not None:
            return rule, month - 1, _month_start(month) + grace
        month -= 1
    return None


def _progress_to(tiers: Sequence[Tier], position: int, standing: _Standing, currency: str) -> Optional[NextTier]:
    if position >= len(tiers):
        return None
    return _progress(tiers[position], standing, currency, f"to {tiers[position].name}")


def _progress(target: Tier, standing: _Standing, currency: str, goal: str) -> NextTier:
    """The fewest more orders, or the least more spend, that alone would reach ``target``.

    Rules blocked by tenure are skipped (more orders would not help). When a rule needs
    orders *and* spend, both are given and the text says "and".
    """
    if _rule_met(target, standing) is not None:
        return NextTier(target.name, 0, 0, currency, f"You already qualify for {target.name}")
    orders_options: List[int] = []
    spend_options: List[int] = []
    both_options: List[Tuple[int, int]] = []
    for rule in target.qualify:
        if rule.tenure_years is not None and standing.tenure < rule.tenure_years:
            continue
        orders, spend = standing.totals(rule)
        orders_short = None if rule.orders is None else max(0, rule.orders - orders)
        spend_short = None if rule.net_spend is None else max(0, rule.net_spend - spend)
        if not rule.require_both:
            orders_options += [] if orders_short is None else [orders_short]
            spend_options += [] if spend_short is None else [spend_short]
        elif not orders_short:
            spend_options.append(spend_short)
        elif not spend_short:
            orders_options.append(orders_short)
        else:
            both_options.append((spend_short, orders_short))
    orders_needed = min(orders_options, default=None)
    spend_needed = min(spend_options, default=None)
    joiner = " or "
    if orders_needed is None and spend_needed is None and both_options:
        spend_needed, orders_needed = min(both_options)
        joiner = " and "
    parts = []
    if orders_needed is not None:
        parts.append(f"{orders_needed} more {_plural(orders_needed, 'order')}")
    if spend_needed is not None:
        parts.append(format_money(spend_needed, currency))
    if parts:
        text = f"{joiner.join(parts)} {goal}"
    else:
        text = f"{target.name} needs {_requirement(target.qualify[0], currency, with_window=True)}"
    return NextTier(target.name, orders_needed, spend_needed, currency, text)


def _earned_explanation(tier: Tier, rule: Optional[QualifyRule], standing: _Standing, currency: str) -> str:
    if rule is None:
        return f"{tier.name}: every customer with an account"
    return f"{tier.name}: {_have(rule, standing, currency)} (needs {_requirement(rule, currency)})"


def _grace_explanation(
    tier: Tier, rule: QualifyRule, month: int, until: datetime, standing: _Standing, currency: str
) -> str:
    orders, spend = standing.totals(rule, month)
    then = f"{_count(orders, 'order')} and {format_money(spend, currency)} net spend"
    window = _months(rule.window_months or 0)
    now_orders, now_spend = standing.totals(rule)
    return (
        f"{tier.name} until {_day(until)}: you had {then} in the {window} to "
        f"{_day(_month_start(month + 1) - timedelta(days=1))} (needs {_requirement(rule, currency)}); "
        f"in the last {window} you have {_count(now_orders, 'order')} and "
        f"{format_money(now_spend, currency)}"
    )


def _have(rule: QualifyRule, standing: _Standing, currency: str) -> str:
    orders, spend = standing.totals(rule)
    if rule.window_months is None and rule.tenure_years is not None and standing.since is not None:
        held = []
        if rule.orders is not None or rule.net_spend is None:
            held.append(_count(orders, "order"))
        if rule.net_spend is not None:
            held.append(f"{format_money(spend, currency)} net spend")
        return (f"a customer since {standing.since.astimezone(timezone.utc).year} with {' and '.join(held)} "
                f"over {_count(standing.tenure, 'year')}")
    figures = f"{_count(orders, 'order')} and {format_money(spend, currency)} net spend"
    if rule.window_months is None:
        figures += " in total"
        if rule.tenure_years is not None:
            figures += f" over {_count(standing.tenure, 'year')} as a customer"
        return figures
    if rule.tenure_years is not None:
        figures += f" ({_count(standing.tenure, 'year')} as a customer)"
    return f"{figures} in the last {_months(rule.window_months)}"


def _requirement(rule: QualifyRule, currency: str, with_window: bool = False) -> str:
    """``10 orders or £1,000.00``; ``£5,000.00 in total and 3 years as a customer``."""
    amounts = []
    if rule.orders is not None:
        amounts.append(_count(rule.orders, "order"))
    if rule.net_spend is not None:
        amounts.append(format_money(rule.net_spend, currency))
    text = (" and " if rule.require_both else " or ").join(amounts)
    if amounts and rule.window_months is None:
        text += " in total"
    elif amounts and with_window:
        text += f" in {_months(rule.window_months or 0)}"
    if rule.tenure_years is not None:
        tenure = f"{_count(rule.tenure_years, 'year')} as a customer"
        text = f"{text} and {tenure}" if text else tenure
    return text


def _position(tiers: Sequence[Tier], name: str) -> Optional[int]:
    return next((index for index, tier in enumerate(tiers) if tier.name == name), None)


def _month_index(moment: datetime) -> int:
    utc = moment.astimezone(timezone.utc)
    return utc.year * 12 + utc.month - 1


def _month_key(index: int) -> str:
    year, month = divmod(index, 12)
    return f"{year:04d}-{month + 1:02d}"


def _month_start(index: int) -> datetime:
    year, month = divmod(index, 12)
    return datetime(year, month + 1, 1, tzinfo=timezone.utc)


def _full_years(since: datetime, now: datetime) -> int:
    start, end = since.astimezone(timezone.utc), now.astimezone(timezone.utc)
    years = end.year - start.year
    if (end.month, end.day, end.time()) < (start.month, start.day, start.time()):
        years -= 1
    return max(0, years)


def _plural(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"


def _count(count: int, word: str) -> str:
    return f"{count} {_plural(count, word)}"


def _months(count: int) -> str:
    return "month" if count == 1 else f"{count} months"


def _day(moment: datetime) -> str:
    utc = moment.astimezone(timezone.utc)
    return f"{utc.day} {utc:%B %Y}"


def months_needed(tiers: Sequence[Tier]) -> int:
    """How many calendar months back (the current one included) tier evaluation can look:
    the longest rolling window plus the longest grace period, rounded up to whole months."""
    windows = [rule.window_months for tier in tiers for rule in tier.qualify if rule.window_months]
    grace = max((tier.grace_days for tier in tiers), default=0)
    return max(windows, default=1) + -(-grace // 28) + 1

