"""Recognising a returning customer at checkout, from the identity index (docs/identity.md).

Two ways: a guest who types an email or phone one customer holds, with a second fact that
agrees, is priced as that customer; and a record without orders whose email, phone or
delivered address belongs to a customer with orders is not offered first-order promotions.

Cost: a guest quote with an email or phone reads the identity index (one BatchGetItem of
its email, phone and shipping-address keys), then at most one more request: the matched
customer's partition (one Query) or, when several records match, their profiles (one
BatchGetItem). A quote for a customer with orders reads nothing here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, Optional, Set, Tuple

from ..domain.customer import Customer, lookup_hash, month_keys_back
from ..domain.identity import Candidate, Recognition, identity_policy, recognise
from ..domain.rules import Rules
from ..domain.tiers import months_needed
from ..stage_secrets import hash_key
from ..store import identity as index
from ..store import customers as customers_store


@dataclass(frozen=True)
class GuestMatch:
    recognition: Recognition
    customer: Optional[Customer] = None  # the one record an identity key matched, read once
    ordered_before: bool = False
    by: Tuple[str, ...] = field(default_factory=tuple)  # kinds of key that matched (for support's record)
    keys: Tuple[str, ...] = field(default_factory=tuple)  # keyed hashes of the keys that matched


def _fingerprint(address: Optional[dict]) -> Optional[str]:
    if not address:
        return None
    from ..domain.addresses import AddressInvalid, normalise_address

    try:
        return normalise_address(address).fingerprint
    except AddressInvalid:
        return None


def proving_addresses(shipping: Optional[dict], payment: Optional[dict], by: Tuple[str, ...]) -> Dict[str, str]:
    """What a recognised quote's token signs (its ``rfp`` claim): keyed hashes of the shipping
    address the customer was recognised at (``ship``) and, when the payment provider's confirmed
    address was a proving fact, of that address (``pay``). Keyed, so the token (which anyone
    holding it can decode) carries nothing an address could be guessed back from."""
    key = hash_key()
    proof = {}
    shipping_fp = _fingerprint(shipping)
    if shipping_fp:
        proof["ship"] = lookup_hash("address", shipping_fp, key)
    payment_fp = _fingerprint((payment or {}).get("confirmed_address"))
    if payment_fp and "payment_address" in by:
        proof["pay"] = lookup_hash("address", payment_fp, key)
    return proof


def proof_problem(proof: Dict[str, str], shipping: Optional[dict], payment_address: Optional[dict]) -> Optional[str]:
    """Why an order may not commit under a recognised token (None: it may). The order must ship
    to the address the quote recognised the customer at (any spelling of it), and carry the
    payment-confirmed address when that was part of the proof: a recognised token is not a
    licence to ship the customer's tier and history anywhere, nor to make another address
    theirs by a delivery."""
    ship = _fingerprint(shipping)
    if not ship or not proof.get("ship") or lookup_hash("address", ship, hash_key()) != proof["ship"]:
        return ("the order's shipping address differs from the one the quote recognised the customer at: "
                "ship to that address, or quote again")
    if proof.get("pay"):
        paid = _fingerprint(payment_address)
        if not paid or lookup_hash("address", paid, hash_key()) != proof["pay"]:
            return ("the order's payment-confirmed address differs from the one the quote recognised the "
                    "customer by: quote again")
    return None


def _offers_first_order(rules: Rules) -> bool:
    return any(p.customer is not None and p.customer.kind == "first_order" for p in rules.promotions)


def recognise_guest(identity: Dict[str, str], shipping: Optional[dict], payment: Optional[dict],
                    rules: Rules, now: datetime) -> GuestMatch:
    """Who the guest is, if the identity index and a second fact say so."""
    key = hash_key()
    policy = identity_policy(rules.extra_sections.get("identity"))
    hashes = {lookup_hash(kind, value, key): kind for kind, value in identity.items()}
    shipping_fp = _fingerprint(shipping)
    payment_fp = _fingerprint((payment or {}).get("confirmed_address"))
    address_hash = None
    if shipping_fp and "delivered_address" in policy.new_customer_signals and _offers_first_order(rules):
        address_hash = lookup_hash("address", shipping_fp, key)
    held = index.holders([*hashes, *([address_hash] if address_hash else [])])  # request 1
    by_customer: Dict[str, Set[str]] = {}
    for key_hash, kind in hashes.items():
        for customer_id in held.get(key_hash, index.Holders(kind, frozenset())).customer_ids:
            by_customer.setdefault(customer_id, set()).add(kind)
    address_holders = held[address_hash].customer_ids if address_hash in held else frozenset()
    by = tuple(sorted({kind for kinds in by_customer.values() for kind in kinds}))

    customer = None
    if len(by_customer) == 1:
        (customer_id, kinds), = by_customer.items()
        since = month_keys_back(now, months_needed(rules.tiers))[-1]
        customer = customers_store.load_customer(customer_id, rules.base_currency, since_month=since)  # request 2
        if customer is None:
            candidates = []
        else:
            candidates = [Candidate(
                customer_id, tuple(sorted(kinds)), customer.profile.erased, customer.stats.lifetime_orders,
                frozenset(a.address_id for a in customer.addresses if a.deliveries_confirmed > 0),
                frozenset(a.address_id for a in customer.addresses))]
    elif by_customer:
        facts = index.profile_facts(sorted(by_customer))  # request 2
        candidates = [Candidate(c, tuple(sorted(by_customer[c])), f.erased, f.lifetime_orders)
                      for c, f in facts.items()]
    else:
        candidates = []
    recognition = recognise(candidates, shipping_fp, payment_fp)
    live = [c for c in candidates if not c.erased]
    ordered = any(c.lifetime_orders > 0 and set(c.by) & set(policy.new_customer_signals) for c in live)
    ordered = ordered or bool(address_holders)  # an address key exists only where an order was delivered
    matched = customer if recognition.outcome in ("recognised", "identity_only") else None
    keys = tuple(sorted(h for h in hashes if held.get(h) is not None and held[h].customer_ids))
    return GuestMatch(recognition, matched, ordered, by, keys)


def ordered_before(customer: Customer, shipping: Optional[dict], rules: Rules) -> bool:
    """Whether a record without orders shares an identity signal (the rules' list) with a
    customer who has orders. Read only when a first-order promotion is in the rules: one
    BatchGetItem of the identity items, and one of the other records' profiles if any."""
    if customer.stats.lifetime_orders > 0 or not _offers_first_order(rules):
        return False
    signals = identity_policy(rules.extra_sections.get("identity")).new_customer_signals
    if not signals:
        return False
    keys = list(customer.profile.identity_keys)
    shipping_fp = _fingerprint(shipping)
    if shipping_fp and "delivered_address" in signals:
        keys.append(lookup_hash("address", shipping_fp, hash_key()))
    if not keys:
        return False
    others: Set[str] = set()
    for holders in index.holders(keys).values():
        mine = customer.profile.customer_id
        if holders.kind == "address" and "delivered_address" in signals and holders.customer_ids - {mine}:
            return True
        if holders.kind in signals:
            others |= holders.customer_ids - {mine}
    if not others:
        return False
    return any(f.lifetime_orders > 0 and not f.erased for f in index.profile_facts(sorted(others)).values())


def record_ambiguous(match: GuestMatch, quote_id: str, now: datetime) -> None:
    """Several records hold the guest's email or phone: a note on each, for support."""
    if match.recognition.outcome == "ambiguous":
        index.record_matches(match.recognition.candidates, match.keys, quote_id, now, match.by)



FACT_OF_KIND = {"email": "email", "phone": "phone", "address": "delivered_address"}


def possible_duplicates(customer: Customer, limit: int = 10) -> list:
    """Other records sharing an email, phone or delivered address with this one, with the facts
    that agree: ``email``/``phone`` (the same identity key) and ``delivered_address`` (an
    address one of them had delivered is in the other's book, either way round).
    ``possible_same_customer`` when an email or phone and an address agree (what a guest order
    that matches one customer shows on both records); ``merge`` is the one call support makes
    to bring the smaller history into the larger. Support's view, not checkout: one
    BatchGetItem of the identity items, then one Query per other record (at most ``limit``)."""
    me = customer.profile.customer_id
    if customer.profile.erased:
        return []
    key = hash_key()
    keys = list(customer.profile.identity_keys)
    keys += [lookup_hash("address", a.address_id, key) for a in customer.addresses if a.deliveries_confirmed > 0]
    facts: Dict[str, Set[str]] = {}
    for holders in index.holders(keys).values():
        for other in holders.customer_ids - {me}:
            facts.setdefault(other, set()).add(FACT_OF_KIND.get(holders.kind, holders.kind))
    mine_delivered = {a.address_id for a in customer.addresses if a.deliveries_confirmed > 0}
    mine_book = {a.address_id for a in customer.addresses}
    found = []
    for other in sorted(facts)[:limit]:
        record = customers_store.load_customer(other, customer.base_currency, since_month="9999-12")
        if record is None or record.profile.erased:
            continue
        theirs_delivered = {a.address_id for a in record.addresses if a.deliveries_confirmed > 0}
        theirs_book = {a.address_id for a in record.addresses}
        agreed = set(facts[other])
        if (mine_delivered & theirs_book) or (theirs_delivered & mine_book):
            agreed.add("delivered_address")
        # Into the larger history: more orders, then more deliveries (a guest record's first
        # order is rarely delivered yet).
        mine_larger = ((customer.stats.lifetime_orders, customer.stats.delivered_orders)
                       >= (record.stats.lifetime_orders, record.stats.delivered_orders))
        target, source = (me, other) if mine_larger else (other, me)
        found.append({
            "customer_id": other,
            "facts": sorted(agreed),
            "lifetime_orders": record.stats.lifetime_orders,
            "possible_same_customer": bool({"email", "phone"} & agreed) and "delivered_address" in agreed,
            "merge": {"method": "POST", "path": f"/v1/admin/customers/{target}/merge",
                      "body": {"source_customer_id": source}},
        })
    return found


def attach_guest_order(customer_id: str, rules: Rules, operator: str = "system:guest-attach") -> Optional[str]:
    """After a record's first order: with the rules' ``identity.attach`` at ``auto``, when its
    email matches exactly one other customer and an address agrees, merge this record into
    that customer at once (audited as the system). Returns the customer merged into, or None.
    With ``suggest`` (the default) nothing is written: both 360 views show the suggestion."""
    if identity_policy(rules.extra_sections.get("identity")).attach != "auto":
        return None
    customer = customers_store.load_customer(customer_id, rules.base_currency, since_month="9999-12")
    if customer is None or customer.stats.lifetime_orders != 1:
        return None
    same = [d for d in possible_duplicates(customer) if "email" in d["facts"]]
    if len(same) != 1 or not same[0]["possible_same_customer"]:
        return None
    from .merge import merge_customers

    target = same[0]["customer_id"]
    merge_customers(target, customer_id, operator)
    return target


def customer_ids_by_identity(kind: str, normalised: str) -> Set[str]:
    """Records holding an email or phone on the identity index (any email they have held)."""
    key_hash = lookup_hash(kind, normalised, hash_key())
    found = index.holders([key_hash]).get(key_hash)
    return set(found.customer_ids) if found else set()
