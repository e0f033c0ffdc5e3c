"""Stored records keep amounts as plain integers next to one currency; every response shows each
amount as ``{"amount": <minor units>, "currency": "<ISO 4217>"}``. These turn the records that
responses carry (an order's lines, the decision a quote gave an order, a ledger entry's
details) into that form. Pure functions of dicts: the stored records are not changed.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

LINE_AMOUNTS = ("unit_amount", "discount_amount", "net_amount")


def money_json(amount: int, currency: str) -> Dict[str, Any]:
    return {"amount": int(amount), "currency": currency}


def order_line_json(line: Dict[str, Any], currency: str) -> Dict[str, Any]:
    """An order line (sku, category, quantity, unit_amount, discount_amount[, net_amount])."""
    return {key: money_json(value, currency) if key in LINE_AMOUNTS and isinstance(value, int) else value
            for key, value in line.items()}


def decision_json(decision: Dict[str, Any]) -> Dict[str, Any]:
    """The decision record stored with an order (domain.checkout), amounts in its currency."""
    currency = decision["currency"]

    def parts(discounts):
        return [{**part, "amount": money_json(part["amount"], currency)} for part in discounts]

    return {
        **decision,
        "discounts": parts(decision.get("discounts", [])),
        "lines": [{**line, "subtotal": money_json(line["subtotal"], currency), "discounts": parts(line["discounts"])}
                  for line in decision.get("lines", [])],
        "totals": {name: money_json(amount, currency) for name, amount in decision.get("totals", {}).items()},
    }


def amount_and_currency_json(record: Dict[str, Any]) -> Dict[str, Any]:
    """A record keeping ``amount`` and ``currency`` side by side (a goodwill credit's details):
    the two become one Money under ``amount``."""
    if isinstance(record.get("amount"), int) and isinstance(record.get("currency"), str):
        shown = {key: value for key, value in record.items() if key != "currency"}
        shown["amount"] = money_json(record["amount"], record["currency"])
        return shown
    return dict(record)


def discount_differences_json(differences: List[Dict[str, Any]], currency: str) -> List[Dict[str, Any]]:
    """What changed between a quote and its re-evaluation: per code the amounts quoted and now;
    the tier's change stays as the tiers' names."""
    return [difference if difference["code"] == "tier" else
            {**difference, "quoted": money_json(difference["quoted"], currency),
             "now": money_json(difference["now"], currency)}
            for difference in differences]


def ledger_details_json(details: Dict[str, Any], currency: Optional[str]) -> Dict[str, Any]:
    """A ledger entry's details: the order's lines, its decision, the discount a refund took back,
    a goodwill credit's amount."""
    shown = amount_and_currency_json(details)
    if currency and shown.get("lines"):
        shown["lines"] = [order_line_json(line, currency) for line in shown["lines"]]
    if isinstance(shown.get("decision"), dict):
        shown["decision"] = decision_json(shown["decision"])
    if currency and isinstance(shown.get("discount_taken_back"), int):
        shown["discount_taken_back"] = money_json(shown["discount_taken_back"], currency)
    return shown
