"""From a quote to a committed order: the decision a shopper was shown, kept exactly.

A quote's *decision* (tier, discounts per line and per code, totals, rules version) travels
in the signed quote token and is stored with the order that used it, so support can later
read why an order got what it got. This module turns a :class:`Quote` into that decision,
checks an order against the cart it was quoted for, and says how a re-evaluated decision
differs from the one quoted.

The token carries a digest of the cart, not the cart: the order brings its lines anyway, and
a token holding every SKU grew past what the order route takes (120 lines of long non-ASCII
SKUs made 182 KB). What the token holds per line is only what the order cannot say: which
lines were on sale, and each line's share of each discount (``[line, discount, amount]``).
A guest's token has no ``sub``: its decision is a guest's wherever it is committed.
The decision also keeps the codes the shopper typed and which lines were on sale: with the
order's lines, that is the whole cart, so ``rules replay`` can price the order again.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

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
    use_credit: object = None  # None/False: none; True: as much as possible; an int: up to that (quote currency)
    # A guest's identity as typed at checkout, normalised: {"email"?, "phone"?} (never logged)
    guest_identity: Optional[Dict[str, str]] = None


def cart_digest(rows: Iterable[Tuple[str, str, int, int]]) -> str:
    """SHA-256 of the cart's (sku, category, quantity, unit_amount) rows in order, base64url."""
    canonical = json.dumps([list(row) for row in rows], separators=(",", ":"), ensure_ascii=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode("ascii")).digest()).decode("ascii").rstrip("=")


def token_claims(quote: Quote, request: QuoteRequest, quote_id: str, issued_at: int, expires_at: int) -> dict:
    """The compact claims of a quote token: enough to record the decision and to re-run it.

    Its size grows with the lines that got a discount (a few bytes each), never with SKUs.
    """
    discount_index = {discount.code: number for number, discount in enumerate(quote.discounts)}
    claims = {
        "qid": quote_id,
        "cur": quote.currency,
        "rv": quote.rules_version or 0,
        "tier": quote.customer.tier,
        "codes": list(request.promo_codes),
        "n": len(request.lines),
        "cart": cart_digest((line.sku, line.category, line.quantity, line.unit_amount) for line in request.lines),
        "sale": [number for number, line in enumerate(request.lines) if line.on_sale],
        "ld": [[number, discount_index[part.code], part.amount]
               for number, quoted in enumerate(quote.lines) for part in quoted.discounts],
        "disc": [[d.code, d.kind, d.amount] for d in quote.discounts],
        "tot": [quote.totals.subtotal, quote.totals.discount, quote.totals.total],
        "iat": issued_at,
        "exp": expires_at,
    }
    if request.customer_id is not None:  # a guest's token has no subject (PyJWT refuses "sub": null)
        claims["sub"] = request.customer_id
    return claims


def current_claims(claims: dict) -> dict:
    """The claims of a token signed before carts became digests (it carried ``lines``: sku,
    category, quantity, unit, on_sale, [[code, amount]]), in today's form; today's as they are."""
    if "lines" not in claims:
        return claims
    lines = claims["lines"]
    discount_index = {code: number for number, (code, _kind, _amount) in enumerate(claims["disc"])}
    upgraded = {name: value for name, value in claims.items() if name != "lines"}
    upgraded.update(
        n=len(lines),
        cart=cart_digest((sku, category, quantity, unit) for sku, category, quantity, unit, _, _ in lines),
        sale=[number for number, line in enumerate(lines) if line[4]],
        ld=[[number, discount_index[code], amount]
            for number, line in enumerate(lines) for code, amount in line[5]],
    )
    if upgraded.get("sub") is None:
        upgraded.pop("sub", None)
    return upgraded


def cart_of(claims: dict, order_lines: Sequence[OrderLine]) -> Tuple[CartLine, ...]:
    """The quoted cart: the order's lines (checked by :func:`cart_mismatch`) and the token's on-sale marks."""
    on_sale = set(claims["sale"])
    return tuple(CartLine(line.sku, line.category, line.quantity, line.unit_amount, number in on_sale)
                 for number, line in enumerate(order_lines))


def decision_from_claims(claims: dict, order_lines: Sequence[OrderLine]) -> dict:
    """The decision record stored with an order, from a valid token and the order's (quoted) lines."""
    parts: List[List[dict]] = [[] for _ in order_lines]
    for number, discount, amount in claims["ld"]:
        parts[number].append({"code": claims["disc"][discount][0], "amount": amount})
    return {
        "quote_id": claims["qid"],
        "rules_version": claims["rv"],
        "tier": claims.get("tier"),
        "currency": claims["cur"],
        "discounts": [{"code": code, "kind": kind, "amount": amount} for code, kind, amount in claims["disc"]],
        "lines": [{"sku": line.sku, "quantity": line.quantity, "subtotal": line.quantity * line.unit_amount,
                   "discounts": line_parts}
                  for line, line_parts in zip(order_lines, parts)],
        "totals": dict(zip(("subtotal", "discount", "total"), claims["tot"])),
        "codes": list(claims.get("codes") or []),
        "sale": list(claims.get("sale") or []),
    }


def decision_from_quote(quote: Quote, quote_id: str, codes: Sequence[str] = (), sale: Sequence[int] = ()) -> dict:
    """The decision record of a quote computed at commit (an expired token re-evaluated).

    ``codes`` (as the shopper typed them) and ``sale`` (numbers of the lines on sale) complete
    the stored cart, so the order can be priced again later (``rules replay``)."""
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
        "codes": list(codes),
        "sale": list(sale),
    }


def cart_mismatch(order_lines: Sequence[OrderLine], claims: dict) -> Optional[str]:
    """Why an order's lines are not the quoted cart (same SKUs, categories, quantities and
    prices in the same order), or None when they are."""
    if len(order_lines) != claims["n"]:
        return f"the order has {len(order_lines)} lines but the quote had {claims['n']}"
    rows = ((line.sku, line.category, line.quantity, line.unit_amount) for line in order_lines)
    if cart_digest(rows) != claims["cart"]:
        return "the lines differ from the quoted cart (sku, category, quantity or unit_amount, in the quoted order)"
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
