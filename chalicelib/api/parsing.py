"""Turning untrusted JSON into domain values, naming every bad field and why.

Each ``parse_*`` function either returns domain objects or raises one
:class:`InvalidInput` listing *all* the problems found, so a developer fixes a request
in one round trip. Nothing here touches the database: a rejected request writes nothing.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Tuple

from ..domain.checkout import QuoteRequest
from ..domain.errors import InvalidInput, PayloadTooLarge
from ..domain.ledger import EVENT_TYPES, MONEY_EVENTS, EventLine, OrderEvent, OrderLine, OrderSubmission, total_mismatch
from ..domain.money import is_currency
from ..domain.pricing import CartLine
from ..services.quote_tokens import MAX_SIGNED_TOKEN_CHARS

MAX_BODY_BYTES = 256 * 1024
MAX_NESTING = 32  # levels of objects and lists: DynamoDB's own limit; a rules document needs 5
MAX_LINES = 500
MAX_QUANTITY = 100_000
MAX_AMOUNT = 10**13  # minor units; far above any real order, far below float trouble
MAX_FUTURE = timedelta(days=1)
MAX_TOKEN_CHARS = 160_000  # a quote token carries its cart: 500 lines fit
MAX_STORED_LINES_BYTES = 300_000  # an order's lines as stored must leave room in a 400 KB item
# A quote's cart must make an order the order route takes: its lines (JSON, non-ASCII escaped as
# most clients send it), the largest quote token, and room for the rest of the order's fields.
ORDER_BODY_ROOM = 16 * 1024
MAX_QUOTED_LINES_BYTES = MAX_BODY_BYTES - MAX_SIGNED_TOKEN_CHARS - ORDER_BODY_ROOM  # 181,760
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+\-]{0,127}\Z")
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}\Z")
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,63}\Z")
PHONE_PATTERN = re.compile(r"^\+?[0-9 ().\-]{4,32}\Z")
ADDRESS_FIELDS = {"line1": True, "line2": False, "city": True, "region": False, "postcode": False, "country": True}


class Problems:
    """Collects field problems; ``raise_if_any`` turns them into one 400."""

    def __init__(self) -> None:
        self.items: List[dict] = []

    def add(self, field: str, reason: str) -> None:
        self.items.append({"field": field, "reason": reason})

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidInput.for_fields(self.items)


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


# ---------------------------------------------------------------- primitives


def check_id(value: Any, field: str, problems: Problems) -> Optional[str]:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        problems.add(field, "must be 1-128 characters: letters, digits and . _ : @ + - (starting with a letter or digit)")
        return None
    return value


def require_id(value: Any, field: str) -> str:
    """Validate a path parameter on its own."""
    problems = Problems()
    result = check_id(value, field, problems)
    problems.raise_if_any()
    return result  # type: ignore[return-value]


def check_text(value: Any, field: str, problems: Problems, *, max_length: int, required: bool = True) -> Optional[str]:
    if value is None:
        if required:
            problems.add(field, "is required")
        return None
    if not isinstance(value, str):
        problems.add(field, "must be a string")
        return None
    text = value.strip()
    if required and not text:
        problems.add(field, "must not be empty")
        return None
    if len(text) > max_length:
        problems.add(field, f"must be at most {max_length} characters")
        return None
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in text):
        problems.add(field, "must not contain control characters")
        return None
    return text


_JSON_KINDS = {float: "a decimal number", str: "a string", bool: "true/false", list: "a list",
               dict: "an object", type(None): "null"}


def check_int(value: Any, field: str, problems: Problems, *, minimum: int = 0, maximum: int = MAX_AMOUNT,
              money: bool = False) -> Optional[int]:
    if isinstance(value, bool) or not isinstance(value, int):
        if money:
            kind = _JSON_KINDS.get(type(value), "a value of another type")
            problems.add(field, f"must be an integer amount of minor units (e.g. 12999 for 129.99), not {kind}")
        else:
            problems.add(field, "must be an integer")
        return None
    if value < minimum or value > maximum:
        problems.add(field, f"must be between {minimum} and {maximum}")
        return None
    return value


def check_currency(value: Any, field: str, problems: Problems) -> Optional[str]:
    if not is_currency(value):
        problems.add(field, "must be an ISO 4217 currency code in capitals, e.g. GBP")
        return None
    return value


def check_time(value: Any, field: str, problems: Problems, *, now: Optional[datetime] = None) -> Optional[datetime]:
    """An ISO 8601 time with an offset, returned in UTC. Naive times are refused, not guessed."""
    if not isinstance(value, str):
        problems.add(field, "must be an ISO 8601 string such as 2026-11-23T10:15:00Z")
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        problems.add(field, "must be an ISO 8601 time such as 2026-11-23T10:15:00Z")
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        problems.add(field, "must include a time zone offset (Z or +01:00); naive times are ambiguous")
        return None
    try:
        moment = moment.astimezone(timezone.utc)
    except OverflowError:
        problems.add(field, "is out of range")
        return None
    if moment.year < 1990:
        problems.add(field, "must be after 1990")
        return None
    if now is not None and moment > now + MAX_FUTURE:
        problems.add(field, "must not be in the future")
        return None
    return moment


def check_unknown(body: Dict[str, Any], allowed: Tuple[str, ...], problems: Problems, prefix: str = "") -> None:
    for name in body:
        if name not in allowed:
            problems.add(f"{prefix}{name}", "is not a known field")


def check_object(value: Any, field: str, problems: Problems) -> Optional[Dict[str, Any]]:
    if not isinstance(value, dict):
        problems.add(field, "must be an object")
        return None
    return value


def check_list(value: Any, field: str, problems: Problems, *, max_items: int, min_items: int = 1) -> List[Any]:
    if not isinstance(value, list):
        problems.add(field, "must be a list")
        return []
    if not min_items <= len(value) <= max_items:
        problems.add(field, f"must have between {min_items} and {max_items} items")
        return []
    return value


def check_address(value: Any, field: str, problems: Problems) -> Optional[Dict[str, str]]:
    """A postal address: line1, city and country required; unicode welcome, control characters not."""
    if value is None:
        return None
    address = check_object(value, field, problems)
    if address is None:
        return None
    check_unknown(address, tuple(ADDRESS_FIELDS), problems, prefix=f"{field}.")
    clean: Dict[str, str] = {}
    for name, required in ADDRESS_FIELDS.items():
        text = check_text(address.get(name), f"{field}.{name}", problems, max_length=200, required=required)
        if text:
            clean[name] = text
    country = clean.get("country")
    if country is not None and not COUNTRY_PATTERN.match(country):
        problems.add(f"{field}.country", "must be an ISO 3166-1 alpha-2 code in capitals, e.g. GB")
    return clean


# ---------------------------------------------------------------- requests



ORDER_FIELDS = ("order_id", "placed_at", "currency", "lines", "total_amount", "shipping_address", "quote_token",
                "payment")
LINE_FIELDS = ("sku", "category", "quantity", "unit_amount", "discount_amount")


def parse_order(body: Dict[str, Any], now: datetime) -> OrderSubmission:
    problems = Problems()
    check_unknown(body, ORDER_FIELDS, problems)
    order_id = check_id(body.get("order_id"), "order_id", problems)
    placed_at = check_time(body.get("placed_at"), "placed_at", problems, now=now)
    currency = check_currency(body.get("currency"), "currency", problems)
    lines = []
    for index, raw in enumerate(check_list(body.get("lines"), "lines", problems, max_items=MAX_LINES)):
        line = _parse_line(raw, f"lines[{index}]", problems)
        if line:
            lines.append(line)
    total = check_int(body.get("total_amount"), "total_amount", problems, money=True)
    address = check_address(body.get("shipping_address"), "shipping_address", problems)
    token = body.get("quote_token")
    if token is not None and (not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS):
        problems.add("quote_token", "must be the quote_token string a quote returned")
    payment = _check_payment(body.get("payment"), problems)
    problems.raise_if_any()
    canonical = {
        "order_id": order_id,
        "placed_at": placed_at.isoformat(),
        "currency": currency,
        "lines": [line.__dict__ for line in lines],
        "total_amount": total,
        "shipping_address": address,
        "quote_token": token,
        "payment": payment,
    }
    stored_size = len(json.dumps(canonical["lines"]))  # as stored: non-ASCII escaped, up to 6 bytes a character
    if stored_size > MAX_STORED_LINES_BYTES:
        raise PayloadTooLarge(f"lines: {stored_size} bytes once stored; the limit is {MAX_STORED_LINES_BYTES} "
                              "(shorten SKUs and categories, or split the order)",
                              [{"field": "lines", "reason": "too large to store"}])
    mismatch = total_mismatch(lines, total)  # type: ignore[arg-type]
    if mismatch:
        problems.add("total_amount", mismatch)
        problems.raise_if_any()
    return OrderSubmission(order_id, placed_at, currency, tuple(lines), total, address, canonical,  # type: ignore[arg-type]
                           quote_token=token, payment_confirmed_address=(payment or {}).get("confirmed_address"))


def _line_basics(line: Dict[str, Any], field: str, allowed: Tuple[str, ...], problems: Problems):
    """The fields every cart or order line has: (sku, category, quantity, unit_amount)."""
    check_unknown(line, allowed, problems, prefix=f"{field}.")
    sku = check_text(line.get("sku"), f"{field}.sku", problems, max_length=128)
    category = check_text(line.get("category", "uncategorised"), f"{field}.category", problems, max_length=64)
    quantity = check_int(line.get("quantity"), f"{field}.quantity", problems, minimum=1, maximum=MAX_QUANTITY)
    unit = check_int(line.get("unit_amount"), f"{field}.unit_amount", problems, money=True)
    return sku, category, quantity, unit


def _parse_line(raw: Any, field: str, problems: Problems) -> Optional[OrderLine]:
    line = check_object(raw, field, problems)
    if line is None:
        return None
    before = len(problems.items)
    sku, category, quantity, unit = _line_basics(line, field, LINE_FIELDS, problems)
    discount = check_int(line.get("discount_amount", 0), f"{field}.discount_amount", problems, money=True)
    if len(problems.items) > before:
        return None
    if discount > quantity * unit:  # type: ignore[operator]
        problems.add(f"{field}.discount_amount", "must not exceed quantity x unit_amount")
        return None
    return OrderLine(sku, category, quantity, unit, discount)  # type: ignore[arg-type]


EVENT_FIELDS = ("event_id", "type", "at", "amount", "lines", "reason", "as_store_credit")
CREDIT_EVENTS = ("returned", "refunded")


def parse_event(body: Dict[str, Any], now: datetime) -> Tuple[OrderEvent, Dict[str, Any]]:
    problems = Problems()
    check_unknown(body, EVENT_FIELDS, problems)
    event_id = check_id(body.get("event_id"), "event_id", problems)
    kind = body.get("type")
    if kind not in EVENT_TYPES:
        problems.add("type", f"must be one of {', '.join(EVENT_TYPES)}")
    at = check_time(body.get("at"), "at", problems, now=now)
    amount = None
    if body.get("amount") is not None:
        if kind not in MONEY_EVENTS:
            problems.add("amount", f"is only allowed for {', '.join(MONEY_EVENTS)} events")
        else:
            amount = check_int(body["amount"], "amount", problems, minimum=1, money=True)
    lines = []
    if body.get("lines") is not None:
        if kind not in MONEY_EVENTS:
            problems.add("lines", f"are only allowed for {', '.join(MONEY_EVENTS)} events")
        for index, raw in enumerate(check_list(body["lines"], "lines", problems, max_items=MAX_LINES)):
            field = f"lines[{index}]"
            line = check_object(raw, field, problems)
            if line is None:
                continue
            check_unknown(line, ("sku", "quantity"), problems, prefix=f"{field}.")
            sku = check_text(line.get("sku"), f"{field}.sku", problems, max_length=128)
            quantity = check_int(line.get("quantity"), f"{field}.quantity", problems, minimum=1, maximum=MAX_QUANTITY)
            if sku and quantity:
                lines.append(EventLine(sku, quantity))
    if kind in ("returned", "refunded") and body.get("amount") is None and body.get("lines") is None:
        problems.add("amount", f"a {kind} event needs an amount or lines")
    reason = check_text(body.get("reason"), "reason", problems, max_length=500, required=False)
    as_credit = body.get("as_store_credit", False)
    if not isinstance(as_credit, bool):
        problems.add("as_store_credit", "must be true or false")
    elif as_credit and kind not in CREDIT_EVENTS:
        problems.add("as_store_credit", f"is only allowed for {', '.join(CREDIT_EVENTS)} events")
    problems.raise_if_any()
    event = OrderEvent(event_id=event_id, type=kind, at=at, amount=amount, lines=tuple(lines), reason=reason,  # type: ignore[arg-type]
                       as_store_credit=as_credit is True)
    canonical = {
        "event_id": event_id,
        "type": kind,
        "at": at.isoformat(),  # type: ignore[union-attr]
        "amount": amount,
        "lines": [line.__dict__ for line in lines],
        "reason": reason,
    }
    if as_credit is True:  # only when set, so events recorded before the option keep their hash
        canonical["as_store_credit"] = True
    return event, canonical


def parse_profile(body: Dict[str, Any], now: datetime) -> Dict[str, Any]:
    """Fields to set on a profile; a field sent as null is cleared, one left out is kept."""
    problems = Problems()
    check_unknown(body, ("email", "phone", "name", "country", "created_at"), problems)
    fields: Dict[str, Any] = {}
    for name in ("email", "phone", "name", "country", "created_at"):
        if name not in body:
            continue
        value = body[name]
        if value is None:
            if name == "created_at":
                problems.add(name, "cannot be cleared")
            fields[name] = None
            continue
        if name == "created_at":
            fields[name] = check_time(value, name, problems, now=now)
            continue
        text = check_text(value, name, problems, max_length=254 if name == "email" else 200)
        if text is None:
            continue
        if name == "email" and not EMAIL_PATTERN.match(text):
            problems.add(name, "must be an email address")
        elif name == "phone" and not PHONE_PATTERN.match(text):
            problems.add(name, "must be a phone number of 4-32 digits, optionally with + ( ) - . and spaces")
        elif name == "country" and not COUNTRY_PATTERN.match(text):
            problems.add(name, "must be an ISO 3166-1 alpha-2 code in capitals, e.g. GB")
        fields[name] = text
    problems.raise_if_any()
    return fields


def parse_limit(value: Optional[str], *, default: int, maximum: int) -> int:
    """A page size from the query string; larger values are capped, nonsense is a 400."""
    if value is None:
        return default
    if not re.fullmatch(r"[0-9]{1,6}", value) or int(value) < 1:
        raise InvalidInput("limit must be a positive integer", [{"field": "limit", "reason": "not a positive integer"}])
    return min(int(value), maximum)


QUOTE_FIELDS = ("customer_id", "currency", "lines", "shipping_address", "payment", "promo_codes", "use_credit",
                "customer")
QUOTE_LINE_FIELDS = ("sku", "category", "quantity", "unit_amount", "on_sale")
MAX_PROMO_CODES = 10


def _check_payment(value: Any, problems: Problems) -> Optional[Dict[str, Any]]:
    """``{"method", "confirmed_address"}``: how the order is paid and the address the payment
    provider confirmed for it (e.g. PayPal's confirmed address)."""
    if value is None:
        return None
    payment = check_object(value, "payment", problems)
    if payment is None:
        return None
    check_unknown(payment, ("method", "confirmed_address"), problems, prefix="payment.")
    method = check_text(payment.get("method"), "payment.method", problems, max_length=64, required=False)
    confirmed = check_address(payment.get("confirmed_address"), "payment.confirmed_address", problems)
    return {"method": method, "confirmed_address": confirmed}


def parse_quote(body: Dict[str, Any]) -> QuoteRequest:
    """A cart to price: ``customer_id`` absent (or null) for a guest."""
    problems = Problems()
    check_unknown(body, QUOTE_FIELDS, problems)
    customer_id = None
    if body.get("customer_id") is not None:
        customer_id = check_id(body["customer_id"], "customer_id", problems)
    currency = check_currency(body.get("currency"), "currency", problems)
    lines = []
    for index, raw in enumerate(check_list(body.get("lines"), "lines", problems, max_items=MAX_LINES)):
        field = f"lines[{index}]"
        line = check_object(raw, field, problems)
        if line is None:
            continue
        before = len(problems.items)
        sku, category, quantity, unit = _line_basics(line, field, QUOTE_LINE_FIELDS, problems)
        on_sale = line.get("on_sale", False)
        if not isinstance(on_sale, bool):
            problems.add(f"{field}.on_sale", "must be true or false")
        if len(problems.items) == before:
            lines.append(CartLine(sku, category, quantity, unit, on_sale))  # type: ignore[arg-type]
    codes = []
    for index, code in enumerate(check_list(body.get("promo_codes", []), "promo_codes", problems,
                                            max_items=MAX_PROMO_CODES, min_items=0)):
        text = check_text(code, f"promo_codes[{index}]", problems, max_length=64)
        if text:
            codes.append(text)
    address = check_address(body.get("shipping_address"), "shipping_address", problems)
    payment = _check_payment(body.get("payment"), problems)
    use_credit = _check_use_credit(body.get("use_credit"), body.get("customer_id") is not None, problems)
    identity = _check_guest_identity(body, address, problems)
    problems.raise_if_any()
    _check_orderable(lines)
    return QuoteRequest(customer_id, currency, tuple(lines), tuple(codes), address, payment,  # type: ignore[arg-type]
                        use_credit, identity)


def _check_guest_identity(body: Dict[str, Any], address: Optional[dict], problems: Problems) -> Optional[Dict[str, str]]:
    """A guest's ``customer: {email?, phone?}``, normalised (docs/identity.md). A phone without
    a +country code is read in the shipping country (else the store's). The values are never
    echoed back: a reason names the field only."""
    raw = body.get("customer")
    if raw is None:
        return None
    if body.get("customer_id") is not None:
        problems.add("customer", "send customer_id for a signed-in customer, or customer for a guest, not both")
        return None
    given = check_object(raw, "customer", problems)
    if given is None:
        return None
    check_unknown(given, ("email", "phone"), problems, prefix="customer.")
    from ..config import settings
    from ..domain.identity import IdentityInvalid, normalise_email, normalise_phone

    identity: Dict[str, str] = {}
    for name in ("email", "phone"):
        value = given.get(name)
        if value is None:
            continue
        text = check_text(value, f"customer.{name}", problems, max_length=254 if name == "email" else 40)
        if not text:
            continue
        try:
            if name == "email":
                identity[name] = normalise_email(text)
            else:
                country = (address or {}).get("country") or settings().default_country
                identity[name] = normalise_phone(text, str(country))
        except IdentityInvalid as invalid:
            problems.add(f"customer.{name}", str(invalid))
    return identity or None


def _check_use_credit(value: Any, has_customer: bool, problems: Problems) -> object:
    """``true`` (as much as the customer has and the cart needs), ``false``/absent, or an amount
    of minor units of the quote currency to use at most."""
    if value is None or value is False:
        return None
    if value is not True:
        value = check_int(value, "use_credit", problems, minimum=1, money=True)
        if value is None:
            problems.items[-1]["reason"] = ("must be true, false, or an integer amount of minor units of at least 1 "
                                            "(e.g. 1000 for 10.00)")
            return None
    if not has_customer:
        problems.add("use_credit", "a guest has no store credit: send the customer_id of a signed-in customer")
        return None
    return value


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


ADJUSTMENT_KINDS = {
    "goodwill_credit": ("adjustment_id", "kind", "amount", "currency", "reason", "expires_at"),
    "store_credit": ("adjustment_id", "kind", "amount", "currency", "reason", "expires_at"),
    "tier_override": ("adjustment_id", "kind", "tier", "until", "reason"),
    "note": ("adjustment_id", "kind", "text"),
}


def parse_adjustment(body: Dict[str, Any], now: datetime) -> Dict[str, Any]:
    """An operator's adjustment: a goodwill credit, a tier override until a date, or a note."""
    problems = Problems()
    kind = body.get("kind")
    if not isinstance(kind, str) or kind not in ADJUSTMENT_KINDS:
        problems.add("kind", f"must be one of {', '.join(ADJUSTMENT_KINDS)}")
        problems.raise_if_any()
    check_unknown(body, ADJUSTMENT_KINDS[kind], problems)
    adjustment = {"adjustment_id": check_id(body.get("adjustment_id"), "adjustment_id", problems), "kind": kind}
    if kind in ("goodwill_credit", "store_credit"):
        adjustment["amount"] = check_int(body.get("amount"), "amount", problems, minimum=1, money=True)
        adjustment["currency"] = check_currency(body.get("currency"), "currency", problems)
        adjustment["reason"] = check_text(body.get("reason"), "reason", problems, max_length=500)
        if "expires_at" in body:  # absent: the rules' default lifetime; null: never expires
            expires = body["expires_at"]
            if expires is not None:
                expires = check_time(expires, "expires_at", problems)
                if expires is not None and expires <= now:
                    problems.add("expires_at", "must be in the future (or null: never expires)")
            adjustment["expires_at"] = expires.isoformat() if expires else None
    elif kind == "tier_override":
        adjustment["tier"] = check_text(body.get("tier"), "tier", problems, max_length=64)
        until = check_time(body.get("until"), "until", problems)
        if until is not None and until <= now:
            problems.add("until", "must be in the future")
        adjustment["until"] = until.isoformat() if until else None
        adjustment["reason"] = check_text(body.get("reason"), "reason", problems, max_length=500)
    else:
        adjustment["text"] = check_text(body.get("text"), "text", problems, max_length=2000)
    problems.raise_if_any()
    return adjustment


def parse_lookup(query: Dict[str, str]) -> Tuple[str, str]:
    """``?email=`` or ``?phone=`` (exactly one)."""
    given = [(name, query[name]) for name in ("email", "phone") if query.get(name)]
    if len(given) != 1:
        raise InvalidInput("give exactly one of email or phone", [{"field": "email", "reason": "one of email, phone"}])
    name, value = given[0]
    problems = Problems()
    text = check_text(value, name, problems, max_length=254)
    if text and name == "email" and not EMAIL_PATTERN.match(text):
        problems.add(name, "must be an email address")
    if text and name == "phone" and not PHONE_PATTERN.match(text):
        problems.add(name, "must be a phone number")
    problems.raise_if_any()
    return name, text  # type: ignore[return-value]


def parse_goodwill(body: Dict[str, Any]) -> Dict[str, Any]:
    """``{"cost", "currency"?, "reason"}``: a goodwill gesture support is considering."""
    problems = Problems()
    check_unknown(body, ("cost", "currency", "reason"), problems)
    request = {"cost": check_int(body.get("cost"), "cost", problems, minimum=1, money=True),
               "reason": check_text(body.get("reason"), "reason", problems, max_length=500)}
    if body.get("currency") is not None:
        request["currency"] = check_currency(body.get("currency"), "currency", problems)
    problems.raise_if_any()
    return request


def parse_merge(body: Dict[str, Any]) -> str:
    """``{"source_customer_id"}``: the record whose history moves into the path's customer."""
    problems = Problems()
    check_unknown(body, ("source_customer_id",), problems)
    source = check_id(body.get("source_customer_id"), "source_customer_id", problems)
    problems.raise_if_any()
    return source  # type: ignore[return-value]
