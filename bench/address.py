"""Compute time of address trust scoring against 1, 10 and 50 known addresses.

Run: ``PYTHONPATH=. .venv/bin/python bench/address.py`` (or ``make bench``). Prints the median and
p95 of ``score_address`` per book size (target: under 1 ms at 50), plus the one-off costs a cold
Lambda pays: importing the domain modules and reading the centroid tables on first use.

The books are realistic: GB and US addresses spread over many postcodes, the new address a few
doors from one of them, so each call runs the full comparison (distances included), and a payment
provider address that differs from the new one.
"""
from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

_t0 = time.perf_counter()
from chalicelib.domain.address_trust import KnownAddress, TrustContext, default_rules, score_address  # noqa: E402
from chalicelib.domain.addresses import normalise_address  # noqa: E402
from chalicelib.domain import geo  # noqa: E402

IMPORT_MS = (time.perf_counter() - _t0) * 1000
NOW = datetime(2026, 11, 23, tzinfo=timezone.utc)
GB_POSTCODES = ["LS11 5QP", "LS6 1AN", "M1 1AE", "M20 2RN", "SW1A 1AA", "SE1 7PB", "N1 9AG", "EH1 1YZ", "B1 1BB",
                "BS1 4DJ", "CF10 1EP", "G1 1XQ", "NE1 4ST", "CB2 1TN", "OX1 2JD", "BN1 1AE", "L1 8JQ", "S1 2HE"]
US_ZIPS = ["10019", "10001", "11201", "78701", "98101", "90012", "60601", "33131", "80202", "02108", "94105"]
STREETS = ["Acacia Avenue", "Pembroke Road", "Church Lane", "Victoria Street", "Mill Lane", "Station Road",
           "Market Street", "Beacon Street", "Congress Avenue"]


def _book(size: int, rng: random.Random):
    book = []
    for i in range(size):
        if i % 3 == 2:
            raw = {"line1": f"Apt {i}, {rng.randint(1, 900)} {rng.choice(STREETS)}", "city": "Somewhere",
                   "postcode": rng.choice(US_ZIPS), "country": "US"}
        else:
            raw = {"line1": f"Flat {i}, {rng.randint(1, 200)} {rng.choice(STREETS)}", "city": "Somewhere",
                   "postcode": rng.choice(GB_POSTCODES), "country": "GB"}
        address = normalise_address(raw)
        book.append(KnownAddress(address.fingerprint, address, NOW - timedelta(days=400 + i), 3, 2, None,
                                 NOW - timedelta(days=30)))
    return book


def _time(size: int, runs: int = 2000) -> tuple:
    rng = random.Random(size)
    book = _book(size, rng)
    new = normalise_address({"line1": "Unit 9, 7 Acacia Avenue", "city": "Leeds", "postcode": "LS11 5QP",
                             "country": "GB"})
    context = TrustContext(
        now=NOW, account_created_at=NOW - timedelta(days=900), first_order_at=NOW - timedelta(days=880),
        lifetime_orders=20, delivered_orders=18, net_spend_minor=250000, chargebacks=0, refunds=2,
        new_addresses_last_30_days=1, cart_value_minor=30000, usual_order_value_minor=14000,
        payment_address=normalise_address({"line1": "1 Other Road", "city": "London", "postcode": "SE1 7PB",
                                           "country": "GB"}),
    )
    rules = default_rules()
    score_address(new, book, context, rules)  # warm: tables loaded, caches filled
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.thread_time()
        score_address(new, book, context, rules)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    return _median_p95(wall) + _median_p95(cpu)


def _median_p95(samples: list) -> tuple:
    samples = sorted(samples)
    return statistics.median(samples), samples[int(len(samples) * 0.95)]


def main() -> None:
    print(f"import of address_trust (+ addresses, postcodes, geo, money): {IMPORT_MS:.1f} ms")
    for country in ("GB", "US"):
        start = time.perf_counter()
        geo._table(country)
        print(f"first use of the {country} centroid table: {(time.perf_counter() - start) * 1000:.1f} ms")
    start = time.perf_counter()
    default_rules()
    print(f"parsing the default rules once: {(time.perf_counter() - start) * 1000:.1f} ms")
    start = time.perf_counter()
    for _ in range(1000):
        normalise_address({"line1": "Flat 2B, 15 High Street", "city": "Leeds", "postcode": "LS11 5QP", "country": "GB"})
    print(f"normalise_address: {(time.perf_counter() - start):.3f} ms per call (1000 calls)")
    # Wall time includes waiting for a core on a busy machine; CPU time of this thread is the compute.
    print("score_address (warm)        wall median  wall p95   cpu median  cpu p95")
    for size in (1, 10, 50):
        wall_median, wall_p95, cpu_median, cpu_p95 = _time(size)
        print(f"  {size:>3} known addresses     {wall_median:7.3f} ms {wall_p95:7.3f} ms "
              f"{cpu_median:7.3f} ms {cpu_p95:7.3f} ms")


if __name__ == "__main__":
    main()
