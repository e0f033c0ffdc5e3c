"""The checkout quote, and turning a quote token into the decision an order records.

A quote reads the customer once (one Query: profile, monthly buckets, promotion uses), uses
the cached rules, and writes nothing. Limits and budgets are enforced when the order is
committed, atomically, never at quote time.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import List, Optional, Tuple

from .. import clock
from .. import observability
from ..config import settings
from ..domain.checkout import (
    QuoteRequest,
    cart_mismatch,
    cart_of,
    charged_differently,
    current_claims,
    decision_differences,
    decision_from_claims,
    decision_from_quote,
    token_claims,
)
from ..domain.money_json import discount_differences_json, money_json
from ..domain.customer import Customer, month_keys_back
from ..domain.errors import InvalidInput
from ..domain.history import CustomerHistory, TierOverride
from ..domain.ledger import OrderSubmission
from ..domain.pricing import NotApplied, Quote, quote_for_cart
from ..domain.rules import Rules
from ..domain.tiers import months_needed
from ..domain.times import iso_utc
from ..store import customers as customers_store
from ..store import decisions as decisions_store
from ..store import promotions as promotions_store
from . import address_book, credit
from .quote_tokens import read_quote, sign_quote
from .rules import current_rules


def history_of(customer: Optional[Customer]) -> CustomerHistory:
    """What tiers and promotions know of a customer; an unknown customer is a guest."""
    if customer is None:
        return CustomerHistory.guest()
    stats = customer.stats
    override = None
    if customer.tier_override:
        raw = customer.tier_override
        override = TierOverride(str(raw["tier"]), datetime.fromisoformat(str(raw["until"])), str(raw.get("reason", "")))
    return CustomerHistory(
        customer_id=customer.profile.customer_id,
        lifetime_orders=stats.lifetime_orders,
        lifetime_net_spend=stats.lifetime_net_spend,
        first_order_at=stats.first_order_at,
        last_order_at=stats.last_order_at,
        months=stats.months,
        promotion_uses=customer.promotion_uses,
        tier_override=override,
        customer_since=customer.customer_since,
    )


def _price(rules: Rules, request: QuoteRequest, now: datetime,
           match: Optional["recognition.GuestMatch"] = None) -> Tuple[Quote, Optional[Customer]]:
    """Price the cart for the customer, for the guest a match recognised, or for a guest.

    A record without orders whose identity belongs to a customer with orders is not offered
    first-order promotions (``ordered_before``); a guest whose identity matched one customer
    typed an email or phone and was not recognised is asked to sign in (``SIGN_IN_FOR_BENEFITS``,
    the same words whether or not it matched anyone)."""
    customer = None
    ordered_before = False
    if request.customer_id:
        since = month_keys_back(now, months_needed(rules.tiers))[-1]
        customer = customers_store.load_customer(request.customer_id, rules.base_currency, since_month=since)
        if customer is not None:
            from . import recognition

            ordered_before = recognition.ordered_before(customer, request.shipping_address, rules)
    elif match is not None:
        ordered_before = match.ordered_before
        if match.recognition.outcome == "recognised":
            customer = match.customer
    history = history_of(customer)
    if ordered_before:
        history = replace(history, ordered_before=True)
    quote = quote_for_cart(rules, history, request.lines, request.currency, now, request.promo_codes)
    if request.customer_id is None and request.guest_identity and customer is None:
        # Every guest who typed an email or phone and was not recognised gets the same hint,
        # matched or not: it must not tell anyone whether the email is a customer's.
        from ..domain.identity import SIGN_IN_HINT

        hint = NotApplied("SIGN_IN_FOR_BENEFITS", SIGN_IN_HINT)
        quote = replace(quote, not_applied=tuple(quote.not_applied) + (hint,))
    return quote, customer


def _guest_match(rules: Rules, request: QuoteRequest, now: datetime) -> Optional["recognition.GuestMatch"]:
    if request.customer_id is not None or not request.guest_identity:
        return None
    from . import recognition

    return recognition.recognise_guest(request.guest_identity, request.shipping_address, request.payment, rules, now)


def create_quote(request: QuoteRequest, *, now: Optional[datetime] = None, show_customer_id: bool = False) -> dict:
    """Price a cart for a customer (or a guest) and sign the decision into a short-lived token.

    A guest recognised as a customer gets the tier and discounts, not the stored history behind
    them; ``customer.recognised`` names the customer only to a caller that may read customers
    (``show_customer_id``: a key with the ``customers`` scope), else just ``by``.

    With a shipping address, the answer carries ``address_trust``; a verify or review decision
    is recorded for support (the one write a quote may make), a ship costs nothing.
    """
    now = now or clock.now()
    rules = current_rules()
    match = _guest_match(rules, request, now)
    quote, customer = _price(rules, request, now, match)
    quote_id = f"q-{uuid.uuid4().hex}"
    issued = int(now.timestamp())
    expires = issued + settings().quote_ttl_seconds
    claims = token_claims(quote, request, quote_id, issued, expires)
    body = quote.to_json()
    recognised = match is not None and match.recognition.outcome == "recognised"
    if recognised:
        # The token commits the order to the recognised customer, priced as them.
        claims["sub"] = match.recognition.customer_id
        claims["rec"] = list(match.recognition.by)
        from .recognition import proving_addresses

        # ... and only at the address(es) that proved who they are (checked at commit).
        claims["rfp"] = proving_addresses(request.shipping_address, request.payment, match.recognition.by)
        from ..domain.identity import recognised_customer_json

        recognised_as = {"by": list(match.recognition.by)}
        if show_customer_id:
            recognised_as = {"customer_id": match.recognition.customer_id, **recognised_as}
        body["customer"] = {**recognised_customer_json(body["customer"]), "recognised": recognised_as}
    if match is not None and match.recognition.outcome == "ambiguous":
        from . import recognition

        recognition.record_ambiguous(match, quote_id, now)
    if request.customer_id is not None:  # a guest has no store credit (use_credit is refused to guests)
        applied = credit.quote_credit(customer, [line.total for line in quote.lines], quote.currency,
                                      request.use_credit, rules, now)
        if applied.applied:
            claims["cr"] = [applied.applied, applied.draw]
        body = _with_credit(body, applied, credit.quote_credit_json(customer, applied, quote.currency, rules, now))
    token = sign_quote(claims)
    trust = None
    if request.shipping_address:
        from ..domain.address_trust import STAFF, STOREFRONT

        verdict = address_book.judge_address(customer, request.shipping_address, request.payment,
                                             quote.totals.total, quote.currency, rules, now)
        # The caller gets codes and shopper wording: a quotes-only key must not read the address
        # book or the history through the reasons. Support's record keeps the full wording.
        trust = verdict.to_dict(STOREFRONT)
        if verdict.decision != "ship":
            decisions_store.save_decision(request.customer_id, quote_id, now, verdict.decision, verdict.score,
                                          _decision_record(request, verdict.to_dict(STAFF), trust, quote))
    observability.metric("QuotesCreated")
    if trust is not None:
        observability.metric("AddressDecisions", outcome=trust["decision"])
    if match is not None:
        observability.metric("GuestIdentityMatches", outcome=match.recognition.outcome)
    observability.note(customer=observability.customer_ref(request.customer_id), quote_id=quote_id,
                       tier=quote.customer.tier, lines=len(quote.lines), discount_total=quote.totals.discount,
                       currency=quote.currency, address_decision=trust["decision"] if trust else None,
                       address_score=trust["score"] if trust else None)
    return {
        "quote_id": quote_id,
        "quote_token": token,
        "expires_at": iso_utc(datetime.fromtimestamp(expires, timezone.utc)),
        **body,
        "address_trust": trust,
    }


def _decision_record(request: QuoteRequest, staff: dict, storefront: dict, quote: Quote) -> dict:
    """What support keeps of a held checkout. A customer's record has the address and the full
    wording, and an erasure of the customer reaches it. A guest's record has no customer an
    erasure could name, so it keeps no personal data: the codes with shopper wording (which
    quote no address) and the destination country, enough to answer "why was I held?"
    with the quote id."""
    total = {"amount": quote.totals.total, "currency": quote.currency}
    if request.customer_id:
        return {"address_trust": staff, "shipping_address": request.shipping_address, "total": total}
    country = (request.shipping_address or {}).get("country")
    return {"address_trust": storefront, "shipping_address": {"country": country}, "total": total}


def _with_credit(body: dict, applied, credit_json: dict) -> dict:
    """The quote's answer with its ``credit`` block, each line's share of the credit and the
    total left to pay (credit is a way of paying: discounts and totals are unchanged)."""
    currency = body["currency"]
    lines = [{**line, "credit": {"amount": part, "currency": currency}}
             for line, part in zip(body["lines"], applied.lines)]
    totals = {**body["totals"], "credit": {"amount": applied.applied, "currency": currency},
              "to_pay": {"amount": body["totals"]["total"]["amount"] - applied.applied, "currency": currency}}
    return {**body, "lines": lines, "totals": totals, "credit": credit_json}


@dataclass(frozen=True)
class OrderDecision:
    """What an order's quote token decided, and what the commit must enforce and report."""

    decision: dict
    promotion_codes: List[str]
    report: dict
    credit: Optional[dict] = None  # {"applied", "currency", "draw", "lines"}: store credit the quote applied


def decision_for_order(customer_id: str, submission: OrderSubmission, token: str, now: datetime) -> OrderDecision:
    """Check a quote token against the order and return the decision to record.

    A valid token's decision is kept as quoted; an expired one is re-evaluated against the
    rules and history of now, and the differences are reported. A token for another
    customer, currency or cart is a 400, and so is a recognised guest's token (``rec``) for an
    order that does not ship to the address that proved who the guest is (``rfp``).

    A guest's token (no ``sub``) commits to any customer: a guest checkout's own record, or
    the account a shopper signed in to after the quote. Its decision stays a guest's: as
    quoted while valid, and re-evaluated *as a guest* once expired, never with the order
    customer's tier or history. Offers that depend on who the customer is are refused to
    guests at quote time, so a guest's decision holds only what anyone may have; for a
    customer's own tier and offers, the storefront quotes again with the customer id.
    """
    claims, expired = read_quote(token, now)
    claims = current_claims(claims)

    def refuse(reason: str) -> InvalidInput:
        return InvalidInput(f"quote_token: {reason}", [{"field": "quote_token", "reason": reason}])

    quoted_for = claims.get("sub")  # None: a guest's quote
    if quoted_for is not None and quoted_for != customer_id:
        raise refuse("was issued for the customer recognised at checkout: record the order under "
                     "customer.recognised.customer_id" if claims.get("rec") else "was issued for another customer")
    if claims.get("rec"):
        from .recognition import proof_problem

        problem = proof_problem(claims.get("rfp") or {}, submission.shipping_address,
                                submission.payment_confirmed_address)
        if problem:
            raise refuse(problem)
    if claims["cur"] != submission.currency:
        raise refuse(f"was issued in {claims['cur']}, the order is in {submission.currency}")
    mismatch = cart_mismatch(submission.lines, claims)
    if mismatch:
        raise refuse(f"was issued for another cart: {mismatch}")
    quoted = decision_from_claims(claims, submission.lines)
    report = {"quote_id": claims["qid"], "expired": expired, "rules_version": quoted["rules_version"]}
    if quoted_for is None:
        report["guest_quote"] = True
    if claims.get("rec"):
        report["recognised_by"] = list(claims["rec"])
    decision = quoted
    if expired:
        cart = cart_of(claims, submission.lines)
        request = QuoteRequest(quoted_for, submission.currency, cart, tuple(claims.get("codes") or ()))
        decision = decision_from_quote(_price(current_rules(), request, now)[0], claims["qid"],
                                       request.promo_codes, claims["sale"])
        report.update(re_evaluated=True, rules_version=decision["rules_version"],
                      differences=discount_differences_json(decision_differences(quoted, decision),
                                                            decision["currency"]))
    charged = charged_differently(submission.lines, decision)
    if charged:
        report["charged_differently"] = [
            {**line, "charged_discount": money_json(line["charged_discount"], decision["currency"]),
             "decided_discount": money_json(line["decided_discount"], decision["currency"])} for line in charged]
    codes = [d["code"] for d in decision["discounts"] if d["kind"] != "tier"]
    applied = credit.decision_credit(claims, decision)
    if applied is not None:
        decision = {**decision, "credit": {"applied": applied["applied"], "draw": applied["draw"]}}
    return OrderDecision({**decision, "expired": expired}, codes, report, applied)


def promotion_claims(codes: List[str]) -> List[promotions_store.PromotionClaim]:
    """The limits and budgets the current rules set for the promotions an order used."""
    rules = current_rules()
    claims = []
    for code in codes:
        promotion = rules.promotion(code)
        if promotion is None:
            continue  # retired since the quote: the shopper was promised it, nothing left to count against
        if promotion.per_customer_limit is not None or promotion.budget is not None:
            claims.append(promotions_store.PromotionClaim(code, promotion.per_customer_limit, promotion.budget))
    return claims
