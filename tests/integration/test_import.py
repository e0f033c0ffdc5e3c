"""Importing history: CSV and JSON Lines, rejected rows reported, re-import changes nothing,
and the aggregates equal those of the same orders sent one by one through the API."""
import gzip
import io
import json
from datetime import datetime, timezone

import boto3
import pytest
from click.testing import CliRunner

from chalicelib.api.import_rows import read_import_file
from chalicelib.cli import cli
from chalicelib.services.customers import customer_summary
from chalicelib.services.importer import import_orders

from .helpers import item_count, post

NOW = datetime(2026, 11, 23, tzinfo=timezone.utc)
CSV = """customer_id,email,name,order_id,placed_at,currency,total_amount,status,delivered_at,refunded_amount,sku,category,shipping_line1,shipping_city,shipping_postcode,shipping_country
ben,ben@example.com,Ben,h-1,2022-03-01T10:00:00Z,GBP,12999,delivered,2022-03-04T10:00:00Z,,RUN-1,running-shoes,27 Meadow Lane,Harrogate,HG1 2AB,GB
ben,ben@example.com,Ben,h-2,2023-05-01T10:00:00Z,GBP,13999,refunded,2023-05-03T10:00:00Z,4000,RUN-2,running-shoes,27 Meadow Lane,Harrogate,HG1 2AB,GB
ben,ben@example.com,Ben,h-3,2026-10-01T10:00:00Z,GBP,2500,cancelled,,,SOCKS,accessories,27 Meadow Lane,Harrogate,HG1 2AB,GB
ann,,Ann,h-4,2026-09-01T10:00:00+02:00,EUR,5000,placed,,,BAG,bags,,,,
ann,,Ann,h-5,2026-09-01T10:00:00,GBP,5000,placed,,,BAG,bags,,,,
ann,,Ann,h-6,2026-09-01T10:00:00Z,GBP,50.00,placed,,,BAG,bags,,,,
,,Nobody,h-7,2026-09-01T10:00:00Z,GBP,5000,placed,,,BAG,bags,,,,
ann,,Ann,h-8,2026-09-01T10:00:00Z,GBP,5000,shipped,,,BAG,bags,,,,
ann,,Ann,h-9,2026-09-01T10:00:00Z,GBP,5000,placed,,9000,BAG,bags,,,,
"""


def run_import(text, name="history.csv"):
    return import_orders(read_import_file(io.StringIO(text), name, NOW), now=NOW)


def test_valid_rows_go_in_and_each_rejected_row_says_its_line_and_why(table):
    report = run_import(CSV)
    assert (report.rows, report.imported, report.customers) == (9, 4, 2)
    rejected = {row["line"]: row["reason"] for row in report.rejected}
    assert set(rejected) == {6, 7, 8, 9, 10}
    assert "placed_at" in rejected[6] and "time zone" in rejected[6]
    assert "total_amount" in rejected[7]
    assert "customer_id" in rejected[8]
    assert "status" in rejected[9]
    assert "remains" in rejected[10]


def test_imported_aggregates_account_for_deliveries_refunds_and_cancellations(table):
    run_import(CSV)
    stats = customer_summary("ben", now=NOW)["stats"]
    assert stats["lifetime"]["orders"] == 2
    assert stats["lifetime"]["net_spend"]["amount"] == 12999 + 13999 - 4000
    assert (stats["delivered_orders"], stats["refunds"], stats["cancellations"]) == (2, 1, 1)
    assert stats["first_order_at"] == "2022-03-01T10:00:00Z"
    assert stats["last_order_at"] == "2023-05-01T10:00:00Z"


def test_reimporting_the_same_file_changes_nothing(table):
    run_import(CSV)
    items = item_count(table)
    before = customer_summary("ben", now=NOW)
    again = run_import(CSV)
    assert (again.imported, again.already_present) == (0, 4)
    assert item_count(table) == items
    after = customer_summary("ben", now=NOW)
    assert after["stats"] == before["stats"]


def test_a_changed_row_for_an_existing_order_is_rejected_not_applied(table):
    run_import(CSV)
    changed = CSV.replace("h-1,2022-03-01T10:00:00Z,GBP,12999", "h-1,2022-03-01T10:00:00Z,GBP,11999")
    report = run_import(changed)
    assert any("already recorded with different data" in row["reason"] for row in report.rejected)
    assert customer_summary("ben", now=NOW)["stats"]["lifetime"]["net_spend"]["amount"] == 12999 + 13999 - 4000


def test_import_gives_the_same_aggregates_as_the_api_one_by_one(client, table):
    rows = []
    for number in range(30):  # ~150 items: more than one transaction (100 items) for one customer
        placed = f"20{21 + number % 5}-{1 + number % 12:02d}-0{1 + number % 9}T10:00:00Z"
        refunded = {"refunded_amount": 700} if number % 7 == 0 else {}
        status = "cancelled" if number % 11 == 5 else ("refunded" if refunded else "delivered")
        rows.append({"customer_id": "imp", "order_id": f"x-{number}", "placed_at": placed, "currency": "GBP",
                     "total_amount": 1000 + number, "status": status, "sku": "S", "category": "c", **refunded})
    report = run_import("\n".join(json.dumps(row) for row in rows), name="history.jsonl")
    assert report.imported == 30 and not report.rejected

    for row in rows:
        body = {"order_id": row["order_id"], "placed_at": row["placed_at"], "currency": "GBP",
                "lines": [{"sku": "S", "category": "c", "quantity": 1, "unit_amount": row["total_amount"]}],
                "total_amount": row["total_amount"]}
        assert post(client, "/v1/customers/api/orders", body | {"order_id": "a" + row["order_id"]}).status_code == 201
        path = f"/v1/customers/api/orders/a{row['order_id']}/events"
        if row["status"] != "cancelled":
            post(client, path, {"event_id": "d", "type": "delivered", "at": row["placed_at"]})
        if row.get("refunded_amount"):
            post(client, path, {"event_id": "r", "type": "refunded", "at": row["placed_at"],
                                "amount": row["refunded_amount"]})
        if row["status"] == "cancelled":
            post(client, path, {"event_id": "c", "type": "cancelled", "at": row["placed_at"]})
    imported = customer_summary("imp", now=NOW)["stats"]
    by_api = customer_summary("api", now=NOW)["stats"]
    assert imported == by_api
    from chalicelib.store.customers import purchase_days

    assert purchase_days("imp") == purchase_days("api") and len(purchase_days("imp")) > 20


def test_the_cli_imports_a_file_with_a_summary_and_rejected_rows(table, tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(CSV, encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "orders imported:  4" in result.output
    assert "line 7:" in result.output
    as_json = CliRunner().invoke(cli, ["import", str(path), "--json"])
    summary = json.loads(as_json.output[as_json.output.index("{"):])
    assert summary["already_present"] == 4 and summary["imported"] == 0


def test_a_file_landing_under_imports_in_s3_is_imported_and_reported(client, table, monkeypatch):
    IMPORT_BUCKET = "loyalty-imports-test"
    s3 = boto3.client("s3", region_name="eu-west-2")
    s3.create_bucket(Bucket=IMPORT_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    s3.put_object(Bucket=IMPORT_BUCKET, Key="imports/2026-11/history.csv", Body=CSV.encode("utf-8"))
    event = client.events.generate_s3_event(bucket=IMPORT_BUCKET, key="imports/2026-11/history.csv")
    client.lambda_.invoke("import_uploaded_file", event)
    outside = client.events.generate_s3_event(bucket=IMPORT_BUCKET, key="import-reports/2026-11/history.csv.report.json")
    assert client.lambda_.invoke("import_uploaded_file", outside).payload == []  # its own reports never re-trigger
    report = json.loads(s3.get_object(Bucket=IMPORT_BUCKET, Key="import-reports/2026-11/history.csv.report.json")
                        ["Body"].read())
    assert report["imported"] == 4 and report["rejected"] == 5
    assert customer_summary("ben", now=NOW)["stats"]["lifetime"]["orders"] == 2
    # The finished import is recorded in the table, where the stream turns it into import.finished.
    from chalicelib.store.models import ImportReportItem

    stored = ImportReportItem.get("IMPORT#2026-11/history.csv", "REPORT")
    assert (stored.imported, stored.rejected, stored.rows) == (4, 5, report["rows"])
    assert stored.report_location == f"s3://{IMPORT_BUCKET}/import-reports/2026-11/history.csv.report.json"


@pytest.mark.parametrize("key", ["imports/orders+2026.csv", "imports/q%41.csv", "imports/my history.csv"])
def test_s3_import_keys_are_url_decoded_once(client, table, key):
    from urllib.parse import quote_plus

    bucket = "loyalty-imports-test"
    s3 = boto3.client("s3", region_name="eu-west-2")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    s3.put_object(Bucket=bucket, Key=key, Body=CSV.encode("utf-8"))
    # S3 notifications carry the key URL-encoded, a space as "+" ("orders+2026" arrives as "orders%2B2026").
    event = client.events.generate_s3_event(bucket=bucket, key=quote_plus(key, safe="/"))
    client.lambda_.invoke("import_uploaded_file", event)
    report_key = "import-reports/" + key.split("/", 1)[1] + ".report.json"
    report = json.loads(s3.get_object(Bucket=bucket, Key=report_key)["Body"].read())
    assert (report["key"], report["imported"], report["rejected"]) == (key, 4, 5)


@pytest.mark.parametrize("text", ["", "customer_id,order_id\n"])
def test_an_empty_file_imports_nothing_without_error(table, text):
    report = run_import(text)
    assert report.rows == 0 and report.imported == 0


def test_one_customers_long_history_is_split_into_transactions_of_at_most_100_items(table):
    from chalicelib.services.importer import MAX_ITEMS_PER_TRANSACTION, _chunks, _Row
    from chalicelib.services.orders import build_new_order

    rows = []
    for number in range(90):
        address = f",{number % 7} High Street,Leeds,LS1 4AB,GB"
        rows.append(f"big,o-{number},20{20 + number % 6}-{1 + number % 12:02d}-0{1 + number % 9}T10:00:00Z,GBP,"
                    f"1000,refunded,100{address}")
    text = "customer_id,order_id,placed_at,currency,total_amount,status,refunded_amount," \
           "shipping_line1,shipping_city,shipping_postcode,shipping_country\n" + "\n".join(rows)
    parsed = list(read_import_file(io.StringIO(text), "big.csv", NOW))
    built = [_Row(p.line, p.customer_id, p.profile, build_new_order(p.customer_id, p.submission, source="import",
                                                                   events=p.events)) for p in parsed]
    chunks = list(_chunks(built))
    assert len(chunks) > 1
    for chunk in chunks:
        months = {d.month for row in chunk for d in row.new_order.deltas}
        addresses = {row.new_order.address_use.address_id for row in chunk}
        items = sum(1 + len(row.new_order.entries) for row in chunk) + 1 + len(months) + len(addresses)
        assert items <= MAX_ITEMS_PER_TRANSACTION
    report = run_import(text, name="big.csv")
    assert report.imported == 90 and not report.rejected


HEADER = b"customer_id,order_id,placed_at,currency,total_amount,sku\r\n"


def good(order_id, customer="ben"):
    return f"{customer},{order_id},2026-03-01T10:00:00Z,GBP,1000,RUN-1\r\n".encode()


BAD_CSV = (HEADER + good("v-1")
           + b"ben,v-2,2026-03-01T10:00:00Z,GBP,1000,RUN-\xff\r\n"           # line 3: not UTF-8
           + b"ben,v-3,2026-03-01T10:00:00Z,GBP,1000," + b"x" * 200_000 + b"\r\n"  # line 4: a 200 KB cell
           + b'ben,"v-4,2026-03-01T10:00:00Z,GBP,1000,RUN-1\r\n'              # line 5: a quote left open
           + good("v-5") + good("v-6", "ann"))
BAD_JSONL = (json.dumps({"customer_id": "ben", "order_id": "j-1", "placed_at": "2026-03-01T10:00:00Z",
                         "currency": "GBP", "total_amount": 1000}).encode() + b"\n"
             + b'{"customer_id": "ben", "order_id": "j-2", "sku": "\xc3\x28"}\n'  # line 2: not UTF-8
             + b"[" * 100_000 + b"\n"                                             # line 3: nested 100,000 deep
             + b'{"customer_id": "ann", "order_id": "j-3", "placed_at": "2026-03-01T10:00:00Z", '
               b'"currency": "GBP", "total_amount": 1000}\n')


def import_via(via, client, tmp_path, name, data):
    """Import ``data`` as file ``name`` through the CLI or an S3 upload; the summary it reports."""
    if via == "cli":
        path = tmp_path / name
        path.write_bytes(data)
        result = CliRunner().invoke(cli, ["import", str(path), "--json"])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        summary, _ = json.JSONDecoder().raw_decode(result.output[result.output.index("{"):])
        return summary, result
    bucket = "loyalty-imports-test"
    s3 = boto3.client("s3", region_name="eu-west-2")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    s3.put_object(Bucket=bucket, Key=f"imports/{name}", Body=data)
    client.lambda_.invoke("import_uploaded_file", client.events.generate_s3_event(bucket=bucket, key=f"imports/{name}"))
    return json.loads(s3.get_object(Bucket=bucket, Key=f"import-reports/{name}.report.json")["Body"].read()), None


@pytest.mark.parametrize("via", ["cli", "s3"])
@pytest.mark.parametrize("name, data, imported, rejected", [
    ("history.csv", BAD_CSV, {"v-1", "v-5", "v-6"}, {3: "UTF-8", 4: "field limit", 5: "not closed"}),
    ("history.jsonl", BAD_JSONL, {"j-1", "j-3"}, {2: "UTF-8", 3: "nested too deeply"}),
], ids=["csv", "jsonl"])
def test_one_bad_byte_or_row_rejects_only_its_own_line_and_the_import_goes_on(
        client, table, tmp_path, via, name, data, imported, rejected):
    summary, _ = import_via(via, client, tmp_path, name, data)
    assert summary["imported"] == len(imported) and "file_error" not in summary
    reasons = {row["line"]: row["reason"] for row in summary["rejected_rows"]}
    assert set(reasons) == set(rejected)
    for line, words in rejected.items():
        assert words in reasons[line]
    recorded = {entry["order_id"] for customer in ("ben", "ann")
                for entry in client.http.get(f"/v1/customers/{customer}/ledger").json_body["entries"]}
    assert recorded == imported


@pytest.mark.parametrize("via", ["cli", "s3"])
@pytest.mark.parametrize("name, data, words", [
    ("history.csv", gzip.compress(HEADER + good("v-1")), "not UTF-8 text"),
    ("history.csv", "customer_id,order_id\n".encode("utf-16"), "not UTF-8 text"),
    ("history.csv", b"name;email;spend\nBen;ben@example.com;1000\n", "not an order CSV"),
], ids=["gzip", "utf-16", "not-csv"])
def test_a_file_that_is_not_text_or_not_csv_is_reported_with_a_clear_message(
        client, table, tmp_path, via, name, data, words):
    summary, result = import_via(via, client, tmp_path, name, data)
    assert words in summary["file_error"]
    assert (summary["rows"], summary["imported"]) == (0, 0)
    if result is not None:
        assert result.exit_code == 1 and f"cannot import {name}: " in result.output
        assert "Traceback" not in result.output


def test_a_quote_left_open_rejects_its_own_line_and_never_swallows_the_rows_after_it(table):
    text = (HEADER + b'ben,"v-1,2026-03-01T10:00:00Z,GBP,1000,RUN-1\r\n' + good("v-2")
            + b'ben,v-3,2026-03-01T10:00:00Z,GBP,1000,"RUN ""1"", 2"\r\n').decode()
    report = run_import(text)
    assert (report.imported, [row["line"] for row in report.rejected]) == (2, [2])
    assert "not closed" in report.rejected[0]["reason"]
    assert customer_summary("ben", now=NOW)["stats"]["lifetime"]["orders"] == 2
