"""Checkout's answers: an order (``POST .../orders``), an order event (``POST .../events``) and a quote
(``POST /v1/quotes``) with its address trust, its store credit and the customer a guest was recognised as."""
from __future__ import annotations

from typing import Annotated, Any, Dict, List, Literal, Optional, Union

from msgspec import UNSET, Meta, Struct, UnsetType

from ..shapes import CurrencyCode, Timestamp
from .common import Money, TierStatus


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
