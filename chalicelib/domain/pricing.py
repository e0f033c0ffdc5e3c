"""The checkout quote: tier benefits and the best combination of promotions, in exact money.

Order of application. A line starts at ``quantity * unit_amount``. The tier discount comes
first (it is the customer's own price), then the chosen promotions by priority (highest
first, then code). Each discount is taken from what is left of the lines it covers after the
discounts before it, so discounts compound rather than add (10% then 15% is 23.5% off, not
25%) and no line can go below zero.

Rounding. A percentage is computed once per discount on the covered lines' remaining total,
rounded half up to the quote currency's minor unit, then split over those lines by largest
remainder in proportion to what is left of each, so the line parts sum exactly to the
discount. A fixed amount (and a tier cap) is converted from the base currency with the
rules' ``fx`` table and never exceeds what is left of the lines it covers.

Sale items. A line with ``on_sale`` gets neither the tier discount nor a promotion unless
the rule sets ``applies_to_sale_items``: a marked-down price is not discounted twice by
default. Lines outside the rules' ``discountable`` selector (gift cards) get nothing, ever.

Choosing promotions. A stackable promotion combines with every other stackable one; an
exclusive one with none (the tier discount still applies: it is not a promotion). So the
candidates are "every valid stackable promotion together" and "each valid exclusive
promotion alone": n + 1 evaluations instead of 2^n. Adding a stackable promotion takes a
share of what is left and never lowers the total (up to a minor unit of rounding), so no
subset of the stackable set does better. The customer gets the candidate with the largest
discount; ties go to the highest priority, then to the alphabetically first codes.

Minimum subtotals are measured on the lines a promotion covers at their price before any
discount, so whether a promotion qualifies never depends on which others were chosen.

Out of scope: shipping (and so free-shipping promotions); the quote prices goods only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from .history import CustomerHistory
from .money import allocate, format_money
from .promotions import BasketFit, basket_refusal, customer_refusal, join_names, percent_text
from .rules import NoExchangeRate, Promotion, Rules, Tier
from .tiers import TierStatus, evaluate_tier

TIER_CODE_PREFIX = "tier:"


@dataclass(frozen=True)
class CartLine:
    """One line of a cart, in the quote currency's minor units."""

    sku: str
    category: str
    quantity: int
    unit_amount: int
    on_sale: bool = False

    def __post_init__(self) -> None:
        for name in ("quantity", "unit_amount"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"CartLine.{name} must be a non-negative int, got {value!r}")
        if self.quantity == 0:
            raise ValueError("CartLine.quantity must be at least 1")

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_amount


@dataclass(frozen=True)
class LineDiscount:
    code: str
    amount: int


@dataclass(frozen=True)
class QuotedLine:
    sku: str
    category: str
    quantity: int
    subtotal: int
    discounts: Tuple[LineDiscount, ...]

    @property
    def discount(self) -> int:
        return sum(part.amount for part in self.discounts)

    @property
    def total(self) -> int:
        return self.subtotal - self.discount


@dataclass(frozen=True)
class AppliedDiscount:
    """One discount on the order: ``kind`` is ``tier``, ``percent_off`` or ``amount_off``."""

    code: str
    kind: str
    amount: int
    description: str


@dataclass(frozen=True)
class NotApplied:
    """A promotion the shopper asked for (or an automatic one that nearly applied) that did not apply."""

    code: str
    reason: str
    short_by: Optional[int] = None


@dataclass(frozen=True)
class Totals:
    subtotal: int
    discount: int
    total: int


@dataclass(frozen=True)
class Quote:
    """What a customer gets for a cart, and why. Amounts are minor units of ``currency``."""

    currency: str
    rules_version: Optional[int]
    customer: TierStatus
    lines: Tuple[QuotedLine, ...]
    discounts: Tuple[AppliedDiscount, ...]
    not_applied: Tuple[NotApplied, ...]
    totals: Totals

    @property
    def promotion_codes(self) -> Tuple[str, ...]:
        """The promotions applied (not the tier discount): what a commit counts against limits and budgets."""
        return tuple(d.code for d in self.discounts if d.kind != "tier")

    def to_json(self) -> dict:
        """The quote part of the ``POST /v1/quotes`` response (the service adds ids, token and address trust)."""
        money = self._money
        return {
            "rules_version": self.rules_version,
            "currency": self.currency,
            "customer": self.customer.to_json(),
            "lines": [
                {
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "subtotal": money(line.subtotal),
                    "discounts": [{"code": part.code, "amount": money(part.amount)} for part in line.discounts],
                    "total": money(line.total),
                }
                for line in self.lines
            ],
            "discounts": [
                {"code": d.code, "kind": d.kind, "amount": money(d.amount), "description": d.description}
                for d in self.discounts
            ],
            "not_applied": [
                {"code": n.code, "reason": n.reason, "short_by": None if n.short_by is None else money(n.short_by)}
                for n in self.not_applied
            ],
            "totals": {
                "subtotal": money(self.totals.subtotal),
                "discount": money(self.totals.discount),
                "total": money(self.totals.total),
            },
        }

    def _money(self, amount: int) -> dict:
        return {"amount": amount, "currency": self.currency}


def quote_for_cart(
    rules: Rules,
    history: CustomerHistory,
    lines: Sequence[CartLine],
    currency: str,
    now: datetime,
    promo_codes: Sequence[str] = (),
    remaining_budgets: Optional[Mapping[str, int]] = None,
) -> Quote:
    """Price ``lines`` for the customer of ``history`` at ``now``: tier, discounts and why.

    ``promo_codes`` are the codes the shopper typed (case-insensitive; repeats ignored).
    ``remaining_budgets`` maps a promotion code to the uses left of its total budget, where
    known; a promotion at zero is refused here, and the budget is enforced at commit anyway.
    Raises :class:`NoExchangeRate` when ``currency`` is neither the base currency nor in ``fx``.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not rules.accepts_currency(currency):
        raise NoExchangeRate(currency, rules.base_currency)
    status = evaluate_tier(rules.tiers, history, now, rules.base_currency)
    cart = _Cart(rules, lines, currency)
    not_applied: List[NotApplied] = []
    applied: List[_Discount] = []

    tier = rules.tier(status.tier)
    if tier is not None and tier.benefits.gives_discount:
        tier_discount, refused = _tier_discount(tier, cart)
        if tier_discount is not None and tier_discount.amount:
            cart.take(tier_discount.parts)
            applied.append(tier_discount)
        elif refused is not None:
            not_applied.append(refused)

    candidates, unknown = _candidates(rules, promo_codes)
    not_applied.extend(unknown)
    budgets = {code.upper(): left for code, left in (remaining_budgets or {}).items()}
    valid, refused_promotions = _screen(candidates, history, status.tier, now, cart, budgets)
    not_applied.extend(refused_promotions)

    chosen, options = _best_combination(valid, cart.remaining)
    for discount in chosen.discounts:
        if discount.amount:
            applied.append(discount)
        else:
            not_applied.append(NotApplied(discount.code, "Your other discounts already cover these items"))
    not_applied.extend(_beaten(valid, chosen, options))
    return _build_quote(rules, status, lines, currency, applied, not_applied)


# --------------------------------------------------------------------------- internals


@dataclass
class _Discount:
    code: str
    kind: str
    description: str
    parts: Dict[int, int]  # line index -> minor units

    @property
    def amount(self) -> int:
        return sum(self.parts.values())


class _Cart:
    """The lines being priced and what is left of each after the discounts taken so far."""

    def __init__(self, rules: Rules, lines: Sequence[CartLine], currency: str) -> None:
        self.rules = rules
        self.lines = lines
        self.currency = currency
        self.amounts = [line.quantity * line.unit_amount for line in lines]
        self.remaining = list(self.amounts)
        self.open = [
            index for index, line in enumerate(lines)
            if rules.discountable.covers_at_full_price(line.sku, line.category)
        ]

    def from_base(self, amount: Optional[int]) -> Optional[int]:
        return None if amount is None else self.rules.from_base(amount, self.currency)

    def take(self, parts: Mapping[int, int]) -> None:
        for index, part in parts.items():
            self.remaining[index] -= part


class _Candidate:
    """A promotion measured against the cart: the lines it covers and its amounts in the quote currency."""

    def __init__(self, promotion: Promotion, asked: bool, cart: _Cart) -> None:
        self.promotion = promotion
        self.asked = asked
        items = promotion.items
        covered: List[int] = []
        left_out = 0
        for index in cart.open:
            line = cart.lines[index]
            if items.covers(line.sku, line.category, line.on_sale):
                covered.append(index)
            elif line.on_sale and items.covers_at_full_price(line.sku, line.category):
                left_out += 1
        self.lines = covered
        self.fit = BasketFit(len(covered), sum(cart.amounts[i] for i in covered), left_out)
        self.amount_off = cart.from_base(promotion.amount)

    def discount_on(self, remaining: List[int]) -> _Discount:
        """This promotion's discount on what is left of its lines (and take it from ``remaining``)."""
        weights = [remaining[index] for index in self.lines]
        base = sum(weights)
        if self.promotion.kind == "percent_off":
            total = _percent_of(base, self.promotion.percent_bp or 0)
        else:
            total = min(self.amount_off or 0, base)
        parts = _split(total, self.lines, weights, weights)
        for index, part in parts.items():
            remaining[index] -= part
        return _Discount(self.promotion.code, self.promotion.kind, self.promotion.description, parts)


@dataclass
class _Outcome:
    candidates: Tuple[_Candidate, ...]
    discounts: List[_Discount] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(discount.amount for discount in self.discounts)

    def rank(self) -> tuple:
        """Smaller is better: the largest discount, then the highest priority, then the first codes."""
        priority = max((c.promotion.priority for c in self.candidates), default=0)
        return (-self.total, -priority, tuple(sorted(c.promotion.key for c in self.candidates)))


def _candidates(rules: Rules, promo_codes: Sequence[str]) -> Tuple[List[Tuple[Promotion, bool]], List[NotApplied]]:
    """(promotion, asked for) for each typed code and each automatic promotion, once each;
    and a not-applied entry for each code the rules do not know."""
    found: List[Tuple[Promotion, bool]] = []
    unknown: List[NotApplied] = []
    seen = set()
    for typed in promo_codes:
        key = typed.strip().upper()
        if not key or key in seen:
            continue
        seen.add(key)
        promotion = rules.promotion(key)
        if promotion is None:
            unknown.append(NotApplied(typed.strip(), "We don't recognise this code"))
        else:
            found.append((promotion, True))
    found.extend((p, False) for p in rules.promotions if p.automatic and p.key not in seen)
    return found, unknown


def _screen(
    candidates: List[Tuple[Promotion, bool]],
    history: CustomerHistory,
    tier: Optional[str],
    now: datetime,
    cart: _Cart,
    budgets: Mapping[str, int],
) -> Tuple[List[_Candidate], List[NotApplied]]:
    """The promotions that can apply, and a not-applied entry for each refused one the shopper
    asked for or nearly qualified for. The basket is measured only for promotions open to the customer."""
    valid: List[_Candidate] = []
    refused: List[NotApplied] = []
    for promotion, asked in candidates:
        refusal = customer_refusal(promotion, history, tier, now, budgets.get(promotion.key))
        if refusal is None:
            candidate = _Candidate(promotion, asked, cart)
            refusal = basket_refusal(
                promotion, candidate.fit, cart.currency, cart.from_base(promotion.min_subtotal), candidate.amount_off
            )
            if refusal is None:
                valid.append(candidate)
                continue
        if asked or refusal.near_miss:
            refused.append(NotApplied(promotion.code, refusal.reason, refusal.short_by))
    return valid, refused


def _best_combination(valid: List[_Candidate], remaining: List[int]) -> Tuple[_Outcome, List[_Outcome]]:
    """The best of "all stackable together" and "each exclusive alone", and every option tried."""
    by_priority = sorted(valid, key=lambda c: (-c.promotion.priority, c.promotion.key))
    stackable = tuple(c for c in by_priority if c.promotion.stackable)
    choices = ([stackable] if stackable else []) + [(c,) for c in by_priority if not c.promotion.stackable]
    options = []
    for choice in choices:
        left = list(remaining)
        options.append(_Outcome(choice, [candidate.discount_on(left) for candidate in choice]))
    best = min(options, key=_Outcome.rank, default=_Outcome(()))
    return best, options


def _beaten(valid: List[_Candidate], chosen: _Outcome, options: List[_Outcome]) -> List[NotApplied]:
    """A not-applied entry for each valid promotion left out because another combination won."""
    if not valid:
        return []
    winners = [d.code for d in chosen.discounts if d.amount] or [c.promotion.code for c in chosen.candidates]
    one = len(winners) == 1
    beaten = []
    for option in options:
        if option is chosen:
            continue
        if chosen.total > option.total:
            why = "saves you more" if one else "save you more"
        else:
            why = "takes priority" if one else "take priority"
        for candidate in option.candidates:
            reason = f"Can't be combined with {join_names(winners)}, which {why}"
            beaten.append(NotApplied(candidate.promotion.code, reason))
    return beaten


def _tier_discount(tier: Tier, cart: _Cart) -> Tuple[Optional[_Discount], Optional[NotApplied]]:
    """The tier's percentage off its lines (capped), or why it gave nothing when that would surprise."""
    benefits = tier.benefits
    code = TIER_CODE_PREFIX + tier.name
    indices: List[int] = []
    weights: List[int] = []
    left_out_on_sale = 0
    for index in cart.open:
        line = cart.lines[index]
        basis_points = benefits.percent_bp_for(line.category)
        if not basis_points or not benefits.items.covers_at_full_price(line.sku, line.category):
            continue
        if line.on_sale and not benefits.items.include_sale_items:
            left_out_on_sale += 1
            continue
        indices.append(index)
        weights.append(cart.remaining[index] * basis_points)
    if not indices:
        if left_out_on_sale:
            return None, NotApplied(code, f"Your {tier.name} tier discount doesn't apply to items already on sale")
        return None, None
    total = (sum(weights) + 5_000) // 10_000  # weights are amount x basis points: round half up
    cap = cart.from_base(benefits.cap)
    if cap is not None:
        total = min(total, cap)
    parts = _split(total, indices, weights, [cart.remaining[index] for index in indices])
    return _Discount(code, "tier", _tier_description(tier, cart.currency, cap), parts), None


def tier_benefits_text(tier: Tier, currency: str) -> Optional[str]:
    """What a tier gives, in words ("Gold tier discount: 10% off running-shoes, ..."), or None."""
    if not tier.benefits.gives_discount:
        return None
    cap = tier.benefits.cap
    return _tier_description(tier, currency, cap)


def _tier_description(tier: Tier, currency: str, cap: Optional[int]) -> str:
    percents = tier.benefits.percent_bp_by_category
    named = [f"{percent_text(bp)} off {category}" for category, bp in percents.items() if category != "*" and bp]
    if percents.get("*"):
        named.append(f"{percent_text(percents['*'])} off {'everything else' if named else 'everything'}")
    text = f"{tier.name} tier discount: {', '.join(named)}"
    return text + (f" (up to {format_money(cap, currency)} an order)" if cap is not None else "")


def _percent_of(amount: int, basis_points: int) -> int:
    """``amount * basis_points / 10000`` rounded half up."""
    return (amount * basis_points + 5000) // 10000


def _split(total: int, indices: Sequence[int], weights: Sequence[int], limits: Sequence[int]) -> Dict[int, int]:
    """Allocate ``total`` over lines by largest remainder, never giving a line more than its limit.

    Proportional parts can exceed a limit only by the one unit rounding adds; such units move
    to the lines with the most room left, in order. ``total`` must not exceed ``sum(limits)``.
    """
    if not total:
        return {index: 0 for index in indices}
    parts = allocate(total, weights)
    spill = 0
    for n, limit in enumerate(limits):
        if parts[n] > limit:
            spill += parts[n] - limit
            parts[n] = limit
    if spill:
        for n in sorted(range(len(parts)), key=lambda n: parts[n] - limits[n]):
            room = min(spill, limits[n] - parts[n])
            parts[n] += room
            spill -= room
    return dict(zip(indices, parts))


def _build_quote(
    rules: Rules, status: TierStatus, lines: Sequence[CartLine], currency: str,
    applied: List[_Discount], not_applied: List[NotApplied],
) -> Quote:
    quoted = tuple(
        QuotedLine(
            sku=line.sku,
            category=line.category,
            quantity=line.quantity,
            subtotal=line.quantity * line.unit_amount,
            discounts=tuple(LineDiscount(d.code, d.parts[i]) for d in applied if d.parts.get(i)),
        )
        for i, line in enumerate(lines)
    )
    subtotal = sum(line.subtotal for line in quoted)
    discount = sum(d.amount for d in applied)
    return Quote(
        currency=currency,
        rules_version=rules.version,
        customer=status,
        lines=quoted,
        discounts=tuple(AppliedDiscount(d.code, d.kind, d.amount, d.description) for d in applied),
        not_applied=tuple(not_applied),
        totals=Totals(subtotal=subtotal, discount=discount, total=subtotal - discount),
    )

