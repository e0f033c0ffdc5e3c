"""Every request body the API takes, declared once as msgspec Structs.

The declarations feed two readers: :mod:`chalicelib.api.validation`, which checks a JSON body
against them (listing every problem with its field and reason) before ``msgspec.convert`` builds
the Struct, and ``devtools/openapi.py`` (``make openapi``), which writes the OpenAPI document
from them. A constraint lives in ``Meta``; the wording of a refusal, where it is not the generic
one, in ``Meta(extra={"reason": ...})``; free text (trimmed, no control characters) is marked
``extra={"text": True}``. Rules a schema cannot say (totals, currency exponents, a quote's
orderable size, who may use credit) stay in :mod:`chalicelib.api.parsing` and the domain.
Response bodies are declared in :mod:`chalicelib.api.answers`.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, ClassVar, List, Literal, Optional, Union

from msgspec import UNSET, Meta, Struct, UnsetType

from ..domain.ledger import EVENT_TYPES
from ..domain.money import is_currency
from ..services.quote_tokens import MAX_TOKEN_CHARS  # the quote token an order may carry

MAX_LINES = 500
MAX_QUANTITY = 100_000
MAX_AMOUNT = 10**13  # minor units; far above any real order, far below float trouble
MAX_PROMO_CODES = 10

# Validating patterns end in \Z: `$` also matches before a trailing newline (issue 11, defect 11).
# The document gets the same pattern with `$` (JSON Schema's regex dialect has no \Z).
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+\-]{0,127}\Z")
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}\Z")
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,63}\Z")
PHONE_PATTERN = re.compile(r"^\+?[0-9 ().\-]{4,32}\Z")


def schema_pattern(pattern: re.Pattern) -> str:
    """A validating pattern as JSON Schema writes it (``\\Z`` -> ``$``)."""
    return pattern.pattern[:-2] + "$"


ID_REASON = "must be 1-128 characters: letters, digits and . _ : @ + - (starting with a letter or digit)"
MONEY_REASON = "must be an integer amount of minor units (e.g. 12999 for 129.99), not {kind}"
COUNTRY_REASON = "must be an ISO 3166-1 alpha-2 code in capitals, e.g. GB"

Id = Annotated[str, Meta(pattern=schema_pattern(ID_PATTERN), extra={"reason": ID_REASON},
                         description="1-128 characters of letters, digits and . _ : @ + -, starting with a letter "
                                     "or digit.")]
CurrencyCode = Annotated[str, Meta(pattern="^[A-Z]{3}$", examples=["GBP"],
                                   description="ISO 4217, in capitals; an unknown code is a 400.",
                                   extra={"reason": "must be an ISO 4217 currency code in capitals, e.g. GBP",
                                          "check": is_currency})]
CountryCode = Annotated[str, Meta(pattern=schema_pattern(COUNTRY_PATTERN), examples=["GB"],
                                  description="ISO 3166-1 alpha-2, in capitals.",
                                  extra={"text": True, "max_length": 200, "reason": COUNTRY_REASON})]
MinorUnits = Annotated[int, Meta(ge=0, le=MAX_AMOUNT, extra={"money": True})]
PositiveMinorUnits = Annotated[int, Meta(ge=1, le=MAX_AMOUNT, extra={"money": True})]
Quantity = Annotated[int, Meta(ge=1, le=MAX_QUANTITY)]
Sku = Annotated[str, Meta(min_length=1, max_length=128, extra={"text": True})]
Category = Annotated[str, Meta(min_length=1, max_length=64, extra={"text": True})]
Reason = Annotated[str, Meta(min_length=1, max_length=500, extra={"text": True})]
# An ISO 8601 time with an offset; refusals say which (naive, out of range, before 1990).
DATE_TIME = {"format": "date-time"}
Timestamp = Annotated[datetime, Meta(tz=True, extra_json_schema=DATE_TIME)]
RecentTime = Annotated[datetime, Meta(tz=True, description="With an offset; at most a day ahead.",
                                      extra_json_schema=DATE_TIME, extra={"at_most_a_day_ahead": True})]


def _optional_text(max_length: int) -> object:
    return Annotated[str, Meta(min_length=0, max_length=max_length, extra={"text": True})]


AddressLine = Annotated[str, Meta(min_length=1, max_length=200, extra={"text": True})]
OptionalAddressLine = _optional_text(200)


class Address(Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """A postal address. Any Unicode is welcome, control characters are not."""

    line1: AddressLine
    line2: Optional[OptionalAddressLine] = None  # type: ignore[valid-type]
    city: AddressLine
    region: Optional[OptionalAddressLine] = None  # type: ignore[valid-type]
    postcode: Optional[OptionalAddressLine] = None  # type: ignore[valid-type]
    country: CountryCode


class Payment(Struct, kw_only=True, forbid_unknown_fields=True):
    """How the order is paid, and the address the payment provider confirmed for it."""

    method: Optional[_optional_text(64)] = None  # type: ignore[valid-type]
    confirmed_address: Annotated[Optional[Address], Meta(
        description="The address the payment provider confirmed (e.g. PayPal's).")] = None


class OrderLine(Struct, kw_only=True, forbid_unknown_fields=True):
    sku: Sku
    category: Category = "uncategorised"
    quantity: Quantity
    unit_amount: MinorUnits
    discount_amount: Annotated[int, Meta(ge=0, le=MAX_AMOUNT, description="At most quantity x unit_amount.",
                                         extra={"money": True})] = 0


class OrderRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    examples: ClassVar[list] = [{
        "order_id": "o-1001", "placed_at": "2026-01-20T10:15:00Z", "currency": "GBP",
        "lines": [{"sku": "BOOK-001", "category": "books", "quantity": 2, "unit_amount": 1999, "discount_amount": 0}],
        "total_amount": 3998,
        "shipping_address": {"line1": "Unit 4, Acacia Business Park", "city": "Leeds", "postcode": "LS6 1LF",
                             "country": "GB"}}]

    order_id: Id
    placed_at: RecentTime
    currency: CurrencyCode
    lines: Annotated[List[OrderLine], Meta(min_length=1, max_length=MAX_LINES)]
    total_amount: Annotated[int, Meta(ge=0, le=MAX_AMOUNT, extra={"money": True},
                                      description="The sum over lines of quantity x unit_amount - discount_amount.")]
    shipping_address: Optional[Address] = None
    quote_token: Optional[Annotated[str, Meta(min_length=1, max_length=MAX_TOKEN_CHARS, extra={
        "reason": "must be the quote_token string a quote returned"})]] = None
    payment: Optional[Payment] = None


class EventLine(Struct, kw_only=True, forbid_unknown_fields=True):
    sku: Sku
    quantity: Quantity


class EventRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    examples: ClassVar[list] = [{"event_id": "refund-1", "type": "refunded", "at": "2026-01-22T09:00:00Z",
                                 "amount": 899}]

    event_id: Id
    type: Annotated[Literal[EVENT_TYPES], Meta(extra={"reason": f"must be one of {', '.join(EVENT_TYPES)}"})]  # type: ignore[valid-type]
    at: Annotated[datetime, Meta(tz=True, extra_json_schema=DATE_TIME, extra={"at_most_a_day_ahead": True})]
    amount: Optional[Annotated[PositiveMinorUnits, Meta(description="returned, refunded, chargeback only.")]] = None
    lines: Optional[Annotated[List[EventLine], Meta(min_length=1, max_length=MAX_LINES,
                                                    description="returned, refunded, chargeback only.")]] = None
    reason: Optional[_optional_text(500)] = None  # type: ignore[valid-type]
    as_store_credit: Annotated[bool, Meta(description=(
        "returned and refunded only: the money goes back as store credit (the credit the order spent "
        "returns to its grants; the rest is a new grant)."))] = False


class ProfileRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    """Fields to set; null clears a field, a field left out is kept."""

    examples: ClassVar[list] = [{"email": "ada@example.com", "name": "Ada Lovelace", "country": "GB"}]

    email: Union[Annotated[str, Meta(max_length=254, pattern=schema_pattern(EMAIL_PATTERN), extra={
        "text": True, "reason": "must be an email address"})], None, UnsetType] = UNSET
    phone: Union[Annotated[str, Meta(pattern=schema_pattern(PHONE_PATTERN), extra={
        "text": True, "max_length": 200,
        "reason": "must be a phone number of 4-32 digits, optionally with + ( ) - . and spaces"},
        description="4-32 digits, optionally with + ( ) - . and spaces.")], None, UnsetType] = UNSET
    name: Union[Annotated[str, Meta(min_length=1, max_length=200, extra={"text": True})], None, UnsetType] = UNSET
    country: Union[CountryCode, None, UnsetType] = UNSET
    created_at: Union[Annotated[datetime, Meta(
        tz=True, extra_json_schema=DATE_TIME, description="When the store opened the account; cannot be cleared.",
        extra={"at_most_a_day_ahead": True, "not_null": "cannot be cleared"})], UnsetType] = UNSET


class QuoteLine(Struct, kw_only=True, forbid_unknown_fields=True):
    sku: Sku
    category: Category = "uncategorised"
    quantity: Quantity
    unit_amount: MinorUnits
    on_sale: bool = False


class GuestIdentity(Struct, kw_only=True, forbid_unknown_fields=True):
    """A guest's identity as typed at checkout (only without customer_id). Normalised (docs/identity.md):
    case, spaces, +tags, Gmail dots; a phone is read in the shipping country unless it has a +country
    code. One customer holding it, with the shipping address one they had delivered (or the payment
    provider's confirmed address in their book), prices the quote as that customer
    (customer.recognised). A malformed value is a 400 naming customer.email or customer.phone."""

    email: Optional[Annotated[str, Meta(min_length=1, max_length=254, extra={"text": True})]] = None
    phone: Optional[Annotated[str, Meta(min_length=1, max_length=40, extra={"text": True})]] = None


USE_CREDIT_REASON = "must be true, false, or an integer amount of minor units of at least 1 (e.g. 1000 for 10.00)"


class QuoteRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    examples: ClassVar[list] = [{
        "customer_id": "c-seed", "currency": "GBP", "promo_codes": ["RUNCLUB10"],
        "lines": [{"sku": "RUN-GHOST-16", "category": "running-shoes", "quantity": 1, "unit_amount": 13999}],
        "shipping_address": {"line1": "27 Meadow Lane", "city": "Harrogate", "postcode": "HG1 2AB", "country": "GB"}}]

    customer_id: Annotated[Optional[Id], Meta(description="Absent or null for a guest.")] = None
    currency: CurrencyCode
    lines: Annotated[List[QuoteLine], Meta(min_length=1, max_length=MAX_LINES)]
    promo_codes: Annotated[List[Annotated[str, Meta(min_length=1, max_length=64, extra={"text": True})]],
                           Meta(max_length=MAX_PROMO_CODES)] = []
    shipping_address: Optional[Address] = None
    payment: Optional[Payment] = None
    use_credit: Annotated[Union[bool, Annotated[int, Meta(ge=1, le=MAX_AMOUNT, extra={"reason": USE_CREDIT_REASON})],
                                None], Meta(description=(
        "Apply the customer's store credit: true for as much as the cart takes, or at most this many minor units "
        "of the quote currency. Refused for a guest."))] = None
    customer: Optional[GuestIdentity] = None


CREDIT_EXPIRY = ("In the future; null: never expires; absent: the rules' credit.default_lifetime_days.")


class GoodwillCredit(Struct, kw_only=True, forbid_unknown_fields=True, tag_field="kind", tag="goodwill_credit"):
    adjustment_id: Id
    amount: PositiveMinorUnits
    currency: CurrencyCode
    reason: Reason
    expires_at: Union[Annotated[datetime, Meta(tz=True, extra_json_schema=DATE_TIME, description=CREDIT_EXPIRY, extra={
        "after_now": "must be in the future (or null: never expires)"})], None, UnsetType] = UNSET


class StoreCredit(GoodwillCredit, tag="store_credit"):
    pass


class TierOverride(Struct, kw_only=True, forbid_unknown_fields=True, tag_field="kind", tag="tier_override"):
    adjustment_id: Id
    tier: Annotated[str, Meta(min_length=1, max_length=64, extra={"text": True})]
    until: Annotated[datetime, Meta(tz=True, extra_json_schema=DATE_TIME, description="In the future, with an offset.",
                                    extra={"after_now": "must be in the future"})]
    reason: Reason


class Note(Struct, kw_only=True, forbid_unknown_fields=True, tag_field="kind", tag="note"):
    adjustment_id: Id
    text: Annotated[str, Meta(min_length=1, max_length=2000, extra={"text": True})]


AdjustmentRequest = Union[GoodwillCredit, StoreCredit, TierOverride, Note]
ADJUSTMENT_EXAMPLES = [{"adjustment_id": "gw-1", "kind": "goodwill_credit", "amount": 1000, "currency": "GBP",
                        "reason": "parcel arrived late"}]


# The support search's query: ?email= or ?phone= (exactly one).
LOOKUP = {
    "email": Annotated[str, Meta(max_length=254, pattern=schema_pattern(EMAIL_PATTERN),
                                 extra={"text": True, "reason": "must be an email address"})],
    "phone": Annotated[str, Meta(max_length=254, pattern=schema_pattern(PHONE_PATTERN),
                                 extra={"text": True, "reason": "must be a phone number"})],
}


class MergeRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    examples: ClassVar[list] = [{"source_customer_id": "guest-77"}]

    source_customer_id: Id


class GoodwillRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    examples: ClassVar[list] = [{"cost": 1500, "currency": "GBP", "reason": "second late parcel this month"}]

    cost: Annotated[int, Meta(ge=1, le=MAX_AMOUNT, description="Minor units of the base currency.",
                              extra={"money": True})]
    reason: Reason  # before currency: refusals are listed in this order
    currency: Annotated[Optional[CurrencyCode], Meta(description="Optional; must be the base currency.")] = None
