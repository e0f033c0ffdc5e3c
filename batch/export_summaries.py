"""Every customer's purchase summary from a DynamoDB export, aggregated by DuckDB.

The Scan path (``services/value_fit.py``) reads the purchase-day items (``item_type``
``purchase_day``: ``customer_id``, ``day``, ``orders``, ``net_spend``) and nothing else. The same
rows are read here from the export's gzipped data files, and :data:`SUMMARY_SQL` groups them by
customer in SQL, streaming: Python sees one row per customer, never one per item. The same SQL
runs on Athena over the export (docs/scale.md), and its rows are what ``fit-value-model
--from-summaries`` reads. Each row becomes a :class:`PurchaseSummary` through the domain's own
:func:`summarize_aggregates`, so both paths give the fit the same numbers.

DuckDB is in ``requirements-batch.txt`` only; never imported by ``chalicelib`` or ``app.py``.
"""
from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Iterable, Iterator, List, Sequence, TextIO, Tuple

from chalicelib.domain.customer_value import PurchaseSummary, summarize_aggregates

from .dynamodb_export import Export, ExportProblem

SUMMARY_COLUMNS = ("customer_id", "first_purchase_day", "last_purchase_day", "purchase_days", "total_spend",
                   "first_day_spend", "as_of")

# One statement for DuckDB and Athena (Trino): `loyalty_export` is the export's items, one row
# per item with its DynamoDB JSON in the column `item`. {as_of} is a date literal, YYYY-MM-DD.
# A day whose orders were all cancelled (orders 0) is no purchase; a day after as_of (clock
# skew at a storefront) counts as as_of's; net spend of a day never counts below 0
# (domain/customer_value.py: spend_by_purchase_day).
SUMMARY_SQL = """\
WITH days AS (
  SELECT item.customer_id.S AS customer_id,
         least(CAST(item.day.S AS DATE), DATE '{as_of}') AS day,
         sum(greatest(CAST(item.net_spend.N AS BIGINT), 0)) AS spend
  FROM loyalty_export
  WHERE item.item_type.S = 'purchase_day' AND CAST(item.orders.N AS BIGINT) > 0
  GROUP BY 1, 2
)
SELECT customer_id,
       min(day) AS first_purchase_day,
       max(day) AS last_purchase_day,
       count(*) AS purchase_days,
       sum(spend) AS total_spend,
       min_by(spend, day) AS first_day_spend,
       DATE '{as_of}' AS as_of
FROM days
GROUP BY customer_id
ORDER BY customer_id"""

# The attributes the summaries need, as DuckDB reads them from each line's "Item"; other
# attributes of the items are skipped while parsing.
_ITEM_TYPE = ("STRUCT(item_type STRUCT(S VARCHAR), customer_id STRUCT(S VARCHAR), day STRUCT(S VARCHAR), "
              "orders STRUCT(N VARCHAR), net_spend STRUCT(N VARCHAR))")

SummaryRow = Tuple[str, date, date, int, int, int, date]


def summary_rows(export: Export, as_of: date, threads: int = 2) -> List[SummaryRow]:
    """One row per customer with a standing purchase (:data:`SUMMARY_COLUMNS`)."""
    import duckdb

    if not export.data_files:  # an export of an empty table lists none
        return []
    connection = duckdb.connect(config={"threads": threads})
    try:
        files = "[" + ", ".join(_literal(str(path)) for path in export.data_files) + "]"
        connection.execute(
            "CREATE VIEW loyalty_export AS SELECT \"Item\" AS item FROM read_json("
            f"{files}, format = 'newline_delimited', compression = 'gzip', "
            f"columns = {{'Item': '{_ITEM_TYPE}'}})")
        return connection.execute(SUMMARY_SQL.format(as_of=as_of.isoformat())).fetchall()
    except duckdb.Error as error:
        raise ExportProblem(f"{export.folder}: a data file cannot be read ({_first_line(error)})") from None
    finally:
        connection.close()


def summaries_from_rows(rows: Iterable[Sequence[object]]) -> Iterator[PurchaseSummary]:
    """The domain's summary of each row (``customer_id`` first, ``as_of`` last)."""
    for _, first, last, purchase_days, total, first_day, as_of in rows:
        yield summarize_aggregates(first_purchase_day=_day(first), last_purchase_day=_day(last),
                                   purchase_days=int(purchase_days), total_spend=int(total),
                                   first_day_spend=int(first_day), today=_day(as_of))


def read_summaries_csv(lines: TextIO, name: str) -> List[PurchaseSummary]:
    """Summaries from a CSV with a header of :data:`SUMMARY_COLUMNS` (what Athena writes for
    :data:`SUMMARY_SQL`); a bad row raises :class:`ExportProblem` naming its line."""
    try:
        return _read_summaries(csv.DictReader(lines), name)
    except (csv.Error, UnicodeDecodeError) as error:
        raise ExportProblem(f"{name}: not a CSV file of summaries ({error})") from None


def _read_summaries(reader: csv.DictReader, name: str) -> List[PurchaseSummary]:
    missing = [column for column in SUMMARY_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise ExportProblem(f"{name}: the header lacks {', '.join(missing)} (expected {', '.join(SUMMARY_COLUMNS)})")
    summaries = []
    for row in reader:
        try:
            summaries.extend(summaries_from_rows([[row[column] for column in SUMMARY_COLUMNS]]))
        except (ValueError, TypeError) as error:
            raise ExportProblem(f"{name}, line {reader.line_num}: {error}") from None
    return summaries


def write_summaries_csv(rows: Iterable[Sequence[object]], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(SUMMARY_COLUMNS)
        writer.writerows([str(value) for value in row] for row in rows)


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value).strip()[:10])


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
