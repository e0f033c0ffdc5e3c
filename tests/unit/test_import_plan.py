"""The chunk planner of big imports (chalicelib/services/import_plan.py): chunks are row-aligned
byte ranges whose rows, read apart, are exactly the rows of the whole file under the same line
numbers: none lost or doubled at a boundary, a CSV's header carried to every chunk."""
import io
import json
from datetime import datetime, timezone

import pytest

from chalicelib.api.import_rows import describe_import_head, open_import_text, read_import_chunk, read_import_file
from chalicelib.services import import_plan
from chalicelib.services.import_plan import plan_chunks

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
HEADER = b"customer_id,order_id,placed_at,currency,total_amount,email\r\n"


def csv_row(n: int, end: bytes = b"\n") -> bytes:
    return f"c-{n % 7},o-{n},2026-03-01T10:00:00Z,GBP,{1000 + n},c{n % 7}@example.com".encode() + end


def jsonl_row(n: int) -> bytes:
    return json.dumps({"customer_id": f"c-{n % 7}", "order_id": f"o-{n}", "placed_at": "2026-03-01T10:00:00Z",
                       "currency": "GBP", "total_amount": 1000 + n}).encode() + b"\n"


def described(rows):
    return [(row.line, type(row).__name__, getattr(row, "reason", None),
             getattr(getattr(row, "submission", None), "order_id", None)) for row in rows]


def whole_file(data: bytes, name: str):
    return described(read_import_file(open_import_text(io.BytesIO(data)), name, NOW))


def chunked(data: bytes, name: str, max_rows: int, max_bytes: int = 1 << 30):
    plan = plan_chunks(io.BytesIO(data).read, name, describe_import_head, max_rows, max_bytes)
    rows = []
    for chunk in plan.chunks:
        piece = data[chunk.start:chunk.end]
        text = io.TextIOWrapper(io.BytesIO(piece), encoding="utf-8-sig" if chunk.start == 0 else "utf-8",
                                errors="surrogateescape", newline="")
        rows.extend(described(read_import_chunk(text, plan.kind, plan.header, chunk.first_line, NOW)))
    return plan, rows


@pytest.mark.parametrize("max_rows", [1, 2, 3, 7, 50])
def test_csv_chunks_give_every_row_once_with_its_line_and_the_header_in_each(max_rows):
    data = HEADER + b"".join(csv_row(n, b"\r\n" if n % 2 else b"\n") for n in range(20))
    plan, rows = chunked(data, "history.csv", max_rows)
    assert plan.kind == "csv" and plan.header == HEADER.decode()
    assert rows == whole_file(data, "history.csv")
    assert [r[3] for r in rows] == [f"o-{n}" for n in range(20)]
    assert len(plan.chunks) == -(-20 // max_rows) and plan.rows == 20
    # The chunks tile the rows: contiguous, no byte or line left over or shared.
    assert plan.chunks[0].start == len(HEADER) and plan.chunks[-1].end == len(data)
    for before, after in zip(plan.chunks, plan.chunks[1:]):
        assert before.end == after.start and before.last_line + 1 == after.first_line


def test_a_quoted_newline_in_csv_splits_as_the_reader_reads_it_whatever_the_boundary():
    """The reader reads a CSV record as one line on purpose (a quote left open rejects its own
    line, never the rows after it); a chunk boundary inside the quoted cell changes nothing."""
    data = (HEADER + csv_row(1) + b'c-1,o-2,2026-03-01T10:00:00Z,GBP,1000,"two\nlines"\n' + csv_row(3)
            + b'c-1,o-4,2026-03-01T10:00:00Z,GBP,1000,"a, b"\r\n' + csv_row(5))
    expected = whole_file(data, "history.csv")
    assert [r[1] for r in expected].count("RejectedRow") >= 1
    for max_rows in range(1, 8):
        assert chunked(data, "history.csv", max_rows)[1] == expected, max_rows


def test_jsonl_chunks_start_at_the_first_row_and_keep_blank_lines_numbered():
    data = b"\n" + jsonl_row(0) + b"\n" + jsonl_row(1) + b"{not json\n" + jsonl_row(2) + b"\r" + jsonl_row(3)
    expected = whole_file(data, "history.jsonl")
    for max_rows in (1, 2, 3, 100):
        plan, rows = chunked(data, "history.jsonl", max_rows)
        assert plan.kind == "jsonl" and plan.header is None
        assert rows == expected, max_rows
    assert [r[0] for r in expected] == [2, 4, 5, 6, 8]  # line 7 is a lone "\r": blank


def test_bytes_limit_cuts_at_line_ends_and_a_utf8_character_is_never_split():
    data = HEADER + b"".join(csv_row(n).replace(b"@", "\u00e9@".encode()) for n in range(30))
    plan, rows = chunked(data, "history.csv", max_rows=10_000, max_bytes=100)
    assert len(plan.chunks) > 5
    assert rows == whole_file(data, "history.csv")
    assert all(data[chunk.end - 1:chunk.end] == b"\n" for chunk in plan.chunks)


def test_a_crlf_split_across_read_blocks_is_one_line_end(monkeypatch):
    monkeypatch.setattr(import_plan, "BLOCK_BYTES", 7)  # blocks end inside rows and between \r and \n
    data = HEADER + b"".join(csv_row(n, b"\r\n") for n in range(9))
    for max_rows in (1, 4):
        plan, rows = chunked(data, "history.csv", max_rows)
        assert rows == whole_file(data, "history.csv") and plan.rows == 9


def test_a_bom_and_a_last_line_without_line_end_are_read_as_the_reader_reads_them():
    data = b"\xef\xbb\xbf" + HEADER + csv_row(1) + csv_row(2, b"")
    plan, rows = chunked(data, "history.csv", 1)
    assert rows == whole_file(data, "history.csv") and len(rows) == 2


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", HEADER, HEADER + b"\n"])
def test_tiny_and_empty_files_plan_no_or_blank_chunks_and_lose_nothing(data):
    plan, rows = chunked(data, "history.csv", 2)
    assert rows == whole_file(data, "history.csv") == []
    assert plan.file_error is None


def test_one_row_is_one_chunk():
    data = HEADER + csv_row(1, b"")
    plan, rows = chunked(data, "history.csv", 5000)
    assert len(plan.chunks) == 1 and rows == whole_file(data, "history.csv") and len(rows) == 1


def test_a_file_that_is_not_rows_is_refused_at_planning_with_the_readers_reason():
    plan = plan_chunks(io.BytesIO(b"name;email\nBen;ben@example.com\n").read, "x.csv", describe_import_head)
    assert plan.chunks == [] and "not an order CSV" in plan.file_error
    plan = plan_chunks(io.BytesIO("customer_id\n".encode("utf-16")).read, "x.csv", describe_import_head)
    assert "not UTF-8 text" in plan.file_error


def test_planning_streams_the_file_block_by_block():
    reads = []
    data = HEADER + b"".join(csv_row(n) for n in range(40_000))

    class Stream(io.BytesIO):
        def read(self, size=-1):
            assert 0 < size <= import_plan.BLOCK_BYTES  # never "the rest of the file"
            reads.append(size)
            return super().read(size)

    plan = plan_chunks(Stream(data).read, "history.csv", describe_import_head, max_rows=5000)
    assert len(reads) > 1 and len(plan.chunks) == 8 and plan.rows == 40_000
