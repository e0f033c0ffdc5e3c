"""The identity index: which records hold an identity key (a keyed hash of a normalised email,
phone or delivered address), read by checkout recognition and support.

Keys are written in the transaction of the change that makes them true (a profile saved with
an email or phone, an import, a first delivery), so the index never says more than the ledger.
One item per key (``IDENTITY#<hash>`` / ``IDENTITY``), so any set of keys is one BatchGetItem.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from pynamodb.transactions import TransactWrite

from .models import (
    IDENTITY_SK,
    MATCH_PREFIX,
    PROFILE_SK,
    AddressItem,
    IdentityItem,
    IdentityMatchItem,
    ProfileItem,
    TableItem,
    customer_pk,
    identity_pk,
    key_range,
)


def add_identity(tx: TransactWrite, customer_id: str, keys: Mapping[str, str]) -> None:
    """In ``tx``: list ``customer_id`` on each identity item of ``keys`` (hash -> kind). ADD
    on a set is idempotent, so a replay or a concurrent writer cannot double it."""
    for key_hash, kind in sorted(keys.items()):
        tx.update(IdentityItem(identity_pk(key_hash), IDENTITY_SK),
                  actions=[IdentityItem.item_type.set(IdentityItem), IdentityItem.kind.set(kind),
                           IdentityItem.customer_ids.add({customer_id})])


def remove_identity(tx: TransactWrite, customer_id: str, keys: Iterable[str]) -> None:
    """In ``tx``: take ``customer_id`` off each identity item of ``keys`` (an erasure, a merge)."""
    for key_hash in sorted(set(keys)):
        tx.update(IdentityItem(identity_pk(key_hash), IDENTITY_SK),
                  actions=[IdentityItem.customer_ids.delete({customer_id})])


@dataclass(frozen=True)
class Holders:
    kind: str
    customer_ids: frozenset


def holders(key_hashes: Sequence[str]) -> Dict[str, Holders]:
    """The records holding each key that any record holds: one BatchGetItem (eventually
    consistent: a checkout, not a commit)."""
    wanted = list(dict.fromkeys(h for h in key_hashes if h))
    if not wanted:
        return {}
    found = {}
    for item in IdentityItem.batch_get([(identity_pk(h), IDENTITY_SK) for h in wanted]):
        found[item.pk.split("#", 1)[1]] = Holders(item.kind, frozenset(item.customer_ids or ()))
    return found


@dataclass(frozen=True)
class ProfileFacts:
    customer_id: str
    lifetime_orders: int
    erased: bool


def profile_facts(customer_ids: Sequence[str]) -> Dict[str, ProfileFacts]:
    """Orders and erasure of several records: one BatchGetItem of their profiles."""
    keys = [(customer_pk(c), PROFILE_SK) for c in dict.fromkeys(customer_ids)]
    if not keys:
        return {}
    return {item.customer_id: ProfileFacts(item.customer_id, int(item.lifetime_orders or 0), item.erased_at is not None)
            for item in ProfileItem.batch_get(keys, attributes_to_get=["pk", "sk", "item_type", "customer_id",
                                                                        "lifetime_orders", "erased_at"])}


def profile_identity(customer_id: str) -> Tuple[Set[str], List[str]]:
    """A record's email/phone identity keys (from its profile) and its delivered address ids."""
    keys: Set[str] = set()
    delivered: List[str] = []
    for item in TableItem.query(customer_pk(customer_id), key_range(PROFILE_SK)):
        if isinstance(item, ProfileItem):
            keys |= set(item.identity_keys or ())
        elif isinstance(item, AddressItem) and int(item.deliveries_confirmed or 0) > 0:
            delivered.append(item.address_id)
    return keys, delivered


def change_identity(add: Mapping[str, Mapping[str, str]], remove: Mapping[str, Iterable[str]]) -> None:
    """One transaction: ``add[customer][hash] = kind`` and ``remove[customer] = hashes`` (a
    merge moves the source's keys to the target; an erasure takes them away)."""
    if not any(add.values()) and not any(remove.values()):
        return
    with TransactWrite(connection=TableItem._get_connection().connection) as tx:
        for customer_id, keys in add.items():
            add_identity(tx, customer_id, keys)
            contact = {k for k, kind in keys.items() if kind != "address"}
            if contact:
                tx.update(ProfileItem(customer_pk(customer_id), PROFILE_SK),
                          actions=[ProfileItem.identity_keys.add(contact)], condition=ProfileItem.pk.exists())
        for customer_id, keys in remove.items():
            remove_identity(tx, customer_id, keys)


def record_matches(customer_ids: Sequence[str], key_hashes: Sequence[str], quote_id: str, at: datetime,
                   by: Sequence[str], keep_days: int = 400) -> None:
    """A checkout matched several records by ``by``: a note on each for support, in one
    transaction (at most 10 records are noted). One note per record, identity keys and day,
    whatever the number of quotes: each quote ADDs 1 to its ``count`` and sets the latest
    ``quote_id``/``at`` (repeated quotes must not flood support's list nor the table)."""
    import hashlib

    day = at.astimezone(timezone.utc).strftime("%Y-%m-%d")
    digest = hashlib.sha256("|".join(sorted(set(key_hashes))).encode()).hexdigest()[:16]
    noted = sorted(customer_ids)[:10]
    with TransactWrite(connection=TableItem._get_connection().connection) as tx:
        for customer_id in noted:
            tx.update(IdentityMatchItem(customer_pk(customer_id), f"{MATCH_PREFIX}{day}#{digest}"),
                      actions=[IdentityMatchItem.item_type.set(IdentityMatchItem),
                               IdentityMatchItem.customer_id.set(customer_id), IdentityMatchItem.quote_id.set(quote_id),
                               IdentityMatchItem.at.set(at), IdentityMatchItem.by.set(list(by)),
                               IdentityMatchItem.others.set([c for c in noted if c != customer_id]),
                               IdentityMatchItem.expires_at.set(int(at.timestamp()) + keep_days * 86400),
                               IdentityMatchItem.count.add(1)])


def recent_matches(customer_id: str, limit: int = 20) -> List[dict]:
    """Checkouts that matched this record and others (newest first)."""
    items = IdentityMatchItem.query(customer_pk(customer_id), key_range(MATCH_PREFIX), scan_index_forward=False,
                                    limit=limit)
    return [{"quote_id": i.quote_id, "at": i.at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "by": list(i.by), "others": list(i.others), "count": int(i.count or 1)} for i in items]


def scan_identity_sources() -> Iterable[Tuple[str, Optional[str], Optional[str], Optional[str], bool, List[str]]]:
    """For the backfill: every record's (customer_id, email, phone, country, erased, delivered
    address ids), by a paginated Scan of profiles and address items (operator batch work)."""
    profiles: Dict[str, Tuple[Optional[str], Optional[str], Optional[str], bool]] = {}
    delivered: Dict[str, List[str]] = {}
    for item in TableItem.scan(TableItem.item_type.is_in(ProfileItem, AddressItem)):
        if isinstance(item, ProfileItem):
            profiles[item.customer_id] = (item.email, item.phone, item.country, item.erased_at is not None)
        elif isinstance(item, AddressItem) and int(item.deliveries_confirmed or 0) > 0:
            delivered.setdefault(item.customer_id, []).append(item.address_id)
    for customer_id, (email, phone, country, erased) in profiles.items():
        yield customer_id, email, phone, country, erased, delivered.get(customer_id, [])
