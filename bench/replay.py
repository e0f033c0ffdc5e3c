"""``rules replay`` benchmark on DynamoDB Local: orders replayed per second and customers per second.

Writes 10,000 customers with 100,000 orders spread over the last two years (each a profile, its
monthly buckets and purchase days, every order's order item and ledger entry, built by the
same code the app writes them with and sent by BatchWriteItem), then runs the replay of a
candidate raising Silver's spend threshold over the whole two years, so every order is priced
twice (baseline and candidate). Prints the time of each phase: the parallel Scan, tiers today,
and the orders.
    .venv/bin/python bench/replay.py [--customers 10000] [--orders 100000] [--segments 4]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._dynamodb import dynamodb_local_table  # noqa: E402

CATALOGUE = [("RUN-GHOST-16", "running-shoes", 13999), ("RUN-PEGASUS", "running-shoes", 11999),
             ("TEE-DRYFIT", "apparel", 2999), ("SOCK-3", "accessories", 1299), ("GIFT-25", "gift-cards", 2500)]


def write_population(customers: int, orders: int, now: datetime, seed: int = 17) -> float:
    """The ledger of ``customers`` customers and ``orders`` orders, in the items the app writes."""
    from chalicelib.api.parsing import parse_order
    from chalicelib.services.orders import build_new_order
    from chalicelib.store.models import (DAY_PREFIX, MONTH_PREFIX, PROFILE_SK, MonthItem, ProfileItem,
                                         PurchaseDayItem, TableItem, customer_pk)
    from chalicelib.store.ledger import ledger_item
    from chalicelib.store.orders import order_item

    rng = random.Random(seed)
    started = time.perf_counter()
    per_customer = defaultdict(list)
    for number in range(orders):
        per_customer[f"c{rng.randrange(customers):05d}"].append(number)
    with TableItem.batch_write() as batch:
        for customer_id in sorted(per_customer) + [f"c{n:05d}" for n in range(customers)
                                                     if f"c{n:05d}" not in per_customer]:
            months, days = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
            placed_times, net = [], 0
            for number in per_customer.get(customer_id, []):
                placed = now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
                lines = [{"sku": sku, "category": category, "quantity": rng.randint(1, 2), "unit_amount": price,
                          "discount_amount": 0}
                         for sku, category, price in rng.sample(CATALOGUE, rng.randint(1, 3))]
                body = {"order_id": f"o{number:07d}", "placed_at": placed.isoformat(), "currency": "GBP",
                        "lines": lines, "total_amount": sum(l["quantity"] * l["unit_amount"] for l in lines)}
                new_order = build_new_order(customer_id, parse_order(body, now), source="import")
                batch.save(order_item(new_order, now))
                for entry in new_order.entries:
                    batch.save(ledger_item(entry, now, "import"))
                order = new_order.state.order
                months[order.month][0] += 1
                months[order.month][1] += order.base_total
                days[order.day][0] += 1
                days[order.day][1] += order.base_total
                placed_times.append(order.placed_at)
                net += order.base_total
            for month, (count, spend) in months.items():
                batch.save(MonthItem(customer_pk(customer_id), MONTH_PREFIX + month, customer_id=customer_id,
                                     month=month, orders=count, net_spend=spend, gross_spend=spend))
            for day, (count, spend) in days.items():
                batch.save(PurchaseDayItem(customer_pk(customer_id), DAY_PREFIX + day, customer_id=customer_id,
                                           day=day, orders=count, net_spend=spend))
            batch.save(ProfileItem(
                customer_pk(customer_id), PROFILE_SK, customer_id=customer_id, base_currency="GBP",
                created_at=min(placed_times, default=now), first_seen_at=min(placed_times, default=now),
                updated_at=now, lifetime_orders=len(placed_times), lifetime_net_spend=net, lifetime_gross_spend=net,
                first_order_at=min(placed_times, default=None), last_order_at=max(placed_times, default=None),
                version=len(placed_times)))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--segments", type=int, default=4)
    args = parser.parse_args()

    from chalicelib.services.replay import replay_rules
    from chalicelib.services.rules import current_rules, rules_json

    now = datetime.now(timezone.utc).replace(microsecond=0)
    with dynamodb_local_table():
        setup = write_population(args.customers, args.orders, now)
        candidate = rules_json(current_rules())
        candidate["tiers"][1]["qualify"][0]["net_spend"] = 40000
        started = time.perf_counter()
        report = replay_rules(candidate, since=now - timedelta(days=2 * 365 + 1), until=now + timedelta(seconds=1),
                              segments=args.segments, now=now)
        total = time.perf_counter() - started
    seconds, tiers, orders = report["seconds"], report["tiers_today"], report["orders"]
    assert orders["orders"] == args.orders and tiers["customers"] == args.customers, (orders["orders"], tiers)
    print(f"rules replay on DynamoDB Local: {args.customers:,} customers, {args.orders:,} orders over two years "
          f"(written in {setup:.0f} s by BatchWriteItem), {args.segments} Scan segments")
    print(f"  Scan of {report['items_read']:,} items: {seconds['read']:.1f} s "
          f"({report['items_read'] / seconds['read']:,.0f} items/s)")
    print(f"  tiers today under both documents: {seconds['tiers']:.2f} s "
          f"({args.customers / seconds['tiers']:,.0f} customers/s)")
    print(f"  orders priced under both documents: {seconds['orders']:.1f} s "
          f"({args.orders / seconds['orders']:,.0f} orders replayed/s, each priced twice)")
    print(f"  whole replay: {total:.1f} s ({args.orders / total:,.0f} orders/s, {args.customers / total:,.0f} "
          "customers/s end to end)")
    print(f"  candidate: {tiers['moved_down']:,} customers move down; discount "
          f"{orders['baseline']['discount']:,} -> {orders['candidate']['discount']:,} minor units")


if __name__ == "__main__":
    main()
