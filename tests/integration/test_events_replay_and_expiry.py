"""Issue 16, on moto: ``events replay`` re-sends a customer's events of a time range with the
ids the stream gave them, and a grant that expires writes a Time to Live marker whose removal
announces ``credit.expired`` with what was left of it."""
import json
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner

from chalicelib.cli import cli
from chalicelib.event_bus import JsonlPublisher
from chalicelib.services.stream_events import handle_stream_batch
from .helpers import order_body, post, put
from .test_store_credit_api import grant, order_from, quote

NOW = datetime.now(timezone.utc)
TTL = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


class FirstWrites:
    """Every item the app puts, as the INSERT record the table's stream carries for it (moto has
    no DynamoDB Streams API): the images the live consumer maps, in commit order."""

    def __init__(self):
        self.records = []

    def __call__(self, model, params, **kwargs):
        puts = [params["Item"]] if model.name == "PutItem" else [
            entry["Put"]["Item"] for entry in params.get("TransactItems", []) if "Put" in entry]
        for item in puts:
            sequence = len(self.records) + 1
            self.records.append({"eventID": f"e-{sequence}", "eventName": "INSERT", "eventSourceARN": "arn:stream",
                                 "dynamodb": {"ApproximateCreationDateTime": NOW.timestamp(), "NewImage": item,
                                              "Keys": {"pk": item["pk"], "sk": item["sk"]},
                                              "SequenceNumber": str(sequence)}})

    def __enter__(self):
        from chalicelib.store.models import TableItem

        self._events = TableItem._get_connection().connection.client.meta.events
        for name in ("PutItem", "TransactWriteItems"):
            self._events.register(f"before-parameter-build.dynamodb.{name}", self)
        return self

    def __exit__(self, *exc_info):
        for name in ("PutItem", "TransactWriteItems"):
            self._events.unregister(f"before-parameter-build.dynamodb.{name}", self)


def published(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_replay_resends_the_range_with_the_streams_event_ids_and_no_tier_events(client, raw_client, table, tmp_path):
    with FirstWrites() as writes:
        assert put(client, "/v1/customers/ada", {"name": "Ada", "email": "ada@example.com"}).status_code == 200
        for n in range(1, 4):
            body = order_body(f"o-{n}", placed_at=(NOW - timedelta(days=10 - n)).isoformat(), unit=9000)
            assert post(client, "/v1/customers/ada/orders", body).status_code == 201
        assert post(client, "/v1/customers/ada/orders/o-2/events",
                    {"event_id": "r-1", "type": "refunded", "at": NOW.isoformat(), "amount": 1000}).status_code == 201
        grant(raw_client, "ada", 500, "late")
        put(client, "/v1/customers/bob", {"name": "Bob"})
        post(client, "/v1/customers/bob/orders", order_body("o-bob"))
    live = tmp_path / "live.jsonl"
    assert handle_stream_batch(writes.records, JsonlPublisher(live)) == {"batchItemFailures": []}
    streamed = {event["event_id"]: event for event in published(live) if event["customer_id"] == "ada"}
    assert len(streamed) == 5

    replayed = tmp_path / "replayed.jsonl"
    since = (NOW - timedelta(hours=1)).isoformat()
    answer = CliRunner().invoke(cli, ["events", "replay", "ada", "--since", since, "--file", str(replayed), "--json"])
    assert answer.exit_code == 0, answer.output
    summary = json.loads(answer.stdout)
    sent = published(replayed)
    assert [event["event_id"] for event in sent] == [event["event_id"] for event in summary["events"]]
    assert summary["sent"] == len(sent) and summary["destination"] == str(replayed)
    assert {event["event_id"] for event in sent} == set(streamed)  # the same ids: a consumer dedupes them
    for event in sent:
        assert event["detail"] == streamed[event["event_id"]]["detail"] and event["source"] == "loyalty-api"
    assert sorted(event["type"] for event in sent) == sorted(
        ["order.recorded"] * 3 + ["order.event_recorded", "credit.granted"])
    assert "ada@example.com" not in replayed.read_text()

    again = CliRunner().invoke(cli, ["events", "replay", "ada", "--since", since, "--file", str(replayed)])
    assert again.exit_code == 0 and again.output.splitlines()[-1].startswith("5 event(s) of ada re-sent")
    assert [e["event_id"] for e in published(replayed)[5:]] == [e["event_id"] for e in sent]  # idempotent ids

    window = CliRunner().invoke(cli, ["events", "replay", "ada", "--since", since, "--until", since, "--json",
                                      "--file", str(tmp_path / "none.jsonl")])
    assert window.exit_code == 2 and "until must be after since" in window.output
    naive = CliRunner().invoke(cli, ["events", "replay", "ada", "--since", "2026-11-01T00:00:00"])
    assert naive.exit_code == 2 and "UTC offset" in naive.output
    unknown = CliRunner().invoke(cli, ["events", "replay", "nobody", "--since", since,
                                       "--file", str(tmp_path / "none.jsonl")])
    assert unknown.exit_code == 1 and "no customer nobody" in unknown.output
    assert not (tmp_path / "none.jsonl").exists()


def test_a_grant_with_an_expiry_writes_its_ttl_marker_and_its_removal_by_ttl_is_credit_expired(
        client, raw_client, table, tmp_path, capsys):
    import boto3

    assert put(client, "/v1/customers/ada", {"name": "Ada"}).status_code == 200
    expires = (NOW + timedelta(days=3)).replace(microsecond=250000)
    grant(raw_client, "ada", 600, "short", expires_at=expires.isoformat())
    grant(raw_client, "ada", 400, "forever", expires_at=None)
    dynamodb = boto3.client("dynamodb", region_name="eu-west-2")
    markers = dynamodb.query(TableName=table, KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
                             ExpressionAttributeValues={":pk": {"S": "CUSTOMER#ada"}, ":sk": {"S": "EXPIRY#"}})["Items"]
    assert [(m["sk"]["S"], int(m["expires_at"]["N"])) for m in markers] == [
        ("EXPIRY#CREDIT#adj-short", int(expires.timestamp()) + 1)]  # rounded up: never before the grant expires
    assert markers[0]["grant_id"]["S"] == "adj-short" and int(markers[0]["amount"]["N"]) == 600

    body = quote(client, "ada", lines=[{"sku": "TIMER", "category": "aquarium", "quantity": 1,
                                        "unit_amount": 250}]).json_body
    assert body["credit"]["applied"]["amount"] == 250  # spent from the grant that expires first
    assert post(client, "/v1/customers/ada/orders", order_from(body, "o-1", lines=[
        {"sku": "TIMER", "category": "aquarium", "quantity": 1, "unit_amount": 250}])).status_code == 201

    after_expiry = (expires + timedelta(hours=20)).timestamp()  # TTL removes it some time after the expiry
    by_hand = {"eventID": "e-1", "eventName": "REMOVE", "eventSourceARN": "arn:stream",
               "dynamodb": {"ApproximateCreationDateTime": after_expiry, "OldImage": markers[0],
                            "Keys": {"pk": markers[0]["pk"], "sk": markers[0]["sk"]}, "SequenceNumber": "900"}}
    by_ttl = {**by_hand, "userIdentity": TTL}  # how AWS marks a Time to Live deletion on the stream
    capsys.readouterr()
    sink = tmp_path / "events.jsonl"
    assert handle_stream_batch([by_hand], JsonlPublisher(sink)) == {"batchItemFailures": []}
    assert published(sink) == []  # an operator's delete is no expiry
    assert handle_stream_batch([by_ttl], JsonlPublisher(sink)) == {"batchItemFailures": []}
    (event,) = published(sink)
    assert event["type"] == "credit.expired" and event["customer_id"] == "ada"
    assert event["detail"]["amount"] == {"amount": 350, "currency": "GBP"}  # 600 granted, 250 spent
    assert event["detail"]["grant_id"] == "adj-short" and event["occurred_at"].startswith(expires.strftime("%Y-%m-%dT%H:%M:%S"))
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert [(doc["CreditExpired"], doc["source"]) for doc in documents if "CreditExpired" in doc] == [([350.0], "manual")]

    later = (expires + timedelta(days=1)).isoformat()
    answer = CliRunner().invoke(cli, ["events", "replay", "ada", "--since", (NOW - timedelta(hours=1)).isoformat(),
                                      "--until", later, "--json", "--file", str(tmp_path / "r.jsonl")])
    assert answer.exit_code == 0, answer.output
    replayed = [e for e in json.loads(answer.stdout)["events"] if e["type"] == "credit.expired"]
    assert replayed == []  # not expired yet by the clock of the replay: nothing announced before its time
