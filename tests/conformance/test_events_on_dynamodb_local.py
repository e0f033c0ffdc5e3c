"""Issue 16 on DynamoDB Local with its stream: the API's writes, read back from the table's stream
by the same handler code the Lambda runs (Lambda-shaped records), become exactly the expected
events in the sink (a JSON Lines file, as under ``make run``)."""
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.event_bus import JsonlPublisher
from chalicelib.services.stream_events import consume
from chalicelib.store import models
from chalicelib.store.event_stream import LocalStreamReader

TODAY = datetime.now(timezone.utc).replace(microsecond=0)


def drain(reader, publisher):
    """Read the stream until two empty passes (DynamoDB Local answers as soon as records exist)."""
    empty = 0
    while empty < 2:
        seen = consume(reader.batches(), publisher, lambda shard, sequence: reader.rewind(shard, None, sequence))
        empty = empty + 1 if seen == 0 else 0


def sink_events(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def stream(local_app, dynamodb_local_endpoint, tmp_path):
    reader = LocalStreamReader(dynamodb_local_endpoint, "eu-west-2", models.TableItem.Meta.table_name)
    publisher = JsonlPublisher(tmp_path / "events.jsonl")
    return reader, publisher, tmp_path / "events.jsonl"


def order(client, secret, customer, order_id, amount, placed_at):
    body = {"order_id": order_id, "placed_at": placed_at.isoformat().replace("+00:00", "Z"), "currency": "GBP",
            "lines": [{"sku": "SHOE", "category": "running-shoes", "quantity": 1, "unit_amount": amount}],
            "total_amount": amount,
            "shipping_address": {"line1": "27 Meadow Lane", "city": "Harrogate", "postcode": "HG1 2AB", "country": "GB"}}
    return client.http.post(f"/v1/customers/{customer}/orders", body=json.dumps(body),
                            headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"})


def test_orders_across_a_threshold_a_refund_below_it_a_review_and_an_erasure(local_app, local_storefront_secret,
                                                                             stream):
    reader, publisher, sink = stream
    client, secret = local_app, local_storefront_secret
    auth = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    placed = TODAY - timedelta(days=1)
    assert client.http.put("/v1/customers/c-ev", body=json.dumps({"email": "ev@example.com", "country": "GB"}),
                           headers=auth).status_code in (200, 201)
    assert order(client, secret, "c-ev", "ev-1", 15000, placed).status_code == 201
    assert order(client, secret, "c-ev", "ev-1", 15000, placed).status_code == 200  # a replay: no event
    assert order(client, secret, "c-ev", "ev-2", 15000, placed).status_code == 201  # 300.00: Silver
    refund = {"event_id": "rf-1", "type": "refunded", "at": TODAY.isoformat().replace("+00:00", "Z"), "amount": 10000}
    assert client.http.post("/v1/customers/c-ev/orders/ev-2/events", body=json.dumps(refund),
                            headers=auth).status_code == 201
    quote = {"customer_id": "c-ev", "currency": "GBP",
             "lines": [{"sku": "TV", "category": "electronics", "quantity": 3, "unit_amount": 250000}],
             "shipping_address": {"line1": "1 Elsewhere Road", "city": "Aberdeen", "postcode": "AB10 1AA",
                                  "country": "GB"}}
    answer = client.http.post("/v1/quotes", body=json.dumps(quote), headers=auth).json_body
    decision = answer["address_trust"]["decision"]
    assert decision in ("review", "verify")
    assert client.http.delete("/v1/admin/customers/c-ev/personal-data").status_code == 200
    drain(reader, publisher)

    events = sink_events(sink)
    mine = [event for event in events if event["customer_id"] == "c-ev"]
    assert [event["type"] for event in mine] == [
        "order.recorded", "order.recorded", "customer.tier_changed", "order.event_recorded", "customer.tier_changed",
        f"address.{decision}_required", "customer.erased"]
    changes = [(event["detail"]["from"], event["detail"]["to"]) for event in mine
               if event["type"] == "customer.tier_changed"]
    assert changes == [("Member", "Silver"), ("Silver", "Member")]
    assert mine[5]["detail"]["quote_id"] == answer["quote_id"]
    assert len({event["event_id"] for event in events}) == len(events)
    text = sink.read_text()
    assert "ev@example.com" not in text and "Meadow" not in text and "Elsewhere" not in text

    drain(reader, publisher)  # nothing new committed: nothing new announced
    assert sink_events(sink) == events


def test_two_hundred_racing_orders_announce_each_threshold_once(local_app, stream):
    from chalicelib.api.parsing import parse_order
    from chalicelib.services import orders

    reader, publisher, sink = stream
    now = TODAY
    placed = (now - timedelta(hours=1)).isoformat().replace("+00:00", "Z")

    def place(n):
        submission = parse_order({"order_id": f"race-{n}", "placed_at": placed, "currency": "GBP",
                                  "lines": [{"sku": "S", "category": "running-shoes", "quantity": 1,
                                             "unit_amount": 1500}], "total_amount": 1500}, now)
        return orders.record_order("racer", submission, now=now)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sorted(set(pool.map(place, range(200)))) == [201]
    drain(reader, publisher)
    events = [event for event in sink_events(sink) if event["customer_id"] == "racer"]
    assert sum(event["type"] == "order.recorded" for event in events) == 200
    changes = [(event["detail"]["from"], event["detail"]["to"]) for event in events
               if event["type"] == "customer.tier_changed"]
    # 1,500 an order: Silver at 17 orders (250.00), Gold at 67 (1,000.00 and 10 orders in 12 months).
    assert changes == [("Member", "Silver"), ("Silver", "Gold")]
