"""Parsing request bodies: the declared shapes (api/shapes.py, checked by api/validation.py and
built by msgspec) against the hand-written parser they replaced, read from git history.

Median microseconds per body, for a quote of 2 and of 50 lines, an order of 2 lines, and a
refused quote (three problems). Both parsers run in this process on the same bodies.

    python bench/parse.py [--runs 2000] [--baseline c96a077]
"""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BASELINE = "c96a077"  # the last commit with the hand-written parser (issue 12 replaced it)
NOW = datetime(2026, 12, 4, 12, tzinfo=timezone.utc)
ADDRESS = {"line1": "27 Meadow Lane", "city": "Harrogate", "postcode": "HG1 2AB", "country": "GB"}


def quote(lines: int) -> dict:
    return {"customer_id": "c-seed", "currency": "GBP", "promo_codes": ["RUNCLUB10"], "use_credit": True,
            "shipping_address": ADDRESS,
            "lines": [{"sku": f"SKU-{n}", "category": "running-shoes", "quantity": 1, "unit_amount": 13999}
                      for n in range(lines)]}


ORDER = {"order_id": "o-1", "placed_at": "2026-11-01T10:00:00Z", "currency": "GBP", "total_amount": 10000,
         "lines": [{"sku": "SHOE", "category": "shoes", "quantity": 2, "unit_amount": 4000},
                   {"sku": "SOCKS", "quantity": 1, "unit_amount": 2000}], "shipping_address": ADDRESS}
BAD_QUOTE = {**quote(2), "currency": "gbp", "use_credit": 0, "shipping_address": {"line1": "x", "city": "y"}}


def old_parser(revision: str):
    source = subprocess.run(["git", "show", f"{revision}:chalicelib/api/parsing.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "old_parsing.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("chalicelib.api._old_parsing", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def median_us(call, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        try:
            call()
        except Exception:  # the refused body: the 400 is the work measured
            pass
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--baseline", default=BASELINE)
    args = parser.parse_args()
    from chalicelib.api import parsing as new

    old = old_parser(args.baseline)
    cases = [("quote, 2 lines", lambda m: m.parse_quote(quote(2))),
             ("quote, 50 lines", lambda m: m.parse_quote(quote(50))),
             ("order, 2 lines", lambda m: m.parse_order(ORDER, NOW)),
             ("refused quote", lambda m: m.parse_quote(BAD_QUOTE))]
    print(f"median microseconds per body, {args.runs} runs (old: {args.baseline}'s hand-written parser)")
    print(f"{'body':<18}{'old':>9}{'new':>9}{'new/old':>9}")
    for label, call in cases:
        before = median_us(lambda: call(old), args.runs)
        after = median_us(lambda: call(new), args.runs)
        print(f"{label:<18}{before:>9.1f}{after:>9.1f}{after / before:>9.2f}")


if __name__ == "__main__":
    main()
