"""A customer's own view, for their mobile app: tier and progress in plain words, benefits,
recent history, known addresses. The customer id always comes from the verified token,
never from the request, so a customer reaches only their own data."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from .. import clock
from ..domain.errors import NotFound
from ..domain.pricing import tier_benefits_text
from ..domain.tiers import evaluate_tier
from ..domain.times import iso_utc
from ..store import customers as customers_store
from ..store import ledger as ledger_store
from .customers import summary_json
from .quotes import history_of
from .rules import current_rules
from . import value
from .credit import customer_credit_json

CUSTOMER_ENTRY_FIELDS = ("entry_id", "type", "at", "order_id", "description", "amount")


def _customer(customer_id: str):
    rules = current_rules()
    customer = customers_store.load_customer(customer_id, rules.base_currency)
    if customer is None:
        raise NotFound("we have no record of you yet; it appears with your first order")
    return rules, customer


def my_status(customer_id: str, *, now: Optional[datetime] = None) -> dict:
    now = now or clock.now()
    rules, customer = _customer(customer_id)
    status = evaluate_tier(rules.tiers, history_of(customer), now, rules.base_currency)
    tier = rules.tier(status.tier) if status.tier else None
    summary = summary_json(customer, now)
    recent, _ = ledger_store.ledger_page(customer_id, 5, None)
    return {
        "customer_id": customer_id,
        "name": customer.profile.name,
        **status.to_json(),
        "benefits": tier_benefits_text(tier, rules.base_currency) if tier else None,
        "last_12_months": summary["stats"]["rolling_12_months"],
        "lifetime": summary["stats"]["lifetime"],
        "member_since": summary["stats"]["customer_since"],
        "recent_history": [_customer_entry(entry) for entry in recent if _visible(entry)],
        "value": value.estimate(customer_id, audience="customer", rules=rules, now=now, customer_since=customer.customer_since),
        "credit": customer_credit_json(customer, now),
    }


def my_ledger(customer_id: str, limit: int, after: Optional[str], max_pages: int = 5) -> tuple:
    """A page of the customer's own history; staff notes are skipped, reading on to fill it."""
    visible: list = []
    for _ in range(max_pages):
        entries, after = ledger_store.ledger_page(customer_id, limit - len(visible), after)
        visible += [_customer_entry(entry) for entry in entries if _visible(entry)]
        if len(visible) >= limit or after is None:
            break
    return visible, after


def my_addresses(customer_id: str) -> dict:
    _, customer = _customer(customer_id)
    return {"addresses": [{"address_id": record.address_id, "address": dict(record.address),
                           "orders_shipped": record.orders_shipped,
                           "last_delivery_at": iso_utc(record.last_delivery_at)}
                          for record in customer.addresses]}


def _visible(entry: dict) -> bool:
    """Staff notes are for staff; everything else on the ledger is the customer's own history."""
    return entry.get("type") != "note"


def _customer_entry(entry: dict) -> dict:
    """A ledger entry as a customer sees it: no operator names, no internal details."""
    if entry.get("type") == "tier_override":
        return {"type": entry["type"], "at": entry["at"], "description": "Your tier was set by our customer team"}
    if entry.get("type") == "goodwill_credit":  # the reason is written for staff, not for the customer
        return {"type": entry["type"], "at": entry["at"], "amount": entry.get("amount"),
                "description": "A goodwill credit from our customer team, to spend as store credit"}
    if entry.get("type") == "store_credit":
        return {"type": entry["type"], "at": entry["at"], "amount": entry.get("amount"),
                "description": "Store credit from our customer team"}
    return {key: entry[key] for key in CUSTOMER_ENTRY_FIELDS if key in entry}
