"""Planning an import file into chunks: row-aligned byte ranges that workers import apart.

The file is streamed once, block by block (never held whole). A chunk ends at a line end,
after ``max_rows`` lines or ``max_bytes`` bytes, whichever comes first. Lines are what the
import reader calls lines (``open_import_text``: ``\\n``, ``\\r\\n`` or a lone ``\\r``), and a
CSV record is one line there on purpose (a quote left open rejects its own line and never
swallows the rows after it: chalicelib/api/import_rows.py). So cutting at any line end gives
every row, rejected or not, exactly as reading the whole file would, under the same line
number. Line ends are ASCII, so a cut never falls inside a UTF-8 character either.

The first non-blank line decides the format (``describe_head``, the reader's own rule); a CSV's
header travels in every chunk's message, and a file that cannot be read as rows at all is
reported before any chunk is planned.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import asdict, dataclass
from typing import Callable, Iterator, List, Optional, Tuple

from .importer import UnreadableImportFile

BLOCK_BYTES = 1 << 20
DEFAULT_MAX_ROWS = 5_000  # ~20-50 s of writing at 100-250 orders/s: far inside a worker's timeout
DEFAULT_MAX_BYTES = 8 << 20

HeadReader = Callable[[str, str], Tuple[str, Optional[str]]]
"""``describe_head(first non-blank line, filename)`` -> ``(kind, header)``: "csv" with the header
line, or "jsonl" with None; raises :class:`UnreadableImportFile` for a file that is not rows."""

_LINE_END = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True)
class Chunk:
    """Bytes ``[start, end)`` of the file, holding lines ``first_line``..``last_line``."""

    number: int
    start: int
    end: int
    first_line: int
    last_line: int

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ImportPlan:
    kind: Optional[str]  # "csv" or "jsonl"; None for a file without rows
    header: Optional[str]
    chunks: List[Chunk]
    rows: int  # lines the chunks hold (a CSV's header not among them)
    file_error: Optional[str] = None


def lines(read: Callable[[int], bytes]) -> Iterator[Tuple[int, int, bytes]]:
    """``(start, end, bytes)`` of every line, its line end included, reading ``read(n)`` block
    by block. A ``\\r`` closing a block waits for the next one (it may be half a ``\\r\\n``)."""
    position, pending = 0, b""
    while True:
        block = read(BLOCK_BYTES)
        data = pending + block
        if not data:
            return
        start = 0
        for found in _LINE_END.finditer(data):
            if block and found.end() == len(data) and data.endswith(b"\r"):
                break  # maybe "\r\n" split across blocks: decide with the next block
            yield position + start, position + found.end(), data[start:found.end()]
            start = found.end()
        if not block:  # end of file: what is left is a last line without a line end
            if start < len(data):
                yield position + start, position + len(data), data[start:]
            return
        position, pending = position + start, data[start:]


def plan_chunks(read: Callable[[int], bytes], filename: str, describe_head: HeadReader,
                max_rows: int = DEFAULT_MAX_ROWS, max_bytes: int = DEFAULT_MAX_BYTES) -> ImportPlan:
    """The chunks of the file that ``read`` streams (see the module's docstring)."""
    numbered = enumerate(lines(read), start=1)
    kind, header, first = None, None, None
    for number, (start, end, raw) in numbered:
        text = raw.decode("utf-8-sig" if start == 0 else "utf-8", errors="surrogateescape")
        if text.strip():
            try:
                kind, header = describe_head(text, filename)
            except UnreadableImportFile as error:
                return ImportPlan(None, None, [], 0, file_error=error.message)
            first = (number, start, end)
            break
    if first is None:
        return ImportPlan(None, None, [], 0)
    number, start, end = first
    rest: Iterator = numbered
    if kind == "csv":  # the header is not a row: chunks start after it
        chunk_first, chunk_start = number + 1, end
    else:
        chunk_first, chunk_start = number, start
        rest = itertools.chain([(number, (start, end, b""))], numbered)
    chunks: List[Chunk] = []
    rows, last, file_end = 0, chunk_first - 1, end
    for number, (line_start, line_end, _) in rest:
        rows, last, file_end = rows + 1, number, line_end
        if number - chunk_first + 1 >= max_rows or line_end - chunk_start >= max_bytes:
            chunks.append(Chunk(len(chunks) + 1, chunk_start, line_end, chunk_first, number))
            chunk_start, chunk_first = line_end, number + 1
    if last >= chunk_first:
        chunks.append(Chunk(len(chunks) + 1, chunk_start, file_end, chunk_first, last))
    return ImportPlan(kind, header, chunks, rows)
