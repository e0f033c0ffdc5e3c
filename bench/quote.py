"""Quote benchmark on DynamoDB Local: does a quote stay one request, and as fast, however long
a customer's history is?

For customers with 10, 1,000 and 10,000 past orders (imported, so their partitions hold the
full ledger), prints the median and p95 time of a whole quote (load, price, sign) and the
DynamoDB requests per quote counted with a botocore event hook, with the rules cached as in
a warm Lambda. Each customer holds store credit and the quote applies it (``use_credit``), so
the grants ride in the same Query. Then a guest's quote with an email (recognised: the identity
index, then the customer's partition; unknown: the index alone) beside the customer's own quote.
Then the in-process compute time of a 20-line cart (no DynamoDB).
    .venv/bin/python bench/quote.py [--quotes 200]
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("LOYALTY_QUOTE_SIGNING_KEY", "bench-only-" + os.urandom(24).hex())
os.environ.setdefault("LOYALTY_RULES_CACHE_SECONDS", "3600")

from bench._dynamodb import dynamodb_local_table  # noqa: E402
from bench.quote_compute import measure as measure_compute  # noqa: E402

SIZES = (10, 1_000, 10_000)


def history_csv(customer_id: str, orders: int, now: datetime) -> str:
    rows = ["customer_id,order_id,placed_at,currency,total_amount,status,sku,category"]
    for n in range(orders):
        placed = now - timedelta(hours=7 * (n + 1))  # 10,000 orders reach back about 8 years
        rows.append(f"{customer_id},{customer_id}-{n:06d},{placed:%Y-%m-%dT%H:%M:%SZ},GBP,{3000 + n % 9000},"
                    f"delivered,RUN-{n % 40},running-shoes")
    return "\n".join(rows)


GUEST_HOME = ("27 Meadow Lane", "Harrogate", "HG1 2AB", "GB")


def guest_history_csv(customer_id: str, orders: int, now: datetime) -> str:
    rows = ["customer_id,email,order_id,placed_at,currency,total_amount,status,delivered_at,sku,category,"
            "shipping_line1,shipping_city,shipping_postcode,shipping_country"]
    for n in range(orders):
        placed = now - timedelta(days=20 * (n + 1))
        rows.append(f"{customer_id},bench.guest@example.com,{customer_id}-{n:04d},{placed:%Y-%m-%dT%H:%M:%SZ},GBP,"
                    f"{9000 + n},delivered,{placed + timedelta(days=2):%Y-%m-%dT%H:%M:%SZ},RUN-{n % 40},"
                    f"running-shoes,{','.join(GUEST_HOME)}")
    return "\n".join(rows)


def measure_guest(quotes: int, now: datetime, counter, create_quote, parse_quote, import_orders,
                  read_import_file) -> dict:
    """The guest-with-email quote (recognised by email and delivered address: the index, then
    the customer's partition), a guest whose email nobody holds (the index alone), and the
    same customer's own quote (one Query), timed and counted the same way."""
    customer_id = "bench-guest"
    import_orders(read_import_file(io.StringIO(guest_history_csv(customer_id, 30, now)), "g.csv", now), now=now)
    address = dict(zip(("line1", "city", "postcode", "country"), GUEST_HOME))
    cart = {"currency": "GBP", "shipping_address": address,
            "lines": [{"sku": "RUN-1", "category": "running-shoes", "quantity": 1, "unit_amount": 12999}]}
    requests = {
        "guest, email recognised": parse_quote({**cart, "customer": {"email": "Bench.Guest+run@Example.com"}}),
        # without an address: a stranger's address gets a verify decision, and that record is a write
        "guest, email nobody holds": parse_quote({**{k: v for k, v in cart.items() if k != "shipping_address"},
                                                  "customer": {"email": "someone.new@example.net"}}),
        "known customer (customer_id)": parse_quote({**cart, "customer_id": customer_id}),
    }
    found = {}
    for label, request in requests.items():
        for _ in range(10):
            create_quote(request, now=now, show_customer_id=True)
        counter.reset()
        times = []
        for _ in range(quotes):
            started = time.perf_counter()
            quote = create_quote(request, now=now, show_customer_id=True)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        if label.startswith("guest, email recognised"):
            assert quote["customer"]["recognised"]["customer_id"] == customer_id, quote["customer"]
        found[label] = (statistics.median(times), times[int(len(times) * 0.95) - 1], counter.total / quotes,
                        quote["customer"]["tier"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quotes", type=int, default=200)
    args = parser.parse_args()

    from chalicelib.api.import_rows import read_import_file
    from chalicelib.api.parsing import parse_adjustment, parse_quote
    from chalicelib.services.support import adjust
    from chalicelib.services.importer import import_orders
    from chalicelib.services.quotes import create_quote

    now = datetime.now(timezone.utc)
    results = []
    with dynamodb_local_table() as counter:
        for size in SIZES:
            customer_id = f"bench-{size}"
            started = time.perf_counter()
            import_orders(read_import_file(io.StringIO(history_csv(customer_id, size, now)), "h.csv", now), now=now)
            for number in range(3):  # three grants of store credit, so the quote applies credit
                adjust(customer_id, parse_adjustment({"kind": "store_credit", "adjustment_id": f"bench-{number}",
                                                      "amount": 500, "currency": "GBP", "reason": "bench"}, now),
                       "bench", now=now)
            setup = time.perf_counter() - started
            request = parse_quote({"customer_id": customer_id, "currency": "GBP", "promo_codes": ["RUNCLUB10"],
                                   "use_credit": True,
                                   "lines": [{"sku": "RUN-1", "category": "running-shoes", "quantity": 1,
                                              "unit_amount": 12999},
                                             {"sku": "SOCKS", "category": "accessories", "quantity": 3,
                                              "unit_amount": 1299}]})
            for _ in range(10):  # warm the connection pool and the rules cache
                create_quote(request, now=now)
            counter.reset()
            times = []
            for _ in range(args.quotes):
                started = time.perf_counter()
                quote = create_quote(request, now=now)
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            assert quote["credit"]["applied"]["amount"] == 1500, quote["credit"]
            results.append((size, statistics.median(times), times[int(len(times) * 0.95) - 1],
                            counter.total / args.quotes, quote["customer"]["tier"], setup))

        guest = measure_guest(args.quotes, now, counter, create_quote, parse_quote, import_orders, read_import_file)

    print(f"quote on DynamoDB Local, {args.quotes} quotes per customer, rules cached (warm Lambda), "
          "£15.00 of store credit applied")
    print(f"{'past orders':>12}{'median ms':>11}{'p95 ms':>9}{'requests/quote':>16}{'tier':>8}{'setup s':>9}")
    for size, median, p95, requests, tier, setup in results:
        print(f"{size:>12,}{median:>11.2f}{p95:>9.2f}{requests:>16.2f}{tier or '-':>8}{setup:>9.1f}")
    print(f"median at {SIZES[-1]:,} orders / median at {SIZES[0]} orders: {results[-1][1] / results[0][1]:.2f} "
          "(target: within 1.20)")
    print()
    print(f"guest quotes (customer {{email}}, no customer_id) beside the customer's own, {args.quotes} each:")
    print(f"{'quote':>34}{'median ms':>11}{'p95 ms':>9}{'requests/quote':>16}{'tier':>8}")
    for label, (median, p95, requests, tier) in guest.items():
        print(f"{label:>34}{median:>11.2f}{p95:>9.2f}{requests:>16.2f}{tier or '-':>8}")
    median, p95 = measure_compute(5000)
    print(f"in-process compute of a 20-line cart with 10 promotions: median {median:.3f} ms, p95 {p95:.3f} ms "
          "(target: under 1 ms)")


if __name__ == "__main__":
    main()
