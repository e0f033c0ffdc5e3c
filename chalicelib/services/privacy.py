"""Erasing a customer's personal data on request, keeping the anonymous ledger and aggregates.

Name, email and phone on the profile, the address lines of the address book and of every
order, and the addresses in recorded checkout decisions are replaced by random tokens that
cannot be reversed; the email and phone lookup hashes are removed. Orders, amounts, tiers
and counts stay, so the store's figures stay exact.

A history can be larger than one transaction, so the erasure runs in idempotent steps (each
item is overwritten, never read back) and finishes with one transaction that marks the
profile erased and audits it: a crash midway is resumed by calling it again. Calling it
again later erases whatever personal data arrived since (a new address, a new email), with
the first erasure's audit kept.
The free-text ``reason`` a storefront may give with an order event ("Order o-1: Refunded
£5.00 (reason)") is cut from the ledger entry's description; the entry's type, amounts and
time stay. Staff notes and adjustment reasons are staff's own free text and are kept; erase
them by hand if they hold personal data. The free-text reasons of store credit grants and of
their journal lines are replaced; the credit's amounts, dates and who granted it stay, so the
balance is unchanged. A guest's held-checkout record holds no personal
data (docs/data-model.md), so there is nothing of a guest to erase.
"""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Optional

from .. import clock
from ..domain.errors import NotFound
from ..domain.ledger import LedgerEntry
from ..domain.times import iso_utc
from ..store import erasure as erasure_store

ERASURE_ID = "personal-data-erasure"


def _token(kind: str) -> str:
    return f"erased-{kind}-{secrets.token_hex(8)}"


ERASED_REASON = " (reason erased)"


def without_reason(description: str) -> str:
    """``"Order o-1: Refunded £5.00 (she rang about ...)"`` -> ``"Order o-1: Refunded £5.00 (reason erased)"``.

    An event's description is ``Order <id>: <what happened>`` (an id has no spaces, what
    happened no brackets) followed by `` (<reason>)`` when a reason was given."""
    if description.endswith(ERASED_REASON):
        return description
    head, bracket, _ = description.partition(" (")
    return head + ERASED_REASON if bracket else description


def erase_personal_data(customer_id: str, operator: str, *, now: Optional[datetime] = None) -> dict:
    now = now or clock.now()
    try:
        already = erasure_store.erased_at(customer_id)
    except LookupError:
        raise NotFound(f"no customer {customer_id}") from None
    orders = sum(erasure_store.erase_order_address(order_id, customer_id, _token("address"))
                 for order_id in erasure_store.customer_order_ids(customer_id))
    summary = {
        "orders_with_address_erased": orders,
        "addresses_erased": erasure_store.erase_addresses(customer_id, _token),
        "decisions_erased": erasure_store.erase_decisions(customer_id),
        "event_reasons_erased": erasure_store.erase_event_reasons(customer_id, without_reason),
        "credit_reasons_erased": erasure_store.erase_credit_reasons(customer_id),
    }
    from .identity_keys import forget_identity

    forget_identity(customer_id)  # before the profile's keys go: an erased customer matches nothing
    entry = LedgerEntry(customer_id=customer_id, entry_type="personal_data_erased", at=now, event_id=ERASURE_ID,
                        description="Personal data erased on request; order history kept anonymously",
                        details={"operator": operator, **summary})
    tokens = {field: _token(field) for field in ("name", "email", "phone")}
    erasure_store.finish_erasure(customer_id, tokens, now, operator, summary, entry, audit=already is None)
    erased = already or now
    return {"customer_id": customer_id, "erased_at": iso_utc(erased), "already_erased": already is not None, **summary}
