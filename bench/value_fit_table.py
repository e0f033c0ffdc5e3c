"""``fit-value-model`` on a store-sized table: 25,000 customers and 70,000 orders in DynamoDB Local.

Builds the table through the importer (so every item is exactly what the app writes: orders,
ledger entries, profiles, months, purchase days, addresses, lookups), then runs the operator
command itself, ``python -m chalicelib.cli fit-value-model --dry-run --json``, once per segment
count, and prints its wall time (the whole process: Python, scipy, Scan and fit) and the
Scan's items read per second. Heavy: minutes on a laptop. Usage:

    .venv/bin/python bench/value_fit_table.py [--customers 25000] [--orders 70000] [--segments 1 4 8]
"""
from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._dynamodb import dynamodb_local_table  # noqa: E402
from bench.value import table  # noqa: E402  (one table printer for the value benches)


def build(customers: int, orders: int) -> dict:
    from chalicelib.api.import_rows import read_import_file
    from chalicelib.services.importer import import_orders

    now = datetime.now(timezone.utc)
    text = importlib.import_module("bench.import").generated_csv(orders, customers)  # the import bench's data
    started = time.perf_counter()
    report = import_orders(read_import_file(io.StringIO(text), "history.csv", now), now=now)
    seconds = time.perf_counter() - started
    assert report.imported == orders and not report.rejected, report.to_json()
    return {"seconds": seconds, "customers": report.customers, "orders": report.imported}


def fit(segments: int) -> dict:
    """The operator command in its own process, against the bench's table."""
    from chalicelib.store.models import TableItem

    env = {**os.environ, "DYNAMODB_ENDPOINT": TableItem.Meta.host, "LOYALTY_TABLE": TableItem.Meta.table_name,
           "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "chalicelib.cli", "fit-value-model", "--dry-run", "--json",
                           "--segments", str(segments)], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"fit-value-model failed ({done.returncode}):\n{done.stderr[-2000:]}")
    answer = json.loads(done.stdout[done.stdout.index("{"):])
    return {"wall": wall, **answer}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=25_000)
    parser.add_argument("--orders", type=int, default=70_000)
    parser.add_argument("--segments", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args()
    with dynamodb_local_table():
        built = build(args.customers, args.orders)
        from chalicelib.store.customers import approximate_item_count

        items = approximate_item_count()
        table("Table built through the importer (DynamoDB Local, in memory)",
              ["customers", "orders", "items", "import s", "orders/s"],
              [[built["customers"], built["orders"], items, f"{built['seconds']:.0f}",
                f"{built['orders'] / built['seconds']:.0f}"]])
        rows = []
        for segments in args.segments:
            result = fit(segments)
            scan = result["scan"]
            rows.append([segments, f"{result['wall']:.1f}", f"{scan['seconds']:.1f}", scan["items_scanned"],
                         scan["items_per_second"], scan["purchase_days"], result["customers"],
                         f"{result.get('fit_seconds', 0):.1f}", result["model"]["converged"]])
        table("fit-value-model --dry-run (the CLI command, one process per run)",
              ["segments", "wall s", "scan s", "items scanned", "items/s", "purchase days", "customers",
               "fit s", "converged"], rows)


if __name__ == "__main__":
    main()
