"""In-process compute time of one quote: a 20-line cart against ten promotions.

Run from the repository root: ``.venv/bin/python bench/quote_compute.py [iterations]``.
Prints the median and p95 time of ``quote_for_cart`` (no DynamoDB, no JSON), the figure the
issue's target of "under 1 ms" is about. Rules are parsed once, as the warm Lambda caches them.
"""
from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.domain.history import CustomerHistory, MonthTotals  # noqa: E402
from chalicelib.domain.pricing import CartLine, quote_for_cart  # noqa: E402
from chalicelib.domain.rules import load_default_rules, parse_rules  # noqa: E402

NOW = datetime(2026, 3, 8, 18, tzinfo=timezone.utc)  # inside the Spring Forward sale


def rules_with_ten_promotions():
    document = load_default_rules().to_document()
    document["promotions"] += [
        {"code": "SOCKS3", "description": "10% off socks", "automatic": True, "kind": "percent_off",
         "percent": "10", "categories": ["socks"], "min_subtotal": 1500, "stackable": True, "priority": 3},
        {"code": "TRAIL20", "description": "£20 off trail shoes over £150", "kind": "amount_off", "amount": 2000,
         "categories": ["trail-shoes"], "min_subtotal": 15000, "stackable": False, "priority": 8},
        {"code": "APPAREL5", "description": "5% off apparel", "automatic": True, "kind": "percent_off",
         "percent": "5", "categories": ["apparel"], "stackable": True, "priority": 1},
        {"code": "BIGBASKET", "description": "12.5% off baskets over £300", "automatic": True, "kind": "percent_off",
         "percent": "12.5", "min_subtotal": 30000, "stackable": False, "priority": 2},
    ]
    return parse_rules(document, version=1)


def gold_customer() -> CustomerHistory:
    months = {}
    for back in range(36):
        year, month = divmod(2026 * 12 + 2 - back, 12)
        months[f"{year:04d}-{month + 1:02d}"] = MonthTotals(orders=1, net_spend=9000)
    return CustomerHistory(
        customer_id="c-bench",
        lifetime_orders=60,
        lifetime_net_spend=640000,
        first_order_at=NOW - timedelta(days=6 * 365),
        last_order_at=NOW - timedelta(days=20),
        months=months,
        promotion_uses={"WELCOMEBACK": 1},
    )


def twenty_lines():
    categories = ["running-shoes", "apparel", "socks", "trail-shoes", "gift-cards"]
    return [
        CartLine(f"SKU-{n}", categories[n % len(categories)], 1 + n % 3, 999 + 731 * n, on_sale=n % 7 == 0)
        for n in range(20)
    ]


CODES = ["runclub10", "TRAIL20", "NOPE"]


def measure(iterations: int):
    """(median, p95) in milliseconds of pricing the 20-line cart for a Gold customer."""
    rules = rules_with_ten_promotions()
    history = gold_customer()
    lines = twenty_lines()
    for _ in range(200):
        quote_for_cart(rules, history, lines, "GBP", NOW, CODES)
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        quote_for_cart(rules, history, lines, "GBP", NOW, CODES)
        samples.append(time.perf_counter() - start)
    samples.sort()
    return statistics.median(samples) * 1e3, samples[int(len(samples) * 0.95) - 1] * 1e3


def main(iterations: int) -> None:
    rules = rules_with_ten_promotions()
    lines = twenty_lines()
    median, p95 = measure(iterations)
    q = quote_for_cart(rules, gold_customer(), lines, "GBP", NOW, CODES)
    print(f"quote compute: {len(lines)} lines, {len(rules.promotions)} promotions, {iterations} iterations")
    print(f"  median {median * 1000:.0f} us   p95 {p95 * 1000:.0f} us   (target: under 1000 us)")
    print(f"  applied {[d.code for d in q.discounts]}; not applied {[n.code for n in q.not_applied]}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
