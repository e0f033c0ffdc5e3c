"""How many customers each tier holds, under two rules documents, for the generated bench
population (bench/import.py's generator), computed from the same aggregates a quote reads.

    .venv/bin/python bench/tiers.py --old /tmp/old-rules.json [--orders 100000] [--customers 10000]
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.domain.customer import MonthTotals  # noqa: E402
from chalicelib.domain.history import CustomerHistory  # noqa: E402
from chalicelib.domain.rules import load_default_rules, parse_rules  # noqa: E402
from chalicelib.domain.tiers import evaluate_tier  # noqa: E402


def histories(text: str) -> list:
    """One CustomerHistory per customer: orders not cancelled, net of refunds, by UTC month."""
    months = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    first = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row["status"] == "cancelled":
            continue
        placed = datetime.fromisoformat(row["placed_at"].replace("Z", "+00:00"))
        net = int(row["total_amount"]) - int(row["refunded_amount"] or 0)
        bucket = months[row["customer_id"]][f"{placed:%Y-%m}"]
        bucket[0] += 1
        bucket[1] += net
        first[row["customer_id"]] = min(first.get(row["customer_id"], placed), placed)
    result = []
    for customer, by_month in months.items():
        totals = {key: MonthTotals(orders, spend) for key, (orders, spend) in by_month.items()}
        result.append(CustomerHistory(customer, sum(t.orders for t in totals.values()),
                                      sum(t.net_spend for t in totals.values()), first[customer], None, totals))
    return result


def distribution(rules, people, now) -> Counter:
    return Counter(evaluate_tier(rules.tiers, person, now, rules.base_currency).tier for person in people)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--old", required=True, help="the rules document to compare with the default")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=10_000)
    args = parser.parse_args()
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_import", Path(__file__).with_name("import.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    people = histories(module.generated_csv(args.orders, args.customers))
    now = datetime.now(timezone.utc)
    old = parse_rules(json.loads(Path(args.old).read_text(encoding="utf-8")))
    new = load_default_rules()
    names = [tier.name for tier in new.tiers]
    before, after = distribution(old, people, now), distribution(new, people, now)
    print(f"{len(people)} customers, {args.orders} orders, evaluated {now:%Y-%m-%d}")
    print(f"{'tier':8} {'old rules':>10} {'new rules':>10}")
    for name in names:
        print(f"{name:8} {before[name]:>10} {after[name]:>10}")
