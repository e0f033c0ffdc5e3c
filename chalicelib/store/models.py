"""The single table, as PynamoDB models: with table_item.py (the keys and the base item) and
job_models.py (imports, the events consumer), the only modules that know attribute names.

Key layout (readable in the AWS console; see docs/data-model.md):

=======================  ==============================================  =================
pk                       sk                                              item_type
=======================  ==============================================  =================
CUSTOMER#<customer_id>   PROFILE                                         profile
CUSTOMER#<customer_id>   PROFILE#MONTH#2026-11                           month
CUSTOMER#<customer_id>   LEDGER#2026-11-20T10:15:00Z#ORDER#<id>#placed    ledger
ORDER#<order_id>         ORDER                                           order
ORDER#<order_id>         EVENT#<event_id>                                order_event
CUSTOMER#<customer_id>   PROFILE#PROMO#<CODE>                            promotion_use
CUSTOMER#<customer_id>   PROFILE#ADDR#<fingerprint>                      address
CUSTOMER#<customer_id>   DECISION#2026-11-20T10:15:00Z#<quote_id>        decision
CUSTOMER#<customer_id>   ADJUSTMENT#<adjustment_id>                      adjustment
CUSTOMER#<customer_id>   AUDIT#ERASURE, AUDIT#MERGE#<source_id>          adjustment
CUSTOMER#<customer_id>   DAY#2026-11-20                                  purchase_day
CUSTOMER#<customer_id>   PROFILE#CREDIT#<grant_id>                       credit_grant
CUSTOMER#<customer_id>   MATCH#2026-11-20T10:15:00Z#<quote_id>           identity_match
IDENTITY#<keyed hash>    IDENTITY                                        identity
CUSTOMER#<customer_id>   CREDIT#2026-11-20T10:15:00Z#<movement_id>       credit_movement
CUSTOMER#<customer_id>   EXPIRY#CREDIT#<grant_id>                        credit_expiry
QUOTE#<quote_id>         DECISION                                        decision
PROMOTION#<CODE>         BUDGET                                          promotion_budget
APIKEY#<sha256 of key>   APIKEY                                          api_key
APIKEYS                  <key_id>                                        api_key_ref
RULES                    CURRENT                                         rules
RULES                    VERSION#0000000042                              rules_version
IMPORT#<import_id>       STATUS                                          import_status
IMPORT#<import_id>       CHUNK#000042                                    import_chunk
IMPORT#<import_id>       FAILED#000042                                   import_failed_chunk
IMPORT#<import_id>       REPORT                                          import_report
=======================  ==============================================  =================

Everything a checkout needs about a customer starts with ``PROFILE`` in the customer's
partition, so one Query (``begins_with(sk, "PROFILE")``) returns it without touching the
ledger, however long the history.
"""
from __future__ import annotations

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection

from .key_models import ApiKeyItem, ApiKeyRefItem  # noqa: F401 (re-exported)
from .job_models import (  # noqa: F401 (re-exported: callers read models.<name>)
    TIER_WATCH_SK, IMPORT_REPORT_SK, IMPORT_STATUS_SK, IMPORT_CHUNK_PREFIX, IMPORT_FAILED_PREFIX,
    TierWatchItem, ImportReportItem, ImportStatusItem, ImportChunkItem, ImportFailedChunkItem,
)
from .table_item import (  # noqa: F401 (re-exported: callers read models.<name>)
    PROFILE_SK, MONTH_PREFIX, PROMO_USE_PREFIX, ADDRESS_PREFIX, DECISION_PREFIX, RULES_PK,
    RULES_CURRENT_SK, LEDGER_PREFIX, ORDER_SK, EVENT_PREFIX, DAY_PREFIX, ADJUSTMENT_PREFIX, AUDIT_PREFIX,
    CREDIT_GRANT_PREFIX, CREDIT_MOVEMENT_PREFIX, CREDIT_EXPIRY_PREFIX, IDENTITY_SK, MATCH_PREFIX,
    key_range, customer_pk, identity_pk, order_pk, adjustment_sk, audit_sk, address_sk, promotion_pk,
    rules_version_sk, configure, TableItem,
)


class EmailIndex(GlobalSecondaryIndex):
    """Find a customer by the hash of a normalised email (support lookups); sparse."""

    class Meta:
        index_name = "email-index"
        projection = KeysOnlyProjection()

    email_hash = UnicodeAttribute(hash_key=True)


class PhoneIndex(GlobalSecondaryIndex):
    """Find a customer by the hash of a normalised phone number; sparse."""

    class Meta:
        index_name = "phone-index"
        projection = KeysOnlyProjection()

    phone_hash = UnicodeAttribute(hash_key=True)


class ProfileItem(TableItem, discriminator="profile"):
    """A customer: contact details and lifetime aggregates maintained at write time."""

    customer_id = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    email_hash = UnicodeAttribute(null=True)
    phone_hash = UnicodeAttribute(null=True)
    by_email = EmailIndex()
    by_phone = PhoneIndex()
    name = UnicodeAttribute(null=True)
    country = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)  # when the store says the account was opened
    first_seen_at = UTCDateTimeAttribute(null=True)  # when this API first heard of the customer
    updated_at = UTCDateTimeAttribute(null=True)
    base_currency = UnicodeAttribute(null=True)
    lifetime_orders = NumberAttribute(default=0)
    lifetime_net_spend = NumberAttribute(default=0)
    lifetime_gross_spend = NumberAttribute(default=0)
    delivered_orders = NumberAttribute(default=0)
    returns_count = NumberAttribute(default=0)
    refunds_count = NumberAttribute(default=0)
    chargebacks_count = NumberAttribute(default=0)
    cancellations_count = NumberAttribute(default=0)
    first_order_at = UTCDateTimeAttribute(null=True)
    last_order_at = UTCDateTimeAttribute(null=True)
    tier_override = JSONAttribute(null=True)  # {"tier", "until", "reason", "by"} set by an operator
    erased_at = UTCDateTimeAttribute(null=True)  # personal data erased on request; aggregates kept
    # The keyed hashes of every email and phone this record has held (its identity items),
    # so an erasure or a merge reaches them all; delivered addresses are found from the book.
    identity_keys = UnicodeSetAttribute(null=True)
    merged_into = UnicodeAttribute(null=True)  # this record's history was moved to that customer
    lifetime_goodwill = NumberAttribute(default=0)  # goodwill credits granted, base currency
    version = NumberAttribute(default=0)


class MonthItem(TableItem, discriminator="month"):
    """One calendar month (UTC) of a customer's orders and net spend, in base currency."""

    customer_id = UnicodeAttribute()
    month = UnicodeAttribute()
    orders = NumberAttribute(default=0)
    net_spend = NumberAttribute(default=0)
    gross_spend = NumberAttribute(default=0)
    goodwill = NumberAttribute(default=0)  # goodwill credits granted this month, base currency


class PurchaseDayItem(TableItem, discriminator="purchase_day"):
    """Orders and net spend (base currency) of the orders a customer placed on one UTC day.

    Outside the ``PROFILE`` range on purpose: checkout never reads it; the customer-value
    estimate does (docs/customer-value.md). A day whose orders were all cancelled has
    ``orders`` 0 and is no purchase."""

    customer_id = UnicodeAttribute()
    day = UnicodeAttribute()
    orders = NumberAttribute(default=0)
    net_spend = NumberAttribute(default=0)


class LedgerItem(TableItem, discriminator="ledger"):
    """An immutable ledger entry. Written once, with a condition that it does not exist."""

    customer_id = UnicodeAttribute()
    entry_type = UnicodeAttribute()  # order_placed | delivered | returned | refunded | cancelled | chargeback
    at = UTCDateTimeAttribute()
    recorded_at = UTCDateTimeAttribute()
    order_id = UnicodeAttribute(null=True)
    event_id = UnicodeAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    amount = NumberAttribute(null=True)
    base_currency = UnicodeAttribute(null=True)
    base_amount = NumberAttribute(null=True)
    description = UnicodeAttribute(null=True)
    source = UnicodeAttribute(default="api")  # api | import | admin
    details = JSONAttribute(null=True)
    merged_from = UnicodeAttribute(null=True)  # the customer this entry was moved from by a merge


class OrderItem(TableItem, discriminator="order"):
    """An order by id: the idempotency record and the state later events change."""

    order_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    placed_at = UTCDateTimeAttribute()
    currency = UnicodeAttribute()
    total_amount = NumberAttribute()
    base_currency = UnicodeAttribute()
    base_total = NumberAttribute()
    lines = JSONAttribute()
    shipping_address = JSONAttribute(null=True)
    status = UnicodeAttribute()
    refunded = NumberAttribute(default=0)
    returned = NumberAttribute(default=0)
    charged_back = NumberAttribute(default=0)
    base_reversed = NumberAttribute(default=0)
    returned_units = JSONAttribute(null=True)
    delivered_at = UTCDateTimeAttribute(null=True)
    version = NumberAttribute(default=0)
    request_hash = UnicodeAttribute()
    ledger_sk = UnicodeAttribute()
    recorded_at = UTCDateTimeAttribute()
    source = UnicodeAttribute(default="api")
    result = JSONAttribute()
    decision = JSONAttribute(null=True)  # the quote's tier and discounts, when the order came with one
    shipping_address_id = UnicodeAttribute(null=True)  # fingerprint of the address book entry
    merged_from = UnicodeAttribute(null=True)
    discount_taken_back = JSONAttribute(null=True)  # code -> discount reversed by returns and refunds so far  # the answer first given, returned again on a replay
    # Store credit the order spent: {"customer_id", "currency", "applied", "lines", "base_currency", "draw",
    # "grants": {grant_id: base}, "back", "base_back", "grants_back": {grant_id: base}}
    credit = JSONAttribute(null=True)


class OrderEventItem(TableItem, discriminator="order_event"):
    """Idempotency record of one event of an order, with the answer first given."""

    order_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    request_hash = UnicodeAttribute()
    ledger_sk = UnicodeAttribute()
    result = JSONAttribute()


class PromotionUseItem(TableItem, discriminator="promotion_use"):
    """How many committed orders of one customer used a promotion (per-customer limits)."""

    customer_id = UnicodeAttribute()
    code = UnicodeAttribute()
    uses = NumberAttribute(default=0)


class AddressItem(TableItem, discriminator="address"):
    """One address of a customer's address book, kept up to date by orders and deliveries."""

    customer_id = UnicodeAttribute()
    address_id = UnicodeAttribute()  # the normalised address's fingerprint
    normalised = JSONAttribute()
    address = JSONAttribute()  # as the storefront sent it, for support and re-normalisation
    first_used_at = UTCDateTimeAttribute()
    orders_shipped = NumberAttribute(default=0)
    deliveries_confirmed = NumberAttribute(default=0)
    last_delivery_at = UTCDateTimeAttribute(null=True)
    confirmed_by = UnicodeAttribute(null=True)  # payment_provider | operator
    confirmed_at = UTCDateTimeAttribute(null=True)
    confirmed_by_operator = UnicodeAttribute(null=True)  # the operator's IAM ARN


class AdjustmentItem(TableItem, discriminator="adjustment"):
    """An operator's adjustment (goodwill credit, tier override, note): the idempotency
    record by adjustment id, and what the support view lists."""

    customer_id = UnicodeAttribute()
    adjustment_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # goodwill_credit | tier_override | note
    at = UTCDateTimeAttribute()
    operator = UnicodeAttribute()
    request_hash = UnicodeAttribute()
    details = JSONAttribute()


class CreditGrantItem(TableItem, discriminator="credit_grant"):
    """One grant of store credit (base currency), in the ``PROFILE`` range so a quote's one
    Query reads it. ``remaining`` = ``amount - spent + returned``, kept by ``ADD`` in the same
    update as ``spent``/``returned``; a spend is conditioned on ``remaining`` and on the expiry,
    so the balance can never go negative nor an expired grant be spent."""

    customer_id = UnicodeAttribute()
    grant_id = UnicodeAttribute()
    source = UnicodeAttribute()  # goodwill | manual | refund
    amount = NumberAttribute()
    spent = NumberAttribute(default=0)
    returned = NumberAttribute(default=0)
    remaining = NumberAttribute()
    currency = UnicodeAttribute()  # the base currency
    granted_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute(null=True)  # none: never expires
    granted_by = UnicodeAttribute(null=True)  # the operator's ARN, or "api" for a refund made as credit
    reason = UnicodeAttribute(null=True)  # free text for staff; erased with personal data
    order_id = UnicodeAttribute(null=True)  # the refunded order, for a refund made as credit


class CreditMovementItem(TableItem, discriminator="credit_movement"):
    """An immutable line of a customer's credit journal: a grant, a spend or credit given back
    (expiry writes nothing: it is read from the grants). Outside ``PROFILE``: quotes never read it."""

    customer_id = UnicodeAttribute()
    movement_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # granted | spent | returned
    at = UTCDateTimeAttribute()
    amount = NumberAttribute()  # base currency
    currency = UnicodeAttribute()
    grants = JSONAttribute(null=True)  # grant_id -> base amount
    order_id = UnicodeAttribute(null=True)
    event_id = UnicodeAttribute(null=True)
    by = UnicodeAttribute(null=True)  # who: an operator's ARN, or "api"
    source = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)


class CreditExpiryItem(TableItem, discriminator="credit_expiry"):
    """A grant's expiry marker, written with the grant: DynamoDB's Time to Live removes it after
    ``expires_at`` (epoch seconds, the table's one TTL attribute), and that removal on the stream
    is what announces ``credit.expired`` (docs/events.md). The grant's own ``expires_at`` is a
    string, which Time to Live ignores: grants are never removed. Outside ``PROFILE``."""

    customer_id = UnicodeAttribute()
    grant_id = UnicodeAttribute()
    amount = NumberAttribute()  # as granted; what expires is read from the grant
    currency = UnicodeAttribute()
    grant_expires_at = UTCDateTimeAttribute()
    expires_at = NumberAttribute()  # epoch seconds, rounded up: never before the grant expires


class DecisionItem(TableItem, discriminator="decision"):
    """A quote's address-trust decision that was not a plain ship: what support reads later."""

    customer_id = UnicodeAttribute(null=True)
    quote_id = UnicodeAttribute()
    decided_at = UTCDateTimeAttribute()
    decision = UnicodeAttribute()
    score = NumberAttribute()
    details = JSONAttribute()
    expires_at = NumberAttribute(null=True)  # epoch seconds: DynamoDB TTL removes old records


class PromotionBudgetItem(TableItem, discriminator="promotion_budget"):
    """Uses of a promotion across all customers, counted at commit against its total budget."""

    code = UnicodeAttribute()
    used = NumberAttribute(default=0)


class RulesItem(TableItem, discriminator="rules"):
    """A rules document: ``CURRENT`` is the one in force, ``VERSION#n`` items are the history."""

    version = NumberAttribute()
    document = JSONAttribute()
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute(null=True)


class IdentityItem(TableItem, discriminator="identity"):
    """The lookup index of identity keys: one item per keyed hash of a normalised email, phone
    (E.164) or delivered address fingerprint, listing the records that hold it. One item per
    key, so a checkout reads its email, phone and address keys with one BatchGetItem."""

    kind = UnicodeAttribute()  # email | phone | address
    customer_ids = UnicodeSetAttribute(null=True)


class IdentityMatchItem(TableItem, discriminator="identity_match"):
    """Checkouts whose email or phone matched several records (no personal data: the keys'
    kinds and the other records), one item per record, identity keys and day
    (``MATCH#<day>#<digest of the keys>``) counting them, the latest ``quote_id`` and ``at``;
    kept for support 400 days (TTL ``expires_at``). Older notes are per quote, without ``count``."""

    customer_id = UnicodeAttribute()
    quote_id = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    by = JSONAttribute()
    others = JSONAttribute()
    expires_at = NumberAttribute()
    count = NumberAttribute(null=True)  # checkouts that matched this way that day (absent: 1, an older note)
