"""Issue 16, faults: throttling retried then parked on the dead-letter queue, a malformed record
parked and skipped without blocking the shard, a failed publish reported as the batch item failure."""
import json
from datetime import datetime, timezone

from chalicelib.domain.events import DomainEvent
from chalicelib.event_bus import EventBridgePublisher, JsonlPublisher, PublishFailed
from chalicelib.services.stream_events import handle_stream_batch

AT = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


class ThrottledBus:
    """An EventBridge client whose answers are scripted: a list of error codes per call."""

    def __init__(self, script):
        self.script, self.calls = list(script), []

    def put_events(self, Entries):
        self.calls.append([json.loads(entry["Detail"])["event_id"] for entry in Entries])
        codes = self.script.pop(0) if self.script else [None] * len(Entries)
        return {"FailedEntryCount": sum(1 for code in codes if code),
                "Entries": [{"ErrorCode": code} if code else {"EventId": "x"} for code in codes]}


class Queue:
    def __init__(self, fail=False):
        self.messages, self.fail = [], fail

    def send_message(self, QueueUrl, MessageBody):
        if self.fail:
            raise RuntimeError("queue down")
        self.messages.append(json.loads(MessageBody))


def event(n):
    return DomainEvent(f"id-{n}", "order.recorded", "c-1", AT, {"order_id": f"o-{n}"})


def test_a_throttled_entry_is_retried_alone_and_delivered():
    bus, queue = ThrottledBus([[None, "ThrottlingException"]]), Queue()
    EventBridgePublisher("loyalty-dev", "url", events_client=bus, sqs_client=queue, sleep=lambda _: None).publish(
        [event(1), event(2)])
    assert bus.calls == [["id-1", "id-2"], ["id-2"]] and queue.messages == []


def test_throttling_past_the_retries_parks_the_event_and_without_a_queue_fails_loudly():
    bus, queue = ThrottledBus([["ThrottlingException"]] * 5), Queue()
    EventBridgePublisher("loyalty-dev", "url", events_client=bus, sqs_client=queue, attempts=5,
                         sleep=lambda _: None).publish([event(1)])
    assert len(bus.calls) == 5
    assert [(m["reason"], m["error_code"], m["event"]["event_id"]) for m in queue.messages] == [
        ("not_delivered", "ThrottlingException", "id-1")]
    try:
        EventBridgePublisher("loyalty-dev", "url", events_client=ThrottledBus([["ThrottlingException"]] * 5),
                             sqs_client=Queue(fail=True), sleep=lambda _: None).publish([event(1)])
    except PublishFailed:
        pass
    else:
        raise AssertionError("an event neither delivered nor parked must fail the record")


def record(sequence, new_image, name="INSERT"):
    return {"eventID": f"e-{sequence}", "eventName": name, "eventSourceARN": "arn:stream",
            "dynamodb": {"ApproximateCreationDateTime": AT.timestamp(), "Keys": {}, "NewImage": new_image,
                         "SequenceNumber": str(sequence), "SizeBytes": 1, "StreamViewType": "NEW_AND_OLD_IMAGES"}}


ORDER = {"item_type": {"S": "order"}, "order_id": {"S": "o-1"}, "customer_id": {"S": "c-1"},
         "placed_at": {"S": "2026-11-20T10:15:00.000000+0000"}, "currency": {"S": "GBP"},
         "total_amount": {"N": "100"}, "base_currency": {"S": "GBP"}, "base_total": {"N": "100"},
         "lines": {"S": "[]"}}


def test_a_malformed_record_is_parked_and_the_records_after_it_go_through(table, tmp_path):
    publisher = JsonlPublisher(tmp_path / "events.jsonl")
    broken = {**ORDER, "total_amount": {"S": "a lot"}, "email": {"S": "x@example.com"}}
    answer = handle_stream_batch([record(1, broken), record(2, {"item_type": {"S": "rules"}}), record(3, ORDER)],
                                 publisher)
    assert answer == {"batchItemFailures": []}
    (parked,) = [json.loads(line) for line in (tmp_path / "events-dead-letter.jsonl").read_text().splitlines()]
    assert parked["reason"] == "malformed_record" and parked["sequence_number"] == "1"
    assert "example.com" not in json.dumps(parked)
    (published,) = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert published["type"] == "order.recorded" and published["detail"]["order_id"] == "o-1"


def test_a_record_that_cannot_be_published_is_the_batch_item_failure_and_stops_the_batch(table):
    class Down:
        published = []

        def publish(self, events):
            raise PublishFailed("bus and queue down")

        def dead_letter(self, note):
            raise AssertionError("not malformed")

    answer = handle_stream_batch([record(7, ORDER), record(8, {**ORDER, "order_id": {"S": "o-2"}})], Down())
    assert answer == {"batchItemFailures": [{"itemIdentifier": "7"}]}
