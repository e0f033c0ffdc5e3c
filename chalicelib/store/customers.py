"""Customer profiles: the one-Query read of a customer (profile, months, promotion uses, address
book, credit grants), profile writes, lookups by contact hash, and purchase-day reads.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from ..domain.customer import AddressRecord, Customer, CustomerProfile, CustomerStats, MonthTotals
from ..domain.store_credit import CreditGrant
from .models import (
    AddressItem, CreditGrantItem, DAY_PREFIX, MonthItem, PROFILE_SK, ProfileItem, PromotionUseItem,
    PurchaseDayItem, TableItem, customer_pk, key_range,
)
from .addresses import AddressTimes, address_keys_of, address_times
from .credit import grant_from
from .identity import add_identity
from .transactions import transact


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
            grants.append(grant_from(item))
    if profile is None:
        return None
    customer = customer_from(profile, months, base_currency)
    return Customer(customer.profile, customer.stats, customer.base_currency, uses, tuple(addresses),
                    profile.tier_override, int(profile.lifetime_goodwill or 0), tuple(grants))


def customer_from(item: ProfileItem, months: Dict[str, MonthTotals], base_currency: str) -> Customer:
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
    return customer_from(item, {}, item.base_currency or "").stats


def load_profile_stats_many(customer_ids: Sequence[str]) -> Dict[str, CustomerStats]:
    """Aggregates (without months) of the customers that exist, by BatchGetItem."""
    return load_write_state_many(customer_ids, ())[0]


def load_write_state_many(customer_ids: Sequence[str], addresses: Sequence[Tuple[str, str]]
                          ) -> Tuple[Dict[str, CustomerStats], Dict[Tuple[str, str], AddressTimes]]:
    """What an order writer conditions on, in one consistent BatchGetItem (per 100 keys): the
    aggregates (without months) of the customers that exist, and the times of the address book
    entries ``(customer_id, address_id)`` that exist."""
    keys = [(customer_pk(customer_id), PROFILE_SK) for customer_id in dict.fromkeys(customer_ids)]
    keys += [key for customer_id, address_id in dict.fromkeys(addresses)
             for key in address_keys_of(customer_id, [address_id])]
    stats: Dict[str, CustomerStats] = {}
    times: Dict[Tuple[str, str], AddressTimes] = {}
    for item in TableItem.batch_get(keys, consistent_read=True):
        if isinstance(item, ProfileItem):
            stats[item.customer_id] = customer_from(item, {}, item.base_currency or "").stats
        elif isinstance(item, AddressItem):
            times[(item.customer_id, item.address_id)] = address_times(item)
    return stats, times


def load_write_state(customer_id: str, address_ids: Sequence[str]
                     ) -> Tuple[Optional[CustomerStats], Dict[str, AddressTimes]]:
    """:func:`load_write_state_many` for one customer: its aggregates (None for a new customer)
    and the times of its address book entries named, by address id. A GetItem when no address
    is named, one BatchGetItem otherwise."""
    if not address_ids:
        return load_profile_stats(customer_id), {}
    stats, times = load_write_state_many([customer_id], [(customer_id, a) for a in address_ids])
    return stats.get(customer_id), {address_id: value for (_, address_id), value in times.items()}


def save_profile(customer_id: str, fields: Dict[str, object], now: datetime, base_currency: str,
                 identity: Optional[Dict[str, str]] = None) -> None:
    """Create or update a profile's contact fields; aggregates are left alone.

    A field given as ``None`` is removed from the profile. ``identity`` (keyed hash -> kind)
    lists the record on those identity items, in the same transaction; a changed email stays
    on its old item (it was the customer's: support can still find them by it).
    """
    actions = profile_identity_actions(customer_id, now, base_currency) + _field_actions(fields)
    actions += [ProfileItem.updated_at.set(now), ProfileItem.version.add(1)]
    if identity:
        actions.append(ProfileItem.identity_keys.add(set(identity)))
    with transact() as tx:
        tx.update(ProfileItem(customer_pk(customer_id), PROFILE_SK), actions=actions)
        add_identity(tx, customer_id, identity or {})


def _field_actions(fields: Dict[str, object]) -> list:
    return [getattr(ProfileItem, name).remove() if value is None else getattr(ProfileItem, name).set(value)
            for name, value in fields.items()]


def profile_identity_actions(customer_id: str, now: datetime, base_currency: str,
                              first_seen: bool = True) -> list:
    return [
        ProfileItem.item_type.set(ProfileItem),
        ProfileItem.customer_id.set(customer_id),
        *([ProfileItem.first_seen_at.set(ProfileItem.first_seen_at | now)] if first_seen else []),
        ProfileItem.base_currency.set(ProfileItem.base_currency | base_currency),
    ]


def fill_actions(fields: Dict[str, object]) -> list:
    """Set each field only where the profile has none: an import never overwrites what is there."""
    return [getattr(ProfileItem, name).set(getattr(ProfileItem, name) | value)
            for name, value in fields.items() if value is not None]


def first_seen_update(observed: Optional[CustomerStats], placed_times: List[datetime], now: datetime):
    """Keep ``first_seen_at`` no later than the earliest order ever recorded (cancelled ones
    included): actions and a condition, so it only ever moves earlier, without a race."""
    target = min([now, *placed_times])
    known = observed.first_seen_at if observed else None
    if known is None:  # conditioned: a writer that read no profile must not lose to one that did
        return [ProfileItem.first_seen_at.set(target)], ProfileItem.first_seen_at.does_not_exist()
    if target < known:
        return [ProfileItem.first_seen_at.set(target)], ProfileItem.first_seen_at == known
    return [], None


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
