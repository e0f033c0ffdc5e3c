"""The rules document: tiers, promotions and exchange rates, parsed and validated.

One JSON document per deployment holds every rule a quote uses (the default ships in
``chalicelib/rules/default.json``). :func:`parse_rules` turns it into frozen dataclasses, or
raises :class:`RulesInvalid` listing *every* problem at once, each with the exact field path
and why (``tiers[2].qualify[0].net_spend: must be a non-negative integer of minor units``),
so an operator fixes a rejected ``PUT`` in one round trip.

Conventions of the document:

- money is integer minor units of ``base_currency``; quotes in another currency convert
  thresholds and fixed amounts with ``fx`` (decimal strings, units of base currency per unit
  of the foreign currency: ``{"USD": "0.79"}``);
- a percentage is a whole number or a decimal string with at most two places (``"12.5"``);
- promotion windows are local wall-clock times in an IANA ``time_zone``, ``start``
  inclusive and ``end`` exclusive;
- tiers are listed lowest first; only the first may be open to everyone (empty ``qualify``).

Unknown top-level sections are accepted and preserved (:attr:`Rules.extra_sections`) only
when they are JSON objects, so later features (``address_trust``, ``value_model``) can add
their section without a change here, while a stray scalar is still caught. Unknown fields
*inside* the known sections are errors: a misspelt ``min_subtotl`` must not silently drop a
condition. The version is assigned by the store; a top-level ``version`` (as a ``GET``
returns it) is tolerated and ignored here.
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InvalidInput
from .money import convert, is_currency

DEFAULT_RULES_PATH = Path(__file__).resolve().parent.parent / "rules" / "default.json"
_PLAIN_DECIMAL = re.compile(r"[0-9]{1,7}(\.[0-9]{1,12})?")
DEFAULT_WINDOW_MONTHS = 12
MAX_WINDOW_MONTHS = 120
MAX_TENURE_YEARS = 50
MAX_GRACE_DAYS = 730
ANY_CATEGORY = "*"


class RulesInvalid(InvalidInput):
    """The rules document breaks one or more rules; ``errors`` lists each ``{field, reason}``."""

    code = "invalid_rules"

    def __init__(self, errors: List[Dict[str, str]]) -> None:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{first['field']}: {first['reason']}{more}", errors)
        self.errors = errors


class NoExchangeRate(InvalidInput):
    """A quote asked for a currency the rules cannot convert thresholds into."""

    def __init__(self, currency: str, base_currency: str) -> None:
        reason = f"no exchange rate from {base_currency} to {currency} in the rules"
        super().__init__(f"currency: {reason}", [{"field": "currency", "reason": reason}])
        self.currency = currency


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class ItemSelector:
    """Which cart lines a benefit covers.

    Empty ``categories`` and ``skus`` mean every line; otherwise a line is covered when its
    category or its SKU is listed. Exclusions always win. Lines already on sale are covered
    only when ``include_sale_items`` is set: a marked-down price is not discounted again
    unless the rule says so.
    """

    categories: FrozenSet[str] = frozenset()
    skus: FrozenSet[str] = frozenset()
    exclude_categories: FrozenSet[str] = frozenset()
    exclude_skus: FrozenSet[str] = frozenset()
    include_sale_items: bool = False

    def covers(self, sku: str, category: str, on_sale: bool) -> bool:
        if on_sale and not self.include_sale_items:
            return False
        return self.covers_at_full_price(sku, category)

    def covers_at_full_price(self, sku: str, category: str) -> bool:
        """Whether the line would be covered if it were not on sale."""
        if sku in self.exclude_skus or category in self.exclude_categories:
            return False
        if not self.categories and not self.skus:
            return True
        return category in self.categories or sku in self.skus


@dataclass(frozen=True)
class QualifyRule:
    """One way to reach a tier.

    ``window_months`` is the rolling window (None: lifetime). ``orders`` and ``net_spend``
    are alternatives unless ``require_both``; ``tenure_years`` (full years as a customer,
    counted from ``customer_since``: the earliest evidence, not only the first order) is always
    required when set. A lifetime rule with ``tenure_years`` is the "reward staying" path.
    """

    window_months: Optional[int]
    orders: Optional[int] = None
    net_spend: Optional[int] = None
    require_both: bool = False
    tenure_years: Optional[int] = None


@dataclass(frozen=True)
class TierBenefits:
    """Percentage off by category (``"*"`` for every other category), within ``items``, at most ``cap`` per order."""

    percent_bp_by_category: Mapping[str, int]
    items: ItemSelector
    cap: Optional[int] = None

    def percent_bp_for(self, category: str) -> int:
        """Basis points off for a category (1000 = 10%)."""
        found = self.percent_bp_by_category.get(category)
        return found if found is not None else self.percent_bp_by_category.get(ANY_CATEGORY, 0)

    @property
    def gives_discount(self) -> bool:
        return any(self.percent_bp_by_category.values())


@dataclass(frozen=True)
class Tier:
    name: str
    rank: int
    qualify: Tuple[QualifyRule, ...]
    grace_days: int
    benefits: TierBenefits

    @property
    def open_to_all(self) -> bool:
        return not self.qualify


@dataclass(frozen=True)
class PromotionWindow:
    """When a promotion runs: ``starts_at`` inclusive, ``ends_at`` exclusive, both in ``time_zone``."""

    time_zone: str
    starts_at: Optional[datetime]
    ends_at: Optional[datetime]

    def contains(self, now: datetime) -> bool:
        return (self.starts_at is None or now >= self.starts_at) and (self.ends_at is None or now < self.ends_at)


@dataclass(frozen=True)
class CustomerCondition:
    """Who a promotion is for, by history: ``first_order``, ``second_order`` (within ``days``
    of the first) or ``lapsed`` (no order for ``days``)."""

    kind: str
    days: Optional[int] = None


@dataclass(frozen=True)
class Promotion:
    code: str
    description: str
    kind: str  # percent_off | amount_off
    stackable: bool
    automatic: bool = False
    percent_bp: Optional[int] = None
    amount: Optional[int] = None  # base currency minor units
    window: Optional[PromotionWindow] = None
    min_subtotal: Optional[int] = None  # base currency, of the lines the promotion covers
    items: ItemSelector = ItemSelector()
    tiers: Tuple[str, ...] = ()
    customer: Optional[CustomerCondition] = None
    per_customer_limit: Optional[int] = None
    budget: Optional[int] = None
    priority: int = 0
    name: Optional[str] = None  # what shoppers call it ("Spring Forward sale"), for reasons
    key: str = field(init=False, repr=False, compare=False)  # the code as compared: codes are case-insensitive

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", self.code.upper())

    @property
    def needs_identity(self) -> bool:
        """Whether the promotion depends on who the customer is (so a guest cannot use it)."""
        return bool(self.tiers) or self.customer is not None or self.per_customer_limit is not None


@dataclass(frozen=True)
class Rules:
    """A parsed, valid rules document. ``document`` is the source as validated, for storage and ``GET``.

    ``discountable`` comes from the ``never_discounted`` section: a line it does not cover
    (a gift card, say) gets no tier discount and no promotion, whatever those rules say.
    """

    base_currency: str
    fx: Mapping[str, str]
    tiers: Tuple[Tier, ...]
    promotions: Tuple[Promotion, ...]
    discountable: ItemSelector  # from never_discounted: lines it does not cover are never discounted
    extra_sections: Mapping[str, Mapping[str, Any]]
    document: Mapping[str, Any]
    version: Optional[int] = None

    def tier(self, name: Optional[str]) -> Optional[Tier]:
        return next((tier for tier in self.tiers if tier.name == name), None)

    def promotion(self, code: str) -> Optional[Promotion]:
        """The promotion with ``code``, compared case-insensitively, ignoring surrounding spaces."""
        wanted = code.strip().upper()
        return next((promo for promo in self.promotions if promo.key == wanted), None)

    def accepts_currency(self, currency: str) -> bool:
        return currency == self.base_currency or currency in self.fx

    def from_base(self, amount: int, currency: str) -> int:
        """``amount`` of base currency in ``currency`` minor units (rounded half up).

        Raises :class:`NoExchangeRate` when the rules have no rate for ``currency``.
        """
        if currency == self.base_currency:
            return amount
        rate = self.fx.get(currency)
        if rate is None:
            raise NoExchangeRate(currency, self.base_currency)
        return _from_base(amount, self.base_currency, currency, rate)

    def with_version(self, version: int) -> "Rules":
        return replace(self, version=version)

    def to_document(self) -> Dict[str, Any]:
        """A deep copy of the validated document (unknown sections included), ready to store."""
        return copy.deepcopy(dict(self.document))


@lru_cache(maxsize=4096)
def _from_base(amount: int, base_currency: str, currency: str, rate: str) -> int:
    inverse = str(Decimal(1) / Decimal(rate))
    return convert(amount, base_currency, currency, inverse)


def load_default_rules() -> Rules:
    """The rules shipped in ``chalicelib/rules/default.json`` (version 0: never stored)."""
    return parse_rules(json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8")), version=0)


# --------------------------------------------------------------------------- parsing

_TOP_LEVEL = {"version", "base_currency", "fx", "never_discounted", "tiers", "promotions"}
_SELECTOR_FIELDS = {"categories", "skus"}
_TIER_FIELDS = {"name", "qualify", "grace_days", "benefits"}
_RULE_FIELDS = {"window_months", "lifetime", "orders", "net_spend", "require", "tenure_years"}
_BENEFIT_FIELDS = {"percent_by_category", "exclude_categories", "exclude_skus", "cap", "applies_to_sale_items"}
_PROMOTION_FIELDS = {
    "code", "description", "automatic", "kind", "percent", "amount", "window", "min_subtotal",
    "categories", "skus", "exclude_categories", "exclude_skus", "applies_to_sale_items", "tiers",
    "customer", "per_customer_limit", "budget", "stackable", "priority", "name",
}
_WINDOW_FIELDS = {"time_zone", "start", "end"}
_CUSTOMER_FIELDS = {"first_order", "second_order_within_days", "lapsed_days"}
_KINDS = ("percent_off", "amount_off")
_CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")

_MINOR_UNITS = "must be a non-negative integer of minor units"
_POSITIVE_MINOR_UNITS = "must be a positive integer of minor units"
_PERCENT = 'must be a percentage above 0 and at most 100: a whole number or a decimal string like "12.5"'


def parse_rules(document: Mapping[str, Any], version: Optional[int] = None) -> Rules:
    """Validate a rules document (a dict from JSON) and build :class:`Rules`.

    Raises :class:`RulesInvalid` carrying every ``{"field", "reason"}`` found, in document order.
    """
    check = _Checker()
    if not isinstance(document, Mapping):
        raise RulesInvalid([{"field": "(document)", "reason": "must be a JSON object"}])
    extra: Dict[str, Mapping[str, Any]] = {}
    for key, value in document.items():
        if key in _TOP_LEVEL:
            continue
        if isinstance(value, Mapping):
            extra[str(key)] = MappingProxyType(copy.deepcopy(dict(value)))
        else:
            check.fail(str(key), "is not a known section; other sections are kept only when they are JSON objects")
    if "version" in document and not _is_int(document["version"]):
        check.fail("version", "must be an integer (it is assigned by the store)")

    base = check.required(document, "base_currency", "", check.currency)
    fx = _parse_fx(check, document.get("fx", {}), base)
    never = _parse_never_discounted(check, document.get("never_discounted", {}))
    tiers = _parse_tiers(check, document.get("tiers"))
    tier_names = _declared_tier_names(document.get("tiers"))
    promotions = _parse_promotions(check, document.get("promotions", []), tier_names)

    if check.errors:
        raise RulesInvalid(check.errors)
    return Rules(
        base_currency=base,
        fx=MappingProxyType(fx),
        tiers=tuple(tiers),
        promotions=tuple(promotions),
        discountable=never,
        extra_sections=MappingProxyType(extra),
        document=MappingProxyType(copy.deepcopy(dict(document))),
        version=version,
    )


def _parse_fx(check: "_Checker", raw: Any, base: Optional[str]) -> Dict[str, str]:
    rates: Dict[str, str] = {}
    if check.object(raw, "fx") is None:
        return rates
    for currency, value in raw.items():
        path = f"fx.{currency}"
        if not is_currency(currency):
            check.fail(path, "must be keyed by an ISO 4217 currency code")
        elif currency == base:
            check.fail(path, "is the base currency; it needs no rate")
        rate = check.rate(value, path)
        if rate is not None:
            rates[currency] = rate
    return rates


def _parse_never_discounted(check: "_Checker", raw: Any) -> ItemSelector:
    if check.fields(raw, "never_discounted", _SELECTOR_FIELDS) is None:
        return ItemSelector()
    return ItemSelector(
        exclude_categories=check.optional(raw, "categories", "never_discounted", check.names, frozenset()),
        exclude_skus=check.optional(raw, "skus", "never_discounted", check.names, frozenset()),
    )


def _parse_tiers(check: "_Checker", raw: Any) -> List[Optional[Tier]]:
    if not isinstance(raw, list) or not raw:
        check.fail("tiers", "must be a non-empty list of tiers, lowest first")
        return []
    tiers: List[Optional[Tier]] = []
    first_index: Dict[str, int] = {}
    for index, item in enumerate(raw):
        path = f"tiers[{index}]"
        tier = _parse_tier(check, item, path, index)
        if tier is not None:
            if tier.name in first_index:
                check.fail(f"{path}.name", f"repeats the name of tiers[{first_index[tier.name]}]")
            first_index.setdefault(tier.name, index)
        tiers.append(tier)
    return tiers


def _declared_tier_names(raw: Any) -> List[str]:
    """Tier names as written, even for tiers with other errors, so promotions are checked against them."""
    if not isinstance(raw, list):
        return []
    return [item["name"] for item in raw if isinstance(item, Mapping) and isinstance(item.get("name"), str)]


def _parse_tier(check: "_Checker", raw: Any, path: str, index: int) -> Optional[Tier]:
    if check.fields(raw, path, _TIER_FIELDS, required=("name",) if index == 0 else ("name", "qualify")) is None:
        return None
    name = check.optional(raw, "name", path, check.text, None)
    rules_raw = raw.get("qualify", [])
    rules: List[Optional[QualifyRule]] = []
    if not isinstance(rules_raw, list):
        check.fail(f"{path}.qualify", "must be a list of ways to qualify")
    elif not rules_raw and index > 0 and "qualify" in raw:
        check.fail(f"{path}.qualify", "must list at least one way to qualify (only the first tier is open to everyone)")
    else:
        rules = [_parse_qualify_rule(check, rule, f"{path}.qualify[{n}]") for n, rule in enumerate(rules_raw)]
    grace = check.optional(raw, "grace_days", path, check.grace_days, 0)
    benefits = _parse_benefits(check, raw.get("benefits", {}), f"{path}.benefits")
    if name is None or any(rule is None for rule in rules) or benefits is None:
        return None
    return Tier(name=name, rank=index, qualify=tuple(rules), grace_days=grace, benefits=benefits)


def _parse_qualify_rule(check: "_Checker", raw: Any, path: str) -> Optional[QualifyRule]:
    if check.fields(raw, path, _RULE_FIELDS) is None:
        return None
    failures = len(check.errors)
    lifetime = check.optional(raw, "lifetime", path, check.flag, False)
    window = check.optional(raw, "window_months", path, check.window_months, DEFAULT_WINDOW_MONTHS)
    if lifetime and "window_months" in raw:
        check.fail(f"{path}.window_months", "cannot be combined with lifetime: true")
    orders = check.optional(raw, "orders", path, check.positive_int, None)
    spend = check.optional(raw, "net_spend", path, check.minor_units, None)
    tenure = check.optional(raw, "tenure_years", path, check.tenure_years, None)
    require = check.optional(raw, "require", path, check.require, "either")
    if require == "both" and not ("orders" in raw and "net_spend" in raw):
        check.fail(f"{path}.require", '"both" needs orders and net_spend in the same rule')
    if not any(key in raw for key in ("orders", "net_spend", "tenure_years")):
        check.fail(path, "must set orders, net_spend or tenure_years")
    if len(check.errors) > failures:
        return None
    return QualifyRule(
        window_months=None if lifetime else window,
        orders=orders,
        net_spend=spend,
        require_both=require == "both",
        tenure_years=tenure,
    )


def _parse_benefits(check: "_Checker", raw: Any, path: str) -> Optional[TierBenefits]:
    if check.fields(raw, path, _BENEFIT_FIELDS) is None:
        return None
    failures = len(check.errors)
    percents: Dict[str, int] = {}
    by_category = raw.get("percent_by_category", {})
    if check.object(by_category, f"{path}.percent_by_category") is not None:
        for category, value in by_category.items():
            bp = check.percent(value, f"{path}.percent_by_category.{category}")
            if bp is not None:
                percents[category] = bp
    items = ItemSelector(
        exclude_categories=check.optional(raw, "exclude_categories", path, check.names, frozenset()),
        exclude_skus=check.optional(raw, "exclude_skus", path, check.names, frozenset()),
        include_sale_items=check.optional(raw, "applies_to_sale_items", path, check.flag, False),
    )
    cap = check.optional(raw, "cap", path, check.minor_units, None)
    if len(check.errors) > failures:
        return None
    return TierBenefits(percent_bp_by_category=MappingProxyType(percents), items=items, cap=cap)


def _parse_promotions(check: "_Checker", raw: Any, tier_names: Sequence[str]) -> List[Promotion]:
    if not isinstance(raw, list):
        check.fail("promotions", "must be a list of promotions")
        return []
    promotions: List[Promotion] = []
    first_index: Dict[str, int] = {}
    for index, item in enumerate(raw):
        path = f"promotions[{index}]"
        promotion = _parse_promotion(check, item, path, tier_names)
        if isinstance(item, Mapping) and isinstance(item.get("code"), str):
            key = item["code"].upper()
            if key in first_index:
                reason = f"repeats the code of promotions[{first_index[key]}] (codes are case-insensitive)"
                check.fail(f"{path}.code", reason)
            first_index.setdefault(key, index)
        if promotion is not None:
            promotions.append(promotion)
    return promotions


def _parse_promotion(check: "_Checker", raw: Any, path: str, tier_names: Sequence[str]) -> Optional[Promotion]:
    required = ("code", "description", "kind", "stackable")
    if check.fields(raw, path, _PROMOTION_FIELDS, required=required) is None:
        return None
    failures = len(check.errors)
    code = check.optional(raw, "code", path, check.code, None)
    description = check.optional(raw, "description", path, check.text, None)
    kind = check.optional(raw, "kind", path, check.kind, None)
    percent_bp = check.optional(raw, "percent", path, check.percent, None)
    amount = check.optional(raw, "amount", path, check.positive_minor_units, None)
    if kind == "percent_off":
        if "percent" not in raw:
            check.fail(f"{path}.percent", "is required for kind percent_off")
        if "amount" in raw:
            check.fail(f"{path}.amount", "applies only to kind amount_off")
    elif kind == "amount_off":
        if "amount" not in raw:
            check.fail(f"{path}.amount", "is required for kind amount_off")
        if "percent" in raw:
            check.fail(f"{path}.percent", "applies only to kind percent_off")
    tiers = check.optional(raw, "tiers", path, check.name_list, ())
    for n, tier in enumerate(tiers):
        if tier not in tier_names:
            check.fail(f"{path}.tiers[{n}]", f"is not a tier of this document ({', '.join(tier_names)})")
    promotion = Promotion(
        code=code or "",
        description=description or "",
        kind=kind or "",
        stackable=check.optional(raw, "stackable", path, check.flag, False),
        automatic=check.optional(raw, "automatic", path, check.flag, False),
        percent_bp=percent_bp,
        amount=amount,
        window=_parse_window(check, raw["window"], f"{path}.window") if "window" in raw else None,
        min_subtotal=check.optional(raw, "min_subtotal", path, check.minor_units, None),
        items=ItemSelector(
            categories=check.optional(raw, "categories", path, check.names, frozenset()),
            skus=check.optional(raw, "skus", path, check.names, frozenset()),
            exclude_categories=check.optional(raw, "exclude_categories", path, check.names, frozenset()),
            exclude_skus=check.optional(raw, "exclude_skus", path, check.names, frozenset()),
            include_sale_items=check.optional(raw, "applies_to_sale_items", path, check.flag, False),
        ),
        tiers=tiers,
        customer=_parse_customer(check, raw["customer"], f"{path}.customer") if "customer" in raw else None,
        per_customer_limit=check.optional(raw, "per_customer_limit", path, check.positive_int, None),
        budget=check.optional(raw, "budget", path, check.count, None),
        priority=check.optional(raw, "priority", path, check.integer, 0),
        name=check.optional(raw, "name", path, check.promotion_name, None),
    )
    return None if len(check.errors) > failures else promotion


def _parse_window(check: "_Checker", raw: Any, path: str) -> Optional[PromotionWindow]:
    if check.fields(raw, path, _WINDOW_FIELDS, required=("time_zone",)) is None:
        return None
    zone = check.optional(raw, "time_zone", path, check.time_zone, None)
    start = check.optional(raw, "start", path, check.local_time, None)
    end = check.optional(raw, "end", path, check.local_time, None)
    if "start" not in raw and "end" not in raw:
        check.fail(path, "must set start, end or both")
    if zone is None:
        return None
    starts_at = start.replace(tzinfo=zone) if start else None
    ends_at = end.replace(tzinfo=zone) if end else None
    if starts_at and ends_at and ends_at <= starts_at:
        check.fail(f"{path}.end", "must be after start")
    return PromotionWindow(time_zone=raw["time_zone"], starts_at=starts_at, ends_at=ends_at)


def _parse_customer(check: "_Checker", raw: Any, path: str) -> Optional[CustomerCondition]:
    if check.fields(raw, path, _CUSTOMER_FIELDS) is None:
        return None
    if len(raw) != 1:
        check.fail(path, "must set exactly one of first_order, second_order_within_days, lapsed_days")
        return None
    if "first_order" in raw:
        if raw["first_order"] is not True:
            check.fail(f"{path}.first_order", "must be true (leave the condition out otherwise)")
            return None
        return CustomerCondition("first_order")
    if "second_order_within_days" in raw:
        key, kind = "second_order_within_days", "second_order"
    else:
        key, kind = "lapsed_days", "lapsed"
    days = check.positive_int(raw[key], f"{path}.{key}")
    return None if days is None else CustomerCondition(kind, days)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _unknown_field_reason(key: str, allowed: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, sorted(allowed), n=1)
    hint = f"; did you mean {close[0]}?" if close else f"; known fields: {', '.join(sorted(allowed))}"
    return "is not a known field" + hint


class _Checker:
    """Collects ``{field, reason}`` errors while reading a document; each reader returns None on error."""

    def __init__(self) -> None:
        self.errors: List[Dict[str, str]] = []

    def fail(self, field: str, reason: str) -> None:
        self.errors.append({"field": field, "reason": reason})

    def object(self, value: Any, path: str) -> Optional[Mapping[str, Any]]:
        if not isinstance(value, Mapping):
            self.fail(path, "must be an object")
            return None
        return value

    def fields(self, value: Any, path: str, allowed: set, required: Sequence[str] = ()) -> Optional[Mapping[str, Any]]:
        """The object at ``path`` after reporting its unknown and missing fields."""
        if self.object(value, path) is None:
            return None
        for key in value:
            if key not in allowed:
                self.fail(f"{path}.{key}", _unknown_field_reason(str(key), sorted(allowed)))
        for key in required:
            if key not in value:
                self.fail(f"{path}.{key}", "is required")
        return value

    def optional(self, obj: Mapping[str, Any], key: str, path: str, reader: Any, default: Any) -> Any:
        if key not in obj:
            return default
        value = reader(obj[key], f"{path}.{key}" if path else key)
        return default if value is None else value

    def required(self, obj: Mapping[str, Any], key: str, path: str, reader: Any) -> Any:
        if key not in obj:
            self.fail(f"{path}.{key}" if path else key, "is required")
            return None
        return reader(obj[key], f"{path}.{key}" if path else key)

    def _whole(
        self, value: Any, path: str, minimum: Optional[int], reason: str, maximum: Optional[int] = None
    ) -> Optional[int]:
        if not _is_int(value) or (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            self.fail(path, reason)
            return None
        return value

    def minor_units(self, value: Any, path: str) -> Optional[int]:
        return self._whole(value, path, 0, _MINOR_UNITS)

    def positive_minor_units(self, value: Any, path: str) -> Optional[int]:
        return self._whole(value, path, 1, _POSITIVE_MINOR_UNITS)

    def positive_int(self, value: Any, path: str) -> Optional[int]:
        return self._whole(value, path, 1, "must be a positive integer")

    def count(self, value: Any, path: str) -> Optional[int]:
        return self._whole(value, path, 0, "must be a non-negative integer")

    def integer(self, value: Any, path: str) -> Optional[int]:
        return self._whole(value, path, None, "must be an integer")

    def grace_days(self, value: Any, path: str) -> Optional[int]:
        return self._whole(value, path, 0, f"must be a whole number of days from 0 to {MAX_GRACE_DAYS}", MAX_GRACE_DAYS)

    def tenure_years(self, value: Any, path: str) -> Optional[int]:
        reason = f"must be a whole number of years as a customer from 1 to {MAX_TENURE_YEARS}"
        return self._whole(value, path, 1, reason, MAX_TENURE_YEARS)

    def promotion_name(self, value: Any, path: str) -> Optional[str]:
        if not isinstance(value, str) or not value.strip() or len(value) > 60:
            self.fail(path, 'must be a name of 1 to 60 characters, e.g. "Spring Forward sale"')
            return None
        return value.strip()

    def window_months(self, value: Any, path: str) -> Optional[int]:
        reason = f"must be a whole number of months from 1 to {MAX_WINDOW_MONTHS}"
        return self._whole(value, path, 1, reason, MAX_WINDOW_MONTHS)

    def flag(self, value: Any, path: str) -> Optional[bool]:
        if not isinstance(value, bool):
            self.fail(path, "must be true or false")
            return None
        return value

    def text(self, value: Any, path: str) -> Optional[str]:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "must be a non-empty string")
            return None
        return value

    def choice(self, value: Any, path: str, choices: Sequence[str]) -> Optional[str]:
        if value not in choices:
            self.fail(path, "must be one of " + ", ".join(f'"{choice}"' for choice in choices))
            return None
        return value

    def kind(self, value: Any, path: str) -> Optional[str]:
        return self.choice(value, path, _KINDS)

    def require(self, value: Any, path: str) -> Optional[str]:
        return self.choice(value, path, ("either", "both"))

    def code(self, value: Any, path: str) -> Optional[str]:
        if not isinstance(value, str) or not _CODE_PATTERN.fullmatch(value):
            self.fail(path, "must be 1 to 40 letters, digits, '-' or '_', starting with a letter or digit")
            return None
        return value

    def currency(self, value: Any, path: str) -> Optional[str]:
        if not is_currency(value):
            self.fail(path, "must be an ISO 4217 currency code, e.g. \"GBP\"")
            return None
        return value

    def names(self, value: Any, path: str) -> Optional[FrozenSet[str]]:
        listed = self.name_list(value, path)
        return None if listed is None else frozenset(listed)

    def name_list(self, value: Any, path: str) -> Optional[Tuple[str, ...]]:
        if not isinstance(value, list):
            self.fail(path, "must be a list of strings")
            return None
        bad = [n for n, item in enumerate(value) if not isinstance(item, str) or not item]
        for n in bad:
            self.fail(f"{path}[{n}]", "must be a non-empty string")
        return None if bad else tuple(value)

    def percent(self, value: Any, path: str) -> Optional[int]:
        """A percentage as basis points (``"12.5"`` -> 1250)."""
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            self.fail(path, _PERCENT)
            return None
        try:
            number = Decimal(value) * 100
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite() or number != number.to_integral_value() or not 0 < number <= 10000:
            self.fail(path, _PERCENT)
            return None
        return int(number)

    def rate(self, value: Any, path: str) -> Optional[str]:
        reason = ('must be a positive plain decimal string between 0.000001 and 1000000, e.g. "0.79" '
                  '(strings keep rates exact)')
        if not isinstance(value, str) or not _PLAIN_DECIMAL.fullmatch(value):
            self.fail(path, reason)
            return None
        number = Decimal(value)
        if not Decimal("0.000001") <= number <= 1_000_000:
            self.fail(path, reason)
            return None
        return value

    def time_zone(self, value: Any, path: str) -> Optional[ZoneInfo]:
        if isinstance(value, str) and value:
            try:
                return ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "America"
                pass
        self.fail(path, 'must be an IANA time zone name, e.g. "America/Los_Angeles"')
        return None

    def local_time(self, value: Any, path: str) -> Optional[datetime]:
        reason = 'must be a local date or date-time without offset, e.g. "2026-03-06T00:00:00" (the zone is time_zone)'
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is None:
                return moment
        self.fail(path, reason)
        return None
