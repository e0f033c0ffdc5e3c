"""Stream-to-bus latency and throughput of the events consumer on DynamoDB Local (its stream).

Orders are recorded through the service layer (one transaction each, as the API does) while a
consumer thread reads the table's stream with :class:`LocalStreamReader` and runs the Lambda
handler's code (chalicelib/services/stream_events.py) into a capturing publisher that notes when
each event would have been put on the bus. Latency is commit (the service call returned) to
publish, per ``order.recorded``; events/s counts every event (tier events too) from the first
commit to the last publish. DynamoDB Local's stream is polled (0.05 s idle sleep), unlike
Lambda's, so the figures are the consumer's cost plus polling, not AWS's delivery delay.

    .venv/bin/python bench/events.py [--customers 20] [--orders 10]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._dynamodb import dynamodb_local_table  # noqa: E402


class CapturingPublisher:
    """The bus's stand-in: the time each event was published, and dead-letter notes."""

    def __init__(self) -> None:
        self.published: list = []
        self.dead_letters: list = []

    def publish(self, events) -> None:
        now = time.perf_counter()
        self.published.extend((event, now) for event in events)

    def dead_letter(self, note) -> None:
        self.dead_letters.append(note)


def run(customers: int, orders: int) -> dict:
    from chalicelib.api.parsing import parse_order
    from chalicelib.services.orders import record_order
    from chalicelib.services.stream_events import consume
    from chalicelib.store import models
    from chalicelib.store.event_stream import LocalStreamReader

    with dynamodb_local_table():
        reader = LocalStreamReader(models.TableItem.Meta.host, "eu-west-2", models.TableItem.Meta.table_name)
        publisher, stop = CapturingPublisher(), threading.Event()

        def consumer() -> None:
            while not stop.is_set():
                if not consume(reader.batches(), publisher, lambda shard, seq: reader.rewind(shard, None, seq)):
                    time.sleep(0.05)

        thread = threading.Thread(target=consumer, daemon=True)
        thread.start()
        committed = {}
        now = datetime.now(timezone.utc)
        for n in range(orders):
            for c in range(customers):
                order_id = f"b-{c}-{n}"
                body = {"order_id": order_id, "placed_at": (now - timedelta(days=orders - n)).isoformat(),
                        "currency": "GBP", "total_amount": 4500,
                        "lines": [{"sku": "SHOE", "category": "running-shoes", "quantity": 1, "unit_amount": 4500}]}
                status, _ = record_order(f"bench-{c}", parse_order(body, now))
                assert status == 201, status
                committed[order_id] = time.perf_counter()
        deadline = time.perf_counter() + 60
        while time.perf_counter() < deadline:
            seen = {event.detail.get("order_id") for event, _ in publisher.published if event.type == "order.recorded"}
            if seen >= set(committed):
                break
            time.sleep(0.1)
        time.sleep(0.5)  # tier events of the last orders
        stop.set()
        thread.join(5)
    latencies = sorted((at - committed[event.detail["order_id"]]) * 1000 for event, at in publisher.published
                       if event.type == "order.recorded" and event.detail["order_id"] in committed)
    first, last = min(committed.values()), max(at for _, at in publisher.published)
    return {"orders": len(committed), "events": len(publisher.published),
            "tier_events": sum(1 for event, _ in publisher.published if event.type.startswith("customer.tier")),
            "dead_letters": len(publisher.dead_letters), "seconds": last - first,
            "median_ms": statistics.median(latencies), "p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
            "max_ms": latencies[-1], "events_per_s": len(publisher.published) / (last - first)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--orders", type=int, default=10, help="orders per customer")
    args = parser.parse_args()
    figures = run(args.customers, args.orders)
    rows = [("orders recorded", f"{figures['orders']}"),
            ("events published", f"{figures['events']} ({figures['tier_events']} tier)"),
            ("dead letters", f"{figures['dead_letters']}"),
            ("stream-to-bus latency, median", f"{figures['median_ms']:.0f} ms"),
            ("stream-to-bus latency, p95", f"{figures['p95_ms']:.0f} ms"),
            ("stream-to-bus latency, max", f"{figures['max_ms']:.0f} ms"),
            ("events/s (first commit to last publish)", f"{figures['events_per_s']:.0f}")]
    width = max(len(name) for name, _ in rows)
    print(f"events on DynamoDB Local's stream ({args.customers} customers x {args.orders} orders, one writer)")
    for name, value in rows:
        print(f"  {name:<{width}}  {value:>14}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
