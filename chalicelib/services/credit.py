"""Store credit use cases: granting it, applying it to a quote, spending it with an order,
giving it back when money goes back, and showing it (domain rules: domain/store_credit.py).

Grants live in the customer's ``PROFILE`` range, so the quote's one Query already has them;
spends and give-backs ride in the order's or event's own transaction.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .. import observability
from ..domain import store_credit as credit
from ..domain.customer import Customer
from ..domain.errors import CreditUnavailable, InvalidInput
from ..domain.money import allocate, format_money
from ..domain.rules import Rules
from ..domain.times import iso_utc
from ..store import credit as credit_store
from ..store import orders as orders_store
from .rules import parsed_section


def policy(rules: Rules) -> credit.CreditPolicy:
    return parsed_section(rules, "credit", credit.credit_policy_of)


def per_unit(currency: str, rules: Rules) -> Any:
    """Base minor units per minor unit of ``currency``; a 400 on ``currency`` without a rate."""
    if not rules.accepts_currency(currency):
        raise InvalidInput(f"currency: no exchange rate from {currency} to {rules.base_currency} in the rules",
                           [{"field": "currency", "reason": f"no rate to {rules.base_currency} in the rules' fx"}])
    return credit.rate_minor(currency, rules.base_currency, rules.fx.get(currency))


# ---------------------------------------------------------------- granting


def grant_for_adjustment(adjustment: Dict[str, Any], rules: Rules, now: datetime,
                         operator: str) -> Tuple[credit.CreditGrant, credit_store.CreditMovement]:
    """The grant (base currency, rounded up: the customer's favour) of a ``goodwill_credit`` or
    ``store_credit`` adjustment, with its journal line."""
    from decimal import ROUND_CEILING, Decimal

    amount = int((Decimal(adjustment["amount"]) * per_unit(str(adjustment["currency"]), rules))
                 .to_integral_value(rounding=ROUND_CEILING))
    expires = adjustment["expires_at"] if "expires_at" in adjustment else policy(rules).expiry_for(now)
    if isinstance(expires, str):
        expires = datetime.fromisoformat(expires)
    source = "goodwill" if adjustment["kind"] == "goodwill_credit" else "manual"
    adjustment_id = str(adjustment["adjustment_id"])
    grant = credit.CreditGrant(f"adj-{adjustment_id}", amount, now, expires, source=source, granted_by=operator,
                               reason=str(adjustment.get("reason") or "") or None)
    movement = credit_store.CreditMovement(f"grant-{adjustment_id}", "granted", now, amount, rules.base_currency,
                                           {grant.grant_id: amount}, by=operator, source=source, reason=grant.reason)
    return grant, movement


def count_grant(grant: credit.CreditGrant) -> None:
    observability.metric("CreditGranted", grant.amount, unit="None", source=grant.source)


# ---------------------------------------------------------------- quotes


def quote_credit(customer: Optional[Customer], line_totals: Sequence[int], currency: str, use_credit: object,
                 rules: Rules, now: datetime) -> credit.AppliedCredit:
    """What a customer's credit does to a cart priced at ``line_totals`` (after discounts)."""
    grants = customer.credit_grants if customer is not None else ()
    requested = None if use_credit is True else (int(use_credit) if use_credit else 0)
    return credit.apply_credit(credit.spendable(grants, now), per_unit(currency, rules), line_totals, requested)


def quote_credit_json(customer: Optional[Customer], applied: credit.AppliedCredit, currency: str, rules: Rules,
                      now: datetime) -> dict:
    def money(amount: int) -> dict:
        return {"amount": amount, "currency": currency}

    soonest = None
    expiring = credit.expiring(customer.credit_grants if customer else (), now)
    if expiring:
        at, amount = expiring[0]
        soonest = {"at": iso_utc(at), "amount": money(credit.balance_in(amount, per_unit(currency, rules)))}
    return {"available": money(applied.available), "applied": money(applied.applied),
            "remaining_after": money(applied.remaining_after), "expires_soonest": soonest}


def decision_credit(claims: dict, decision: dict) -> Optional[dict]:
    """The credit an order's quote token applied, allocated over the decision's lines; capped at
    the decision's total (a re-evaluated expired token may have a smaller one)."""
    if not claims.get("cr"):
        return None
    applied, draw = (int(value) for value in claims["cr"])
    totals = [line["subtotal"] - sum(part["amount"] for part in line["discounts"]) for line in decision["lines"]]
    capped = min(applied, sum(totals))
    if capped < applied:
        draw = draw * capped // applied
    lines = allocate(capped, totals) if sum(totals) else [0] * len(totals)
    return {"applied": capped, "currency": decision["currency"], "draw": draw, "lines": lines}


# ---------------------------------------------------------------- orders


def plan_order_spend(customer_id: str, order_id: str, decided: dict, base_currency: str,
                     now: datetime) -> Tuple[credit_store.CreditSpend, dict]:
    """Read the grants and plan the order's spend; 409 ``credit_unavailable`` when they no
    longer hold what the quote applied."""
    draw = int(decided["draw"])
    try:
        plan = credit.plan_spend(credit_store.credit_grants(customer_id), draw, now)
    except credit.InsufficientCredit:
        raise CreditUnavailable(
            f"the store credit this quote applied ({format_money(draw, base_currency)}) is no longer available: "
            "spent by another order or expired; quote again",
            [{"field": "quote_token", "reason": "its store credit is no longer available (spent or expired)"}],
        ) from None
    record = {"customer_id": customer_id, "currency": decided["currency"], "applied": decided["applied"],
              "lines": decided["lines"], "base_currency": base_currency, "draw": draw, "grants": plan,
              "back": 0, "base_back": 0, "grants_back": {}}
    movement = credit_store.CreditMovement(f"spend-{order_id}", "spent", now, draw, base_currency, plan,
                                           order_id=order_id, by="api")
    return credit_store.CreditSpend(customer_id, plan, now, movement), record


def order_credit_json(record: Optional[dict]) -> Optional[dict]:
    if not record:
        return None
    return {"applied": {"amount": record["applied"], "currency": record["currency"]},
            "drawn": {"amount": record["draw"], "currency": record["base_currency"]}}


def count_spend(record: Optional[dict]) -> None:
    if record and record["draw"]:
        observability.metric("CreditSpent", record["draw"], unit="None")


# ---------------------------------------------------------------- events


def credit_back_for_event(stored: orders_store.StoredOrder, event: Any, amount: int, base_amount: int,
                          rules: Rules, now: datetime
                          ) -> Tuple[Optional[dict], Optional[credit_store.CreditBack], dict]:
    """What an event does to store credit: (the order's credit record after it, the store
    change, the answer's fields). Credit the order spent comes back by the discount clawback
    rule (a chargeback gives none back: the bank returned what was paid); with
    ``as_store_credit`` the rest of a refund or return is granted as new credit."""
    record = dict(stored.credit) if stored.credit else None
    order = stored.state.order
    parts: Dict[str, int] = {}
    movements: List[credit_store.CreditMovement] = []
    answer: dict = {}
    back_base = 0
    if record and event.type in ("cancelled", "returned", "refunded"):
        lines = credit.credit_lines(order.lines, record["lines"])
        units = dict(Counter(line.sku for line in event.lines for _ in range(line.quantity)))
        try:
            back = credit.credit_share(lines, kind=event.type, amount=amount, returned_units=units,
                                       units_before=stored.state.returned_units,
                                       reversed_before=stored.state.reversed, credit_back_before=record["back"])
        except ValueError:
            back = 0
        back_base = credit.base_back(record["draw"], record["applied"], record["back"] + back, record["base_back"])
        if back_base:
            parts = credit.split_back(record["grants"], record["grants_back"], back_base)
            grants_back = dict(record["grants_back"])
            for grant_id, part in parts.items():
                grants_back[grant_id] = grants_back.get(grant_id, 0) + part
            record.update(back=record["back"] + back, base_back=record["base_back"] + back_base,
                          grants_back=grants_back)
            movements.append(credit_store.CreditMovement(f"back-{order.order_id}-{event.event_id}", "returned", now,
                                                         back_base, record["base_currency"], parts,
                                                         order_id=order.order_id, event_id=event.event_id, by="api"))
            answer["credit_returned"] = {"amount": back_base, "currency": record["base_currency"]}
    new_grant = grant_movement = None
    if getattr(event, "as_store_credit", False):
        granted = max(0, base_amount - back_base)
        if granted:
            new_grant = credit.CreditGrant(f"refund-{order.order_id}-{event.event_id}", granted, now,
                                           policy(rules).expiry_for(now), source="refund", granted_by="api",
                                           reason=event.reason, order_id=order.order_id)
            grant_movement = credit_store.CreditMovement(f"grant-refund-{order.order_id}-{event.event_id}", "granted",
                                                         now, granted, rules.base_currency,
                                                         {new_grant.grant_id: granted}, order_id=order.order_id,
                                                         event_id=event.event_id, by="api", source="refund",
                                                         reason=event.reason)
            answer["store_credit_granted"] = {"amount": {"amount": granted, "currency": rules.base_currency},
                                              "expires_at": iso_utc(new_grant.expires_at)}
    if not movements and new_grant is None:
        return record, None, answer
    spent_by = record["customer_id"] if record else order.customer_id
    if parts:  # the grants it was spent from, wherever a merge has moved them since
        from ..store.credit_moves import locate_grants

        spent_by, names = locate_grants(spent_by, list(parts))
        parts = {names[grant_id]: part for grant_id, part in parts.items()}
        movements = [replace(m, grants=parts) if m.kind == "returned" else m for m in movements]
    return record, credit_store.CreditBack(spent_by, parts, tuple(movements), new_grant, order.customer_id,
                                           grant_movement), answer


def count_back(change: Optional[credit_store.CreditBack]) -> None:
    if change is None:
        return
    returned = sum(change.parts.values())
    if returned:
        observability.metric("CreditReturned", returned, unit="None")
    if change.new_grant is not None:
        count_grant(change.new_grant)


# ---------------------------------------------------------------- views


def balance_json(customer: Customer, now: datetime) -> dict:
    """``GET /v1/customers/{id}``'s ``credit``: the balance and the soonest expiry."""
    base = customer.base_currency
    expiring = credit.expiring(customer.credit_grants, now)
    return {"balance": {"amount": credit.summarize(customer.credit_grants, now).available, "currency": base},
            "expires_soonest": ({"at": iso_utc(expiring[0][0]), "amount": {"amount": expiring[0][1], "currency": base}}
                                if expiring else None)}


def customer_credit_json(customer: Customer, now: datetime) -> dict:
    """``/v1/me``'s ``credit``: the balance and what expires when, in the customer's words."""
    base = customer.base_currency
    balance = credit.summarize(customer.credit_grants, now).available
    expiring = credit.expiring(customer.credit_grants, now)
    rows = [{"at": iso_utc(at), "amount": {"amount": amount, "currency": base},
             "text": f"{format_money(amount, base)} expires on {at.strftime('%d %B %Y').lstrip('0')}"}
            for at, amount in expiring]
    if balance == 0:
        text = "You have no store credit at the moment."
    else:
        text = (f"You have {format_money(balance, base)} of store credit. It comes off your next order at checkout "
                "when you choose to use it.")
        if expiring:
            text += f" Use it soon: {rows[0]['text']}."
    return {"balance": {"amount": balance, "currency": base}, "expiring": rows, "text": text}


def staff_credit_json(customer: Customer, now: datetime) -> dict:
    """The support view's ``credit``: totals, every grant with who granted it and why, and the
    journal of grants, spends and credit given back, with expiries added where they happened."""
    base = customer.base_currency

    def money(amount: int) -> dict:
        return {"amount": amount, "currency": base}

    summary = credit.summarize(customer.credit_grants, now)
    grants = []
    expiries = []
    for grant in credit.spending_order(customer.credit_grants):
        status = "expired" if grant.expired(now) else ("used" if grant.remaining == 0 else "active")
        grants.append({"grant_id": grant.grant_id, "source": grant.source, "amount": money(grant.amount),
                       "spent": money(grant.spent), "returned": money(grant.returned),
                       "remaining": money(grant.remaining), "status": status, "granted_at": iso_utc(grant.granted_at),
                       "expires_at": iso_utc(grant.expires_at), "granted_by": grant.granted_by,
                       "reason": grant.reason, "order_id": grant.order_id})
        if grant.expired(now) and grant.remaining:
            expiries.append({"kind": "expired", "at": iso_utc(grant.expires_at), "amount": money(grant.remaining),
                             "grants": {grant.grant_id: grant.remaining}})
    movements = credit_store.credit_movements(customer.profile.customer_id)
    return {"balance": money(summary.available), "granted": money(summary.granted), "spent": money(summary.spent),
            "returned": money(summary.returned), "expired": money(summary.expired), "grants": grants,
            "movements": sorted(movements + expiries, key=lambda row: row["at"], reverse=True)}
