"""Turning untrusted JSON into domain values: what the declared shapes cannot say.

The shape of each body (fields, types, bounds, patterns) is declared once in
:mod:`chalicelib.api.shapes` and checked by :mod:`chalicelib.api.validation`, which lists
*all* the problems in one 400. Here: reading the body (size, JSON, nesting, surrogates), the
rules between fields (a total equal to its lines, what an event type allows, a quote's
orderable size, a guest's identity), and building the domain objects the services take.
Nothing here touches the database: a rejected request writes nothing.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

from msgspec import convert

from ..domain.checkout import QuoteRequest
from ..domain.errors import InvalidInput, PayloadTooLarge
from ..domain.ledger import MONEY_EVENTS, EventLine, OrderEvent, OrderLine, OrderSubmission, total_mismatch
from ..domain.pricing import CartLine
from ..services.quote_tokens import MAX_SIGNED_TOKEN_CHARS
from . import shapes
from .shapes import COUNTRY_PATTERN, EMAIL_PATTERN, ID_PATTERN, MAX_LINES, PHONE_PATTERN  # noqa: F401 (the app's rules)
from .validation import MISSING, Problems, check, decode

MAX_BODY_BYTES = 256 * 1024
MAX_NESTING = 32  # levels of objects and lists: DynamoDB's own limit; a rules document needs 5
MAX_STORED_LINES_BYTES = 300_000  # an order's lines as stored must leave room in a 400 KB item
# A quote's cart must make an order the order route takes: its lines (JSON, non-ASCII escaped as
# most clients send it), the largest quote token, and room for the rest of the order's fields.
ORDER_BODY_ROOM = 16 * 1024
MAX_QUOTED_LINES_BYTES = MAX_BODY_BYTES - MAX_SIGNED_TOKEN_CHARS - ORDER_BODY_ROOM  # 181,760
ADDRESS_FIELDS = ("line1", "line2", "city", "region", "postcode", "country")


def parse_json_body(raw: Optional[bytes]) -> Dict[str, Any]:
    """The request body as a JSON object; 413 over the size limit, 400 when not a JSON object."""
    raw = raw or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is {len(raw)} bytes; the limit is {MAX_BODY_BYTES}")
    if not raw.strip():
        raise InvalidInput("the body is empty; send a JSON object", [{"field": "body", "reason": "empty"}])
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:
        raise InvalidInput("the body is nested too deeply", [{"field": "body", "reason": "nested too deeply"}])
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInput(f"the body is not valid JSON: {error}", [{"field": "body", "reason": "malformed JSON"}])
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object", [{"field": "body", "reason": "not an object"}])
    surrogates = b"\\ud" in raw or b"\\uD" in raw  # only a \u escape can put a surrogate into a string
    if surrogates or raw.count(b"{") + raw.count(b"[") > MAX_NESTING:
        _check_structure(body, surrogates)
    return body


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_structure(body: Dict[str, Any], surrogates: bool) -> None:
    """400 for what json.loads lets through but nothing after it can take: nesting deeper than
    ``MAX_NESTING`` (copying or storing it would overflow the stack) and, with ``surrogates``,
    text holding an unpaired UTF-16 surrogate (json.loads joins the pairs), which no UTF-8
    text, so no DynamoDB item, can hold."""
    pending: List[Tuple[str, Any, int]] = [("", body, 1)]
    while pending:
        path, value, depth = pending.pop()
        if isinstance(value, str):
            if surrogates and _SURROGATE.search(value):
                reason = "must be valid Unicode: it has an unpaired surrogate escape (\\ud800-\\udfff)"
                raise InvalidInput.for_fields([{"field": path or "body", "reason": reason}])
        elif isinstance(value, (dict, list)):
            if depth > MAX_NESTING:
                raise InvalidInput.for_fields([{"field": path, "reason": f"nested more than {MAX_NESTING} levels deep"}])
            if isinstance(value, list):
                pending.extend((f"{path}[{index}]", item, depth + 1) for index, item in enumerate(value))
                continue
            for key, item in value.items():
                if surrogates and _SURROGATE.search(key):  # a bad name: blame the object holding it
                    pending.append((path, key, depth))
                else:
                    pending.append((f"{path}.{key}" if path else key, item, depth + 1))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def require_id(value: Any, field: str) -> str:
    """Validate a path parameter on its own."""
    problems = Problems()
    result = check(value, shapes.Id, problems, field=field)
    problems.raise_if_any()
    return result


def address_of(address: Optional[shapes.Address]) -> Optional[Dict[str, str]]:
    """An address as the services keep it: its non-empty fields, in the declared order."""
    if address is None:
        return None
    return {name: getattr(address, name) for name in ADDRESS_FIELDS if getattr(address, name)}


def payment_of(payment: Optional[shapes.Payment]) -> Optional[Dict[str, Any]]:
    if payment is None:
        return None
    return {"method": payment.method, "confirmed_address": address_of(payment.confirmed_address)}


# ---------------------------------------------------------------- requests


def _discount_within_line(line: Dict[str, Any], field: str, problems: Problems) -> None:
    if line.get("discount_amount", 0) > line["quantity"] * line["unit_amount"]:
        problems.add(f"{field}.discount_amount", "must not exceed quantity x unit_amount")


def parse_order(body: Dict[str, Any], now: datetime) -> OrderSubmission:
    order: shapes.OrderRequest = decode(body, shapes.OrderRequest, now=now,
                                        hooks={shapes.OrderLine: _discount_within_line})
    lines = tuple(OrderLine(line.sku, line.category, line.quantity, line.unit_amount, line.discount_amount)
                  for line in order.lines)
    address = address_of(order.shipping_address)
    payment = payment_of(order.payment)
    canonical = {
        "order_id": order.order_id,
        "placed_at": order.placed_at.isoformat(),
        "currency": order.currency,
        "lines": [line.__dict__ for line in lines],
        "total_amount": order.total_amount,
        "shipping_address": address,
        "quote_token": order.quote_token,
        "payment": payment,
    }
    stored_size = len(json.dumps(canonical["lines"]))  # as stored: non-ASCII escaped, up to 6 bytes a character
    if stored_size > MAX_STORED_LINES_BYTES:
        raise PayloadTooLarge(f"lines: {stored_size} bytes once stored; the limit is {MAX_STORED_LINES_BYTES} "
                              "(shorten SKUs and categories, or split the order)",
                              [{"field": "lines", "reason": "too large to store"}])
    mismatch = total_mismatch(lines, order.total_amount)
    if mismatch:
        raise InvalidInput.for_fields([{"field": "total_amount", "reason": mismatch}])
    return OrderSubmission(order.order_id, order.placed_at, order.currency, lines, order.total_amount, address,
                           canonical, quote_token=order.quote_token,
                           payment_confirmed_address=(payment or {}).get("confirmed_address"))


CREDIT_EVENTS = ("returned", "refunded")


def parse_event(body: Dict[str, Any], now: datetime) -> Tuple[OrderEvent, Dict[str, Any]]:
    """An order event; amount, lines and as_store_credit only for the event types that take them."""
    problems = Problems()
    clean = check(body, shapes.EventRequest, problems, now=now)
    kind = body.get("type")
    money = ", ".join(MONEY_EVENTS)
    if body.get("amount") is not None and kind not in MONEY_EVENTS:
        problems.replace("amount", f"is only allowed for {money} events")
    if body.get("lines") is not None and kind not in MONEY_EVENTS:
        problems.replace("lines", f"are only allowed for {money} events", keep=True)
    if kind in CREDIT_EVENTS and body.get("amount") is None and body.get("lines") is None:
        problems.add("amount", f"a {kind} event needs an amount or lines")
    if body.get("as_store_credit") is True and kind not in CREDIT_EVENTS:
        problems.add("as_store_credit", f"is only allowed for {', '.join(CREDIT_EVENTS)} events")
    problems.items.sort(key=_event_problem_order)  # stable: in the order of the declared fields
    problems.raise_if_any()
    request = convert(clean, shapes.EventRequest)
    lines = tuple(EventLine(line.sku, line.quantity) for line in request.lines or ())
    event = OrderEvent(event_id=request.event_id, type=request.type, at=request.at, amount=request.amount,
                       lines=lines, reason=request.reason, as_store_credit=request.as_store_credit)
    canonical = {
        "event_id": request.event_id,
        "type": request.type,
        "at": request.at.isoformat(),
        "amount": request.amount,
        "lines": [line.__dict__ for line in lines],
        "reason": request.reason,
    }
    if request.as_store_credit:  # only when set, so events recorded before the option keep their hash
        canonical["as_store_credit"] = True
    return event, canonical


def _declared_order(shape: Any) -> Dict[str, int]:
    return {name: index for index, name in enumerate(shape.__struct_fields__)}


_EVENT_ORDER = _declared_order(shapes.EventRequest)
_QUOTE_ORDER = _declared_order(shapes.QuoteRequest)
_GUEST_ORDER = _declared_order(shapes.GuestIdentity)


def _event_problem_order(problem: Dict[str, str]) -> float:
    name = re.split(r"[.\[]", problem["field"], maxsplit=1)[0]
    if problem["reason"].endswith("needs an amount or lines"):
        return _EVENT_ORDER["lines"] + 0.5
    return _EVENT_ORDER.get(name, -1)


def _quote_problem_order(problem: Dict[str, str]) -> Tuple[int, int]:
    name, _, rest = problem["field"].partition(".")
    name = name.split("[", 1)[0]
    return _QUOTE_ORDER.get(name, -1), _GUEST_ORDER.get(rest, -1) if name == "customer" else 0


def parse_profile(body: Dict[str, Any], now: datetime) -> Dict[str, Any]:
    """Fields to set on a profile; a field sent as null is cleared, one left out is kept."""
    profile: shapes.ProfileRequest = decode(body, shapes.ProfileRequest, now=now)
    fields = {name: getattr(profile, name) for name in profile.__struct_fields__}
    return {name: value for name, value in fields.items() if value is not shapes.UNSET}


def parse_limit(value: Optional[str], *, default: int, maximum: int) -> int:
    """A page size from the query string; larger values are capped, nonsense is a 400."""
    if value is None:
        return default
    if not re.fullmatch(r"[0-9]{1,6}", value) or int(value) < 1:
        raise InvalidInput("limit must be a positive integer", [{"field": "limit", "reason": "not a positive integer"}])
    return min(int(value), maximum)


def parse_quote(body: Dict[str, Any]) -> QuoteRequest:
    """A cart to price: ``customer_id`` absent (or null) for a guest."""
    problems = Problems()
    clean = check(body, shapes.QuoteRequest, problems)
    signed_in = body.get("customer_id") is not None
    use_credit = body.get("use_credit")
    if use_credit is not None and use_credit is not False and not signed_in and not any(
            item["field"] == "use_credit" for item in problems.items):
        problems.add("use_credit", "a guest has no store credit: send the customer_id of a signed-in customer")
    identity = None
    if body.get("customer") is not None and signed_in:
        problems.replace("customer", "send customer_id for a signed-in customer, or customer for a guest, not both")
    else:
        identity = _guest_identity(body, problems)
    problems.items.sort(key=_quote_problem_order)  # stable: in the order of the declared fields
    problems.raise_if_any()
    quote = convert(clean, shapes.QuoteRequest)
    lines = [CartLine(line.sku, line.category, line.quantity, line.unit_amount, line.on_sale) for line in quote.lines]
    _check_orderable(lines)
    return QuoteRequest(quote.customer_id, quote.currency, tuple(lines), tuple(quote.promo_codes),
                        address_of(quote.shipping_address), payment_of(quote.payment),
                        quote.use_credit or None, identity)


def _guest_identity(body: Dict[str, Any], problems: Problems) -> Optional[Dict[str, str]]:
    """A guest's ``customer: {email?, phone?}``, normalised (docs/identity.md). A phone without
    a +country code is read in the shipping country (else the store's). The values are never
    echoed back: a reason names the field only."""
    given = body.get("customer")
    if not isinstance(given, dict):
        return None
    from ..config import settings
    from ..domain.identity import IdentityInvalid, normalise_email, normalise_phone

    named = {item["field"] for item in problems.items}
    address = body.get("shipping_address")
    identity: Dict[str, str] = {}
    for name in ("email", "phone"):
        value = given.get(name)
        if value is None or f"customer.{name}" in named:
            continue
        text = value.strip()
        try:
            if name == "email":
                identity[name] = normalise_email(text)
            else:
                identity[name] = normalise_phone(text, _shipping_country(address) or settings().default_country)
        except IdentityInvalid as invalid:
            problems.add(f"customer.{name}", str(invalid))
    return identity or None


def _shipping_country(address: Any) -> Optional[str]:
    """The shipping address's country as given (trimmed), if it is text at all."""
    if not isinstance(address, dict) or address.get("country") is None:
        return None
    country = check(address["country"], shapes.CountryCode, Problems())
    return None if country is MISSING else country


def _check_orderable(lines: List[CartLine]) -> None:
    """413 on ``lines`` for a cart whose order the order route would refuse as too large: a quote
    never hands out a token for an order that cannot be placed (issue 11, defect 10)."""
    as_ordered = [{"sku": line.sku, "category": line.category, "quantity": line.quantity,
                   "unit_amount": line.unit_amount, "discount_amount": line.quantity * line.unit_amount}
                  for line in lines]
    size = len(json.dumps(as_ordered))
    if size > MAX_QUOTED_LINES_BYTES:
        raise PayloadTooLarge(f"lines: {size} bytes as an order's lines; a quote takes at most {MAX_QUOTED_LINES_BYTES} "
                              "so that its order, with the quote token, fits the order route "
                              "(shorten SKUs and categories, or split the order)",
                              [{"field": "lines", "reason": "too large for one order"}])


def parse_adjustment(body: Dict[str, Any], now: datetime) -> Dict[str, Any]:
    """An operator's adjustment: a goodwill credit, a tier override until a date, or a note."""
    problems = Problems()
    clean = check(body, shapes.AdjustmentRequest, problems, now=now)
    problems.raise_if_any()
    request = convert(clean, shapes.AdjustmentRequest)
    adjustment: Dict[str, Any] = {"adjustment_id": request.adjustment_id, "kind": clean["kind"]}
    if isinstance(request, shapes.GoodwillCredit):
        adjustment.update(amount=request.amount, currency=request.currency, reason=request.reason)
        if request.expires_at is not shapes.UNSET:  # absent: the rules' default lifetime; null: never expires
            adjustment["expires_at"] = request.expires_at.isoformat() if request.expires_at else None
    elif isinstance(request, shapes.TierOverride):
        adjustment.update(tier=request.tier, until=request.until.isoformat(), reason=request.reason)
    else:
        adjustment["text"] = request.text
    return adjustment


def parse_lookup(query: Dict[str, str]) -> Tuple[str, str]:
    """``?email=`` or ``?phone=`` (exactly one)."""
    given = [(name, query[name]) for name in ("email", "phone") if query.get(name)]
    if len(given) != 1:
        raise InvalidInput("give exactly one of email or phone", [{"field": "email", "reason": "one of email, phone"}])
    name, value = given[0]
    problems = Problems()
    text = check(value, shapes.LOOKUP[name], problems, field=name)
    problems.raise_if_any()
    return name, text


def parse_goodwill(body: Dict[str, Any]) -> Dict[str, Any]:
    """``{"cost", "currency"?, "reason"}``: a goodwill gesture support is considering."""
    request: shapes.GoodwillRequest = decode(body, shapes.GoodwillRequest)
    answer: Dict[str, Any] = {"cost": request.cost, "reason": request.reason}
    if request.currency is not None:
        answer["currency"] = request.currency
    return answer


def parse_merge(body: Dict[str, Any]) -> str:
    """``{"source_customer_id"}``: the record whose history moves into the path's customer."""
    return decode(body, shapes.MergeRequest).source_customer_id
