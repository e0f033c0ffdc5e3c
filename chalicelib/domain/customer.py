"""A customer as the checkout and support see them: contact details and aggregates."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Mapping, Optional, Tuple

if TYPE_CHECKING:
    from .store_credit import CreditGrant


@dataclass(frozen=True)
class MonthTotals:
    orders: int = 0
    net_spend: int = 0
    goodwill: int = 0  # goodwill credits granted in the month, base currency


@dataclass(frozen=True)
class CustomerStats:
    """Aggregates maintained at write time; amounts in the store's base currency."""

    lifetime_orders: int = 0
    lifetime_net_spend: int = 0
    lifetime_gross_spend: int = 0
    delivered_orders: int = 0
    returns_count: int = 0
    refunds_count: int = 0
    chargebacks_count: int = 0
    cancellations_count: int = 0
    first_order_at: Optional[datetime] = None
    last_order_at: Optional[datetime] = None
    months: Mapping[str, MonthTotals] = field(default_factory=dict)
    version: int = 0
    # The profile's first_seen_at, read with the aggregates so that recording an order older
    # than it can lower it under a condition (see customer_since).
    first_seen_at: Optional[datetime] = None

    def window(self, now: datetime, months: int = 12) -> MonthTotals:
        """Orders and net spend of the current calendar month (UTC) and the ``months - 1`` before."""
        keys = set(month_keys_back(now, months))
        orders = sum(totals.orders for key, totals in self.months.items() if key in keys)
        spend = sum(totals.net_spend for key, totals in self.months.items() if key in keys)
        goodwill = sum(totals.goodwill for key, totals in self.months.items() if key in keys)
        return MonthTotals(orders=orders, net_spend=spend, goodwill=goodwill)


@dataclass(frozen=True)
class CustomerProfile:
    customer_id: str
    email: Optional[str] = None
    phone: Optional[str] = None
    name: Optional[str] = None
    country: Optional[str] = None
    created_at: Optional[datetime] = None
    first_seen_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    erased: bool = False  # personal data erased: this record's identity matches nothing
    identity_keys: Tuple[str, ...] = ()  # keyed hashes of every email and phone it has held


@dataclass(frozen=True)
class AddressRecord:
    """An address book entry as stored: ``normalised`` is the address module's ``to_dict`` form."""

    address_id: str
    normalised: Mapping[str, object]
    address: Mapping[str, object]
    first_used_at: datetime
    orders_shipped: int = 0
    deliveries_confirmed: int = 0
    last_delivery_at: Optional[datetime] = None
    confirmed_by: Optional[str] = None


@dataclass(frozen=True)
class Customer:
    profile: CustomerProfile
    stats: CustomerStats
    base_currency: str
    promotion_uses: Mapping[str, int] = field(default_factory=dict)  # code -> committed orders that used it
    addresses: Tuple[AddressRecord, ...] = ()
    tier_override: Optional[Mapping[str, object]] = None  # {"tier", "until" (ISO), "reason", "by"}
    lifetime_goodwill: int = 0
    credit_grants: Tuple["CreditGrant", ...] = ()  # store credit, base currency (domain/store_credit.py)

    @property
    def customer_since(self) -> Optional[datetime]:
        return customer_since(self.profile, self.stats)


def customer_since(profile: Optional[CustomerProfile], stats: Optional[CustomerStats]) -> Optional[datetime]:
    """When this customer became our customer: the earliest evidence we hold.

    The one definition read by address trust (account age), tiers (tenure), the support 360
    view, ``/v1/me`` and the value block: the earliest of the profile's ``created_at`` (when
    the store says the account was opened), its ``first_seen_at`` (when this API first heard
    of the customer, lowered at write time to the earliest order ever recorded, cancelled ones
    included) and the first order from any source (API, import, merge). None when we know
    nothing, which is then "new today".
    """
    evidence = []
    if profile is not None:
        evidence += [profile.created_at, profile.first_seen_at]
    if stats is not None:
        evidence.append(stats.first_order_at)
    return min((moment for moment in evidence if moment is not None), default=None)


def month_keys_back(now: datetime, months: int) -> Tuple[str, ...]:
    """``("2026-11", "2026-10", ...)``: the month of ``now`` and the ``months - 1`` before it."""
    year, month = now.year, now.month
    keys = []
    for _ in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return tuple(keys)


def normalise_email(email: str) -> str:
    """The identity form (:func:`chalicelib.domain.identity.normalise_email`); a stored email
    that is not a well-formed address is compared by case and whitespace only."""
    from .identity import IdentityInvalid, normalise_email as identity_email

    try:
        return identity_email(email)
    except IdentityInvalid:
        return email.strip().lower()


def normalise_phone(phone: str, default_country: Optional[str] = None) -> str:
    """E.164 (:func:`chalicelib.domain.identity.normalise_phone`, read in ``default_country``);
    a stored phone that is not a possible number is compared by its digits (and leading ``+``)."""
    from .identity import IdentityInvalid, normalise_phone as identity_phone

    try:
        return identity_phone(phone, default_country)
    except IdentityInvalid:
        digits = "".join(ch for ch in phone if ch.isdigit())
        return ("+" if phone.strip().startswith("+") else "") + digits


def keyed_hash(key: str, message: str) -> str:
    """HMAC-SHA256 of ``message`` under the stage's hash key, in hex: without the key, a hash
    cannot be confirmed by hashing guesses (a plain SHA-256 of an email could)."""
    return hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def lookup_hash(kind: str, normalised_value: str, key: str) -> str:
    """The value stored in the lookup index, so raw contact details never become keys."""
    return keyed_hash(key, f"{kind}:{normalised_value}")
