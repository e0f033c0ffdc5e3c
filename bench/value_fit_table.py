"""``fit-value-model`` on a store-sized table: 25,000 customers and 70,000 orders in DynamoDB Local.

Builds the table through the importer (so every item is exactly what the app writes: orders,
ledger entries, profiles, months, purchase days, addresses, lookups), then runs the operator
command itself, ``python -m chalicelib.cli fit-value-model --dry-run --json``, once per segment
count, and prints its wall time (the whole process: Python, scipy, Scan and fit) and the
Scan's items read per second. Then the batch path from an export: ``export-table`` writes the
table in DynamoDB's export format (standing in for ``aws dynamodb export-table-to-point-in-time``)
and ``fit-value-model --from-export`` fits from it with DuckDB; it prints both parameter sets,
whether they agree to 6 significant figures, and the wall times. Heavy: minutes on a laptop.
Usage:

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
import tempfile
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


def command(*args: str) -> dict:
    """An operator command in its own process, against the bench's table; its JSON answer
    with the process's wall time."""
    from chalicelib.store.models import TableItem

    env = {**os.environ, "DYNAMODB_ENDPOINT": TableItem.Meta.host, "LOYALTY_TABLE": TableItem.Meta.table_name,
           "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "chalicelib.cli", *args, "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    answer = json.loads(done.stdout[done.stdout.index("{"):])
    return {"wall": wall, **answer}


def fit(segments: int) -> dict:
    return command("fit-value-model", "--dry-run", "--segments", str(segments))


PARAMETERS = (("bgnbd", ("r", "alpha", "a", "b")), ("gamma_gamma", ("p", "q", "gamma")))


def parameters(model: dict) -> dict:
    """The fitted parameters, each already rounded to 6 significant figures by the fit."""
    return {name: model[part][name] for part, names in PARAMETERS for name in names}


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
        with tempfile.TemporaryDirectory(prefix="loyalty-export-bench-") as folder:
            exported = command("export-table", folder, "--segments", str(args.segments[-1]))
            from_export = command("fit-value-model", "--dry-run", "--from-export", exported["folder"])
        read = from_export["export"]
        table("export-table, then fit-value-model --dry-run --from-export (DuckDB over the export)",
              ["export wall s", "items", "data files", "fit wall s", "read s", "customers", "fit s", "converged"],
              [[f"{exported['wall']:.1f}", exported["itemCount"], read["data_files"], f"{from_export['wall']:.1f}",
                f"{read['seconds']:.1f}", from_export["customers"], f"{from_export.get('fit_seconds', 0):.1f}",
                from_export["model"]["converged"]]])
        scanned, exported_params = parameters(result["model"]), parameters(from_export["model"])
        table("Parameters (6 significant figures): Scan path and export path",
              ["parameter", "scan", "export", "same"],
              [[name, scanned[name], exported_params[name], scanned[name] == exported_params[name]]
               for name in scanned])
        agree = scanned == exported_params and result["customers"] == from_export["customers"]
        print(f"\nagree to 6 significant figures: {'yes' if agree else 'NO'}; wall time: Scan path "
              f"{result['wall']:.1f} s ({args.segments[-1]} segments), export path {from_export['wall']:.1f} s "
              f"(plus {exported['wall']:.1f} s to write the export locally, which AWS's export does off the table)")
        if not agree:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
