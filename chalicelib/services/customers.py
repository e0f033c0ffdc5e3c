"""Use cases about a customer as a whole: the profile, the summary, the ledger pages."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

from .. import clock
from ..config import settings
from ..domain.customer import Customer, lookup_hash, month_keys_back, normalise_email, normalise_phone
from ..domain.errors import NotFound
from ..domain.times import iso_utc
from ..store import customers as customers_store
from ..store import ledger as ledger_store
from ..stage_secrets import hash_key
from ..store.retry import with_retries


def upsert_profile(customer_id: str, fields: Dict[str, Any], *, now: Optional[datetime] = None) -> dict:
    """Create the customer if new, set the given contact fields, and return the summary.
    A new email or phone is listed on the identity index in the same transaction."""
    now = now or clock.now()
    stored = with_lookup_hashes(fields)
    with_retries(lambda: customers_store.save_profile(customer_id, stored, now, settings().base_currency,
                                                      identity=contact_identity(stored)),
                 budget_seconds=settings().retry_budget_seconds)
    return customer_summary(customer_id, now=now)


def with_lookup_hashes(fields: Dict[str, Any]) -> Dict[str, Any]:
    """Profile fields plus the keyed hashes of the normalised email and phone the lookup indexes use."""
    stored = dict(fields)
    if "email" in fields or "phone" in fields:
        stored.update(_lookup_hashes(fields, hash_key()))
    return stored


def contact_identity(fields: Dict[str, Any]) -> Dict[str, str]:
    """The identity keys (keyed hash -> kind) of profile fields made by :func:`with_lookup_hashes`."""
    return {fields[name]: kind for name, kind in (("email_hash", "email"), ("phone_hash", "phone"))
            if fields.get(name)}


def _lookup_hashes(fields: Dict[str, Any], key: str) -> Dict[str, Optional[str]]:
    hashes: Dict[str, Optional[str]] = {}
    if "email" in fields:
        hashes["email_hash"] = lookup_hash("email", normalise_email(fields["email"]), key) if fields["email"] else None
    if "phone" in fields:
        country = fields.get("country") or settings().default_country
        hashes["phone_hash"] = (lookup_hash("phone", normalise_phone(fields["phone"], country), key)
                                if fields["phone"] else None)
    return hashes


def address_identity_key(fingerprint: str, key: Optional[str] = None) -> str:
    """The identity key of a delivered address: the keyed hash of its fingerprint."""
    return lookup_hash("address", fingerprint, key or hash_key())


def rebuild_lookup_hashes() -> Dict[str, int]:
    """Rewrite every profile's email and phone lookup hashes with the current hash key and
    normalisation (after keyed hashes were introduced, after the key was rotated, or after the
    email or phone normalisation changed), and list every record on the identity index by its
    email, phone and delivered addresses (the backfill of the index). The old hash is replaced
    on the profile, so its lookup-index entry goes with it. Erased profiles keep none.
    Idempotent: a second run updates nothing. A profile whose email or phone changes meanwhile
    is left to that change, which hashes with the current key too."""
    from ..store import identity as identity_store

    key = hash_key()
    profiles = updated = 0
    for contact in customers_store.profile_contacts():
        profiles += 1
        wanted = ({"email_hash": None, "phone_hash": None} if contact.erased
                  else _lookup_hashes({"email": contact.email, "phone": contact.phone, "country": contact.country}, key))
        if wanted != {"email_hash": contact.email_hash, "phone_hash": contact.phone_hash}:
            updated += customers_store.set_lookup_hashes(contact, wanted["email_hash"], wanted["phone_hash"])
    indexed = 0
    for customer_id, email, phone, country, erased, delivered in identity_store.scan_identity_sources():
        if erased:
            continue
        keys = contact_identity(_lookup_hashes({"email": email, "phone": phone, "country": country}, key))
        keys.update({address_identity_key(fingerprint, key): "address" for fingerprint in delivered})
        items = sorted(keys.items())
        for start in range(0, len(items), 45):  # two items per key at most: within one transaction
            part = dict(items[start:start + 45])
            with_retries(lambda: identity_store.change_identity({customer_id: part}, {}),
                         budget_seconds=settings().retry_budget_seconds)
        indexed += bool(items)
    return {"profiles": profiles, "updated": updated, "identity_indexed": indexed}


def customer_summary(customer_id: str, *, now: Optional[datetime] = None) -> dict:
    """Profile, lifetime and rolling-12-month stats, first and last order; 404 if unknown."""
    now = now or clock.now()
    customer = customers_store.load_customer(customer_id, settings().base_currency,
                                             since_month=month_keys_back(now, 12)[-1])
    if customer is None:
        raise NotFound(f"no customer {customer_id}")
    return summary_json(customer, now)


def summary_json(customer: Customer, now: datetime) -> dict:
    from .credit import balance_json

    profile, stats, base = customer.profile, customer.stats, customer.base_currency
    window = stats.window(now, 12)
    months = month_keys_back(now, 12)

    def money(amount: int) -> dict:
        return {"amount": amount, "currency": base}

    return {
        "customer_id": profile.customer_id,
        "profile": {
            "email": profile.email,
            "phone": profile.phone,
            "name": profile.name,
            "country": profile.country,
            "created_at": iso_utc(profile.created_at),
            "first_seen_at": iso_utc(profile.first_seen_at),
            "updated_at": iso_utc(profile.updated_at),
        },
        "stats": {
            "base_currency": base,
            "lifetime": {
                "orders": stats.lifetime_orders,
                "net_spend": money(stats.lifetime_net_spend),
                "gross_spend": money(stats.lifetime_gross_spend),
            },
            "rolling_12_months": {
                "from_month": months[-1],
                "to_month": months[0],
                "orders": window.orders,
                "net_spend": money(window.net_spend),
            },
            "customer_since": iso_utc(customer.customer_since),
            "first_order_at": iso_utc(stats.first_order_at),
            "last_order_at": iso_utc(stats.last_order_at),
            "delivered_orders": stats.delivered_orders,
            "returns": stats.returns_count,
            "refunds": stats.refunds_count,
            "chargebacks": stats.chargebacks_count,
            "cancellations": stats.cancellations_count,
        },
        "credit": balance_json(customer, now),
        "version": stats.version,
    }


def ledger(customer_id: str, limit: int, after: Optional[str]) -> Tuple[List[dict], Optional[str]]:
    """A newest-first page of the ledger; 404 for a customer the API has never seen."""
    entries, next_after = ledger_store.ledger_page(customer_id, limit, after)
    if not entries and after is None and customers_store.load_profile_stats(customer_id) is None:
        raise NotFound(f"no customer {customer_id}")
    return entries, next_after
