"""What support and operations staff need: the whole picture of a customer in one answer,
finding a customer by email or phone, and audited adjustments.

Every adjustment is an immutable ledger entry plus a record naming the operator (their IAM
ARN), written in one transaction and idempotent by ``adjustment_id``.
"""
from __future__ import annotations

from datetime import datetime
from typing import Dict, List, Optional

from .. import clock
from ..config import settings
from ..domain.customer import Customer, lookup_hash, normalise_email, normalise_phone
from ..domain.errors import Conflict, InvalidInput, NotFound
from ..domain.ledger import LedgerEntry, fingerprint
from ..domain.money import format_money
from ..domain.tiers import evaluate_tier
from ..domain.times import iso_utc
from ..stage_secrets import hash_key
from ..store import adjustments as adjustments_store
from ..store import customers as customers_store
from ..store import decisions as decisions_store
from ..store import ledger as ledger_store
from ..store import transactions as transactions_store
from ..store.models import ProfileItem
from ..store.retry import with_retries
from .customers import summary_json
from .quotes import history_of
from .rules import current_rules
from . import credit, recognition, value
from ..store import identity as identity_index


def customer_360(customer_id: str, *, now: Optional[datetime] = None) -> dict:
    """Profile, tier with its explanation, stats, address book, recent ledger, decisions,
    adjustments and flags: everything support needs without asking the customer again."""
    now = now or clock.now()
    rules = current_rules()
    customer = customers_store.load_customer(customer_id, rules.base_currency)
    if customer is None:
        raise NotFound(f"no customer {customer_id}")
    tier = evaluate_tier(rules.tiers, history_of(customer), now, rules.base_currency)
    summary = summary_json(customer, now)
    ledger, _ = ledger_store.ledger_page(customer_id, 20, None)
    decisions = decisions_store.recent_decisions(customer_id)
    adjustments = adjustments_store.adjustments(customer_id)
    return {
        "customer_id": customer_id,
        "profile": summary["profile"],
        "tier": {**tier.to_json(), "override_reason": tier.override_reason},
        "stats": {**summary["stats"], "goodwill_granted": {"amount": customer.lifetime_goodwill,
                                                           "currency": customer.base_currency}},
        "addresses": [_address_json(record) for record in customer.addresses],
        "recent_ledger": ledger,
        "orders_with_discounts": [{"order_id": entry["order_id"], "at": entry["at"], **entry["details"]["decision"]}
                                  for entry in ledger if "decision" in entry.get("details", {})],
        "decisions": decisions,
        "adjustments": [a for a in adjustments if a["kind"] != "note"],
        "notes": [a for a in adjustments if a["kind"] == "note"],
        "flags": _flags(customer, decisions, now),
        "credit": credit.staff_credit_json(customer, now),
        "possible_duplicates": recognition.possible_duplicates(customer),
        "identity_matches": identity_index.recent_matches(customer_id),
        "value": value.estimate(customer_id, audience="staff", rules=rules, now=now, customer_since=customer.customer_since),
    }


def _address_json(record) -> dict:
    return {
        "address_id": record.address_id,
        "address": dict(record.address),
        "first_used_at": iso_utc(record.first_used_at),
        "orders_shipped": record.orders_shipped,
        "deliveries_confirmed": record.deliveries_confirmed,
        "last_delivery_at": iso_utc(record.last_delivery_at),
        "confirmed_by": record.confirmed_by,
    }


def _flags(customer: Customer, decisions: List[dict], now: datetime) -> List[str]:
    stats = customer.stats
    flags = []
    if stats.chargebacks_count:
        flags.append(f"{stats.chargebacks_count} chargeback(s) on record")
    if stats.lifetime_orders >= 3 and (stats.refunds_count + stats.returns_count) / stats.lifetime_orders > 0.5:
        flags.append("money went back on more than half of the orders")
    held = [d for d in decisions if d["decision"] in ("verify", "review")]
    if held:
        flags.append(f"{len(held)} recent checkout(s) asked for verification or review")
    if customer.tier_override:
        flags.append(f"tier set by an operator until {customer.tier_override.get('until')}")
    return flags


def find_customers(kind: str, value: str) -> dict:
    """Customers with this email or phone (normalised, hashed; raw values are never keys)."""
    normalised = normalise_email(value) if kind == "email" else normalise_phone(value, settings().default_country)
    ids = sorted(set(customers_store.customer_ids_by(kind, lookup_hash(kind, normalised, hash_key())))
                 | recognition.customer_ids_by_identity(kind, normalised))
    base = settings().base_currency
    found = []
    for customer_id in ids:
        customer = customers_store.load_customer(customer_id, base)
        if customer is not None:
            summary = summary_json(customer, clock.now())
            found.append({"customer_id": customer_id, "profile": summary["profile"],
                          "lifetime": summary["stats"]["lifetime"]})
    return {"customers": found}


def adjust(customer_id: str, adjustment: Dict[str, object], operator: str,
           *, now: Optional[datetime] = None) -> tuple:
    """Record an adjustment: (201, result), or (200, the same result) when replayed."""
    now = now or clock.now()
    adjustment_id = str(adjustment["adjustment_id"])
    kind = str(adjustment["kind"])
    request_hash = fingerprint({"customer_id": customer_id, **adjustment})
    rules = current_rules()
    details = {key: value for key, value in adjustment.items() if key not in ("adjustment_id", "kind")}
    profile_actions: list = []
    goodwill_base = 0
    amount = currency = None
    grant = movement = None
    if kind in ("goodwill_credit", "store_credit"):
        amount, currency = int(adjustment["amount"]), str(adjustment["currency"])
        grant, movement = credit.grant_for_adjustment(adjustment, rules, now, operator)
        expiry = f", spendable until {iso_utc(grant.expires_at)}" if grant.expires_at else ", never expires"
        if kind == "goodwill_credit":
            goodwill_base = grant.amount
            description = (f"Goodwill credit of {format_money(amount, currency)} as store credit{expiry}: "
                           f"{adjustment['reason']}")
        else:
            description = f"Store credit of {format_money(amount, currency)}{expiry}: {adjustment['reason']}"
    elif kind == "tier_override":
        if rules.tier(str(adjustment["tier"])) is None:
            raise InvalidInput(f"tier: no tier named {adjustment['tier']!r} in the rules",
                               [{"field": "tier", "reason": "not a tier of the rules in force"}])
        override = {"tier": adjustment["tier"], "until": adjustment["until"], "reason": adjustment["reason"],
                    "by": operator}
        profile_actions.append(ProfileItem.tier_override.set(override))
        description = f"Tier set to {adjustment['tier']} until {adjustment['until']}: {adjustment['reason']}"
    else:
        description = f"Note: {adjustment['text']}"
    entry = LedgerEntry(customer_id=customer_id, entry_type=kind, at=now, event_id=adjustment_id,
                        currency=currency, amount=amount,
                        base_currency=rules.base_currency if amount else None,
                        base_amount=grant.amount if grant else None,
                        description=description, details={"operator": operator, **details})
    result = {"customer_id": customer_id, "adjustment_id": adjustment_id, "kind": kind, "at": iso_utc(now),
              "operator": operator, "description": description}
    if grant is not None:
        result["credit_granted"] = _grant_answer(grant, rules.base_currency)
        details["credit_granted"] = result["credit_granted"]

    def attempt():
        adjustments_store.commit_adjustment(customer_id, adjustment_id, kind, now, operator, request_hash,
                                            {**details, "description": description}, entry, profile_actions,
                                            goodwill_base, credit_grant=grant, credit_movement=movement)

    try:
        with_retries(attempt, budget_seconds=settings().retry_budget_seconds)
    except transactions_store.EventAlreadyExists:
        existing = adjustments_store.get_adjustment(customer_id, adjustment_id)
        if existing is None or existing.request_hash != request_hash:
            raise Conflict(f"adjustment_id {adjustment_id} was already used with a different body",
                           [{"field": "adjustment_id", "reason": "already used with a different body"}]) from None
        replay = {"customer_id": customer_id, "adjustment_id": adjustment_id, "kind": existing.kind,
                  "at": iso_utc(existing.at), "operator": existing.operator,
                  "description": existing.details.get("description")}
        if existing.details.get("credit_granted"):
            replay["credit_granted"] = existing.details["credit_granted"]
        return 200, replay
    except LookupError:
        raise NotFound(f"no customer {customer_id}") from None
    if grant is not None:
        credit.count_grant(grant)
    return 201, result


def _grant_answer(grant, base_currency: str) -> dict:
    return {"grant_id": grant.grant_id, "amount": {"amount": grant.amount, "currency": base_currency},
            "expires_at": iso_utc(grant.expires_at)}
