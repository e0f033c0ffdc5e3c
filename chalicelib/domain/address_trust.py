"""Can we trust this shipping address for this customer? A score, a decision and the reasons.

The address is judged by the customer's own history first: where we have delivered before, how
long and how well they have bought, and only then by what the payment provider confirmed. A regular
who moves to the unit next door ships; a brand-new account sending a big cart to a freight forwarder
far from its card's address is held for review.

``score_address`` adds the points of each signal to a base score, clamps it to 0-100 and maps it to
``ship`` / ``verify`` (ask for step-up verification) / ``review`` (hold for a person). Every signal
that moved the score, and every fact an operator should know, becomes a reason in plain English.
Weights and thresholds come from the ``address_trust`` section of the rules document
(``TrustRules.from_dict``); the default section is in ``chalicelib/rules/default.json``.

One rule is not a weight: a customer with at least 3 delivered orders and no chargebacks whose new
address is in a building where he has had deliveries always ships, whatever else is said
(``regular_customer`` in the rules may lower that bar, never raise it).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .addresses import (
    Comparison,
    MatchLevel,
    NormalisedAddress,
    canonical_text,
    compare_addresses,
    normalise_address,
)
from .money import format_money
from .postcodes import INVALID, check_postcode

SHIP, VERIFY, REVIEW = "ship", "verify", "review"
_SEVERITY = {SHIP: 0, VERIFY: 1, REVIEW: 2}
POSITIVE, NEGATIVE, NEUTRAL = "positive", "negative", "neutral"
CONFIRMERS = (None, "payment_provider", "operator")
HARD_REQUIREMENT_MAX_DELIVERED_ORDERS = 3  # the promise to regulars; rules may only lower it

_DEFAULTS_PATH = Path(__file__).resolve().parent.parent / "rules" / "default.json"
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_SAME_BUILDING = (MatchLevel.EXACT, MatchLevel.SAME_BUILDING_OTHER_UNIT)
_HAS_REFERENCE = (MatchLevel.EXACT, MatchLevel.SAME_BUILDING_OTHER_UNIT, MatchLevel.SAME_STREET,
                  MatchLevel.SAME_POSTCODE, MatchLevel.NEAR)


# --- inputs -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class KnownAddress:
    """One entry of the customer's address book, already normalised when it was saved."""

    address_id: str  # the address's fingerprint
    address: NormalisedAddress
    first_used_at: datetime
    orders_shipped: int = 0
    deliveries_confirmed: int = 0
    confirmed_by: Optional[str] = None  # None | "payment_provider" | "operator"
    last_delivery_at: Optional[datetime] = None

    def __post_init__(self) -> None:
        if self.confirmed_by not in CONFIRMERS:
            raise ValueError(f"confirmed_by must be one of {CONFIRMERS}, not {self.confirmed_by!r}")
        _require_aware("first_used_at", self.first_used_at)


@dataclass(frozen=True)
class TrustContext:
    """What we know about the customer and this checkout, besides the address book.

    Money is in minor units of ``currency`` (the store's base currency). ``new_addresses_last_30_days``
    counts the addresses first used in the last 30 days, not counting the one being judged.
    ``first_order_at`` dates the customer's first order (None before any): tenure is counted from it,
    so a dormant account does not look established. Datetimes must be timezone-aware.
    """

    now: datetime
    account_created_at: datetime
    first_order_at: Optional[datetime] = None
    lifetime_orders: int = 0
    delivered_orders: int = 0
    net_spend_minor: int = 0
    chargebacks: int = 0
    refunds: int = 0
    new_addresses_last_30_days: int = 0
    cart_value_minor: int = 0
    usual_order_value_minor: Optional[int] = None
    payment_address: Optional[NormalisedAddress] = None
    currency: str = "GBP"

    def __post_init__(self) -> None:
        for name in ("now", "account_created_at", "first_order_at"):
            _require_aware(name, getattr(self, name))
        for name in ("lifetime_orders", "delivered_orders", "chargebacks", "refunds",
                     "new_addresses_last_30_days", "cart_value_minor"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative")


def _require_aware(name: str, value: Optional[datetime]) -> None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")


# --- outputs ----------------------------------------------------------------------------------

STAFF, STOREFRONT = "staff", "storefront"

# What a storefront (and so the shopper) is told for each reason code: no stored personal data,
# no counts, amounts, dates or distances. A storefront key may be allowed quotes and nothing else,
# so these must not reveal the address book (lines, postcodes, how far the new address is from
# home) or the history (deliveries, spend, chargebacks, refunds). The full ``message`` of a reason
# is staff wording: it is kept in the support decision record and shown in the 360 view.
SHOPPER_WORDING: Dict[str, str] = {
    "MATCH_EXACT": "A known address of this customer",
    "MATCH_SAME_BUILDING_OTHER_UNIT": "Another unit of a building this customer is known at",
    "MATCH_SAME_STREET": "On the same street as a known address of this customer",
    "MATCH_SAME_POSTCODE": "In the same postcode as a known address of this customer",
    "MATCH_NEAR": "Near a known address of this customer",
    "MATCH_FAR": "A new address, far from this customer's known addresses",
    "MATCH_DISTANCE_UNKNOWN": "A new address; its distance from known addresses cannot be measured",
    "MATCH_OTHER_COUNTRY": "A new address, in a country where this customer has no known address",
    "NO_KNOWN_ADDRESSES": "No known addresses for this customer yet",
    "ADDRESS_CONFIRMED": "This address or its building was confirmed before",
    "REGULAR_KNOWN_BUILDING": "Regular customer at a building with confirmed deliveries",
    "PAYMENT_ADDRESS_MISSING": "No address confirmed by the payment provider",
    "PAYMENT_ADDRESS_KNOWN": "The payment provider's confirmed address is a known address of this customer",
    "PAYMENT_ADDRESS_MATCH": "Matches the address confirmed by the payment provider",
    "PAYMENT_ADDRESS_SAME_BUILDING": "Same building as the payment provider's confirmed address, another unit",
    "PAYMENT_ADDRESS_SAME_STREET": "Same street as the payment provider's confirmed address",
    "PAYMENT_ADDRESS_SAME_POSTCODE": "Same postcode as the payment provider's confirmed address",
    "PAYMENT_ADDRESS_NEAR": "Near the payment provider's confirmed address",
    "PAYMENT_ADDRESS_FAR": "Far from the payment provider's confirmed address",
    "PAYMENT_ADDRESS_DIFFERENT": "Differs from the payment provider's confirmed address",
    "PAYMENT_ADDRESS_OTHER_COUNTRY": "In another country than the payment provider's confirmed address",
    "NEW_ACCOUNT": "Recently opened account",
    "TENURE": "How long this customer has been ordering",
    "DELIVERED_ORDERS": "Orders delivered to this customer before",
    "NO_DELIVERED_ORDERS": "No delivered orders yet",
    "NET_SPEND": "This customer's spending history",
    "CHARGEBACKS": "Chargebacks on record",
    "CHARGEBACK_HISTORY_CAP": "Chargebacks on record limit the decision",
    "HIGH_REFUND_RATIO": "Refunds or returns on many orders",
    "NEW_ADDRESS_BURST": "Other new addresses added recently",
    "CART_ABOVE_USUAL": "Cart well above this customer's usual order",
    "HIGH_CART_NO_HISTORY": "Large cart with no order history to compare",
    "LARGE_CART_TO_UNFAMILIAR_ADDRESS": "Cart well above the usual order, going to an address unlike any known one",
    "FREIGHT_FORWARDER": "Freight forwarder or reshipper address",
    "PO_BOX": "PO Box or private mailbox address",
    "PARCEL_LOCKER": "Parcel locker or pickup point",
    "MILITARY_ADDRESS": "Military mail address",
    "POSTCODE_INVALID": "Postcode not valid for the country given",
}
GENERIC_SHOPPER_WORDING = "Address check"  # a code added without wording still never leaks staff text


@dataclass(frozen=True)
class TrustReason:
    """One reason behind a decision; ``points`` is what it added to the score (0 for facts).

    ``message`` is staff wording (it may quote the address book and the history); storefronts
    get the code's :data:`SHOPPER_WORDING` instead."""

    code: str
    sentiment: str
    message: str
    points: int = 0

    def to_dict(self, audience: str = STAFF) -> Dict[str, str]:
        message = self.message if audience == STAFF else SHOPPER_WORDING.get(self.code, GENERIC_SHOPPER_WORDING)
        return {"code": self.code, "sentiment": self.sentiment, "message": message}


@dataclass(frozen=True)
class AddressTrust:
    """The verdict on one shipping address. ``matched_address_id`` is the known address the match
    level refers to (EXACT means it is the same address), None when nothing near was found."""

    score: int
    decision: str
    reasons: Tuple[TrustReason, ...]
    matched_address_id: Optional[str]
    match_level: MatchLevel
    distance_km: Optional[float] = None

    def to_dict(self, audience: str = STAFF) -> Dict[str, Any]:
        """The ``address_trust`` object: ``STOREFRONT`` for the quote response (codes and shopper
        wording), ``STAFF`` for support's decision record (the full wording)."""
        return {
            "score": self.score,
            "decision": self.decision,
            "reasons": [reason.to_dict(audience) for reason in self.reasons],
            "matched_address_id": self.matched_address_id,
        }


# --- rules ------------------------------------------------------------------------------------

class InvalidTrustRules(ValueError):
    """The address_trust rules section is malformed; the message names the key."""


Bands = Tuple[Tuple[float, int], ...]


@dataclass(frozen=True)
class TrustRules:
    """Weights and thresholds, parsed and checked once from the rules document's section.

    Build it once per rules version (``from_dict`` normalises the forwarder addresses) and reuse it
    for every quote.
    """

    base_score: int
    ship_min_score: int
    verify_min_score: int
    near_km: float
    match_points: Mapping[MatchLevel, Mapping[str, int]]
    confirmed_address_points: int
    payment_points: Mapping[str, int]
    tenure_bands: Bands
    new_account_max_days: int
    new_account_points: int
    delivered_bands: Bands
    net_spend_bands: Bands
    chargeback_bands: Bands
    chargeback_cap_min: int
    chargeback_cap_decision: str
    refund_min_orders: int
    refund_bands: Bands
    new_address_bands: Bands
    cart_ratio_bands: Bands
    cart_absolute_bands: Bands
    large_cart_min_ratio: float
    large_cart_points: int
    large_cart_levels: Tuple[MatchLevel, ...]
    forwarder_points: int
    forwarder_known_points: int
    forwarder_keywords: Tuple[Tuple[str, str], ...]
    forwarder_addresses: Tuple[Tuple[str, NormalisedAddress], ...]
    po_box_points: int
    po_box_known_points: int
    locker_points: int
    locker_known_points: int
    locker_keywords: Tuple[Tuple[str, str], ...]
    regular_min_delivered_orders: int
    regular_max_chargebacks: int

    @classmethod
    def from_dict(cls, section: Mapping[str, Any]) -> "TrustRules":
        """Parse the ``address_trust`` section. Raises ``InvalidTrustRules`` naming a bad key."""
        try:
            rules = cls._parse(section)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            if isinstance(error, InvalidTrustRules):
                raise
            raise InvalidTrustRules(f"address_trust: {type(error).__name__}: {error}") from None
        rules._check()
        return rules

    @classmethod
    def _parse(cls, s: Mapping[str, Any]) -> "TrustRules":
        match = {}
        for level in MatchLevel:
            points = s["match"][level.value]
            match[level] = {h: int(points[h]) for h in ("delivered", "shipped", "saved")}
        payment = {key: int(s["payment_address"][key])
                   for key in [lvl.value for lvl in MatchLevel if lvl != MatchLevel.NO_KNOWN_ADDRESSES]
                   + ["missing"]}
        forwarders, lockers = s["forwarders"], s["lockers"]
        return cls(
            base_score=int(s["base_score"]),
            ship_min_score=int(s["decision"]["ship_min_score"]),
            verify_min_score=int(s["decision"]["verify_min_score"]),
            near_km=float(s["near_km"]),
            match_points=match,
            confirmed_address_points=int(s["confirmed_address_points"]),
            payment_points=payment,
            tenure_bands=_bands(s["tenure_days"]),
            new_account_max_days=int(s["new_account"]["max_days"]),
            new_account_points=int(s["new_account"]["points"]),
            delivered_bands=_bands(s["delivered_orders"]),
            net_spend_bands=_bands(s["net_spend_minor"]),
            chargeback_bands=_bands(s["chargebacks"]),
            chargeback_cap_min=int(s["chargebacks_cap"]["min"]),
            chargeback_cap_decision=str(s["chargebacks_cap"]["max_decision"]),
            refund_min_orders=int(s["refund_ratio"]["min_orders"]),
            refund_bands=_bands(s["refund_ratio"]["bands"]),
            new_address_bands=_bands(s["new_addresses_30d"]),
            cart_ratio_bands=_bands(s["cart_vs_usual"]),
            cart_absolute_bands=_bands(s["cart_without_history_minor"]),
            large_cart_min_ratio=float(s["large_cart_to_unfamiliar_address"]["min_cart_ratio"]),
            large_cart_points=int(s["large_cart_to_unfamiliar_address"]["points"]),
            large_cart_levels=tuple(MatchLevel(v) for v in s["large_cart_to_unfamiliar_address"]["levels"]),
            forwarder_points=int(forwarders["points"]),
            forwarder_known_points=int(forwarders["known_with_deliveries_points"]),
            forwarder_keywords=_keywords(forwarders["keywords"]),
            forwarder_addresses=tuple(
                (str(entry.get("name", "")), normalise_address(entry["address"]))
                for entry in forwarders.get("addresses", [])
            ),
            po_box_points=int(s["po_box"]["points"]),
            po_box_known_points=int(s["po_box"]["known_with_deliveries_points"]),
            locker_points=int(lockers["points"]),
            locker_known_points=int(lockers["known_with_deliveries_points"]),
            locker_keywords=_keywords(lockers["keywords"]),
            regular_min_delivered_orders=int(s["regular_customer"]["min_delivered_orders"]),
            regular_max_chargebacks=int(s["regular_customer"]["max_chargebacks"]),
        )

    def _check(self) -> None:
        if not 0 <= self.verify_min_score <= self.ship_min_score <= 100:
            raise InvalidTrustRules("address_trust.decision: need 0 <= verify_min_score <= ship_min_score <= 100")
        if not 1 <= self.regular_min_delivered_orders <= HARD_REQUIREMENT_MAX_DELIVERED_ORDERS:
            raise InvalidTrustRules(
                "address_trust.regular_customer.min_delivered_orders must be between 1 and "
                f"{HARD_REQUIREMENT_MAX_DELIVERED_ORDERS}: regulars moving within a building always ship")
        if self.chargeback_cap_decision not in (SHIP, VERIFY, REVIEW):
            raise InvalidTrustRules("address_trust.chargebacks_cap.max_decision must be ship, verify or review")
        if self.regular_max_chargebacks < 0:
            raise InvalidTrustRules("address_trust.regular_customer.max_chargebacks cannot be negative")
        if self.near_km <= 0:
            raise InvalidTrustRules("address_trust.near_km must be positive")


def _bands(rows: Sequence[Mapping[str, Any]]) -> Bands:
    """``[{"min": 3, "points": -10}, ...]`` as (min, points) pairs, highest minimum first."""
    return tuple(sorted(((float(row["min"]), int(row["points"])) for row in rows), reverse=True))


def _keywords(words: Sequence[str]) -> Tuple[Tuple[str, str], ...]:
    """(canonical form to search for, the keyword as written for messages)."""
    return tuple((canonical_text(str(w)), str(w)) for w in words if canonical_text(str(w)))


def _band_points(bands: Bands, value: float) -> int:
    for minimum, points in bands:
        if value >= minimum:
            return points
    return 0


def load_rules_section(path: Path = _DEFAULTS_PATH) -> Dict[str, Any]:
    """The default rules document's ``address_trust`` section as a dict."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)["address_trust"]


@lru_cache(maxsize=1)
def default_rules() -> TrustRules:
    """The default rules' ``address_trust`` section, parsed once."""
    return TrustRules.from_dict(load_rules_section())


def trust_rules_problems(section: Any) -> List[Dict[str, str]]:
    """Why a rules document's ``address_trust`` section is not usable (empty when it is)."""
    try:
        TrustRules.from_dict(section)
    except InvalidTrustRules as error:
        return [{"field": "address_trust", "reason": str(error)}]
    return []


# --- scoring ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Candidate:
    known: KnownAddress
    comparison: Comparison
    history: str
    points: int


def score_address(address: NormalisedAddress, known: Sequence[KnownAddress], context: TrustContext,
                  rules: Optional[TrustRules] = None) -> AddressTrust:
    """Judge ``address`` for this customer against his address book ``known``.

    Pure and fast (no I/O beyond the lazily loaded centroid tables): one comparison per known
    address, so a book of 50 costs well under a millisecond once the tables are warm.
    """
    rules = rules or default_rules()
    reasons: List[TrustReason] = []
    candidates = [_candidate(address, k, rules) for k in known]
    best = max(candidates, key=_preference, default=None)

    reasons.extend(_match_reasons(address, best, candidates, rules))
    reasons.extend(_payment_reasons(address, context, known, rules))
    reasons.extend(_customer_reasons(context, rules))
    reasons.extend(_combination_reasons(best, context, rules))
    reasons.extend(_delivery_point_reasons(address, best, rules))

    score = max(0, min(100, rules.base_score + sum(r.points for r in reasons)))
    decision = SHIP if score >= rules.ship_min_score else VERIFY if score >= rules.verify_min_score else REVIEW
    if context.chargebacks >= rules.chargeback_cap_min and _SEVERITY[decision] < _SEVERITY[rules.chargeback_cap_decision]:
        decision = rules.chargeback_cap_decision
        # Keep the score consistent with the decision for callers that threshold on the score.
        ceiling = rules.ship_min_score - 1 if decision == VERIFY else rules.verify_min_score - 1
        score = max(0, min(score, ceiling))
        reasons.append(TrustReason("CHARGEBACK_HISTORY_CAP", NEGATIVE,
                                   f"{_count(context.chargebacks, 'chargeback')} on record: at best "
                                   f"'{decision}', whatever the score"))

    regular = _regular_in_known_building(candidates, context, rules)
    if regular is not None:
        reasons.insert(0, regular)
        decision, score = SHIP, max(score, rules.ship_min_score)

    reasons = _ordered(reasons)
    level = best.comparison.level if best else MatchLevel.NO_KNOWN_ADDRESSES
    matched = best.known.address_id if best and level in _HAS_REFERENCE else None
    distance = best.comparison.distance_km if best else None
    return AddressTrust(score, decision, tuple(reasons), matched, level, distance)


def _history(known: KnownAddress) -> str:
    if known.deliveries_confirmed > 0:
        return "delivered"
    if known.orders_shipped > 0:
        return "shipped"
    return "saved"


def _candidate(address: NormalisedAddress, known: KnownAddress, rules: TrustRules) -> _Candidate:
    comparison = compare_addresses(address, known.address, rules.near_km)
    history = _history(known)
    return _Candidate(known, comparison, history, rules.match_points[comparison.level][history])


def _preference(c: _Candidate):
    """Most points first; then more deliveries; then the nearer address."""
    distance = c.comparison.distance_km
    return (c.points, -c.comparison.level.rank, c.known.deliveries_confirmed,
            -(distance if distance is not None else 1e9))


def _regular_in_known_building(candidates: Sequence[_Candidate], context: TrustContext,
                               rules: TrustRules) -> Optional[TrustReason]:
    """The hard rule: a regular without chargebacks, in a building he has had deliveries at."""
    if context.delivered_orders < rules.regular_min_delivered_orders:
        return None
    if context.chargebacks > rules.regular_max_chargebacks:
        return None
    building = [c for c in candidates if c.comparison.level in _SAME_BUILDING and c.known.deliveries_confirmed > 0]
    if not building:
        return None
    deliveries = sum(c.known.deliveries_confirmed for c in building)
    chargebacks = "no chargebacks" if context.chargebacks == 0 else _count(context.chargebacks, "chargeback")
    return TrustReason("REGULAR_KNOWN_BUILDING", POSITIVE,
                       f"Regular customer ({_count(context.delivered_orders, 'delivered order')}, {chargebacks}) "
                       f"at a building with {_count(deliveries, 'confirmed delivery', 'confirmed deliveries')}: "
                       "ship whatever the other signals say")


def _match_reasons(address: NormalisedAddress, best: Optional[_Candidate],
                   candidates: Sequence[_Candidate], rules: TrustRules) -> List[TrustReason]:
    if best is None:
        return [TrustReason("NO_KNOWN_ADDRESSES", NEUTRAL, "No known addresses for this customer yet",
                            rules.match_points[MatchLevel.NO_KNOWN_ADDRESSES]["saved"])]
    level, known, points = best.comparison.level, best.known, best.points
    history = _history_phrase(known)
    km = best.comparison.distance_km
    if level == MatchLevel.EXACT:
        message = _exact_message(known)
    elif level == MatchLevel.SAME_BUILDING_OTHER_UNIT:
        building = [c for c in candidates if c.comparison.level in _SAME_BUILDING]
        deliveries = sum(c.known.deliveries_confirmed for c in building)
        unit = address.unit_label or "no unit given"
        if deliveries:
            message = (f"Another unit ({unit}) of a building with "
                       f"{_count(deliveries, 'confirmed delivery', 'confirmed deliveries')}")
        else:
            message = f"Another unit ({unit}) of a known building ({known.address.short_text()}); {history}"
    elif level == MatchLevel.SAME_STREET:
        message = f"Same street as {known.address.short_text()} ({history})"
    elif level == MatchLevel.SAME_POSTCODE:
        message = f"Same postcode ({address.postcode}) as {known.address.short_text()} ({history})"
    elif level == MatchLevel.NEAR:
        where = f"{_km(km)} from" if km is not None else "Same town as"
        message = f"{where} {known.address.short_text()} ({history})"
    elif level == MatchLevel.FAR:
        message = f"New address {_km(km)} from the nearest known address ({known.address.short_text()})"
    elif level == MatchLevel.DISTANCE_UNKNOWN:
        message = ("New address; its distance from known addresses cannot be measured "
                   f"({_postcode_phrase(address)})")
    else:
        countries = sorted({c.known.address.country for c in candidates})
        message = f"Ships to {address.country}; known addresses are in {', '.join(countries)}"
    sentiment = NEUTRAL if level == MatchLevel.DISTANCE_UNKNOWN else _sentiment(points)
    reasons = [TrustReason(f"MATCH_{level.value}", sentiment, message, points)]
    if level in _SAME_BUILDING and known.confirmed_by:
        who = "an operator" if known.confirmed_by == "operator" else "the payment provider"
        reasons.append(TrustReason("ADDRESS_CONFIRMED", POSITIVE,
                                   f"{'This address' if level == MatchLevel.EXACT else 'The building'} "
                                   f"was confirmed by {who}", rules.confirmed_address_points))
    return reasons


def _exact_message(known: KnownAddress) -> str:
    since = _month(known.first_used_at)
    if known.deliveries_confirmed == 1:
        return f"Delivered here once, in {since}"
    if known.deliveries_confirmed > 1:
        return f"Delivered here {known.deliveries_confirmed} times since {since}"
    if known.orders_shipped:
        return f"{_count(known.orders_shipped, 'order')} shipped here since {since}; no delivery confirmed yet"
    return f"Saved address since {since}; nothing shipped here yet"


def _history_phrase(known: KnownAddress) -> str:
    if known.deliveries_confirmed:
        return _count(known.deliveries_confirmed, "confirmed delivery", "confirmed deliveries")
    if known.orders_shipped:
        return f"{_count(known.orders_shipped, 'order')} shipped, none confirmed delivered"
    return "nothing shipped there yet"


def _postcode_phrase(address: NormalisedAddress) -> str:
    if not address.postcode:
        return "no postcode given"
    return f"no location known for postcode {address.postcode}"


def _payment_reasons(address: NormalisedAddress, context: TrustContext, known: Sequence[KnownAddress],
                     rules: TrustRules) -> List[TrustReason]:
    paid = context.payment_address
    if paid is None:
        return [TrustReason("PAYMENT_ADDRESS_MISSING", NEUTRAL, "No address confirmed by the payment provider",
                            rules.payment_points["missing"])]
    comparison = compare_addresses(address, paid, rules.near_km)
    level, km = comparison.level, comparison.distance_km
    points = rules.payment_points[level.value]
    if points < 0 and _is_known_building(paid, known, rules):
        # The payment address is one of the customer's own known addresses: how far the new address
        # is from it is already judged by the match against the address book; do not count it twice.
        where = f"{_km(km)} from" if km is not None else "Not at"
        return [TrustReason("PAYMENT_ADDRESS_KNOWN", NEUTRAL,
                            f"{where} the payment provider's confirmed address, which is a known address "
                            f"({paid.short_text()})")]
    messages = {
        MatchLevel.EXACT: "Matches the address confirmed by the payment provider",
        MatchLevel.SAME_BUILDING_OTHER_UNIT: (
            f"Same building as the payment provider's confirmed address ({paid.unit_label or 'no unit'}), "
            "another unit"),
        MatchLevel.SAME_STREET: "Same street as the payment provider's confirmed address",
        MatchLevel.SAME_POSTCODE: "Same postcode as the payment provider's confirmed address",
        MatchLevel.NEAR: (f"{_km(km)} from the payment provider's confirmed address" if km is not None
                          else "Same town as the payment provider's confirmed address"),
        MatchLevel.FAR: f"{_km(km)} from the payment provider's confirmed address ({paid.short_text()})",
        MatchLevel.DISTANCE_UNKNOWN: "Differs from the payment provider's confirmed address (distance unknown)",
        MatchLevel.OTHER_COUNTRY: (f"Payment provider's confirmed address is in {paid.country}; "
                                   f"shipping to {address.country}"),
    }
    code = "PAYMENT_ADDRESS_" + {
        MatchLevel.EXACT: "MATCH", MatchLevel.SAME_BUILDING_OTHER_UNIT: "SAME_BUILDING",
        MatchLevel.SAME_STREET: "SAME_STREET", MatchLevel.SAME_POSTCODE: "SAME_POSTCODE",
        MatchLevel.NEAR: "NEAR", MatchLevel.FAR: "FAR", MatchLevel.DISTANCE_UNKNOWN: "DIFFERENT",
        MatchLevel.OTHER_COUNTRY: "OTHER_COUNTRY",
    }[level]
    sentiment = NEUTRAL if level == MatchLevel.DISTANCE_UNKNOWN else _sentiment(points)
    return [TrustReason(code, sentiment, messages[level], points)]


def _is_known_building(paid: NormalisedAddress, known: Sequence[KnownAddress], rules: TrustRules) -> bool:
    """Whether the payment provider's address is (a unit of) one of the customer's known addresses."""
    for entry in known:
        other = entry.address
        if other.building_key == paid.building_key:
            return True
        # Only addresses in the same postcode (or without a usable one) can be the same building.
        if other.country == paid.country and (other.postcode == paid.postcode or INVALID in (
                other.postcode_status, paid.postcode_status) or not other.postcode or not paid.postcode):
            if compare_addresses(paid, other, rules.near_km).level in _SAME_BUILDING:
                return True
    return False


def _cart_ratio(context: TrustContext) -> Optional[float]:
    usual = context.usual_order_value_minor
    if usual and usual > 0 and context.lifetime_orders > 0:
        return context.cart_value_minor / usual
    return None


def _combination_reasons(best: Optional[_Candidate], context: TrustContext, rules: TrustRules) -> List[TrustReason]:
    """A cart far above the usual going to an address unlike any known one: the classic takeover
    pattern, riskier than its two parts added up."""
    ratio = _cart_ratio(context)
    if best is None or ratio is None or best.comparison.level not in rules.large_cart_levels:
        return []
    if ratio < rules.large_cart_min_ratio:
        return []
    return [TrustReason("LARGE_CART_TO_UNFAMILIAR_ADDRESS", NEGATIVE,
                        f"Cart {ratio:.1f}x the usual order, going to an address unlike any known one",
                        rules.large_cart_points)]


def _customer_reasons(context: TrustContext, rules: TrustRules) -> List[TrustReason]:
    reasons: List[TrustReason] = []

    def money(minor: int) -> str:
        return format_money(minor, context.currency)

    account_days = (context.now - context.account_created_at).days
    if account_days < rules.new_account_max_days:
        age = "today" if account_days <= 0 else f"{_count(account_days, 'day')} ago"
        reasons.append(TrustReason("NEW_ACCOUNT", NEGATIVE, f"Account opened {age}", rules.new_account_points))
    if context.first_order_at is not None:
        tenure_days = (context.now - context.first_order_at).days
        points = _band_points(rules.tenure_bands, tenure_days)
        if points:
            reasons.append(TrustReason("TENURE", _sentiment(points),
                                       f"Ordering since {_month(context.first_order_at)}", points))

    points = _band_points(rules.delivered_bands, context.delivered_orders)
    if context.delivered_orders:
        reasons.append(TrustReason("DELIVERED_ORDERS", _sentiment(points),
                                   f"{_count(context.delivered_orders, 'order')} delivered", points))
    else:
        reasons.append(TrustReason("NO_DELIVERED_ORDERS", NEUTRAL, "No delivered orders yet", points))

    points = _band_points(rules.net_spend_bands, context.net_spend_minor)
    if points:
        reasons.append(TrustReason("NET_SPEND", _sentiment(points),
                                   f"Net spend {money(context.net_spend_minor)}", points))

    if context.chargebacks:
        reasons.append(TrustReason("CHARGEBACKS", NEGATIVE, f"{_count(context.chargebacks, 'chargeback')} on record",
                                   _band_points(rules.chargeback_bands, context.chargebacks)))

    if context.lifetime_orders >= rules.refund_min_orders and context.refunds:
        ratio = context.refunds / context.lifetime_orders
        points = _band_points(rules.refund_bands, ratio)
        if points:
            reasons.append(TrustReason("HIGH_REFUND_RATIO", NEGATIVE,
                                       f"Refunds or returns on {context.refunds} of "
                                       f"{context.lifetime_orders} orders ({ratio:.0%})", points))

    points = _band_points(rules.new_address_bands, context.new_addresses_last_30_days)
    if points:
        reasons.append(TrustReason("NEW_ADDRESS_BURST", NEGATIVE,
                                   f"{_count(context.new_addresses_last_30_days, 'other new address', 'other new addresses')}"
                                   " added in the last 30 days", points))

    usual = context.usual_order_value_minor
    ratio = _cart_ratio(context)
    if ratio is not None:
        points = _band_points(rules.cart_ratio_bands, ratio)
        if points:
            reasons.append(TrustReason("CART_ABOVE_USUAL", NEGATIVE,
                                       f"Cart {money(context.cart_value_minor)} is {ratio:.1f}x the usual order "
                                       f"of {money(usual)}", points))
    else:
        points = _band_points(rules.cart_absolute_bands, context.cart_value_minor)
        if points:
            reasons.append(TrustReason("HIGH_CART_NO_HISTORY", NEGATIVE,
                                       f"Cart {money(context.cart_value_minor)} with no order history to compare",
                                       points))
    return reasons


def _delivery_point_reasons(address: NormalisedAddress, best: Optional[_Candidate],
                            rules: TrustRules) -> List[TrustReason]:
    """Forwarders, PO boxes, lockers, military mail and unusable postcodes."""
    reasons: List[TrustReason] = []
    delivered_before = (best is not None and best.comparison.level in _SAME_BUILDING
                        and best.known.deliveries_confirmed > 0)
    padded = f" {address.text} "

    forwarder = _forwarder(address, padded, rules)
    if forwarder:
        if delivered_before:
            reasons.append(TrustReason("FREIGHT_FORWARDER", _sentiment(rules.forwarder_known_points),
                                       f"Freight forwarder or reshipper ({forwarder}), but delivered here before",
                                       rules.forwarder_known_points))
        else:
            reasons.append(TrustReason("FREIGHT_FORWARDER", NEGATIVE,
                                       f"Freight forwarder or reshipper ({forwarder})", rules.forwarder_points))
    if address.po_box:
        points = rules.po_box_known_points if delivered_before else rules.po_box_points
        reasons.append(TrustReason("PO_BOX", _sentiment(points), f"{_po_box_kind(address.po_box)} address", points))
    locker = next((shown for k, shown in rules.locker_keywords if f" {k} " in padded), None)
    if locker:
        points = rules.locker_known_points if delivered_before else rules.locker_points
        reasons.append(TrustReason("PARCEL_LOCKER", _sentiment(points),
                                   f"Parcel locker or pickup point ('{locker}')", points))
    if address.postcode.startswith("BFPO") or address.locality in ("APO", "FPO", "DPO"):
        reasons.append(TrustReason("MILITARY_ADDRESS", NEUTRAL, "Military mail address (BFPO / APO / FPO / DPO)"))
    if address.postcode_status == INVALID:
        problem = check_postcode(address.postcode, address.country).problem
        reasons.append(TrustReason("POSTCODE_INVALID", NEUTRAL, f"Postcode not valid for {address.country}: {problem}"))
    return reasons


def _forwarder(address: NormalisedAddress, padded_text: str, rules: TrustRules) -> Optional[str]:
    for name, known in rules.forwarder_addresses:
        if known.country == address.country and compare_addresses(address, known, rules.near_km).level in _SAME_BUILDING:
            return f"known address of {name}" if name else "known forwarder address"
    keyword = next((shown for k, shown in rules.forwarder_keywords if f" {k} " in padded_text), None)
    return f"matched '{keyword}'" if keyword else None


def _po_box_kind(po_box: str) -> str:
    return "Private mailbox (PMB)" if po_box.startswith("PMB") else "PO Box"


def _ordered(reasons: List[TrustReason]) -> List[TrustReason]:
    """The override (if any) first, then by weight, strongest first; pure facts last."""
    head = [r for r in reasons if r.code == "REGULAR_KNOWN_BUILDING"]
    rest = [r for r in reasons if r.code != "REGULAR_KNOWN_BUILDING"]
    return head + sorted(rest, key=lambda r: (r.sentiment == NEUTRAL and r.points == 0, -abs(r.points)))


def _sentiment(points: int) -> str:
    return POSITIVE if points > 0 else NEGATIVE if points < 0 else NEUTRAL


def _count(n: int, singular: str, plural: Optional[str] = None) -> str:
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


def _month(moment: datetime) -> str:
    return f"{_MONTHS[moment.month - 1]} {moment.year}"


def _km(km: Optional[float]) -> str:
    if km is None:
        return "an unknown distance"
    return f"{km:.1f} km" if km < 10 else f"{km:.0f} km"
