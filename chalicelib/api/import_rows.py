"""The import file format: CSV with a header row, or JSON Lines. See docs/importing.md.

Every row is checked with the same field rules as ``POST /v1/customers/{id}/orders``;
a row that fails becomes a :class:`RejectedRow` with its line number and reason, and the
other rows still go in.
"""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from typing import IO, Iterable, Iterator, List, Optional, Tuple, Union

from ..domain.errors import LoyaltyError
from ..domain.ledger import OrderEvent
from ..services.importer import ImportRow, RejectedRow, UnreadableImportFile
from . import shapes
from .parsing import parse_order, parse_profile
from .validation import MISSING, Problems, check

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


MAX_LINE_CHARACTERS = 1_000_000
"""A longer line is rejected (and skipped without being held in memory); real rows are far shorter."""


def open_import_text(binary: IO[bytes]) -> IO[str]:
    """An import file's bytes as text, read in chunks: UTF-8 (a BOM is dropped), line endings
    kept for the line numbers, and invalid bytes kept as escapes so that only their row is
    rejected (see :func:`read_import_file`) instead of the whole import stopping."""
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors="surrogateescape", newline="")


def read_import_file(stream: IO[str], filename: str, now: datetime) -> Iterator[Union[ImportRow, RejectedRow]]:
    """Parsed rows of a CSV (by header) or JSON Lines file, chosen by extension or first character.

    Streams line by line. Every problem of one row (bytes that are not UTF-8, JSON nested too
    deep, a cell too long, a quote left open, a field that fails its check) becomes a
    :class:`RejectedRow` with its line number, and the other rows still go in. A file that
    cannot be read as rows at all (not text, a CSV without a header of known columns) raises
    :class:`UnreadableImportFile` before any row.
    """
    return _parsed(_raw_rows(stream, filename), now)


def read_import_chunk(stream: IO[str], kind: str, header: Optional[str], first_line: int,
                      now: datetime) -> Iterator[Union[ImportRow, RejectedRow]]:
    """Parsed rows of one chunk of an import file (chalicelib/services/import_plan.py): its lines,
    numbered from ``first_line`` as in the whole file, read as ``kind`` ("csv" under ``header``,
    the file's header line, or "jsonl"). The rows are those :func:`read_import_file` gives for
    the same lines."""
    lines = ((number + first_line - 1, text) for number, text in _lines(stream))
    raw = _csv_rows(header or "", lines) if kind == "csv" else _json_rows(lines)
    return _parsed(raw, now)


def describe_import_head(text: str, filename: str) -> Tuple[str, Optional[str]]:
    """``(kind, header)`` of a file from its first non-blank line: ("csv", that line) or
    ("jsonl", None). Raises :class:`UnreadableImportFile` for a file that is not rows."""
    if "\x00" in text:  # binary, UTF-16, a spreadsheet, an archive
        raise UnreadableImportFile("the file is not UTF-8 text: import a CSV or JSON Lines file")
    name = filename.lower()
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl", None
    if name.endswith(".csv") or not text.lstrip().startswith("{"):
        _csv_header(text)
        return "csv", text
    return "jsonl", None


def _parsed(raw_rows: Iterator[Tuple[int, object]], now: datetime) -> Iterator[Union[ImportRow, RejectedRow]]:
    for line, raw in raw_rows:
        try:
            yield _parse_row(line, raw, now)
        except LoyaltyError as error:
            yield RejectedRow(line, error.message)
        except RecursionError:
            yield RejectedRow(line, "the row is nested too deeply")


def _raw_rows(stream: IO[str], filename: str) -> Iterator[Tuple[int, object]]:
    lines = _lines(stream)
    first = next(lines, None)
    while first is not None and isinstance(first[1], str) and not first[1].strip():
        first = next(lines, None)
    if first is None:
        return
    number, text = first
    if isinstance(text, LoyaltyError):  # a first line too long to be text: binary, a spreadsheet, an archive
        raise UnreadableImportFile("the file is not UTF-8 text: import a CSV or JSON Lines file")
    kind, header = describe_import_head(text, filename)
    if kind == "csv":
        yield from _csv_rows(text, lines)
    else:
        yield from _json_rows(_chain([(number, text)], lines))


def _json_rows(lines: Iterable[Tuple[int, Union[str, LoyaltyError]]]) -> Iterator[Tuple[int, object]]:
    for number, text in lines:
        problem = text if isinstance(text, LoyaltyError) else _invalid_bytes(text)
        if problem is not None:
            yield number, problem
        elif text.strip():
            yield number, _json_row(text)


def _lines(stream: IO[str]) -> Iterator[Tuple[int, Union[str, LoyaltyError]]]:
    """``(line number, text)`` of every line, or, for a line longer than :data:`MAX_LINE_CHARACTERS`
    (skipped without being held), its problem in place of its text."""
    number = 0
    while True:
        try:
            text = stream.readline(MAX_LINE_CHARACTERS + 1)
        except UnicodeDecodeError as error:  # a stream opened without open_import_text
            raise UnreadableImportFile(f"the file is not UTF-8 text after line {number}: {error.reason}") from None
        if not text:
            return
        number += 1
        if len(text) > MAX_LINE_CHARACTERS and not text.endswith(("\n", "\r")):
            while text and not text.endswith(("\n", "\r")):
                text = stream.readline(MAX_LINE_CHARACTERS)
            yield number, LoyaltyError(f"the line is longer than {MAX_LINE_CHARACTERS} characters")
            continue
        yield number, text


_INVALID_BYTE = re.compile("[\udc80-\udcff]")  # how errors="surrogateescape" keeps bytes that are not UTF-8


def _invalid_bytes(text: str) -> Optional[LoyaltyError]:
    bad = _INVALID_BYTE.search(text)
    if bad is None:
        return None
    return LoyaltyError(f"not valid UTF-8 text: byte 0x{ord(bad.group()) - 0xDC00:02x} at character {bad.start() + 1}")


def _csv_header(header_text: str) -> List[str]:
    header = _invalid_bytes(header_text) or _csv_cells(header_text)
    if isinstance(header, LoyaltyError) or not set(cell.strip() for cell in header) & set(COLUMNS):
        raise UnreadableImportFile(
            "the file is not an order CSV: its first line must be a header naming columns such as "
            "customer_id, order_id, placed_at, currency, total_amount")
    return header


def _csv_rows(header_text: str, lines: Iterable[Tuple[int, Union[str, LoyaltyError]]]
              ) -> Iterator[Tuple[int, object]]:
    """One record per line: a cell may hold commas and doubled quotes but no line break, so a
    quote left open rejects its own line and never swallows the rows after it."""
    header = _csv_header(header_text)
    for number, text in lines:
        cells = text if isinstance(text, LoyaltyError) else _invalid_bytes(text) or _csv_cells(text)
        if isinstance(cells, LoyaltyError):
            yield number, cells
        elif cells:
            row: dict = dict(zip(header, cells))
            if len(cells) > len(header):
                row[None] = cells[len(header):]
            yield number, row


def _csv_cells(text: str) -> Union[List[str], LoyaltyError]:
    try:
        return next(csv.reader([text], strict=True), [])
    except csv.Error as error:
        if str(error) == "unexpected end of data":
            return LoyaltyError("not valid CSV: a quoted cell is not closed on its line")
        return LoyaltyError(f"not valid CSV: {error}")


def _json_row(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError as error:
        return LoyaltyError(f"not valid JSON: {error}")
    except RecursionError:
        return LoyaltyError("not valid JSON: nested too deeply")


def _chain(head: List, rest: Iterable) -> Iterator:
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
    customer_id = check(row.get("customer_id"), shapes.Id, problems, field="customer_id")
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
    amount = check(value, shapes.MinorUnits, problems, field=field)
    return None if amount is MISSING else amount


def _events(row: dict, status: str, placed_at: datetime, refunded: int, returned: int,
            now: datetime) -> Tuple[OrderEvent, ...]:
    """What happened to the order after it was placed, as the events the API would have received."""
    problems = Problems()

    def when(column: str, default: datetime) -> datetime:
        if column not in row:
            return default
        moment = check(row[column], shapes.RecentTime, problems, field=column, now=now)
        return default if moment is MISSING else moment

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
