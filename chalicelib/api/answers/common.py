"""Answers shared by every area: the error shape, Money, addresses, the profile, stats, tier status, the
ledger, and the customer summary (``/v1/customers/{customer_id}``) with its store credit balance."""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Dict, List, Optional, Union

from msgspec import UNSET, Meta, Struct, UnsetType

from ..shapes import CurrencyCode, Timestamp


class ErrorBody(Struct, kw_only=True):
    code: Annotated[str, Meta(description=(
        'Stable, machine-readable: invalid_input, invalid_rules, not_found, method_not_allowed, conflict, '
        'promotion_unavailable, payload_too_large, unsupported_media_type, unprocessable, service_unavailable, '
        'internal_error; and from API Gateway (chalice local answers the same under `make run`): not_found (no '
        'such route), unauthorized, forbidden, invalid_signature, expired_token, throttled, authorizer_failure.'))]
    message: Annotated[str, Meta(description='For a person: the first problem, and how many more.')]
    details: List[ErrorDetail]


class Error(Struct, kw_only=True):
    """The one error shape of every 4xx and 5xx the API itself answers. A request that gets one has changed nothing."""

    examples: ClassVar[list] = [{'error': {'code': 'invalid_input',
                                          'message': 'currency: must be an ISO 4217 currency code in capitals, e.g. GBP',
                                          'details': [{'field': 'currency',
                                                       'reason': 'must be an ISO 4217 currency code in capitals, e.g. GBP'}]}}]

    error: ErrorBody


class ErrorDetail(Struct, kw_only=True):
    """One problem: which field, and why."""

    field: Union[str, UnsetType] = UNSET
    reason: Union[str, UnsetType] = UNSET


class Money(Struct, kw_only=True):
    """An exact amount of one currency."""

    examples: ClassVar[list] = [{'amount': 12999, 'currency': 'GBP'}]

    amount: Annotated[int, Meta(description=(
        'Integer minor units (12999 with GBP is £129.99; JPY has no minor unit, KWD has three).'))]
    currency: CurrencyCode


class AddressOut(Struct, kw_only=True):
    """An address as stored (after an erasure its lines are random tokens)."""

    line1: Union[str, UnsetType] = UNSET
    line2: Union[str, UnsetType] = UNSET
    city: Union[str, UnsetType] = UNSET
    region: Union[str, UnsetType] = UNSET
    postcode: Union[str, UnsetType] = UNSET
    country: Union[str, UnsetType] = UNSET


class Profile(Struct, kw_only=True):
    email: Optional[str]
    phone: Optional[str]
    name: Optional[str]
    country: Optional[str]
    created_at: Optional[Timestamp]
    first_seen_at: Union[Optional[Timestamp], UnsetType] = UNSET
    updated_at: Union[Optional[Timestamp], UnsetType] = UNSET


class Lifetime(Struct, kw_only=True):
    orders: Annotated[int, Meta(ge=0)]
    net_spend: Money
    gross_spend: Union[Money, UnsetType] = UNSET


class Rolling12Months(Struct, kw_only=True):
    from_month: str
    to_month: str
    orders: Annotated[int, Meta(ge=0)]
    net_spend: Money


class Stats(Struct, kw_only=True):
    base_currency: CurrencyCode
    lifetime: Lifetime
    rolling_12_months: Rolling12Months
    customer_since: Annotated[Optional[Timestamp], Meta(description=(
        'The earliest evidence of the customer: profile created_at, first seen, or first order from any source '
        '(API, import, merge). Tenure, account age and member_since are read from it.'))]
    first_order_at: Optional[Timestamp]
    last_order_at: Optional[Timestamp]
    delivered_orders: Annotated[int, Meta(ge=0)]
    returns: Annotated[int, Meta(ge=0)]
    refunds: Annotated[int, Meta(ge=0)]
    chargebacks: Annotated[int, Meta(ge=0)]
    cancellations: Annotated[int, Meta(ge=0)]


class CustomerSummary(Struct, kw_only=True):
    customer_id: str
    profile: Profile
    stats: Stats
    version: Annotated[int, Meta(ge=0)]
    credit: Union[CreditBalance, UnsetType] = UNSET


class NextTier(Struct, kw_only=True):
    name: str
    orders_needed: Union[Optional[int], UnsetType] = UNSET
    spend_needed: Union[Optional[Money], UnsetType] = UNSET
    progress: Union[Optional[str], UnsetType] = UNSET


class TierStatus(Struct, kw_only=True):
    tier: Optional[str]
    tier_explanation: str
    tier_basis: Annotated[str, Meta(description='earned, grace, override, guest or none')]
    tier_held_until: Optional[Timestamp]
    next_tier: Optional[NextTier]


class LedgerEntry(Struct, kw_only=True):
    entry_id: str
    type: Annotated[str, Meta(description=(
        'order_placed, delivered, returned, refunded, cancelled, chargeback, goodwill_credit, tier_override, '
        'note, merged_from, merged_into, personal_data_erased, ...'))]
    at: Timestamp
    recorded_at: Union[Timestamp, UnsetType] = UNSET
    order_id: Union[str, UnsetType] = UNSET
    event_id: Union[str, UnsetType] = UNSET
    description: Union[str, UnsetType] = UNSET
    source: Union[str, UnsetType] = UNSET
    amount: Union[Money, UnsetType] = UNSET
    base_amount: Union[Money, UnsetType] = UNSET
    details: Union[Dict[str, Any], UnsetType] = UNSET


class LedgerPage(Struct, kw_only=True):
    customer_id: str
    entries: List[LedgerEntry]
    next_cursor: Annotated[Optional[str], Meta(description='Pass back as `cursor`; null on the last page.')]


class CreditBalanceExpiresSoonest(Struct, kw_only=True):
    at: Timestamp
    amount: Money


class CreditBalance(Struct, kw_only=True):
    """A customer's store credit in the base currency."""

    balance: Money
    expires_soonest: Annotated[Optional[CreditBalanceExpiresSoonest], Meta(description=(
        'The credit that expires first, or null when none expires.'))]
