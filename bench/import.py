"""Import benchmark: generated orders for many customers into DynamoDB Local.

Prints orders per second and DynamoDB requests per order. Usage:
    .venv/bin/python bench/import.py [--orders 100000] [--customers 10000]
"""
from __future__ import annotations

import argparse
import io
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._dynamodb import dynamodb_local_table  # noqa: E402


def generated_csv(orders: int, customers: int, seed: int = 11) -> str:
    rng = random.Random(seed)
    start = datetime(2019, 1, 1, tzinfo=timezone.utc)
    out = io.StringIO()
    out.write("customer_id,email,order_id,placed_at,currency,total_amount,status,refunded_amount,sku,category\n")
    for n in range(orders):
        customer = n % customers
        placed = start + timedelta(minutes=rng.randint(0, 60 * 24 * 365 * 7))
        total = rng.randint(500, 40000)
        status = rng.choices(["delivered", "refunded", "cancelled", "placed"], [85, 6, 3, 6])[0]
        refunded = rng.randint(1, total) if status == "refunded" else ""
        out.write(f"cust-{customer:06d},c{customer}@example.com,ord-{n:08d},{placed:%Y-%m-%dT%H:%M:%SZ},GBP,"
                  f"{total},{status},{refunded},SKU-{rng.randint(1, 300)},shoes\n")
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=10_000)
    args = parser.parse_args()

    from chalicelib.api.import_rows import read_import_file
    from chalicelib.services.importer import import_orders

    text = generated_csv(args.orders, args.customers)
    now = datetime.now(timezone.utc)
    with dynamodb_local_table() as counter:
        started = time.perf_counter()
        report = import_orders(read_import_file(io.StringIO(text), "bench.csv", now), now=now)
        first = time.perf_counter() - started
        first_requests = counter.total
        by_operation = dict(counter.by_operation)
        counter.reset()
        started = time.perf_counter()
        again = import_orders(read_import_file(io.StringIO(text), "bench.csv", now), now=now)
        second = time.perf_counter() - started

    print(f"import of {args.orders:,} orders for {args.customers:,} customers into DynamoDB Local")
    print(f"{'run':<22}{'orders/s':>10}{'requests':>10}{'req/order':>11}{'seconds':>9}{'imported':>10}{'present':>9}")
    print(f"{'first import':<22}{args.orders / first:>10,.0f}{first_requests:>10,}"
          f"{first_requests / args.orders:>11.3f}{first:>9.1f}{report.imported:>10,}{report.already_present:>9,}")
    print(f"{'re-import (no change)':<22}{args.orders / second:>10,.0f}{counter.total:>10,}"
          f"{counter.total / args.orders:>11.3f}{second:>9.1f}{again.imported:>10,}{again.already_present:>9,}")
    print("requests by operation (first import): "
          + ", ".join(f"{name} {count:,}" for name, count in sorted(by_operation.items())))
    import resource

    print(f"peak memory of the importing process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    if report.rejected:
        print(f"rejected rows: {len(report.rejected)} (first: {report.rejected[0]})")


if __name__ == "__main__":
    main()
