"""The single table, as PynamoDB models. The only module that knows attribute names.

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
    BinaryAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from ..config import settings

PROFILE_SK = "PROFILE"
MONTH_PREFIX = "PROFILE#MONTH#"
PROMO_USE_PREFIX = "PROFILE#PROMO#"
ADDRESS_PREFIX = "PROFILE#ADDR#"
DECISION_PREFIX = "DECISION#"
RULES_PK = "RULES"
RULES_CURRENT_SK = "CURRENT"
LEDGER_PREFIX = "LEDGER#"
ORDER_SK = "ORDER"
EVENT_PREFIX = "EVENT#"
DAY_PREFIX = "DAY#"
ADJUSTMENT_PREFIX = "ADJUSTMENT#"  # an operator's adjustment, by its client-chosen id
AUDIT_PREFIX = "AUDIT#"  # what the system audits itself (erasure, merge): no client id can reach it
CREDIT_GRANT_PREFIX = "PROFILE#CREDIT#"
CREDIT_MOVEMENT_PREFIX = "CREDIT#"
CREDIT_EXPIRY_PREFIX = "EXPIRY#CREDIT#"
IDENTITY_SK = "IDENTITY"
MATCH_PREFIX = "MATCH#"


def key_range(prefix: str):
    """``sk BETWEEN prefix AND prefix~``: the items whose sort key starts with ``prefix``.

    Same result as ``begins_with`` in DynamoDB; written this way because DynamoDB Local
    answers ``begins_with`` by scanning the whole partition (11 ms instead of 2 ms on a
    20,000-item partition), which would make local tests and benchmarks lie.
    """
    return TableItem.sk.between(prefix, prefix + "~")


def customer_pk(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


def identity_pk(key_hash: str) -> str:
    return f"IDENTITY#{key_hash}"


def order_pk(order_id: str) -> str:
    return f"ORDER#{order_id}"


class TableItem(Model):
    """Every item of the table: the keys and the type discriminator."""

    class Meta:
        table_name = settings().table_name
        region = settings().region
        host = settings().dynamodb_endpoint
        connect_timeout_seconds = 2
        read_timeout_seconds = 4
        max_retry_attempts = 2
        stream_view_type = "NEW_AND_OLD_IMAGES"  # the source of domain events (docs/events.md)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute()

    @classmethod
    def _get_connection(cls):  # type: ignore[override]
        """One connection (one botocore client and pool) for every item type of the table."""
        return Model._get_connection.__func__(TableItem)  # type: ignore[attr-defined]


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


class ApiKeyItem(TableItem, discriminator="api_key"):
    """A storefront API key, found by the SHA-256 of the secret; the secret itself is never stored."""

    key_id = UnicodeAttribute()
    name = UnicodeAttribute()
    channel = UnicodeAttribute()
    scopes = JSONAttribute()
    last4 = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute(null=True)
    revoked_at = UTCDateTimeAttribute(null=True)


class ApiKeyRefItem(TableItem, discriminator="api_key_ref"):
    """Lists keys without a Scan: one item per key under ``APIKEYS``, pointing at its hash."""

    key_id = UnicodeAttribute()
    secret_hash = UnicodeAttribute()


class RulesItem(TableItem, discriminator="rules"):
    """A rules document: ``CURRENT`` is the one in force, ``VERSION#n`` items are the history."""

    version = NumberAttribute()
    document = JSONAttribute()
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute(null=True)


def adjustment_sk(adjustment_id: str) -> str:
    return ADJUSTMENT_PREFIX + adjustment_id


def audit_sk(kind: str, subject: str = "") -> str:
    """``AUDIT#ERASURE``, ``AUDIT#MERGE#<source>``: the system's own audit records, kept out of
    the ``ADJUSTMENT#`` range so a client-chosen ``adjustment_id`` can never take their key."""
    return AUDIT_PREFIX + kind.upper() + (f"#{subject}" if subject else "")


def address_sk(address_id: str) -> str:
    return ADDRESS_PREFIX + address_id


def promotion_pk(code: str) -> str:
    return f"PROMOTION#{code.upper()}"


def rules_version_sk(version: int) -> str:
    return f"VERSION#{version:010d}"


def configure(table_name: str, region: str, host: str | None) -> None:
    """Point every model at a table (tests and tools switch between moto and DynamoDB Local)."""
    TableItem.Meta.table_name = table_name
    TableItem.Meta.region = region
    TableItem.Meta.host = host
    TableItem._connection = None


TIER_WATCH_SK = "EVENTS#TIER"
IMPORT_REPORT_SK = "REPORT"


class TierWatchItem(TableItem, discriminator="tier_watch"):
    """The events consumer's view of one customer's tier inputs and the tier it last announced
    (chalicelib/domain/events.py: TierWatch). Outside ``PROFILE``: quotes never read it."""

    customer_id = UnicodeAttribute()
    watch = JSONAttribute()
    sequence = UnicodeAttribute()  # the last stream sequence number applied


class ImportReportItem(TableItem, discriminator="import_report"):
    """``IMPORT#<import_id>`` / ``REPORT``: an import's counts and where its full report is,
    written once when the import has committed (the source of ``import.finished``)."""

    import_id = UnicodeAttribute()
    finished_at = UTCDateTimeAttribute()
    rows = NumberAttribute(default=0)
    imported = NumberAttribute(default=0)
    already_present = NumberAttribute(default=0)
    rejected = NumberAttribute(default=0)
    customers = NumberAttribute(default=0)
    report_location = UnicodeAttribute(null=True)


IMPORT_STATUS_SK = "STATUS"
IMPORT_CHUNK_PREFIX = "CHUNK#"
IMPORT_FAILED_PREFIX = "FAILED#"


class ImportStatusItem(TableItem, discriminator="import_status"):
    """``IMPORT#<import_id>`` / ``STATUS``: a fanned-out import's plan and running totals, each
    counter changed by ``ADD`` in the transaction that records one chunk (store/imports.py)."""

    import_id = UnicodeAttribute()
    source = JSONAttribute()  # where the file is: {"kind": "s3", "bucket", "key"} or {"kind": "file", "path"}
    planned_at = UTCDateTimeAttribute()  # the import's clock: every chunk parses and records with it
    chunks_planned = NumberAttribute(default=0)
    rows_planned = NumberAttribute(default=0)  # lines after the header, blank ones included
    chunks_done = NumberAttribute(default=0)
    chunks_failed = NumberAttribute(default=0)
    rows = NumberAttribute(default=0)
    imported = NumberAttribute(default=0)
    already_present = NumberAttribute(default=0)
    rejected = NumberAttribute(default=0)
    customers = NumberAttribute(default=0)
    file_error = UnicodeAttribute(null=True)
    report_location = UnicodeAttribute(null=True)
    # Set once every chunk's message is sent. A planner killed before that leaves it unset, and
    # the notification's retry sends the chunks not yet recorded instead of planning nothing.
    dispatched_at = UTCDateTimeAttribute(null=True)


class ImportChunkItem(TableItem, discriminator="import_chunk"):
    """``IMPORT#<import_id>`` / ``CHUNK#<n>``: one chunk recorded as done (written only if
    absent, with the totals' ADD: a redelivered chunk counts once). ``partial`` holds the
    chunk's rejected rows and notes, zlib-compressed JSON, for the merged report."""

    import_id = UnicodeAttribute()
    chunk = NumberAttribute()
    first_line = NumberAttribute()
    last_line = NumberAttribute()
    rows = NumberAttribute(default=0)
    imported = NumberAttribute(default=0)
    already_present = NumberAttribute(default=0)
    rejected = NumberAttribute(default=0)
    customers = NumberAttribute(default=0)
    seconds = NumberAttribute(default=0)
    partial = BinaryAttribute(null=True, legacy_encoding=False)


class ImportFailedChunkItem(TableItem, discriminator="import_failed_chunk"):
    """``IMPORT#<import_id>`` / ``FAILED#<n>``: a chunk that failed its last delivery and went
    to the dead-letter queue; its lines were not imported (the report says so)."""

    import_id = UnicodeAttribute()
    chunk = NumberAttribute()
    first_line = NumberAttribute()
    last_line = NumberAttribute()
    reason = UnicodeAttribute()
    failed_at = UTCDateTimeAttribute()


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
