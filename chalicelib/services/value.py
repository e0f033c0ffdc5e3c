"""What a customer is likely worth, and goodwill recommendations built on it.

The figures are estimates from the customer's purchase days (the ``DAY#`` items kept at write
time) under the BG/NBD and Gamma-Gamma models whose parameters and policy are the rules
document's ``value_model`` section (docs/customer-value.md). Scoring is pure Python; the
model module loads on first use, not at cold start.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Optional

from .. import clock
from ..domain.errors import InvalidInput, NotFound
from ..domain.rules import Rules
from ..domain.times import iso_utc
from ..store import customers as customers_store
from .rules import current_rules, parsed_section

def value_model(rules: Rules):
    """The rules' ``value_model`` section, parsed once per rules object."""
    from ..domain.customer_value import value_model_of

    return parsed_section(rules, "value_model", value_model_of)


def _score(customer_id: str, rules: Rules, now: datetime):
    """(model, spend by purchase day, score); the last two are None for a customer without purchases."""
    from ..domain.customer_value import score_customer, spend_by_purchase_day, summarize_purchase_days

    model = value_model(rules)
    today = now.astimezone(timezone.utc).date()
    spend_by_day = spend_by_purchase_day(customers_store.purchase_days(customer_id), today)
    if not spend_by_day:
        return model, None, None
    summary = summarize_purchase_days(spend_by_day, today)
    return model, spend_by_day, score_customer(model.bgnbd, model.gamma_gamma, summary, model.policy)


def estimate(customer_id: str, *, audience: str, rules: Optional[Rules] = None,
             now: Optional[datetime] = None, customer_since: Optional[datetime] = None) -> Optional[dict]:
    """The ``value`` block of the support 360 view (``audience="staff"``) and of ``/v1/me``
    (``audience="customer"``): None for a customer without purchases.

    ``customer_since`` (the one definition, :func:`chalicelib.domain.customer.customer_since`)
    is reported with the purchase days the estimate is based on; the models' own clock starts
    at the first purchase day, as BG/NBD defines it."""
    now = now or clock.now()
    rules = rules or current_rules()
    model, spend_by_day, score = _score(customer_id, rules, now)
    if score is None:
        return None
    currency = rules.base_currency

    def money(amount: float) -> dict:
        return {"amount": int(round(amount)), "currency": currency}

    if audience == "customer":
        note = ("Estimates from your past orders with us, not promises: how often customers with a "
                "similar history order, and what those orders are usually worth.")
    else:
        fitted = f"fitted on {model.sample_size} customers on {model.fitted_at[:10]}" if model.fitted_at \
            else "default parameters (CDNOW sample) until fit-value-model has run"
        note = ("Estimates from past buying patterns (BG/NBD and Gamma-Gamma models, "
                f"{fitted}), not promises. Probability active is shown from the second purchase day on; "
                "value is expected sales over 5 years in today's money.")
    return {
        "estimate": True,
        "probability_active": None if score.probability_active is None else round(score.probability_active, 2),
        "expected_orders_12m": round(score.expected_orders_12m, 1),
        "expected_orders_5y": round(score.expected_orders_5y, 1),
        "expected_spend_per_order": money(score.expected_spend_per_order),
        "expected_value_5y": money(score.expected_value_5y),
        "customer_since": iso_utc(customer_since),
        "based_on": {"purchase_days": len(spend_by_day), "first_purchase_day": min(spend_by_day).isoformat(),
                     "last_purchase_day": max(spend_by_day).isoformat()},
        "note": note,
    }


def recommend_goodwill(customer_id: str, request: dict, *, now: Optional[datetime] = None) -> dict:
    """``POST /v1/admin/customers/{id}/goodwill``: approve, escalate or decline a gesture of
    ``cost`` (base currency), with the figures and the policy's reasoning. Writes nothing:
    granting is a ``goodwill_credit`` adjustment, audited like every adjustment."""
    from ..domain.customer_value import recommend_goodwill as recommend

    now = now or clock.now()
    rules = current_rules()
    currency = rules.base_currency
    if request.get("currency") not in (None, currency):
        raise InvalidInput(f"currency: goodwill is assessed in the base currency {currency}",
                           [{"field": "currency", "reason": f"must be {currency}"}])
    customer = customers_store.load_customer(customer_id, currency)
    if customer is None:
        raise NotFound(f"no customer {customer_id}")
    model, _, score = _score(customer_id, rules, now)
    granted = customer.stats.window(now, 12).goodwill
    result = recommend(request["cost"], score.expected_orders_5y if score else 0.0,
                       score.expected_value_5y if score else 0.0, max(0, granted), model.policy,
                       currency=currency)

    def money(amount: int) -> dict:
        return {"amount": amount, "currency": currency}

    return {
        "customer_id": customer_id,
        "cost": money(result.cost),
        **result.to_json(),
        "value_ceiling": money(result.value_ceiling),
        "allowance_left": money(result.allowance_left),
        "model": {"fitted_at": model.fitted_at, "sample_size": model.sample_size, "source": model.source},
        "grant_with": {
            "method": "POST",
            "path": f"/v1/admin/customers/{customer_id}/adjustments",
            # Ready to send: it grants the gesture as store credit the customer's next quote applies.
            "body": {"kind": "goodwill_credit", "amount": result.cost, "currency": currency,
                     "reason": request["reason"], "adjustment_id": f"goodwill-{uuid.uuid4().hex[:16]}"},
        },
    }
