"""Every response body the API answers, declared once as msgspec Structs.

The services build plain dicts (their answers are not converted through these); the
declarations feed the OpenAPI document (``make openapi``, devtools/openapi.py), which
schemathesis checks the app's answers against (tests/integration/test_schemathesis.py).
A field that may be absent is ``Union[..., UnsetType] = UNSET``; one that is always there
but may be null is ``Optional[...]`` without a default. Every amount is a :class:`Money`.
Responses may gain fields: no Struct here forbids unknown ones.
Not imported by the Lambda: only the document generator and tests read this module.
"""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Dict, List, Literal, Optional, Union

from msgspec import UNSET, Meta, Struct, UnsetType

from .shapes import Address, CountryCode, CurrencyCode, Id, Payment, Timestamp  # noqa: F401 (shared with the requests)


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


class OrderLineOut(Struct, kw_only=True):
    """An order line as recorded; every amount is Money in the order's currency."""

    sku: str
    category: Union[str, UnsetType] = UNSET
    quantity: int
    unit_amount: Money
    discount_amount: Union[Money, UnsetType] = UNSET
    net_amount: Money


class OrderResultCreditDrawn(Money):
    """taken from the balance, base currency"""



class OrderResultCredit(Struct, kw_only=True):
    """Store credit the order spent."""

    applied: Money
    drawn: OrderResultCreditDrawn


class OrderResult(Struct, kw_only=True):
    order_id: str
    customer_id: str
    placed_at: Timestamp
    status: str
    total: Money
    base_total: Money
    rules_version: Union[int, UnsetType] = UNSET
    lines: List[OrderLineOut]
    ledger_entry_id: str
    quote: Union[Annotated[Dict[str, Any], Meta(description=(
        "What the order's quote token decided (with a quote_token): quote_id, expired, rules_version; when the "
        'token had expired, re_evaluated and the differences per code ({code, quoted, now}, amounts as Money); '
        'charged_differently lists lines whose discount_amount differs from the decision ({line, sku, '
        "charged_discount, decided_discount}, Money); guest_quote (true) for a guest's token. recognised_by (the "
        'facts) for a token of a guest quote that recognised the customer.'))], UnsetType] = UNSET
    discounts: Union[Annotated[List[DecisionDiscount], Meta(description=(
        "With a quote_token: the discounts the quote decided (as in the ledger entry's details.decision)."))], UnsetType] = UNSET
    credit: Union[OrderResultCredit, UnsetType] = UNSET
    attached_to: Union[Annotated[str, Meta(description=(
        "With the rules' identity.attach at auto: this new record's first order matched one customer by email and"
        ' an address, and the record was merged into that customer (send later events under it).'))], UnsetType] = UNSET


class OrderState(Struct, kw_only=True):
    status: str
    total: Money
    refunded: Money
    returned: Money
    charged_back: Money
    remaining: Money


class EventResultCreditReturned(Money):
    """Store credit the order spent, given back (base currency)."""



class EventResultStoreCreditGranted(Struct, kw_only=True):
    amount: Money
    expires_at: Optional[Timestamp]


class EventResult(Struct, kw_only=True):
    event_id: str
    order_id: str
    type: str
    at: Timestamp
    amount: Union[Money, UnsetType] = UNSET
    ledger_entry_id: str
    order: OrderState
    credit_returned: Union[EventResultCreditReturned, UnsetType] = UNSET
    store_credit_granted: Union[EventResultStoreCreditGranted, UnsetType] = UNSET


class LineDiscount(Struct, kw_only=True):
    code: str
    amount: Money


class QuoteLineOutCredit(Money):
    """This line's share of the applied store credit (customers only)."""



class QuoteLineOut(Struct, kw_only=True):
    sku: str
    quantity: int
    subtotal: Money
    discounts: List[LineDiscount]
    total: Money
    credit: Union[QuoteLineOutCredit, UnsetType] = UNSET


class TrustReason(Struct, kw_only=True):
    code: str
    sentiment: Union[str, UnsetType] = UNSET
    message: str


class AddressTrust(Struct, kw_only=True):
    score: Annotated[int, Meta(ge=0, le=100)]
    decision: Literal['ship', 'verify', 'review']
    reasons: List[TrustReason]
    matched_address_id: Optional[str]


class QuoteCustomer(TierStatus):
    """The tier the quote priced with; recognised only for a guest quote that recognised a customer; then the block
    carries the tier, but no stored history: tier_explanation says only that the guest was recognised,
    tier_held_until and next_tier are null. Every guest who typed an email or phone and was not recognised (matched
    one record, several or none) gets a guest quote and the same not_applied SIGN_IN_FOR_BENEFITS, 'Sign in to use
    any benefits your account has'."""

    recognised: Union[Recognised, UnsetType] = UNSET


class QuoteDiscount(Struct, kw_only=True):
    code: str
    kind: str
    amount: Money
    description: Union[str, UnsetType] = UNSET


class NotApplied(Struct, kw_only=True):
    code: str
    reason: str
    short_by: Union[Optional[Money], UnsetType] = UNSET


class QuoteTotalsToPay(Money):
    """total less the store credit applied"""



class QuoteTotals(Struct, kw_only=True):
    subtotal: Money
    discount: Money
    total: Money
    credit: Union[Money, UnsetType] = UNSET
    to_pay: Union[QuoteTotalsToPay, UnsetType] = UNSET


class Quote(Struct, kw_only=True):
    quote_id: str
    quote_token: Annotated[str, Meta(max_length=64000, description="Send it with the order. Signed; holds a digest of the cart (not the cart), so it stays small: at most 64,000 characters, well within what the order route takes. A guest's token commits to any customer and keeps the guest's decision.")]
    expires_at: Timestamp
    rules_version: int
    currency: CurrencyCode
    customer: QuoteCustomer
    lines: List[QuoteLineOut]
    discounts: List[QuoteDiscount]
    not_applied: List[NotApplied]
    totals: QuoteTotals
    address_trust: Annotated[Optional[AddressTrust], Meta(description='null without a shipping_address.')]
    credit: Union[Annotated[Optional[QuoteCredit], Meta(description='null for a guest.')], UnsetType] = UNSET


class CustomerValueBasedOn(Struct, kw_only=True):
    purchase_days: Union[Annotated[int, Meta(ge=0)], UnsetType] = UNSET
    first_purchase_day: Union[str, UnsetType] = UNSET
    last_purchase_day: Union[str, UnsetType] = UNSET


class CustomerValue(Struct, kw_only=True):
    """Estimates, never promises: null for a customer without orders. Optional: absent where the value model is not
    configured."""

    estimate: Literal[True]
    probability_active: Optional[float]
    expected_orders_12m: float
    expected_orders_5y: float
    expected_spend_per_order: Money
    expected_value_5y: Money
    customer_since: Union[Optional[Timestamp], UnsetType] = UNSET
    based_on: Union[CustomerValueBasedOn, UnsetType] = UNSET
    note: str


class MyEntry(Struct, kw_only=True):
    """A ledger entry as the customer sees it (no staff notes, operators or internal details)."""

    entry_id: Union[str, UnsetType] = UNSET
    type: str
    at: Timestamp
    order_id: Union[str, UnsetType] = UNSET
    description: Union[str, UnsetType] = UNSET
    amount: Union[Optional[Money], UnsetType] = UNSET


class MyStatus(TierStatus):
    customer_id: str
    name: Optional[str]
    benefits: Optional[str]
    last_12_months: Rolling12Months
    lifetime: Lifetime
    member_since: Optional[Timestamp]
    recent_history: List[MyEntry]
    value: Union[Optional[CustomerValue], UnsetType] = UNSET
    credit: Union[MyCredit, UnsetType] = UNSET


class MyLedgerPage(Struct, kw_only=True):
    entries: List[MyEntry]
    next_cursor: Optional[str]


class MyAddress(Struct, kw_only=True):
    address_id: str
    address: AddressOut
    orders_shipped: Annotated[int, Meta(ge=0)]
    last_delivery_at: Optional[Timestamp]


class MyAddresses(Struct, kw_only=True):
    addresses: List[MyAddress]


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


class CreditBalanceExpiresSoonest(Struct, kw_only=True):
    at: Timestamp
    amount: Money


class CreditBalance(Struct, kw_only=True):
    """A customer's store credit in the base currency."""

    balance: Money
    expires_soonest: Annotated[Optional[CreditBalanceExpiresSoonest], Meta(description=(
        'The credit that expires first, or null when none expires.'))]


class QuoteCreditExpiresSoonest(Struct, kw_only=True):
    at: Timestamp
    amount: Money


class QuoteCredit(Struct, kw_only=True):
    """Store credit in the quote currency: the base-currency balance converted with the rules' fx, rounded up (the
    customer's favour); applied after discounts, never above the total nor use_credit."""

    available: Money
    applied: Money
    remaining_after: Money
    expires_soonest: Optional[QuoteCreditExpiresSoonest]


class ExpiringCredit(Struct, kw_only=True):
    at: Timestamp
    amount: Money
    text: str


class MyCredit(Struct, kw_only=True):
    balance: Money
    expiring: List[ExpiringCredit]
    text: Annotated[str, Meta(description="The balance and the next expiry in the customer's words.")]


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


class DecisionDiscount(Struct, kw_only=True):
    """A discount the order's quote gave, in the order's currency."""

    code: str
    kind: Annotated[str, Meta(description='tier, percent_off, amount_off, ...')]
    amount: Money


class Recognised(Struct, kw_only=True):
    """The guest was recognised as this customer: the quote is priced as them and its token commits the order to them
    (record it under this customer_id), shipped to the address that recognised them. customer_id only for a key with
    the customers scope; by for every key."""

    customer_id: Union[Annotated[str, Meta(description=(
        'Only for a key with the customers scope.'))], UnsetType] = UNSET
    by: Annotated[List[Literal['email', 'phone', 'delivered_address', 'payment_address']], Meta(description=(
        'Which facts agreed: an identity key (email, phone) and a second fact.'))]
