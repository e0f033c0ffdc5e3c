"""Reading and writing the ledger. Hides PynamoDB from the services.

Every mutation is one TransactWriteItems: the immutable ledger entries, the idempotency
record (an order or event item written only if absent), and the aggregate updates
(counters by ``ADD``, so concurrent orders never lose an update). Where an aggregate
cannot be expressed as an ``ADD`` (first and last order time), the update carries a
condition on what was read, and a stale read becomes a retry, never a lost write.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ..domain.customer import AddressRecord, Customer, CustomerProfile, CustomerStats, MonthTotals
from ..domain.times import iso_utc
from ..domain.ledger import LedgerEntry, Order, OrderLine, OrderState, StatsDelta
from ..domain.money_json import amount_and_currency_json, ledger_details_json
from ..domain.store_credit import CreditGrant
from .models import (
    ADJUSTMENT_PREFIX,
    AUDIT_PREFIX,
    CREDIT_GRANT_PREFIX,
    CREDIT_EXPIRY_PREFIX,
    CREDIT_MOVEMENT_PREFIX,
    DAY_PREFIX,
    LEDGER_PREFIX,
    MONTH_PREFIX,
    ORDER_SK,
    PROFILE_SK,
    PROMO_USE_PREFIX,
    AddressItem,
    AdjustmentItem,
    CreditGrantItem,
    CreditExpiryItem,
    CreditMovementItem,
    DecisionItem,
    LedgerItem,
    MonthItem,
    OrderEventItem,
    OrderItem,
    ProfileItem,
    PromotionBudgetItem,
    PromotionUseItem,
    PurchaseDayItem,
    TableItem,
    address_sk,
    adjustment_sk,
    audit_sk,
    customer_pk,
    key_range,
    order_pk,
    promotion_pk,
)
from .identity import add_identity
from .retry import RetryableConflict, cancellation_codes

LEDGER_ENTRY_TYPES_PLACED = "order_placed"


class OrdersAlreadyExist(Exception):
    """Some orders of a commit were already recorded; ``order_ids`` says which."""

    def __init__(self, order_ids: Sequence[str]) -> None:
        super().__init__(", ".join(order_ids))
        self.order_ids = list(order_ids)


class EventAlreadyExists(Exception):
    pass


class CreditChanged(RetryableConflict):
    """A grant an order meant to spend changed since it was read (spent by a racing order, or
    expired): read the grants again and plan the spend anew."""


@dataclass(frozen=True)
class CreditMovement:
    """A line of the credit journal, written with the change it records."""

    movement_id: str
    kind: str  # granted | spent | returned
    at: datetime
    amount: int
    currency: str
    grants: Optional[Dict[str, int]] = None
    order_id: Optional[str] = None
    event_id: Optional[str] = None
    by: Optional[str] = None
    source: Optional[str] = None
    reason: Optional[str] = None


@dataclass(frozen=True)
class CreditSpend:
    """Credit an order spends: base amount per grant, conditioned at ``now``."""

    customer_id: str
    plan: Dict[str, int]
    now: datetime
    movement: CreditMovement


@dataclass(frozen=True)
class CreditBack:
    """Credit an event gives back to the grants it came from (``customer_id``: whose grants the
    order spent, which a merge does not move) and/or grants anew to the order's customer."""

    customer_id: str
    parts: Dict[str, int]
    movements: Tuple[CreditMovement, ...] = ()
    new_grant: Optional[CreditGrant] = None
    grant_customer_id: Optional[str] = None
    grant_movement: Optional[CreditMovement] = None


class PromotionUnavailable(Exception):
    """A promotion of the order's decision hit its per-customer limit or its total budget."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class PromotionClaim:
    """One use of a promotion an order commits: counted against its limit and budget atomically."""

    code: str
    per_customer_limit: Optional[int] = None
    budget: Optional[int] = None


@dataclass(frozen=True)
class StoredOrder:
    state: OrderState
    request_hash: str
    result: dict
    source: str
    decision: Optional[dict] = None
    discount_taken_back: Optional[Dict[str, int]] = None
    credit: Optional[dict] = None


@dataclass(frozen=True)
class StoredEvent:
    customer_id: str
    request_hash: str
    result: dict


@dataclass(frozen=True)
class AddressUse:
    """What one write does to an address book entry: orders shipped and deliveries to add."""

    address_id: str
    normalised: dict
    address: dict
    first_used_at: datetime
    orders: int = 0
    deliveries: int = 0
    last_delivery_at: Optional[datetime] = None
    payment_confirmed: bool = False
    identity_key: Optional[str] = None  # the keyed hash of the fingerprint, when this use is a delivery

    def merged(self, other: "AddressUse") -> "AddressUse":
        deliveries = [t for t in (self.last_delivery_at, other.last_delivery_at) if t]
        return AddressUse(self.address_id, self.normalised, self.address,
                          min(self.first_used_at, other.first_used_at), self.orders + other.orders,
                          self.deliveries + other.deliveries, max(deliveries) if deliveries else None,
                          self.payment_confirmed or other.payment_confirmed,
                          self.identity_key or other.identity_key)


@dataclass
class NewOrder:
    """An order to record, possibly with events already applied (an imported order)."""

    state: OrderState
    request_hash: str
    result: dict
    entries: List[LedgerEntry]
    deltas: List[StatsDelta]
    source: str = "api"
    decision: Optional[dict] = None
    address_use: Optional[AddressUse] = None
    credit: Optional[dict] = None  # the order's credit record (OrderItem.credit)


@dataclass
class AggregateChange:
    """The sum of several deltas: profile counters plus per-month buckets."""

    counters: Dict[str, int] = field(default_factory=lambda: defaultdict(int))
    months: Dict[str, Dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    days: Dict[str, Dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    def add(self, delta: StatsDelta) -> None:
        for name, value in delta.counters().items():
            self.counters[name] += value
        for name, value in (("orders", delta.orders), ("net_spend", delta.net_spend), ("gross_spend", delta.gross_spend)):
            if value:
                self.months[delta.month][name] += value
        if delta.day:
            for name, value in (("orders", delta.orders), ("net_spend", delta.net_spend)):
                if value:
                    self.days[delta.day][name] += value

    def negated(self) -> "AggregateChange":
        """The opposite change: what taking these contributions away does."""
        negative = AggregateChange()
        for name, value in self.counters.items():
            negative.counters[name] = -value
        for buckets, into in ((self.months, negative.months), (self.days, negative.days)):
            for key, values in buckets.items():
                for name, value in values.items():
                    into[key][name] = -value
        return negative


def _connection() -> Connection:
    return TableItem._get_connection().connection


def _transaction() -> TransactWrite:
    return TransactWrite(connection=_connection())


MAX_TRANSACTION_ITEMS = 100
"""DynamoDB's limit on the items of one TransactWriteItems (moto enforces it too)."""


class PlannedTransaction:
    """A transaction's operations, collected through the calls a ``TransactWrite`` takes, so the
    very list that will be written can be counted (or refused) before anything is sent."""

    def __init__(self) -> None:
        self.operations: List[Tuple[str, tuple, dict]] = []

    def save(self, *args, **kwargs) -> None:
        self.operations.append(("save", args, kwargs))

    def update(self, *args, **kwargs) -> None:
        self.operations.append(("update", args, kwargs))

    def delete(self, *args, **kwargs) -> None:
        self.operations.append(("delete", args, kwargs))

    def __len__(self) -> int:
        return len(self.operations)

    def commit(self) -> None:
        with _transaction() as tx:
            for name, args, kwargs in self.operations:
                getattr(tx, name)(*args, **kwargs)


def ledger_sort_key(entry: LedgerEntry) -> str:
    """``LEDGER#2026-11-20T10:15:00Z#ORDER#o-1#refunded#ev-7``: time first, so newest-first is a reverse Query."""
    stamp = entry.at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    parts = [LEDGER_PREFIX.rstrip("#"), stamp, entry.subject]
    return "#".join(parts)


# ---------------------------------------------------------------- reads


def load_customer(customer_id: str, base_currency: str, since_month: Optional[str] = None) -> Optional[Customer]:
    """The profile, monthly buckets, promotion uses and address book, in one Query.

    ``since_month`` ("2025-08") leaves older monthly buckets out of the answer, so a quote
    for a customer with twenty years of history carries no more data than the rules can use.
    """
    condition = (MonthItem.month.does_not_exist() | (MonthItem.month >= since_month)) if since_month else None
    profile = None
    months: Dict[str, MonthTotals] = {}
    uses: Dict[str, int] = {}
    addresses: List[AddressRecord] = []
    grants: List[CreditGrant] = []
    for item in TableItem.query(customer_pk(customer_id), key_range(PROFILE_SK), filter_condition=condition):
        if isinstance(item, ProfileItem):
            profile = item
        elif isinstance(item, MonthItem):
            months[item.month] = MonthTotals(orders=int(item.orders), net_spend=int(item.net_spend),
                                             goodwill=int(item.goodwill or 0))
        elif isinstance(item, PromotionUseItem):
            uses[item.code] = int(item.uses)
        elif isinstance(item, AddressItem):
            addresses.append(AddressRecord(
                item.address_id, item.normalised, item.address, item.first_used_at, int(item.orders_shipped),
                int(item.deliveries_confirmed), item.last_delivery_at, item.confirmed_by))
        elif isinstance(item, CreditGrantItem):
            grants.append(_grant_from(item))
    if profile is None:
        return None
    customer = _customer_from(profile, months, base_currency)
    return Customer(customer.profile, customer.stats, customer.base_currency, uses, tuple(addresses),
                    profile.tier_override, int(profile.lifetime_goodwill or 0), tuple(grants))


def _grant_from(item: CreditGrantItem) -> CreditGrant:
    return CreditGrant(item.grant_id, int(item.amount), item.granted_at, item.expires_at, int(item.spent or 0),
                       int(item.returned or 0), item.source, item.granted_by, item.reason, item.order_id)


def credit_grants(customer_id: str) -> List[CreditGrant]:
    """The customer's credit grants, read consistently (an order's commit plans its spend on them)."""
    return [_grant_from(item) for item in CreditGrantItem.query(customer_pk(customer_id),
                                                                 key_range(CREDIT_GRANT_PREFIX),
                                                                 consistent_read=True)]


def credit_movements(customer_id: str, limit: int = 50) -> List[dict]:
    """The newest lines of the customer's credit journal (grants, spends, credit given back)."""
    query = CreditMovementItem.query(customer_pk(customer_id), key_range(CREDIT_MOVEMENT_PREFIX),
                                     scan_index_forward=False, limit=limit)
    return [{"movement_id": item.movement_id, "kind": item.kind, "at": iso_utc(item.at),
             "amount": {"amount": int(item.amount), "currency": item.currency},
             "grants": item.grants or {}, "order_id": item.order_id, "event_id": item.event_id,
             "by": item.by, "source": item.source, "reason": item.reason} for item in query]


def _customer_from(item: ProfileItem, months: Dict[str, MonthTotals], base_currency: str) -> Customer:
    profile = CustomerProfile(
        customer_id=item.customer_id,
        email=item.email,
        phone=item.phone,
        name=item.name,
        country=item.country,
        created_at=item.created_at,
        first_seen_at=item.first_seen_at,
        updated_at=item.updated_at,
        erased=item.erased_at is not None,
        identity_keys=tuple(sorted(item.identity_keys or ())),
    )
    stats = CustomerStats(
        lifetime_orders=int(item.lifetime_orders),
        lifetime_net_spend=int(item.lifetime_net_spend),
        lifetime_gross_spend=int(item.lifetime_gross_spend),
        delivered_orders=int(item.delivered_orders),
        returns_count=int(item.returns_count),
        refunds_count=int(item.refunds_count),
        chargebacks_count=int(item.chargebacks_count),
        cancellations_count=int(item.cancellations_count),
        first_order_at=item.first_order_at,
        last_order_at=item.last_order_at,
        months=months,
        version=int(item.version),
        first_seen_at=item.first_seen_at,
    )
    return Customer(profile=profile, stats=stats, base_currency=item.base_currency or base_currency)


def purchase_days(customer_id: str) -> List[Tuple[str, int, int]]:
    """The customer's purchase-day buckets ``(day, orders, net spend in base currency)``,
    oldest first, in one paginated Query of the ``DAY#`` range."""
    return [(item.day, int(item.orders), int(item.net_spend))
            for item in PurchaseDayItem.query(customer_pk(customer_id), key_range(DAY_PREFIX))]


def scan_purchase_days(segment: int, total_segments: int) -> Iterator[Tuple[List[Tuple[str, str, int, int]], int]]:
    """Page by page, ``(customer_id, day, orders, net_spend)`` of the purchase-day items in one
    segment of a parallel Scan, with the number of items the page read (the batch fit of the
    value model, through the batch client: long timeouts, page-level retry; never on a request path)."""
    from .batch_reads import scan_pages

    for page in scan_pages(PurchaseDayItem, ["customer_id", "day", "orders", "net_spend"], segment, total_segments):
        yield [(item.customer_id, item.day, int(item.orders), int(item.net_spend)) for item in page.items], page.scanned


def approximate_item_count() -> Optional[int]:
    """The table's item count as DynamoDB last reported it (a progress bar's length)."""
    from .batch_reads import approximate_item_count as count

    return count()


def load_profile_stats(customer_id: str) -> Optional[CustomerStats]:
    """The profile's aggregates without months (a consistent GetItem), or None for a new customer."""
    try:
        item = ProfileItem.get(customer_pk(customer_id), PROFILE_SK, consistent_read=True)
    except ProfileItem.DoesNotExist:
        return None
    return _customer_from(item, {}, item.base_currency or "").stats


def load_profile_stats_many(customer_ids: Sequence[str]) -> Dict[str, CustomerStats]:
    """Aggregates (without months) of the customers that exist, by BatchGetItem."""
    keys = [(customer_pk(customer_id), PROFILE_SK) for customer_id in dict.fromkeys(customer_ids)]
    return {item.customer_id: _customer_from(item, {}, item.base_currency or "").stats
            for item in ProfileItem.batch_get(keys, consistent_read=True)}


def get_order(order_id: str) -> Optional[StoredOrder]:
    try:
        item = OrderItem.get(order_pk(order_id), ORDER_SK, consistent_read=True)
    except OrderItem.DoesNotExist:
        return None
    return StoredOrder(state=_order_state(item), request_hash=item.request_hash, result=item.result,
                       source=item.source, decision=item.decision, discount_taken_back=item.discount_taken_back,
                       credit=item.credit)


def existing_order_hashes(order_ids: Sequence[str]) -> Dict[str, Tuple[str, str]]:
    """For the given ids already recorded: order_id -> (request hash, customer id). BatchGetItem."""
    keys = [(order_pk(order_id), ORDER_SK) for order_id in dict.fromkeys(order_ids)]
    found = {}
    for item in OrderItem.batch_get(keys, consistent_read=True,
                                    attributes_to_get=["order_id", "request_hash", "customer_id", "item_type"]):
        found[item.order_id] = (item.request_hash, item.customer_id)
    return found


def get_order_event(order_id: str, event_id: str) -> Optional[StoredEvent]:
    try:
        item = OrderEventItem.get(order_pk(order_id), f"EVENT#{event_id}", consistent_read=True)
    except OrderEventItem.DoesNotExist:
        return None
    return StoredEvent(customer_id=item.customer_id, request_hash=item.request_hash, result=item.result)


def ledger_page(customer_id: str, limit: int, after_sort_key: Optional[str]) -> Tuple[List[dict], Optional[str]]:
    """Newest-first ledger entries and the sort key to continue after, if more remain."""
    kwargs = {}
    if after_sort_key:
        kwargs["last_evaluated_key"] = {"pk": {"S": customer_pk(customer_id)}, "sk": {"S": after_sort_key}}
    query = LedgerItem.query(
        customer_pk(customer_id),
        key_range(LEDGER_PREFIX),
        scan_index_forward=False,
        limit=limit,
        page_size=limit,
        **kwargs,
    )
    entries = [_entry_json(item) for item in query]
    next_key = query.last_evaluated_key
    return entries, (next_key["sk"]["S"] if next_key and len(entries) == limit else None)


def remaining_order_span(customer_id: str, without_order_id: str) -> Tuple[Optional[datetime], Optional[datetime]]:
    """First and last placement time of the customer's orders that still count.

    Used only when a cancellation removes the customer's first or last order: it reads the
    ledger once (placements minus cancellations), which is the one place the times live.
    """
    placed: Dict[str, datetime] = {}
    cancelled = {without_order_id}
    query = LedgerItem.query(
        customer_pk(customer_id),
        key_range(LEDGER_PREFIX),
        attributes_to_get=["entry_type", "order_id", "at", "item_type"],
        consistent_read=True,
    )
    for item in query:
        if item.entry_type == LEDGER_ENTRY_TYPES_PLACED:
            placed[item.order_id] = item.at
        elif item.entry_type == "cancelled":
            cancelled.add(item.order_id)
    times = [at for order_id, at in placed.items() if order_id not in cancelled]
    return (min(times), max(times)) if times else (None, None)


def _entry_json(item: LedgerItem) -> dict:
    body = {
        "entry_id": item.sk,
        "type": item.entry_type,
        "at": iso_utc(item.at),
        "recorded_at": iso_utc(item.recorded_at),
        "order_id": item.order_id,
        "event_id": item.event_id,
        "description": item.description,
        "source": item.source,
    }
    if item.amount is not None:
        body["amount"] = {"amount": int(item.amount), "currency": item.currency}
    if item.base_amount is not None:
        body["base_amount"] = {"amount": int(item.base_amount), "currency": item.base_currency}
    if item.details:
        body["details"] = ledger_details_json(item.details, item.currency)
    return {key: value for key, value in body.items() if value is not None}


# ---------------------------------------------------------------- writes


def save_profile(customer_id: str, fields: Dict[str, object], now: datetime, base_currency: str,
                 identity: Optional[Dict[str, str]] = None) -> None:
    """Create or update a profile's contact fields; aggregates are left alone.

    A field given as ``None`` is removed from the profile. ``identity`` (keyed hash -> kind)
    lists the record on those identity items, in the same transaction; a changed email stays
    on its old item (it was the customer's: support can still find them by it).
    """
    actions = _profile_identity_actions(customer_id, now, base_currency) + _field_actions(fields)
    actions += [ProfileItem.updated_at.set(now), ProfileItem.version.add(1)]
    if identity:
        actions.append(ProfileItem.identity_keys.add(set(identity)))
    with _transaction() as tx:
        tx.update(ProfileItem(customer_pk(customer_id), PROFILE_SK), actions=actions)
        add_identity(tx, customer_id, identity or {})


def _field_actions(fields: Dict[str, object]) -> list:
    return [getattr(ProfileItem, name).remove() if value is None else getattr(ProfileItem, name).set(value)
            for name, value in fields.items()]


def _profile_identity_actions(customer_id: str, now: datetime, base_currency: str,
                              first_seen: bool = True) -> list:
    return [
        ProfileItem.item_type.set(ProfileItem),
        ProfileItem.customer_id.set(customer_id),
        *([ProfileItem.first_seen_at.set(ProfileItem.first_seen_at | now)] if first_seen else []),
        ProfileItem.base_currency.set(ProfileItem.base_currency | base_currency),
    ]


def _fill_actions(fields: Dict[str, object]) -> list:
    """Set each field only where the profile has none: an import never overwrites what is there."""
    return [getattr(ProfileItem, name).set(getattr(ProfileItem, name) | value)
            for name, value in fields.items() if value is not None]


def _first_seen_update(observed: Optional[CustomerStats], placed_times: List[datetime], now: datetime):
    """Keep ``first_seen_at`` no later than the earliest order ever recorded (cancelled ones
    included): actions and a condition, so it only ever moves earlier, without a race."""
    target = min([now, *placed_times])
    known = observed.first_seen_at if observed else None
    if known is None:
        return [ProfileItem.first_seen_at.set(ProfileItem.first_seen_at | target)], None
    if target < known:
        return [ProfileItem.first_seen_at.set(target)], ProfileItem.first_seen_at == known
    return [], None


def commit_orders(
    customer_id: str,
    orders: Sequence[NewOrder],
    observed: Optional[CustomerStats],
    now: datetime,
    base_currency: str,
    profile_fields: Optional[Dict[str, object]] = None,
    promotion_claims: Sequence[PromotionClaim] = (),
    credit_spend: Optional[CreditSpend] = None,
    identity: Optional[Dict[str, str]] = None,
) -> None:
    """Record orders of one customer in one transaction, with their ledger entries and aggregates.

    ``identity`` (keyed hash -> kind: the import file's email and phone) and the keys of
    addresses delivered to are listed on the identity index in the same transaction.

    ``credit_spend`` takes store credit from the grants it names in the same transaction, each
    update conditioned on the grant holding enough and not having expired:
    :class:`CreditChanged` when one no longer does (nothing is written then).

    ``profile_fields`` (contact details from an import file) fill, in the same update, the
    fields the profile does not have yet; ``first_seen_at`` moves back to the earliest order.
    ``promotion_claims`` count the promotions the order used against their per-customer
    limits and total budgets in the same transaction: :class:`PromotionUnavailable` when one
    is used up (nothing is written then).

    Raises :class:`OrdersAlreadyExist` naming the order ids already recorded (nothing is
    written then), or :class:`RetryableConflict` when the profile changed since
    ``observed`` was read in a way that matters (the first or last order time).
    """
    change = AggregateChange()
    entries: List[Tuple[LedgerEntry, str]] = []
    for new_order in orders:
        for delta in new_order.deltas:
            change.add(delta)
        entries.extend((entry, new_order.source) for entry in new_order.entries)
    placed_times = [o.state.order.placed_at for o in orders if o.state.status != "cancelled"]
    with_span = _span_update(observed, placed_times)
    seen_actions, seen_condition = _first_seen_update(observed, [o.state.order.placed_at for o in orders], now)
    addresses = merged_address_uses(o.address_use for o in orders)
    try:
        with _transaction() as tx:
            for new_order in orders:
                tx.save(_order_item(new_order, now), condition=OrderItem.pk.does_not_exist())
            for entry, source in entries:
                tx.save(_ledger_item(entry, now, source), condition=LedgerItem.pk.does_not_exist())
            profile_actions, profile_condition = with_span
            if seen_condition is not None:
                profile_condition = seen_condition if profile_condition is None else profile_condition & seen_condition
            tx.update(
                ProfileItem(customer_pk(customer_id), PROFILE_SK),
                actions=_profile_identity_actions(customer_id, now, base_currency, first_seen=False)
                + seen_actions
                + _fill_actions(profile_fields or {})
                + _counter_actions(change.counters)
                + profile_actions
                + ([ProfileItem.identity_keys.add(set(identity))] if identity else [])
                + [ProfileItem.version.add(1)],
                condition=profile_condition,
            )
            _month_updates(tx, customer_id, change)
            for use in addresses:
                _address_update(tx, customer_id, use)
            _promotion_claims(tx, customer_id, promotion_claims)
            if credit_spend is not None:
                _spend_credit(tx, credit_spend)
            # Last: unconditional, so the positions of the conditions read below do not move.
            add_identity(tx, customer_id, {**(identity or {}), **_address_keys(addresses)})
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        existing = [o.state.order.order_id for o, code in zip(orders, codes) if code == "ConditionalCheckFailed"]
        if existing:
            raise OrdersAlreadyExist(existing) from error
        # PynamoDB sends every Put before every Update: the credit journal line (a Put) comes
        # before the profile, whatever the order of the calls above.
        profile_index = len(orders) + len(entries) + (1 if credit_spend is not None else 0)
        if len(codes) > profile_index and codes[profile_index] == "ConditionalCheckFailed":
            raise RetryableConflict("profile changed since it was read") from error
        claims_start = profile_index + 1 + len(change.days) + len(change.months) + len(addresses)
        claim_reasons = _claim_reasons(promotion_claims)
        for (claim, reason), code in zip(claim_reasons, codes[claims_start:]):
            if code == "ConditionalCheckFailed":
                raise PromotionUnavailable(claim.code, reason) from error
        if "ConditionalCheckFailed" in codes[claims_start + len(claim_reasons):]:
            raise CreditChanged("a credit grant changed since it was read") from error
        raise


def _spend_credit(tx: TransactWrite, spend: CreditSpend) -> None:
    """Take credit from each grant only if it holds enough and has not expired at ``spend.now``."""
    for grant_id, amount in spend.plan.items():
        tx.update(CreditGrantItem(customer_pk(spend.customer_id), CREDIT_GRANT_PREFIX + grant_id),
                  actions=[CreditGrantItem.remaining.add(-amount), CreditGrantItem.spent.add(amount)],
                  condition=(CreditGrantItem.remaining >= amount)
                  & (CreditGrantItem.expires_at.does_not_exist() | (CreditGrantItem.expires_at > spend.now)))
    tx.save(_movement_item(spend.customer_id, spend.movement), condition=CreditMovementItem.pk.does_not_exist())


def _give_back_credit(tx: TransactWrite, back: CreditBack) -> None:
    """Credit back to the grants it was spent from (an expired grant stays expired), and a new
    grant for a refund made as store credit."""
    pk = customer_pk(back.customer_id)
    for grant_id, amount in back.parts.items():
        tx.update(CreditGrantItem(pk, CREDIT_GRANT_PREFIX + grant_id),
                  actions=[CreditGrantItem.remaining.add(amount), CreditGrantItem.returned.add(amount)],
                  condition=CreditGrantItem.pk.exists())
    for movement in back.movements:
        tx.save(_movement_item(back.customer_id, movement), condition=CreditMovementItem.pk.does_not_exist())
    if back.new_grant is not None and back.grant_customer_id is not None:
        _save_grant(tx, back.grant_customer_id, back.new_grant)
        if back.grant_movement is not None:
            tx.save(_movement_item(back.grant_customer_id, back.grant_movement),
                    condition=CreditMovementItem.pk.does_not_exist())


def _save_grant(tx: TransactWrite, customer_id: str, grant: CreditGrant) -> None:
    """A new grant and, when it expires, its expiry marker (see :class:`CreditExpiryItem`)."""
    tx.save(_grant_item(customer_id, grant), condition=CreditGrantItem.pk.does_not_exist())
    if grant.expires_at is not None:
        tx.save(CreditExpiryItem(customer_pk(customer_id), CREDIT_EXPIRY_PREFIX + grant.grant_id,
                                 customer_id=customer_id, grant_id=grant.grant_id, amount=grant.amount,
                                 currency=_base_currency(), grant_expires_at=grant.expires_at,
                                 expires_at=math.ceil(grant.expires_at.timestamp())))


def _has_expiry(grant: Optional[CreditGrant]) -> int:
    return int(grant is not None and grant.expires_at is not None)


def _grant_item(customer_id: str, grant: CreditGrant) -> CreditGrantItem:
    return CreditGrantItem(customer_pk(customer_id), CREDIT_GRANT_PREFIX + grant.grant_id, customer_id=customer_id,
                           grant_id=grant.grant_id, source=grant.source, amount=grant.amount, spent=grant.spent,
                           returned=grant.returned, remaining=grant.remaining, currency=_base_currency(),
                           granted_at=grant.granted_at, expires_at=grant.expires_at, granted_by=grant.granted_by,
                           reason=grant.reason, order_id=grant.order_id)


def _base_currency() -> str:
    from ..config import settings

    return settings().base_currency


def _movement_item(customer_id: str, movement: CreditMovement) -> CreditMovementItem:
    stamp = movement.at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return CreditMovementItem(customer_pk(customer_id), f"{CREDIT_MOVEMENT_PREFIX}{stamp}#{movement.movement_id}",
                              customer_id=customer_id, movement_id=movement.movement_id, kind=movement.kind,
                              at=movement.at, amount=movement.amount, currency=movement.currency,
                              grants=movement.grants, order_id=movement.order_id, event_id=movement.event_id,
                              by=movement.by, source=movement.source, reason=movement.reason)


def commit_event(
    stored: StoredOrder,
    new_state: OrderState,
    event_id: str,
    event_type: str,
    request_hash: str,
    result: dict,
    entry: LedgerEntry,
    delta: StatsDelta,
    now: datetime,
    span: Optional[Tuple[Optional[datetime], Optional[datetime], int]] = None,
    discount_taken_back: Optional[Dict[str, int]] = None,
    address_use: Optional[AddressUse] = None,
    released_claims: Sequence[dict] = (),
    credit: Optional[dict] = None,
    credit_back: Optional[CreditBack] = None,
) -> None:
    """Record one event: its idempotency item, the order's new state (only if the order is
    unchanged since read), the ledger entry and the aggregate change, atomically.

    ``span`` (first, last, profile version) is given when a cancellation moves the customer's
    first or last order time; the profile update is then conditioned on that version.
    """
    order = new_state.order
    change = AggregateChange()
    change.add(delta)
    try:
        with _transaction() as tx:
            tx.save(
                OrderEventItem(
                    order_pk(order.order_id),
                    f"EVENT#{event_id}",
                    order_id=order.order_id,
                    event_id=event_id,
                    customer_id=order.customer_id,
                    event_type=event_type,
                    request_hash=request_hash,
                    ledger_sk=ledger_sort_key(entry),
                    result=result,
                ),
                condition=OrderEventItem.pk.does_not_exist(),
            )
            tx.update(
                OrderItem(order_pk(order.order_id), ORDER_SK),
                actions=_order_state_actions(new_state)
                + ([OrderItem.discount_taken_back.set(discount_taken_back)] if discount_taken_back else [])
                + ([OrderItem.credit.set(credit)] if credit else []),
                condition=OrderItem.version == stored.state.version,
            )
            tx.save(_ledger_item(entry, now, "api"), condition=LedgerItem.pk.does_not_exist())
            profile_actions = _counter_actions(change.counters) + [ProfileItem.version.add(1)]
            profile_condition = ProfileItem.pk.exists()
            if span is not None:
                first, last, version = span
                profile_actions += [
                    ProfileItem.first_order_at.set(first) if first else ProfileItem.first_order_at.remove(),
                    ProfileItem.last_order_at.set(last) if last else ProfileItem.last_order_at.remove(),
                ]
                profile_condition = ProfileItem.version == version
            tx.update(ProfileItem(customer_pk(order.customer_id), PROFILE_SK), actions=profile_actions,
                      condition=profile_condition)
            _month_updates(tx, order.customer_id, change)
            if address_use is not None:
                _address_update(tx, order.customer_id, address_use)
            _release_claims(tx, order.customer_id, released_claims)
            if credit_back is not None:
                _give_back_credit(tx, credit_back)
            add_identity(tx, order.customer_id, _address_keys([address_use] if address_use else []))
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if codes and codes[0] == "ConditionalCheckFailed":
            raise EventAlreadyExists(event_id) from error
        # Past the event record, every condition is on state read before (the order's version,
        # the profile's) or holds by construction (credit items named after the event and order).
        if "ConditionalCheckFailed" in codes[1:]:
            raise RetryableConflict("order or profile changed since read") from error
        raise


def _span_update(observed: Optional[CustomerStats], placed_times: List[datetime]):
    """Actions and condition keeping first/last order time right without read-modify-write races."""
    if not placed_times:
        return [], None
    earliest, latest = min(placed_times), max(placed_times)
    first = observed.first_order_at if observed else None
    last = observed.last_order_at if observed else None
    if first is None or last is None:
        return (
            [ProfileItem.first_order_at.set(earliest), ProfileItem.last_order_at.set(latest)],
            ProfileItem.first_order_at.does_not_exist(),
        )
    actions = []
    if earliest < first:
        actions.append(ProfileItem.first_order_at.set(earliest))
        condition = ProfileItem.first_order_at > earliest
    else:
        condition = ProfileItem.first_order_at <= earliest
    if latest > last:
        actions.append(ProfileItem.last_order_at.set(latest))
        condition &= ProfileItem.last_order_at < latest
    else:
        condition &= ProfileItem.last_order_at >= latest
    return actions, condition


def _counter_actions(counters: Dict[str, int]) -> list:
    return [getattr(ProfileItem, name).add(value) for name, value in counters.items() if value]


def _address_keys(uses: Sequence[AddressUse]) -> Dict[str, str]:
    return {use.identity_key: "address" for use in uses if use.identity_key and use.deliveries}


def merged_address_uses(uses) -> List[AddressUse]:
    """One update per address touched, however many orders of the batch went there."""
    merged: Dict[str, AddressUse] = {}
    for use in uses:
        if use is not None:
            merged[use.address_id] = merged[use.address_id].merged(use) if use.address_id in merged else use
    return list(merged.values())


def _address_update(tx: TransactWrite, customer_id: str, use: AddressUse) -> None:
    actions = [
        AddressItem.item_type.set(AddressItem),
        AddressItem.customer_id.set(customer_id),
        AddressItem.address_id.set(use.address_id),
        AddressItem.normalised.set(AddressItem.normalised | use.normalised),
        AddressItem.address.set(AddressItem.address | use.address),
        AddressItem.first_used_at.set(AddressItem.first_used_at | use.first_used_at),
    ]
    if use.orders:
        actions.append(AddressItem.orders_shipped.add(use.orders))
    if use.deliveries:
        actions.append(AddressItem.deliveries_confirmed.add(use.deliveries))
    if use.last_delivery_at:
        actions.append(AddressItem.last_delivery_at.set(use.last_delivery_at))
    if use.payment_confirmed:  # an operator's confirmation is the stronger one and is kept
        actions.append(AddressItem.confirmed_by.set(AddressItem.confirmed_by | "payment_provider"))
    tx.update(AddressItem(customer_pk(customer_id), address_sk(use.address_id)), actions=actions)


def confirm_address(customer_id: str, address_id: str, confirmed_by: str, now: datetime, operator: str) -> bool:
    """Mark an address book entry confirmed; False when the customer has no such address."""
    from pynamodb.exceptions import UpdateError

    try:
        AddressItem(customer_pk(customer_id), address_sk(address_id)).update(
            actions=[AddressItem.confirmed_by.set(confirmed_by), AddressItem.confirmed_at.set(now),
                     AddressItem.confirmed_by_operator.set(operator)],
            condition=AddressItem.pk.exists(),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def save_decision(customer_id: Optional[str], quote_id: str, decided_at: datetime, decision: str, score: int,
                  details: dict, keep_days: int = 400) -> None:
    """Record a quote's verify/review decision (the only write a quote makes)."""
    stamp = decided_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    pk, sk = ((customer_pk(customer_id), f"DECISION#{stamp}#{quote_id}") if customer_id
              else (f"QUOTE#{quote_id}", "DECISION"))
    DecisionItem(pk, sk, customer_id=customer_id, quote_id=quote_id, decided_at=decided_at, decision=decision,
                 score=score, details=details,
                 expires_at=int(decided_at.timestamp()) + keep_days * 86400).save()


def _claim_reasons(claims: Sequence[PromotionClaim]) -> List[Tuple[PromotionClaim, str]]:
    """The claims' transaction items in order, each with what its failure means."""
    reasons = []
    for claim in claims:
        if claim.per_customer_limit is not None:
            reasons.append((claim, "this customer has already used it the most times allowed"))
        if claim.budget is not None:
            reasons.append((claim, "its total budget is used up"))
    return reasons


def _promotion_claims(tx: TransactWrite, customer_id: str, claims: Sequence[PromotionClaim]) -> None:
    for claim in claims:
        code = claim.code.upper()
        if claim.per_customer_limit is not None:
            tx.update(
                PromotionUseItem(customer_pk(customer_id), PROMO_USE_PREFIX + code),
                actions=[PromotionUseItem.item_type.set(PromotionUseItem),
                         PromotionUseItem.customer_id.set(customer_id),
                         PromotionUseItem.code.set(code), PromotionUseItem.uses.add(1)],
                condition=PromotionUseItem.uses.does_not_exist() | (PromotionUseItem.uses < claim.per_customer_limit),
            )
        if claim.budget is not None:
            tx.update(
                PromotionBudgetItem(promotion_pk(code), "BUDGET"),
                actions=[PromotionBudgetItem.item_type.set(PromotionBudgetItem),
                         PromotionBudgetItem.code.set(code), PromotionBudgetItem.used.add(1)],
                condition=PromotionBudgetItem.used.does_not_exist() | (PromotionBudgetItem.used < claim.budget),
            )


def _release_claims(tx: TransactWrite, customer_id: str, claims: Sequence[dict]) -> None:
    """A cancelled order gives back the promotion uses it counted (its claim items exist)."""
    for claim in claims:
        code = claim["code"].upper()
        if claim.get("per_customer_limit") is not None:
            tx.update(PromotionUseItem(customer_pk(customer_id), PROMO_USE_PREFIX + code),
                      actions=[PromotionUseItem.uses.add(-1)])
        if claim.get("budget") is not None:
            tx.update(PromotionBudgetItem(promotion_pk(code), "BUDGET"), actions=[PromotionBudgetItem.used.add(-1)])


def _month_updates(tx: TransactWrite, customer_id: str, change: AggregateChange) -> None:
    """One ADD per purchase day and one per month touched. Every day in ``change.days`` and
    month in ``change.months`` gets an item (the caller counts them to locate later items of
    the transaction)."""
    buckets = [(PurchaseDayItem, DAY_PREFIX, PurchaseDayItem.day, change.days),
               (MonthItem, MONTH_PREFIX, MonthItem.month, change.months)]
    for model, prefix, key_attribute, values_by_key in buckets:
        for key, values in sorted(values_by_key.items()):
            tx.update(
                model(customer_pk(customer_id), prefix + key),
                actions=[model.item_type.set(model), model.customer_id.set(customer_id), key_attribute.set(key)]
                + [getattr(model, name).add(value) for name, value in values.items() if value],
            )


def _order_item(new_order: NewOrder, now: datetime) -> OrderItem:
    state = new_order.state
    order = state.order
    placed_entry = next(e for e in new_order.entries if e.entry_type == LEDGER_ENTRY_TYPES_PLACED)
    item = OrderItem(
        order_pk(order.order_id),
        ORDER_SK,
        order_id=order.order_id,
        customer_id=order.customer_id,
        placed_at=order.placed_at,
        currency=order.currency,
        total_amount=order.total_amount,
        base_currency=order.base_currency,
        base_total=order.base_total,
        lines=[line.__dict__ for line in order.lines],
        shipping_address=order.shipping_address,
        request_hash=new_order.request_hash,
        ledger_sk=ledger_sort_key(placed_entry),
        recorded_at=now,
        source=new_order.source,
        result={key: value for key, value in new_order.result.items() if key != "lines"},
        decision=new_order.decision,
        shipping_address_id=new_order.address_use.address_id if new_order.address_use else None,
        credit=new_order.credit,
    )
    _copy_state(item, state)
    return item


def _copy_state(item: OrderItem, state: OrderState) -> None:
    item.status = state.status
    item.refunded = state.refunded
    item.returned = state.returned
    item.charged_back = state.charged_back
    item.base_reversed = state.base_reversed
    item.returned_units = dict(state.returned_units) or None
    item.delivered_at = state.delivered_at
    item.version = state.version


def _order_state_actions(state: OrderState) -> list:
    actions = [
        OrderItem.status.set(state.status),
        OrderItem.refunded.set(state.refunded),
        OrderItem.returned.set(state.returned),
        OrderItem.charged_back.set(state.charged_back),
        OrderItem.base_reversed.set(state.base_reversed),
        OrderItem.version.set(state.version),
    ]
    if state.returned_units:
        actions.append(OrderItem.returned_units.set(dict(state.returned_units)))
    if state.delivered_at:
        actions.append(OrderItem.delivered_at.set(state.delivered_at))
    return actions


def _order_state(item: OrderItem) -> OrderState:
    order = Order(
        order_id=item.order_id,
        customer_id=item.customer_id,
        placed_at=item.placed_at,
        currency=item.currency,
        lines=tuple(OrderLine(**line) for line in item.lines),
        total_amount=int(item.total_amount),
        base_currency=item.base_currency,
        base_total=int(item.base_total),
        shipping_address=item.shipping_address,
    )
    return OrderState(
        order=order,
        status=item.status,
        refunded=int(item.refunded),
        returned=int(item.returned),
        charged_back=int(item.charged_back),
        base_reversed=int(item.base_reversed),
        returned_units={sku: int(units) for sku, units in (item.returned_units or {}).items()},
        delivered_at=item.delivered_at,
        version=int(item.version),
    )


def _ledger_item(entry: LedgerEntry, now: datetime, source: str) -> LedgerItem:
    return LedgerItem(
        customer_pk(entry.customer_id),
        ledger_sort_key(entry),
        customer_id=entry.customer_id,
        entry_type=entry.entry_type,
        at=entry.at,
        recorded_at=now,
        order_id=entry.order_id,
        event_id=entry.event_id,
        currency=entry.currency,
        amount=entry.amount,
        base_currency=entry.base_currency,
        base_amount=entry.base_amount,
        description=entry.description,
        source=source,
        details=entry.details,
    )


# ---------------------------------------------------------------- support


def recent_decisions(customer_id: str, limit: int = 20) -> List[dict]:
    """The customer's recorded address-trust decisions, newest first."""
    query = DecisionItem.query(customer_pk(customer_id), key_range("DECISION#"), scan_index_forward=False,
                               limit=limit)
    return [{"quote_id": item.quote_id, "decided_at": iso_utc(item.decided_at), "decision": item.decision,
             "score": int(item.score), **item.details} for item in query]


def adjustments(customer_id: str, limit: int = 100) -> List[dict]:
    """The customer's adjustments and the system's audit records (erasure, merge), newest first.

    Audit records written before ``AUDIT#`` existed are under ``ADJUSTMENT#`` and read the same."""
    items = [item for prefix in (ADJUSTMENT_PREFIX, AUDIT_PREFIX)
             for item in AdjustmentItem.query(customer_pk(customer_id), key_range(prefix), limit=limit)]
    items.sort(key=lambda item: item.at, reverse=True)
    return [{"adjustment_id": item.adjustment_id, "kind": item.kind, "at": iso_utc(item.at),
             "operator": item.operator, **amount_and_currency_json(item.details)} for item in items]


def customer_ids_by(index: str, value_hash: str) -> List[str]:
    """Customers whose normalised email or phone hashes to ``value_hash`` (a Query on the
    keys-only GSI; through the table connection, since a model query would filter on
    ``item_type``, which a keys-only index does not carry)."""
    index_name = (ProfileItem.by_email if index == "email" else ProfileItem.by_phone).Meta.index_name
    answer = TableItem._get_connection().query(value_hash, index_name=index_name)
    return sorted({item["pk"]["S"].split("#", 1)[1] for item in answer.get("Items", [])})


@dataclass(frozen=True)
class ProfileContact:
    """A profile's contact fields and lookup hashes, as read by :func:`profile_contacts`."""

    customer_id: str
    email: Optional[str]
    phone: Optional[str]
    email_hash: Optional[str]
    phone_hash: Optional[str]
    erased: bool
    country: Optional[str] = None  # how a phone without +country code is read


def profile_contacts() -> Iterator[ProfileContact]:
    """Every profile's contact fields and lookup hashes, by a paginated Scan (operator batch
    work, never on a request path)."""
    attributes = ["pk", "sk", "item_type", "customer_id", "email", "phone", "email_hash", "phone_hash", "erased_at",
                  "country"]
    for item in ProfileItem.scan(attributes_to_get=attributes):
        yield ProfileContact(item.customer_id, item.email, item.phone, item.email_hash, item.phone_hash,
                             item.erased_at is not None, item.country)


def set_lookup_hashes(contact: ProfileContact, email_hash: Optional[str], phone_hash: Optional[str]) -> bool:
    """Replace a profile's lookup hashes (None removes one), only if its email and phone are
    still what was read; False when they changed meanwhile (that change hashed them anew)."""
    from pynamodb.exceptions import UpdateError

    actions = [ProfileItem.email_hash.set(email_hash) if email_hash else ProfileItem.email_hash.remove(),
               ProfileItem.phone_hash.set(phone_hash) if phone_hash else ProfileItem.phone_hash.remove()]
    condition = ProfileItem.pk.exists()
    for attribute, value in ((ProfileItem.email, contact.email), (ProfileItem.phone, contact.phone)):
        condition &= (attribute == value) if value is not None else attribute.does_not_exist()
    try:
        ProfileItem(customer_pk(contact.customer_id), PROFILE_SK).update(actions=actions, condition=condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get_adjustment(customer_id: str, adjustment_id: str) -> Optional[AdjustmentItem]:
    try:
        return AdjustmentItem.get(customer_pk(customer_id), adjustment_sk(adjustment_id), consistent_read=True)
    except AdjustmentItem.DoesNotExist:
        return None


def commit_adjustment(customer_id: str, adjustment_id: str, kind: str, at: datetime, operator: str,
                      request_hash: str, details: dict, entry: LedgerEntry, profile_actions: list,
                      goodwill_base: int = 0, credit_grant: Optional[CreditGrant] = None,
                      credit_movement: Optional[CreditMovement] = None) -> None:
    """One transaction: the adjustment record (if absent), its ledger entry, the profile change.

    Raises :class:`EventAlreadyExists` when the adjustment id was used before, and
    ``NotFound``-worthy :class:`LookupError` when the customer does not exist.
    """
    try:
        with _transaction() as tx:
            tx.save(AdjustmentItem(customer_pk(customer_id), adjustment_sk(adjustment_id), customer_id=customer_id,
                                   adjustment_id=adjustment_id, kind=kind, at=at, operator=operator,
                                   request_hash=request_hash, details=details),
                    condition=AdjustmentItem.pk.does_not_exist())
            tx.save(_ledger_item(entry, at, "admin"), condition=LedgerItem.pk.does_not_exist())
            actions = profile_actions + [ProfileItem.version.add(1)]
            if goodwill_base:
                actions.append(ProfileItem.lifetime_goodwill.add(goodwill_base))
            tx.update(ProfileItem(customer_pk(customer_id), PROFILE_SK), actions=actions,
                      condition=ProfileItem.pk.exists())
            if goodwill_base:
                month = entry.at.astimezone(timezone.utc).strftime("%Y-%m")
                tx.update(MonthItem(customer_pk(customer_id), MONTH_PREFIX + month),
                          actions=[MonthItem.item_type.set(MonthItem), MonthItem.customer_id.set(customer_id),
                                   MonthItem.month.set(month), MonthItem.goodwill.add(goodwill_base)])
            if credit_grant is not None:
                _save_grant(tx, customer_id, credit_grant)
            if credit_movement is not None:
                tx.save(_movement_item(customer_id, credit_movement), condition=CreditMovementItem.pk.does_not_exist())
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if codes and codes[0] == "ConditionalCheckFailed":
            raise EventAlreadyExists(adjustment_id) from error
        # Puts come first: the adjustment, the ledger entry, the grant, its expiry marker, the journal line.
        profile_index = 2 + (credit_grant is not None) + _has_expiry(credit_grant) + (credit_movement is not None)
        if len(codes) > profile_index and codes[profile_index] == "ConditionalCheckFailed":
            raise LookupError(customer_id) from error
        raise


# ---------------------------------------------------------------- erasure


def customer_order_ids(customer_id: str) -> List[str]:
    """Every order id in the customer's ledger (placements), read page by page."""
    query = LedgerItem.query(customer_pk(customer_id), key_range(LEDGER_PREFIX),
                             attributes_to_get=["entry_type", "order_id", "item_type"])
    return sorted({item.order_id for item in query if item.entry_type == LEDGER_ENTRY_TYPES_PLACED})


def erase_order_address(order_id: str, customer_id: str, token: str) -> bool:
    """Replace an order's shipping address by a token; False when the order is not this customer's."""
    from pynamodb.exceptions import UpdateError

    try:
        OrderItem(order_pk(order_id), ORDER_SK).update(
            actions=[OrderItem.shipping_address.set({"erased": token})],
            condition=(OrderItem.customer_id == customer_id) & OrderItem.shipping_address.exists())
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def erase_addresses(customer_id: str, token_for) -> int:
    count = 0
    for item in AddressItem.query(customer_pk(customer_id), key_range("PROFILE#ADDR#")):
        if "erased" in (item.address or {}):
            continue
        item.update(actions=[AddressItem.address.set({"erased": token_for("address")}),
                             AddressItem.normalised.set({"erased": True})])
        count += 1
    return count


ORDER_EVENT_ENTRY_TYPES = ("delivered", "returned", "refunded", "cancelled", "chargeback")


def erase_event_reasons(customer_id: str, redact) -> int:
    """Rewrite the description of each of the customer's order-event ledger entries by
    ``redact(description)`` (its free-text ``reason`` removed), where that changes it."""
    count = 0
    query = LedgerItem.query(customer_pk(customer_id), key_range(LEDGER_PREFIX),
                             attributes_to_get=["pk", "sk", "entry_type", "description", "item_type"])
    for item in query:
        if item.entry_type not in ORDER_EVENT_ENTRY_TYPES or not item.description:
            continue
        redacted = redact(item.description)
        if redacted != item.description:
            LedgerItem(item.pk, item.sk).update(actions=[LedgerItem.description.set(redacted)],
                                                condition=LedgerItem.pk.exists())
            count += 1
    return count


CREDIT_REASON_ERASED = "(reason erased)"


def erase_credit_reasons(customer_id: str) -> int:
    """Replace the free-text reason of every credit grant and credit journal line of the
    customer; amounts, dates and who granted stay (money is not personal data)."""
    count = 0
    pk = customer_pk(customer_id)
    for model, prefix in ((CreditGrantItem, CREDIT_GRANT_PREFIX), (CreditMovementItem, CREDIT_MOVEMENT_PREFIX)):
        for item in model.query(pk, key_range(prefix), attributes_to_get=["pk", "sk", "reason", "item_type"]):
            if item.reason and item.reason != CREDIT_REASON_ERASED:
                model(item.pk, item.sk).update(actions=[model.reason.set(CREDIT_REASON_ERASED)],
                                               condition=model.pk.exists())
                count += 1
    return count


def erase_decisions(customer_id: str) -> int:
    count = 0
    for item in DecisionItem.query(customer_pk(customer_id), key_range("DECISION#")):
        if not item.details.get("erased"):
            item.update(actions=[DecisionItem.details.set({"erased": True})])
            count += 1
    return count


def finish_erasure(customer_id: str, tokens: Dict[str, str], now: datetime, operator: str, summary: dict,
                   entry: LedgerEntry, audit: bool = True) -> None:
    """The last step, in one transaction: profile fields replaced by tokens, lookup hashes
    removed, the erasure recorded on the ledger and as an adjustment naming the operator."""
    profile_actions = [
        ProfileItem.name.set(tokens["name"]), ProfileItem.email.set(tokens["email"]),
        ProfileItem.phone.set(tokens["phone"]), ProfileItem.email_hash.remove(), ProfileItem.phone_hash.remove(),
        ProfileItem.identity_keys.remove(),
        ProfileItem.erased_at.set(ProfileItem.erased_at | now), ProfileItem.version.add(1)]
    with _transaction() as tx:
        if audit:
            tx.save(AdjustmentItem(customer_pk(customer_id), audit_sk("erasure"), customer_id=customer_id,
                                   adjustment_id=entry.event_id, kind="erasure", at=now, operator=operator,
                                   request_hash="erasure", details=summary),
                    condition=AdjustmentItem.pk.does_not_exist())
            tx.save(_ledger_item(entry, now, "admin"), condition=LedgerItem.pk.does_not_exist())
        tx.update(ProfileItem(customer_pk(customer_id), PROFILE_SK), actions=profile_actions,
                  condition=ProfileItem.pk.exists())


def erased_at(customer_id: str) -> Optional[datetime]:
    try:
        return ProfileItem.get(customer_pk(customer_id), PROFILE_SK, consistent_read=True,
                               attributes_to_get=["erased_at", "item_type"]).erased_at
    except ProfileItem.DoesNotExist:
        raise LookupError(customer_id) from None


# ---------------------------------------------------------------- merge


def ledger_by_order(customer_id: str) -> Dict[str, List[LedgerItem]]:
    """The customer's order ledger entries grouped by order id (oldest first), page by page."""
    grouped: Dict[str, List[LedgerItem]] = {}
    for item in LedgerItem.query(customer_pk(customer_id), key_range(LEDGER_PREFIX), consistent_read=True):
        if item.order_id:
            grouped.setdefault(item.order_id, []).append(item)
    return grouped


def get_order_item(order_id: str) -> Optional[OrderItem]:
    try:
        return OrderItem.get(order_pk(order_id), ORDER_SK, consistent_read=True)
    except OrderItem.DoesNotExist:
        return None


def get_order_items(order_ids: Sequence[str]) -> Dict[str, OrderItem]:
    """The orders of these ids that exist, by BatchGetItem (consistent)."""
    keys = [(order_pk(order_id), ORDER_SK) for order_id in dict.fromkeys(order_ids)]
    return {item.order_id: item for item in OrderItem.batch_get(keys, consistent_read=True)}


def move_order(order: OrderItem, entries: Sequence[LedgerItem], source: str, target: str,
               change: AggregateChange, observed_target: Optional[CustomerStats], now: datetime,
               address_use: Optional[AddressUse]) -> None:
    """Move one order and its ledger entries from ``source`` to ``target`` in one transaction:
    the order is re-pointed only if it still belongs to ``source`` (so a rerun skips it), the
    entries are copied to the target and deleted from the source, and both customers'
    aggregates change by exactly what the order contributed."""
    plan_order_move(order, entries, source, target, change, observed_target, address_use).commit()


def plan_order_move(order: OrderItem, entries: Sequence[LedgerItem], source: str, target: str,
                    change: AggregateChange, observed_target: Optional[CustomerStats],
                    address_use: Optional[AddressUse]) -> PlannedTransaction:
    """The transaction :func:`move_order` sends; its length is the number of items it holds
    (two per ledger entry, the order, two profiles, their days and months, the address, and
    two per promotion use still counted)."""
    negative = change.negated()
    placed = [order.placed_at] if order.status != "cancelled" else []
    span_actions, span_condition = _span_update(observed_target, placed)
    tx = PlannedTransaction()
    for entry in entries:
        attributes = {name: value for name, value in entry.attribute_values.items()
                      if name not in ("pk", "sk", "item_type")}
        copy = LedgerItem(customer_pk(target), entry.sk, **{**attributes, "customer_id": target,
                                                             "merged_from": source})
        tx.save(copy, condition=LedgerItem.pk.does_not_exist())
    tx.update(order, actions=[OrderItem.customer_id.set(target), OrderItem.merged_from.set(source),
                              OrderItem.version.add(1)],
              condition=(OrderItem.customer_id == source) & (OrderItem.version == order.version))
    for entry in entries:
        tx.delete(entry, condition=LedgerItem.pk.exists())
    tx.update(ProfileItem(customer_pk(target), PROFILE_SK),
              actions=_counter_actions(change.counters) + span_actions + [ProfileItem.version.add(1)],
              condition=ProfileItem.pk.exists() & span_condition if span_condition is not None
              else ProfileItem.pk.exists())
    tx.update(ProfileItem(customer_pk(source), PROFILE_SK),
              actions=_counter_actions(negative.counters) + [ProfileItem.version.add(1)])
    _month_updates(tx, target, change)
    _month_updates(tx, source, negative)
    if address_use is not None:
        _address_update(tx, target, address_use)
    # A cancelled order's uses were given back by its cancellation: nothing left to move.
    claims = [] if order.status == "cancelled" else (order.decision or {}).get("claimed", [])
    for claim in claims:
        if claim.get("per_customer_limit") is not None:
            code = claim["code"].upper()
            tx.update(PromotionUseItem(customer_pk(target), PROMO_USE_PREFIX + code),
                      actions=[PromotionUseItem.item_type.set(PromotionUseItem),
                               PromotionUseItem.customer_id.set(target), PromotionUseItem.code.set(code),
                               PromotionUseItem.uses.add(1)])
            tx.update(PromotionUseItem(customer_pk(source), PROMO_USE_PREFIX + code),
                      actions=[PromotionUseItem.uses.add(-1)])
    return tx


def finish_merge(source: str, target: str, first: Optional[datetime], last: Optional[datetime],
                 source_version: int, now: datetime, operator: str, merge_id: str, summary: dict,
                 entries: Sequence[LedgerEntry]) -> None:
    """Mark the source merged, reset its first/last order to what remains, and audit (once).

    Returns False when the audit already existed (an earlier run finished the merge); the
    source's first/last order are brought up to date either way. A profile changed since it
    was read is a :class:`RetryableConflict`.
    """
    span = [ProfileItem.merged_into.set(target),
            ProfileItem.first_order_at.set(first) if first else ProfileItem.first_order_at.remove(),
            ProfileItem.last_order_at.set(last) if last else ProfileItem.last_order_at.remove(),
            ProfileItem.version.add(1)]
    try:
        with _transaction() as tx:
            tx.save(AdjustmentItem(customer_pk(target), audit_sk("merge", source), customer_id=target,
                                   adjustment_id=merge_id, kind="merge", at=now, operator=operator,
                                   request_hash=f"merge:{source}", details=summary),
                    condition=AdjustmentItem.pk.does_not_exist())
            # A merge audited before AUDIT# existed has its record under ADJUSTMENT#<merge_id>.
            tx.condition_check(AdjustmentItem, customer_pk(target), adjustment_sk(merge_id),
                               condition=AdjustmentItem.pk.does_not_exist() | (AdjustmentItem.kind != "merge"))
            for entry in entries:
                tx.save(_ledger_item(entry, now, "admin"), condition=LedgerItem.pk.does_not_exist())
            tx.update(ProfileItem(customer_pk(source), PROFILE_SK), actions=span,
                      condition=ProfileItem.version == source_version)
        return True
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if "ConditionalCheckFailed" in codes[:2]:  # audited already (now, or under the old key)
            from pynamodb.exceptions import UpdateError

            try:
                ProfileItem(customer_pk(source), PROFILE_SK).update(
                    actions=span, condition=ProfileItem.version == source_version)
            except UpdateError as update_error:
                if update_error.cause_response_code == "ConditionalCheckFailedException":
                    raise RetryableConflict("the source changed while finishing the merge") from update_error
                raise
            return False
        if "ConditionalCheckFailed" in codes:
            raise RetryableConflict("the source changed while finishing the merge") from error
        raise
