"""Store-sized imports (issue 19) fanned out into chunks, on DynamoDB Local (concurrent chunks
write the same customers: moto would lose updates) with S3 and SQS on moto.

The yardstick is the one-process import of the same file (``import_orders`` over the whole
file): after a chunked import, with chunks run concurrently and out of order, a worker killed
mid-chunk and its chunk delivered again, the table holds exactly what that import writes and
the report says what its report says. A chunk that keeps failing ends on the dead-letter queue
and the report names its lines as not imported.
"""
from __future__ import annotations

import json
import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from chalicelib.api.import_rows import open_import_text, read_import_file
from chalicelib.config import settings
from chalicelib.services.importer import import_orders
from chalicelib.services.rules import forget_cached_rules
from chalicelib.store import models
from chalicelib.store.table import create_table

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
BUCKET = "loyalty-imports-fanout"
COLUMNS = ("customer_id,email,name,order_id,placed_at,currency,total_amount,status,refunded_amount,"
           "shipping_line1,shipping_city,shipping_postcode,shipping_country")


def history_csv(rows: int = 700, customers: int = 60, seed: int = 19) -> bytes:
    """A store's history: each customer's orders scattered over the whole file (so over every
    chunk), with deliveries, refunds, cancellations, two addresses each, rejected rows and an
    order repeated far from its first line."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    lines = [COLUMNS]
    for n in range(rows):
        c = rng.randrange(customers)
        placed = start + timedelta(minutes=rng.randrange(60 * 24 * 680))
        status = rng.choice(["placed", "delivered", "delivered", "delivered", "refunded", "cancelled"])
        total = rng.randrange(500, 40000)
        refunded = total // 2 if status == "refunded" else 0
        street = f"{c % 90 + 1} {'High Street' if rng.random() < 0.7 else 'Mill Lane'}"
        currency = "GBP" if n % 397 else "XXX"  # a few rejected rows
        lines.append(f"cust-{c},cust{c}@example.com,Customer {c},ord-{n},{placed:%Y-%m-%dT%H:%M:%SZ},{currency},"
                     f"{total},{status},{refunded},{street},Leeds,LS{c % 9 + 1} 4AB,GB")
    lines.append(lines[5])  # the same order again, thousands of lines later: already present
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture
def local_tables(dynamodb_local_endpoint, monkeypatch):
    """Point the models (and any spawned process) at a fresh DynamoDB Local table; returns a
    function making and selecting another one."""
    monkeypatch.setenv("DYNAMODB_ENDPOINT", dynamodb_local_endpoint)
    monkeypatch.setenv("LOYALTY_BACKEND", "dynamodb-local")
    monkeypatch.setenv("LOYALTY_IMPORT_WORKERS", "2")
    from chalicelib import clock

    monkeypatch.setattr(clock, "now", lambda: NOW)  # the one-process import and the chunks run at one time
    made = []
    # A shared two-core machine under load can keep DynamoDB Local past the request path's 4 s.
    monkeypatch.setattr(models.TableItem.Meta, "read_timeout_seconds", 60)

    def new_table() -> str:
        name = f"loyalty-fanout-{uuid.uuid4().hex[:8]}"
        monkeypatch.setenv("LOYALTY_TABLE", name)
        settings.cache_clear()
        models.configure(name, "eu-west-2", dynamodb_local_endpoint)
        create_table()
        forget_cached_rules()
        made.append(name)
        return name

    yield new_table
    for name in made:
        models.configure(name, "eu-west-2", dynamodb_local_endpoint)
        models.TableItem.delete_table()
    settings.cache_clear()
    models.configure("loyalty-test", "eu-west-2", None)
    forget_cached_rules()


def one_process_import(data: bytes, name: str) -> dict:
    import io

    return import_orders(read_import_file(open_import_text(io.BytesIO(data)), name, NOW), now=NOW).to_json()


def table_contents() -> dict:
    """Every item but the import's own bookkeeping (``IMPORT#``), keyed by (pk, sk).

    A profile's ``version`` is left out: it counts the transactions that touched the profile
    (the optimistic-lock token of commit_event), and chunks write a customer in more, smaller
    transactions than one process does; its value means nothing else. An address book entry's
    ``first_used_at`` and ``last_delivery_at`` are compared: whatever order the chunks write in,
    they end at the earliest use and the latest delivery."""
    client = boto3.client("dynamodb", region_name="eu-west-2", endpoint_url=models.TableItem.Meta.host,
                          aws_access_key_id="local", aws_secret_access_key="local")
    items = {}
    for page in client.get_paginator("scan").paginate(TableName=models.TableItem.Meta.table_name, ConsistentRead=True):
        for item in page["Items"]:
            if item["pk"]["S"].startswith("IMPORT#"):
                continue
            if item.get("item_type", {}).get("S") == "profile":
                item.pop("version", None)
            items[(item["pk"]["S"], item["sk"]["S"])] = item
    return items


def differences(expected: dict, actual: dict) -> list:
    found = [("missing", key) for key in expected.keys() - actual.keys()]
    found += [("extra", key) for key in actual.keys() - expected.keys()]
    for key in expected.keys() & actual.keys():
        for name in expected[key].keys() | actual[key].keys():
            if expected[key].get(name) != actual[key].get(name):
                found.append((key, name, expected[key].get(name), actual[key].get(name)))
    return sorted(found, key=str)[:20]


def comparable(report: dict) -> dict:
    return {name: report[name] for name in ("rows", "imported", "already_present", "rejected", "rejected_rows")}


class SqsLambda:
    """Lambda's SQS poller, played in the test: receives chunk messages and runs the chunk
    worker (the app's handler) on them, several at once; a failed message is made visible
    again at once (a worker's timeout, shortened), so SQS redelivers it or dead-letters it."""

    def __init__(self, queue_url: str) -> None:
        self.sqs = boto3.client("sqs", region_name="eu-west-2")
        self.queue_url = queue_url
        self.failures = 0

    def drain(self, concurrency: int = 2) -> None:
        from app import import_chunk_worker

        def run(message):
            record = {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
                      "body": message["Body"], "attributes": message["Attributes"], "messageAttributes": {},
                      "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-2:123456789012:chunks",
                      "awsRegion": "eu-west-2"}
            try:
                import_chunk_worker({"Records": [record]}, None)
            except Exception:  # noqa: BLE001 - Lambda leaves the message on the queue
                return message, False
            return message, True

        with ThreadPoolExecutor(concurrency) as pool:
            while True:
                answer = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=concurrency,
                                                  AttributeNames=["ApproximateReceiveCount"], VisibilityTimeout=600)
                messages = answer.get("Messages", [])
                if not messages:
                    return
                random.Random(len(messages)).shuffle(messages)
                for message, ok in pool.map(run, messages):
                    if ok:
                        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
                    else:
                        self.failures += 1
                        self.sqs.change_message_visibility(QueueUrl=self.queue_url,
                                                           ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)


@pytest.fixture
def aws(monkeypatch):
    """S3 and SQS on moto (DynamoDB Local's endpoint is not AWS's, so its calls pass through):
    the import bucket, the chunk queue with its dead-letter queue (two receives, then dead)."""
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-2")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        sqs = boto3.client("sqs", region_name="eu-west-2")
        dead = sqs.create_queue(QueueName="chunks-dead-letter")["QueueUrl"]
        dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue = sqs.create_queue(QueueName="chunks", Attributes={
            "VisibilityTimeout": "600",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": "2"})})["QueueUrl"]
        monkeypatch.setenv("LOYALTY_IMPORT_QUEUE_URL", queue)
        monkeypatch.setenv("LOYALTY_IMPORT_MAX_RECEIVES", "2")
        monkeypatch.setenv("LOYALTY_IMPORT_CHUNK_ROWS", "120")
        yield {"s3": s3, "sqs": sqs, "queue": queue, "dead": dead}


def upload(aws, name: str, data: bytes) -> None:
    from app import import_uploaded_file

    key = f"imports/{name}"
    aws["s3"].put_object(Bucket=BUCKET, Key=key, Body=data)
    event = {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": BUCKET},
                                                                   "object": {"key": key, "eTag": "e1"}}}]}
    planned = import_uploaded_file(event, None)
    assert planned[0]["chunks"] > 1


def s3_report(aws, name: str) -> dict:
    return json.loads(aws["s3"].get_object(Bucket=BUCKET, Key=f"import-reports/{name}.report.json")["Body"].read())


def test_a_chunked_import_with_a_worker_killed_mid_chunk_equals_the_one_process_import_exactly(
        local_tables, aws, monkeypatch):
    data = history_csv()
    local_tables()
    expected_report = one_process_import(data, "history.csv")
    expected = table_contents()
    assert expected_report["imported"] > 680 and expected_report["already_present"] == 1
    assert expected_report["rejected"] >= 1

    local_tables()
    from chalicelib.store import orders as orders_store

    commit, calls = orders_store.commit_orders, {"n": 0}

    def killed_after_some_writes(customer_id, orders, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 15:  # one worker dies with part of its chunk written
            raise RuntimeError("worker killed mid-chunk")
        return commit(customer_id, orders, *args, **kwargs)

    monkeypatch.setattr(orders_store, "commit_orders", killed_after_some_writes)
    upload(aws, "history.csv", data)
    poller = SqsLambda(aws["queue"])
    poller.drain()
    assert poller.failures == 1 and calls["n"] > 15

    assert differences(expected, table_contents()) == []
    report = s3_report(aws, "history.csv")
    assert comparable(report) == comparable(expected_report)
    assert report["chunks"] == 6 and report["chunks_failed"] == 0 and "not_imported" not in report
    stored = models.ImportReportItem.get("IMPORT#history.csv", "REPORT")
    assert (stored.imported, stored.rows) == (report["imported"], report["rows"])
    assert stored.report_location == f"s3://{BUCKET}/import-reports/history.csv.report.json"

    # Delivered again (SQS delivers at least once): nothing changes, nothing counts twice.
    from chalicelib.services.import_fanout import import_status

    before = import_status("history.csv")
    poller_message = aws["sqs"]  # a chunk message sent again by hand
    from chalicelib.store.imports import load_status

    status = load_status("history.csv")
    assert status.chunks_done == 6
    message = {"import_id": "history.csv", "source": status.source, "kind": "csv",
               "header": COLUMNS + "\n", "planned_at": status.planned_at.isoformat(), "chunks": 6,
               "chunk": {"number": 3, "start": 0, "end": 0, "first_line": 242, "last_line": 361}}
    poller_message.send_message(QueueUrl=aws["queue"], MessageBody=json.dumps(message))
    poller.drain()
    assert import_status("history.csv") == before
    assert differences(expected, table_contents()) == []


def test_a_chunk_that_keeps_failing_ends_on_the_dead_letter_queue_and_the_report_names_its_lines(
        local_tables, aws, monkeypatch):
    from chalicelib.services import import_fanout

    local_tables()
    data = history_csv(rows=600, customers=50)
    read_range = import_fanout.read_range

    def poison(source, start, end):
        if start <= data.index(b",ord-300,") < end:
            raise ValueError("this chunk cannot be read")
        return read_range(source, start, end)

    monkeypatch.setattr(import_fanout, "read_range", poison)
    upload(aws, "poison.csv", data)
    poller = SqsLambda(aws["queue"])
    poller.drain()
    assert poller.failures >= 2  # maxReceiveCount deliveries, then the queue gives it up

    dead = aws["sqs"].receive_message(QueueUrl=aws["dead"], MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["chunk"]["number"] for m in dead] == [3]
    report = s3_report(aws, "poison.csv")
    (failed,) = report["not_imported"]
    assert (failed["chunk"], failed["lines"]) == (3, "242-361") and "cannot be read" in failed["reason"]
    assert report["rows"] == 601 - 120 and report["chunks_failed"] == 1
    assert models.ImportReportItem.get("IMPORT#poison.csv", "REPORT").rows == report["rows"]

    from chalicelib.cli import cli

    result = CliRunner().invoke(cli, ["import", "status", "poison.csv"])
    assert result.exit_code == 0, result.output
    assert "5 done of 6, 1 failed" in result.output and "lines 242-361" in result.output
    assert f"s3://{BUCKET}/import-reports/poison.csv.report.json" in result.output


def test_the_cli_imports_with_a_pool_of_processes_exactly_as_one_process_does(local_tables, tmp_path):
    from chalicelib.cli import cli

    data = history_csv(rows=600, customers=50, seed=7)
    path = tmp_path / "history.csv"
    path.write_bytes(data)
    local_tables()
    expected_report = one_process_import(data, "history.csv")
    expected = table_contents()

    local_tables()
    result = CliRunner().invoke(cli, ["import", str(path), "--json", "--workers", "2", "--chunk-rows", "100"])
    assert result.exit_code == 0, result.output
    summary, _ = json.JSONDecoder().raw_decode(result.output[result.output.index("{"):])
    assert comparable(summary) == comparable(expected_report)
    assert differences(expected, table_contents()) == []


def test_a_planner_killed_while_sending_chunks_is_resumed_by_the_notifications_retry(local_tables, aws, monkeypatch):
    """Lambda retries an S3 notification whose invocation failed: the retry finds the plan
    recorded but not every chunk sent, and sends the ones not recorded yet, so the import
    finishes exactly instead of waiting forever for chunks nobody sent."""
    from app import import_uploaded_file
    from chalicelib.services import import_fanout

    data = history_csv(rows=600, customers=50, seed=3)
    local_tables()
    expected_report = one_process_import(data, "retried.csv")
    expected = table_contents()

    local_tables()
    send = import_fanout.sqs_dispatch

    def killed_after_two(queue_url):
        real = send(queue_url)

        def dispatch(messages):
            real(messages[:2])
            raise RuntimeError("planner killed while sending chunks")
        return dispatch

    monkeypatch.setattr(import_fanout, "sqs_dispatch", killed_after_two)
    key = "imports/retried.csv"
    aws["s3"].put_object(Bucket=BUCKET, Key=key, Body=data)
    event = {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": BUCKET},
                                                                   "object": {"key": key, "eTag": "e1"}}}]}
    with pytest.raises(RuntimeError):
        import_uploaded_file(event, None)
    poller = SqsLambda(aws["queue"])
    poller.drain()  # the two chunks that were sent: the import cannot finish on them
    from chalicelib.store.imports import load_status

    status = load_status("retried.csv")
    assert (status.chunks_planned, status.chunks_done, status.dispatched, status.finished) == (6, 2, False, False)

    monkeypatch.setattr(import_fanout, "sqs_dispatch", send)
    import_uploaded_file(event, None)  # Lambda's retry of the failed invocation
    sent = aws["sqs"].get_queue_attributes(QueueUrl=aws["queue"], AttributeNames=["ApproximateNumberOfMessages"])
    assert sent["Attributes"]["ApproximateNumberOfMessages"] == "4"  # only the chunks not recorded
    poller.drain()

    assert differences(expected, table_contents()) == []
    assert comparable(s3_report(aws, "retried.csv")) == comparable(expected_report)
    import_uploaded_file(event, None)  # a further repeat after the end sends nothing
    sent = aws["sqs"].get_queue_attributes(QueueUrl=aws["queue"], AttributeNames=["ApproximateNumberOfMessages"])
    assert sent["Attributes"]["ApproximateNumberOfMessages"] == "0"
