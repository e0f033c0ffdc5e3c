"""Replaying a rules change against the ledger: what a candidate rules document would have done.

Two questions, both answered by the pricing and tier code the checkout uses (never a second
engine):

- **Tiers today**: each customer's tier under the baseline and under the candidate, from the
  same history a quote reads (profile and monthly buckets).
- **Orders replayed**: each order placed in the period, priced again from its stored cart (its
  lines, the codes the shopper typed and which lines were on sale) under both documents, at
  the moment it was placed, with the customer's history as it stood then.

History as of an order (month granularity). The tiers read monthly buckets, so the history of
an order placed in month M is: the customer's buckets of the months before M as they stand
today, plus, for M itself, the orders of M placed before this one (each counted as the bucket
counts it: one order and its net value unless cancelled). Later months are empty. Lifetime
totals are the sum of those months; first and last order come from the orders placed before
it. The approximation is the tiers' own: a refund recorded after the order counts as if it
had always been there, and an operator's tier override is taken as it stands today (applied
while its ``until`` is after the order). Promotion uses (per-customer limits, budgets) are
counted in order of placement: the actual uses of the orders before the period, then the
uses each replay gives (a cancelled order's uses are not counted, as a cancellation gives
them back).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from .customer import MonthTotals
from .history import CustomerHistory
from .ledger import OrderState, base_share
from .pricing import CartLine, Quote, quote_for_cart
from .rules import Rules
from .tiers import evaluate_tier

TOP_MOVED_DOWN = 20


# --------------------------------------------------------------------------- orders as stored


@dataclass(frozen=True)
class PlacedOrder:
    """An order as the ledger holds it: its state and the quote decision it was committed with."""

    state: OrderState
    decision: Optional[Mapping] = None  # the stored decision (None: recorded without a quote)
    guest_quote: bool = False  # committed with a guest's quote: priced as a guest

    @property
    def order_id(self) -> str:
        return self.state.order.order_id

    @property
    def customer_id(self) -> str:
        return self.state.order.customer_id

    @property
    def placed_at(self) -> datetime:
        return self.state.order.placed_at

    @property
    def cancelled(self) -> bool:
        return self.state.status == "cancelled"

    @property
    def net_base(self) -> int:
        """What the order adds to its month's bucket today (base currency)."""
        order = self.state.order
        return 0 if self.cancelled else order.base_total - self.state.base_reversed

    @property
    def codes_known(self) -> bool:
        """Whether the decision kept the codes the shopper typed (decisions before replay did not)."""
        return self.decision is not None and "codes" in self.decision

    def cart(self) -> Tuple[CartLine, ...]:
        """The cart as quoted: the order's lines, with the decision's on-sale marks."""
        on_sale = set((self.decision or {}).get("sale") or ())
        return tuple(CartLine(line.sku, line.category, line.quantity, line.unit_amount, number in on_sale)
                     for number, line in enumerate(self.state.order.lines))

    def typed_codes(self) -> Tuple[str, ...]:
        """The codes the shopper typed; for an older decision, the promotions it applied."""
        if self.decision is None:
            return ()
        if "codes" in self.decision:
            return tuple(self.decision["codes"])
        return self.applied_codes()

    def applied_codes(self) -> Tuple[str, ...]:
        return tuple(d["code"] for d in (self.decision or {}).get("discounts", []) if d["kind"] != "tier")

    def to_base(self, amount: int, base_currency: str) -> int:
        """``amount`` of the order's currency in the base currency, at the order's own rate."""
        order = self.state.order
        if order.currency == base_currency:
            return amount
        return base_share(order, amount)


# --------------------------------------------------------------------------- history as of a moment


def history_as_of(today: CustomerHistory, earlier: Sequence[PlacedOrder], at: datetime) -> CustomerHistory:
    """The customer's history as it stood at ``at`` (see the module notes: month granularity).

    ``today`` is the history a quote reads now (profile and monthly buckets); ``earlier`` the
    customer's orders placed before ``at``, any order. ``promotion_uses`` is left empty: the
    replay counts uses itself.
    """
    month = _month_key(at)
    months: Dict[str, MonthTotals] = {key: totals for key, totals in today.months.items() if key < month}
    this_month = [o for o in earlier if _month_key(o.placed_at) == month and o.placed_at < at]
    if this_month:
        months[month] = MonthTotals(orders=sum(0 if o.cancelled else 1 for o in this_month),
                                    net_spend=sum(o.net_base for o in this_month))
    placed = sorted(o.placed_at for o in earlier if o.placed_at < at and not o.cancelled)
    override = today.tier_override if today.tier_override is not None and today.tier_override.active_at(at) else None
    since = today.customer_since if today.customer_since is not None and today.customer_since <= at else None
    return CustomerHistory(
        customer_id=today.customer_id,
        lifetime_orders=sum(totals.orders for totals in months.values()),
        lifetime_net_spend=sum(totals.net_spend for totals in months.values()),
        first_order_at=placed[0] if placed else None,
        last_order_at=placed[-1] if placed else None,
        months=months,
        tier_override=override,
        customer_since=since,
    )


# --------------------------------------------------------------------------- replaying orders


@dataclass(frozen=True)
class Repriced:
    """One order priced under one rules document; ``problem`` says why it could not be."""

    order: PlacedOrder
    quote: Optional[Quote]
    new_customer: bool = False
    problem: Optional[str] = None


@dataclass
class PromotionRunOut:
    """When a promotion's budget, or a customer's allowance of it, was used up in the replay."""

    code: str
    budget: Optional[int]
    used_before: int = 0
    used_in_period: int = 0
    budget_ran_out_on: Optional[str] = None
    per_customer_limit: Optional[int] = None
    customers_at_limit: int = 0
    first_customer_at_limit_on: Optional[str] = None

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Replayed:
    orders: List[Repriced] = field(default_factory=list)
    run_outs: Dict[str, PromotionRunOut] = field(default_factory=dict)


def replay_orders(rules: Rules, histories: Mapping[str, CustomerHistory], orders: Sequence[PlacedOrder],
                  since: datetime, until: datetime) -> Replayed:
    """Price every order placed in ``[since, until)`` under ``rules``, in order of placement.

    ``orders`` are all the ledger's orders (earlier ones make the history and the uses before
    the period); ``histories`` the customers' histories today, by id.
    """
    ordered = sorted(orders, key=lambda o: (o.placed_at, o.order_id))
    by_customer: Dict[str, List[PlacedOrder]] = defaultdict(list)
    uses: Dict[str, Counter] = defaultdict(Counter)
    budget_uses: Counter = Counter()
    limited = {p.key: p for p in rules.promotions if p.budget is not None or p.per_customer_limit is not None}
    run_outs = {key: PromotionRunOut(p.code, p.budget, per_customer_limit=p.per_customer_limit)
                for key, p in limited.items()}
    replayed = Replayed(run_outs=run_outs)
    for order in ordered:
        if order.placed_at >= until:
            break
        earlier = by_customer[order.customer_id]
        if order.placed_at < since:
            if not order.cancelled:
                _count_uses(order.applied_codes(), order.customer_id, uses, budget_uses)
            earlier.append(order)
            continue
        repriced = _reprice(rules, histories.get(order.customer_id), order, earlier, uses[order.customer_id],
                            budget_uses)
        replayed.orders.append(repriced)
        earlier.append(order)
        if repriced.quote is None or order.cancelled:
            continue
        day = order.placed_at.astimezone(timezone.utc).date().isoformat()
        for code in repriced.quote.promotion_codes:
            key = code.upper()
            uses[order.customer_id][key] += 1
            budget_uses[key] += 1
            run_out = run_outs.get(key)
            if run_out is None:
                continue
            run_out.used_in_period += 1
            if run_out.budget is not None and run_out.budget_ran_out_on is None and budget_uses[key] >= run_out.budget:
                run_out.budget_ran_out_on = day
            limit = run_out.per_customer_limit
            if limit is not None and uses[order.customer_id][key] == limit:
                run_out.customers_at_limit += 1
                run_out.first_customer_at_limit_on = run_out.first_customer_at_limit_on or day
    for key, run_out in run_outs.items():
        run_out.used_before = budget_uses[key] - run_out.used_in_period
    return replayed


def _count_uses(codes: Iterable[str], customer_id: str, uses: Dict[str, Counter], budget_uses: Counter) -> None:
    for code in codes:
        uses[customer_id][code.upper()] += 1
        budget_uses[code.upper()] += 1


def _reprice(rules: Rules, today: Optional[CustomerHistory], order: PlacedOrder, earlier: Sequence[PlacedOrder],
             uses: Counter, budget_uses: Counter) -> Repriced:
    if not order.state.order.lines:
        return Repriced(order, None, problem="no stored cart (the order has no lines)")
    currency = order.state.order.currency
    if not rules.accepts_currency(currency):
        return Repriced(order, None, problem=f"no exchange rate for {currency} in these rules")
    new_customer = not any(not o.cancelled for o in earlier)
    if order.guest_quote or today is None:
        history = CustomerHistory.guest()
    else:
        history = replace(history_as_of(today, earlier, order.placed_at), promotion_uses=dict(uses))
    remaining = {p.key: p.budget - budget_uses[p.key] for p in rules.promotions if p.budget is not None}
    quote = quote_for_cart(rules, history, order.cart(), currency, order.placed_at, order.typed_codes(), remaining)
    return Repriced(order, quote, new_customer=new_customer)


# --------------------------------------------------------------------------- tiers today


@dataclass(frozen=True)
class CustomerToday:
    """What the tier comparison needs of a customer: the history a quote reads, and their value."""

    history: CustomerHistory
    lifetime_net_spend: int


def tiers_today(baseline: Rules, candidate: Rules, customers: Mapping[str, CustomerToday], now: datetime,
                log_ref: Callable[[str], Optional[str]]) -> dict:
    """Each customer's tier under both documents: counts, the movement matrix, and the customers
    of the largest lifetime value who would move down (ids and log refs only)."""
    rank = _tier_rank(baseline, candidate)
    before: Counter = Counter()
    after: Counter = Counter()
    matrix: Dict[str, Counter] = defaultdict(Counter)
    down: List[Tuple[int, str, str, str]] = []
    up = 0
    for customer_id, customer in customers.items():
        old = evaluate_tier(baseline.tiers, customer.history, now, baseline.base_currency).tier
        new = evaluate_tier(candidate.tiers, customer.history, now, candidate.base_currency).tier
        before[_name(old)] += 1
        after[_name(new)] += 1
        matrix[_name(old)][_name(new)] += 1
        if rank(new) < rank(old):
            down.append((customer.lifetime_net_spend, customer_id, _name(old), _name(new)))
        elif rank(new) > rank(old):
            up += 1
    down.sort(key=lambda row: (-row[0], row[1]))
    names = _tier_names(baseline, candidate, set(before) | set(after))
    return {
        "customers": len(customers),
        "tiers": names,
        "baseline": {name: before.get(name, 0) for name in names},
        "candidate": {name: after.get(name, 0) for name in names},
        "movement": {old: {new: count for new, count in sorted(row.items(), key=lambda kv: names.index(kv[0]))}
                     for old, row in sorted(matrix.items(), key=lambda kv: names.index(kv[0]))},
        "moved_up": up,
        "moved_down": len(down),
        "largest_value_moving_down": [
            {"customer_id": customer_id, "log_ref": log_ref(customer_id), "lifetime_net_spend": value,
             "from": old, "to": new}
            for value, customer_id, old, new in down[:TOP_MOVED_DOWN]
        ],
    }


NO_TIER = "(no tier)"


def _name(tier: Optional[str]) -> str:
    return tier if tier is not None else NO_TIER


def _tier_names(baseline: Rules, candidate: Rules, seen: Iterable[str]) -> List[str]:
    names: List[str] = []
    for name in [NO_TIER] + [t.name for t in candidate.tiers] + [t.name for t in baseline.tiers]:
        if name not in names:
            names.append(name)
    return [name for name in names if name in seen or name != NO_TIER]


def _tier_rank(baseline: Rules, candidate: Rules) -> Callable[[Optional[str]], int]:
    """Higher is better: a tier's place in the candidate's list, else in the baseline's."""
    order = {t.name: n for n, t in enumerate(baseline.tiers)}
    order.update({t.name: n for n, t in enumerate(candidate.tiers)})
    return lambda name: -1 if name is None else order.get(name, -1)


# --------------------------------------------------------------------------- the orders' summary


def orders_summary(baseline: Rules, candidate: Rules, before: Replayed, after: Replayed) -> dict:
    """Discounts under both documents (base currency minor units): in total, by kind, by tier,
    by new or returning customer, by week; free orders; promotions running out; orders that
    could not be priced; and the exactness check of the baseline."""
    base = baseline.base_currency
    sides = {"baseline": _Totals(), "candidate": _Totals()}
    unpriced = []
    for old, new in zip(before.orders, after.orders):
        order = old.order
        if old.problem or new.problem:
            unpriced.append({"order_id": order.order_id, "placed_at": _iso(order.placed_at),
                             "currency": order.state.order.currency,
                             "baseline": old.problem, "candidate": new.problem})
            continue
        for name, repriced in (("baseline", old), ("candidate", new)):
            sides[name].add(repriced, base)
    checked = exactness_check(baseline, before.orders, base)
    periods = sorted(set(sides["baseline"].weeks) | set(sides["candidate"].weeks))
    return {
        "orders": len(before.orders),
        "orders_priced": len(before.orders) - len(unpriced),
        "currency": base,
        "baseline": sides["baseline"].to_json(periods),
        "candidate": sides["candidate"].to_json(periods),
        "difference": sides["candidate"].discount - sides["baseline"].discount,
        "weeks": periods,
        "promotions_running_out": {
            "baseline": _run_outs(before), "candidate": _run_outs(after),
        },
        "not_priced": unpriced,
        "codes_inferred": sum(1 for r in before.orders if r.order.decision is not None and not r.order.codes_known),
        "without_quote": sum(1 for r in before.orders if r.order.decision is None),
        "exactness": checked,
    }


def _run_outs(replayed: Replayed) -> List[dict]:
    return [run_out.to_json() for _, run_out in sorted(replayed.run_outs.items())
            if run_out.budget_ran_out_on or run_out.customers_at_limit]


class _Totals:
    def __init__(self) -> None:
        self.discount = 0
        self.by_kind: Counter = Counter()
        self.by_tier: Counter = Counter()
        self.new_customers: Counter = Counter()
        self.weeks: Counter = Counter()
        self.free_orders: List[str] = []

    def add(self, repriced: Repriced, base: str) -> None:
        quote = repriced.quote
        assert quote is not None
        order = repriced.order
        parts = {d.code: order.to_base(d.amount, base) for d in quote.discounts}
        amount = sum(parts.values())
        self.discount += amount
        for discount in quote.discounts:
            self.by_kind["tier" if discount.kind == "tier" else discount.code.upper()] += parts[discount.code]
        self.by_tier[_name(quote.customer.tier)] += amount
        self.new_customers["new" if repriced.new_customer else "returning"] += amount
        self.weeks[_week(order.placed_at)] += amount
        if quote.totals.subtotal > 0 and quote.totals.total == 0:
            self.free_orders.append(order.order_id)

    def to_json(self, weeks: Sequence[str]) -> dict:
        return {
            "discount": self.discount,
            "by_kind": dict(sorted(self.by_kind.items(), key=lambda kv: (kv[0] != "tier", kv[0]))),
            "by_tier": dict(sorted(self.by_tier.items())),
            "by_customer": {"new": self.new_customers.get("new", 0),
                            "returning": self.new_customers.get("returning", 0)},
            "by_week": {week: self.weeks.get(week, 0) for week in weeks},
            "orders_free": len(self.free_orders),
            "free_order_ids": self.free_orders[:50],
        }


def exactness_check(baseline: Rules, repriced: Sequence[Repriced], base: str) -> dict:
    """Whether the baseline replay gives each order quoted under the baseline's version exactly
    the discounts it got, per code, to the minor unit; every difference is listed."""
    version = baseline.version or 0
    checked = matched = 0
    other_versions: Counter = Counter()
    differences = []
    for result in repriced:
        decision = result.order.decision
        if decision is None:
            continue
        if int(decision.get("rules_version") or 0) != version:
            other_versions[int(decision.get("rules_version") or 0)] += 1
            continue
        checked += 1
        actual = _by_code(decision.get("discounts", []))
        replayed = {} if result.quote is None else _by_code(
            {"code": d.code, "amount": d.amount} for d in result.quote.discounts)
        if actual == replayed and result.problem is None:
            matched += 1
            continue
        differences.append({"order_id": result.order.order_id, "placed_at": _iso(result.order.placed_at),
                            "currency": result.order.state.order.currency, "actual": actual,
                            "replayed": replayed, "problem": result.problem})
    return {
        "rules_version": version,
        "orders_checked": checked,
        "orders_matching": matched,
        "exact": checked == matched,
        "differences": differences,
        "not_checked_other_versions": dict(sorted(other_versions.items())),
    }


def _by_code(discounts: Iterable[Mapping]) -> Dict[str, int]:
    found: Dict[str, int] = {}
    for discount in discounts:
        if discount["amount"]:
            found[discount["code"]] = found.get(discount["code"], 0) + int(discount["amount"])
    return found


def _month_key(moment: datetime) -> str:
    utc = moment.astimezone(timezone.utc)
    return f"{utc.year:04d}-{utc.month:02d}"


def _week(moment: datetime) -> str:
    """The Monday (UTC) starting the order's week, ``2026-11-16``."""
    day: date = moment.astimezone(timezone.utc).date()
    return (day - timedelta(days=day.weekday())).isoformat()


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
