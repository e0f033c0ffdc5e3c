"""The import file format: CSV with a header row, or JSON Lines. See docs/importing.md.

Every row is checked with the same field rules as ``POST /v1/customers/{id}/orders``;
a row that fails becomes a :class:`RejectedRow` with its line number and reason, and the
other rows still go in.
"""
from __future__ import annotations

import csv
import json
import re
from datetime import datetime
from typing import IO, Iterable, Iterator, List, Optional, Tuple, Union

from ..domain.errors import LoyaltyError
from ..domain.ledger import OrderEvent
from ..services.importer import ImportRow, RejectedRow
from .parsing import Problems, check_id, check_int, check_time, parse_order, parse_profile

STATUSES = ("placed", "delivered", "returned", "refunded", "cancelled")
ADDRESS_COLUMNS = {
    "shipping_line1": "line1",
    "shipping_line2": "line2",
    "shipping_city": "city",
    "shipping_region": "region",
    "shipping_postcode": "postcode",
    "shipping_country": "country",
}
COLUMNS = (
    "customer_id", "email", "name", "phone", "order_id", "placed_at", "currency", "total_amount",
    "status", "delivered_at", "refunded_amount", "refunded_at", "returned_amount", "returned_at",
    "cancelled_at", "sku", "category", "lines", "shipping_address",
) + tuple(ADDRESS_COLUMNS)


def read_import_file(stream: IO[str], filename: str, now: datetime) -> Iterator[Union[ImportRow, RejectedRow]]:
    """Parsed rows of a CSV (by header) or JSON Lines file, chosen by extension or first character."""
    for line, raw in _raw_rows(stream, filename):
        try:
            yield _parse_row(line, raw, now)
        except LoyaltyError as error:
            yield RejectedRow(line, error.message)


def _raw_rows(stream: IO[str], filename: str) -> Iterator[Tuple[int, object]]:
    name = filename.lower()
    head: List[str] = []
    if name.endswith((".jsonl", ".ndjson", ".json")):
        is_csv = False
    elif name.endswith(".csv"):
        is_csv = True
    else:
        head = [stream.readline()]
        is_csv = not head[0].lstrip().startswith("{")
    lines = _chain(head, stream)
    if is_csv:
        reader = csv.DictReader(lines)
        for row in reader:
            yield reader.line_num, row
        return
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            yield number, json.loads(text)
        except ValueError as error:
            yield number, LoyaltyError(f"not valid JSON: {error}")


def _chain(head: List[str], rest: Iterable[str]) -> Iterator[str]:
    yield from head
    yield from rest


def _parse_row(line: int, raw: object, now: datetime) -> ImportRow:
    if isinstance(raw, LoyaltyError):
        raise raw
    if not isinstance(raw, dict):
        raise LoyaltyError("a row must be an object")
    if None in raw:
        raise LoyaltyError("the row has more cells than the header")
    row = {key.strip(): (value.strip() if isinstance(value, str) else value)
           for key, value in raw.items() if value not in ("", None)}
    problems = Problems()
    for name in sorted(set(row) - set(COLUMNS)):
        problems.add(name, "is not a known column")
    customer_id = check_id(row.get("customer_id"), "customer_id", problems)
    total = _integer(row.get("total_amount"), "total_amount", problems)
    refunded = _integer(row.get("refunded_amount", 0), "refunded_amount", problems)
    returned = _integer(row.get("returned_amount", 0), "returned_amount", problems)
    status = row.get("status", "placed")
    if status not in STATUSES:
        problems.add("status", f"must be one of {', '.join(STATUSES)}")
    problems.raise_if_any()
    body = {
        "order_id": row.get("order_id"),
        "placed_at": row.get("placed_at"),
        "currency": row.get("currency"),
        "total_amount": total,
        "lines": row.get("lines") or [{
            "sku": row.get("sku", "imported-order"),
            "category": row.get("category", "imported"),
            "quantity": 1,
            "unit_amount": total,
        }],
    }
    address = row.get("shipping_address") or {
        target: row[column] for column, target in ADDRESS_COLUMNS.items() if column in row
    }
    if address:
        body["shipping_address"] = address
    submission = parse_order(body, now)
    profile = parse_profile({name: row[name] for name in ("email", "name", "phone") if name in row}, now)
    country = str((submission.shipping_address or {}).get("country") or "").upper()
    if len(country) == 2 and country.isalpha():  # the customer's country, as the row's shipping address says
        profile["country"] = country
    events = _events(row, status, submission.placed_at, refunded or 0, returned or 0, now)
    return ImportRow(line, customer_id, profile, submission, events)  # type: ignore[arg-type]


def _integer(value: object, field: str, problems: Problems) -> Optional[int]:
    """CSV cells are text: "12999" is accepted, "129.99" is not (amounts are minor units)."""
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,15}", value):
        value = int(value)
    return check_int(value, field, problems, money=True)


def _events(row: dict, status: str, placed_at: datetime, refunded: int, returned: int,
            now: datetime) -> Tuple[OrderEvent, ...]:
    """What happened to the order after it was placed, as the events the API would have received."""
    problems = Problems()

    def when(column: str, default: datetime) -> datetime:
        if column not in row:
            return default
        return check_time(row[column], column, problems, now=now) or default

    events = []
    delivered_at = when("delivered_at", placed_at)
    if status in ("delivered", "returned", "refunded") or "delivered_at" in row:
        events.append(OrderEvent("import-delivered", "delivered", delivered_at))
    if returned:
        events.append(OrderEvent("import-returned", "returned", when("returned_at", delivered_at), amount=returned))
    if refunded:
        events.append(OrderEvent("import-refunded", "refunded", when("refunded_at", delivered_at), amount=refunded))
    if status == "cancelled":
        events.append(OrderEvent("import-cancelled", "cancelled", when("cancelled_at", placed_at)))
    problems.raise_if_any()
    return tuple(events)
