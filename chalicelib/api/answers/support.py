"""Support's answers (``/v1/admin``): the 360 view, lookup, adjustments, merge, erasure, address confirmation,
goodwill recommendations, store credit as staff see it, the rules document; and ``/v1/health``."""
from __future__ import annotations

from typing import Annotated, Any, Dict, List, Literal, Optional, Union

from msgspec import UNSET, Meta, Struct, UnsetType

from ..shapes import CurrencyCode, Timestamp
from .common import AddressOut, LedgerEntry, Lifetime, Money, Profile, Stats, TierStatus
from .customers import CustomerValue


class Customer360Tier(TierStatus):
    override_reason: Optional[str]


class Customer360Stats(Stats):
    goodwill_granted: Money


class StaffAddress(Struct, kw_only=True):
    address_id: str
    address: AddressOut
    first_used_at: Union[Optional[Timestamp], UnsetType] = UNSET
    orders_shipped: Annotated[int, Meta(ge=0)]
    deliveries_confirmed: Annotated[int, Meta(ge=0)]
    last_delivery_at: Union[Optional[Timestamp], UnsetType] = UNSET
    confirmed_by: Union[Optional[str], UnsetType] = UNSET


class DiscountedOrder(Struct, kw_only=True):
    order_id: str
    at: Union[Timestamp, UnsetType] = UNSET


class StaffDecision(Struct, kw_only=True):
    quote_id: Union[str, UnsetType] = UNSET
    decided_at: Union[Timestamp, UnsetType] = UNSET
    decision: str
    score: Union[int, UnsetType] = UNSET


class MergeRequestBody(Struct, kw_only=True):
    source_customer_id: str


class SuggestedMerge(Struct, kw_only=True):
    """The one call that merges the smaller history into the larger."""

    method: str
    path: str
    body: MergeRequestBody


class PossibleDuplicate(Struct, kw_only=True):
    customer_id: str
    facts: List[Literal['email', 'phone', 'delivered_address']]
    lifetime_orders: int
    possible_same_customer: Annotated[bool, Meta(description='An email or phone and an address agree.')]
    merge: SuggestedMerge


class IdentityMatch(Struct, kw_only=True):
    quote_id: str
    at: Timestamp
    by: List[str]
    others: List[str]
    count: Annotated[int, Meta(ge=1, description='Checkouts that matched with these identity keys that day (quote_id and at are the latest)')]


class Customer360(Struct, kw_only=True):
    customer_id: str
    profile: Profile
    tier: Customer360Tier
    stats: Customer360Stats
    addresses: List[StaffAddress]
    recent_ledger: List[LedgerEntry]
    orders_with_discounts: List[DiscountedOrder]
    decisions: List[StaffDecision]
    adjustments: List[AdjustmentRecord]
    notes: List[AdjustmentRecord]
    flags: List[str]
    value: Union[Optional[CustomerValue], UnsetType] = UNSET
    credit: Union[StaffCredit, UnsetType] = UNSET
    possible_duplicates: Annotated[List[PossibleDuplicate], Meta(description=(
        'Other records sharing an email, phone or delivered address with this one.'))]
    identity_matches: Annotated[List[IdentityMatch], Meta(description=(
        'Guest checkouts whose email or phone matched this record and others (so none was recognised), newest '
        'first; kept 400 days.'))]


class AdjustmentRecord(Struct, kw_only=True):
    adjustment_id: str
    kind: str
    at: Timestamp
    operator: Union[str, UnsetType] = UNSET


class FoundCustomer(Struct, kw_only=True):
    customer_id: str
    profile: Profile
    lifetime: Lifetime


class FoundCustomers(Struct, kw_only=True):
    customers: List[FoundCustomer]


class AdjustmentResultCreditGranted(Struct, kw_only=True):
    grant_id: str
    amount: Money
    expires_at: Optional[Timestamp]


class AdjustmentResult(Struct, kw_only=True):
    customer_id: str
    adjustment_id: str
    kind: str
    at: Timestamp
    operator: str
    description: Union[Optional[str], UnsetType] = UNSET
    credit_granted: Union[AdjustmentResultCreditGranted, UnsetType] = UNSET


class MergeResult(Struct, kw_only=True):
    customer_id: str
    source_customer_id: str
    orders_moved: Annotated[int, Meta(ge=0)]
    credit_grants_moved: Union[Annotated[int, Meta(ge=0, description='Store credit grants moved to the target (with their expiry markers); 0 when called again')], UnsetType] = UNSET
    already_merged: Union[bool, UnsetType] = UNSET


class ErasureResult(Struct, kw_only=True):
    customer_id: str
    erased_at: Timestamp
    already_erased: bool
    orders_with_address_erased: Union[Annotated[int, Meta(ge=0)], UnsetType] = UNSET
    addresses_erased: Union[Annotated[int, Meta(ge=0)], UnsetType] = UNSET
    decisions_erased: Union[Annotated[int, Meta(ge=0)], UnsetType] = UNSET
    event_reasons_erased: Union[Annotated[int, Meta(ge=0, description='order-event ledger entries whose free-text reason was cut from the description')], UnsetType] = UNSET
    credit_reasons_erased: Union[Annotated[int, Meta(ge=0, description='credit grants and credit journal lines whose free-text reason was replaced')], UnsetType] = UNSET


class AddressConfirmation(Struct, kw_only=True):
    customer_id: str
    address_id: str
    confirmed_by: str
    confirmed_by_operator: Union[str, UnsetType] = UNSET
    confirmed_at: Timestamp


class RulesDocumentIdentity(Struct, kw_only=True):
    """Recognising returning customers (docs/identity.md): new_customer_signals (which of email, phone,
    delivered_address make a record without orders not new: first-order offers say "You've ordered with us before";
    default all three) and attach (suggest, the default: a guest order matching one customer is shown to support;
    auto: merged at once, audited as the system)."""

    new_customer_signals: Union[Annotated[List[Literal['email', 'phone', 'delivered_address']], Meta(extra_json_schema={'uniqueItems': True})], UnsetType] = UNSET
    attach: Union[Literal['suggest', 'auto'], UnsetType] = UNSET


class RulesDocument(Struct, kw_only=True):
    """The versioned rules: tiers, promotions, exchange rates, address-trust weights (docs/rules.md). Other top-level
    sections are kept when they are objects."""

    version: Union[Annotated[int, Meta(ge=0, description='In a GET: the version in force (0 is the built-in default). In a PUT: the version you read (a 409 if the rules changed since), or absent.')], UnsetType] = UNSET
    base_currency: CurrencyCode
    fx: Union[Annotated[Dict[str, str], Meta(description=(
        'Rates into the base currency as decimal strings, by currency.'))], UnsetType] = UNSET
    never_discounted: Union[Dict[str, Any], UnsetType] = UNSET
    tiers: List[Dict[str, Any]]
    promotions: Union[List[Dict[str, Any]], UnsetType] = UNSET
    address_trust: Union[Dict[str, Any], UnsetType] = UNSET
    identity: Union[RulesDocumentIdentity, UnsetType] = UNSET


class HealthTable(Struct, kw_only=True):
    name: str
    exists: bool


class Health(Struct, kw_only=True):
    status: Literal['ok', 'table_missing', 'unavailable']
    backend: str
    stage: str
    table: HealthTable
    problem: Union[str, UnsetType] = UNSET


class GoodwillRecommendationModel(Struct, kw_only=True):
    fitted_at: Optional[str]
    sample_size: Annotated[int, Meta(ge=0)]
    source: str


class GoodwillRecommendationGrantWith(Struct, kw_only=True):
    """The adjustment request that grants the gesture, ready to send."""

    method: Union[str, UnsetType] = UNSET
    path: Union[str, UnsetType] = UNSET
    body: Union[Dict[str, Any], UnsetType] = UNSET


class GoodwillRecommendation(Struct, kw_only=True):
    """A recommendation for a person to act on; nothing is granted or written."""

    customer_id: str
    recommendation: Literal['approve', 'decline', 'escalate']
    cost: Money
    expected_orders_5y: float
    expected_value_5y: Money
    goodwill_granted_12m: Money
    value_ceiling: Money
    allowance_left: Money
    explanation: str
    model: GoodwillRecommendationModel
    grant_with: Union[GoodwillRecommendationGrantWith, UnsetType] = UNSET


class CreditGrantOut(Struct, kw_only=True):
    grant_id: str
    source: Literal['goodwill', 'manual', 'refund']
    amount: Money
    spent: Money
    returned: Money
    remaining: Money
    status: Literal['active', 'used', 'expired']
    granted_at: Timestamp
    expires_at: Optional[Timestamp]
    granted_by: Union[Optional[str], UnsetType] = UNSET
    reason: Union[Optional[str], UnsetType] = UNSET
    order_id: Union[Optional[str], UnsetType] = UNSET


class CreditMovement(Struct, kw_only=True):
    kind: Literal['granted', 'spent', 'returned', 'expired', 'moved_in', 'moved_out']
    at: Timestamp
    amount: Money
    grants: Annotated[Dict[str, int], Meta(description='grant_id -> minor units of the base currency')]
    movement_id: Union[str, UnsetType] = UNSET
    order_id: Union[Optional[str], UnsetType] = UNSET
    event_id: Union[Optional[str], UnsetType] = UNSET
    by: Union[Optional[str], UnsetType] = UNSET
    source: Union[Optional[str], UnsetType] = UNSET
    reason: Union[Optional[str], UnsetType] = UNSET


class StaffCredit(Struct, kw_only=True):
    """balance = granted - spent + returned - expired, in the base currency."""

    balance: Money
    granted: Money
    spent: Money
    returned: Money
    expired: Money
    grants: List[CreditGrantOut]
    movements: List[CreditMovement]
