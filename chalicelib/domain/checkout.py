"""From a quote to a committed order: the decision a shopper was shown, kept exactly.

A quote's *decision* (tier, discounts per line and per code, totals, rules version) travels
in the signed quote token and is stored with the order that used it, so support can later
read why an order got what it got. This module turns a :class:`Quote` into that decision,
checks an order against the cart it was quoted for, and says how a re-evaluated decision
differs from the one quoted.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from .ledger import OrderLine
from .pricing import CartLine, LineDiscount, Quote, QuotedLine


@dataclass(frozen=True)
class QuoteRequest:
    customer_id: Optional[str]  # None for a guest
    currency: str
    lines: Tuple[CartLine, ...]
    promo_codes: Tuple[str, ...]
    shipping_address: Optional[dict] = None
    payment: Optional[dict] = None


def token_claims(quote: Quote, request: QuoteRequest, quote_id: str, issued_at: int, expires_at: int) -> dict:
    """The compact claims of a quote token: enough to record the decision and to re-run it."""
    return {
        "qid": quote_id,
        "sub": request.customer_id,
        "cur": quote.currency,
        "rv": quote.rules_version or 0,
        "tier": quote.customer.tier,
        "codes": list(request.promo_codes),
        "lines": [[cart.sku, cart.category, cart.quantity, cart.unit_amount, cart.on_sale,
                   [[part.code, part.amount] for part in quoted.discounts]]
                  for cart, quoted in zip(request.lines, quote.lines)],
        "disc": [[d.code, d.kind, d.amount] for d in quote.discounts],
        "tot": [quote.totals.subtotal, quote.totals.discount, quote.totals.total],
        "iat": issued_at,
        "exp": expires_at,
    }


def cart_of(claims: dict) -> Tuple[CartLine, ...]:
    return tuple(CartLine(sku, category, quantity, unit, bool(on_sale))
                 for sku, category, quantity, unit, on_sale, _ in claims["lines"])


def decision_from_claims(claims: dict) -> dict:
    """The decision record stored with an order, from a valid token."""
    return {
        "quote_id": claims["qid"],
        "rules_version": claims["rv"],
        "tier": claims.get("tier"),
        "currency": claims["cur"],
        "discounts": [{"code": code, "kind": kind, "amount": amount} for code, kind, amount in claims["disc"]],
        "lines": [{"sku": sku, "quantity": quantity, "subtotal": quantity * unit,
                   "discounts": [{"code": code, "amount": amount} for code, amount in parts]}
                  for sku, _category, quantity, unit, _on_sale, parts in claims["lines"]],
        "totals": dict(zip(("subtotal", "discount", "total"), claims["tot"])),
    }


def decision_from_quote(quote: Quote, quote_id: str) -> dict:
    """The decision record of a quote computed at commit (an expired token re-evaluated)."""
    return {
        "quote_id": quote_id,
        "rules_version": quote.rules_version or 0,
        "tier": quote.customer.tier,
        "currency": quote.currency,
        "discounts": [{"code": d.code, "kind": d.kind, "amount": d.amount} for d in quote.discounts],
        "lines": [{"sku": line.sku, "quantity": line.quantity, "subtotal": line.subtotal,
                   "discounts": [{"code": p.code, "amount": p.amount} for p in line.discounts]}
                  for line in quote.lines],
        "totals": {"subtotal": quote.totals.subtotal, "discount": quote.totals.discount,
                   "total": quote.totals.total},
    }


def cart_mismatch(order_lines: Sequence[OrderLine], cart: Sequence[CartLine]) -> Optional[str]:
    """Why an order's lines are not the quoted cart (same SKUs, categories, quantities and
    prices in the same order), or None when they are."""
    if len(order_lines) != len(cart):
        return f"the order has {len(order_lines)} lines but the quote had {len(cart)}"
    for index, (line, quoted) in enumerate(zip(order_lines, cart)):
        ordered = (line.sku, line.category, line.quantity, line.unit_amount)
        wanted = (quoted.sku, quoted.category, quoted.quantity, quoted.unit_amount)
        if ordered != wanted:
            return f"lines[{index}] differs from the quoted cart (sku, category, quantity or unit_amount)"
    return None


def charged_differently(order_lines: Sequence[OrderLine], decision: dict) -> List[dict]:
    """Lines whose ``discount_amount`` is not what the decision gave them."""
    differences = []
    for index, (line, decided) in enumerate(zip(order_lines, decision["lines"])):
        expected = sum(part["amount"] for part in decided["discounts"])
        if line.discount_amount != expected:
            differences.append({"line": index, "sku": line.sku, "charged_discount": line.discount_amount,
                                "decided_discount": expected})
    return differences


def decision_differences(quoted: dict, now: dict) -> List[dict]:
    """What changed between the quoted decision and a re-evaluation: per code, and the tier."""
    def by_code(decision: dict) -> Dict[str, int]:
        return {d["code"]: d["amount"] for d in decision["discounts"]}

    before, after = by_code(quoted), by_code(now)
    changes = [{"code": code, "quoted": before.get(code, 0), "now": after.get(code, 0)}
               for code in sorted(set(before) | set(after)) if before.get(code, 0) != after.get(code, 0)]
    if quoted.get("tier") != now.get("tier"):
        changes.append({"code": "tier", "quoted": quoted.get("tier"), "now": now.get("tier")})
    return changes


def quoted_lines(decision: dict) -> Tuple[QuotedLine, ...]:
    """The decision's lines as the pricing module's :class:`QuotedLine` (for discount clawback)."""
    return tuple(
        QuotedLine(line["sku"], "", line["quantity"], line["subtotal"],
                   tuple(LineDiscount(part["code"], part["amount"]) for part in line["discounts"]))
        for line in decision["lines"]
    )
