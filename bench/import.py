"""Import benchmark: how close the importer comes to DynamoDB Local's own write rate.

In one run on one DynamoDB Local (warmed up first: its JIT makes the first 20,000 writes 2-3x
slower), it measures:

- raw BatchWriteItem items/s, with 1 thread and with the importer's worker count
  (``LOYALTY_IMPORT_WORKERS``, default 8), before and after the import (the machine is shared:
  the two figures show the drift; the ratio uses their mean);
- the import of a generated CSV (``--rows``, default 100,000, 10 orders a customer) in a child
  process, through ``import_orders`` (``--path function``) or the operator command
  ``python -m chalicelib.cli import FILE`` (``--path cli``): orders/s, items written per order
  (counted by writes: every TransactWriteItems item, every BatchWriteItem item processed),
  requests per order, and then a re-import of the same file (which must write nothing);
- the ratio import items/s / raw items/s at the same concurrency;
- where the import's time goes: per request type, requests, items and seconds waiting for
  DynamoDB Local (summed over threads), the CPU time of the import's processes and of the
  DynamoDB Local JVM, and DynamoDB Local's CPU per item written, beside the raw writes';
- the peak RSS of the importing process (the child's, or the largest of its pool's processes)
  for each size of ``--memory-rows`` (each a separate import into the same table);
- with ``--profile-rows N``: a cProfile of an import of N rows (every thread), top entries.

Requests are counted in every process the import starts (bench/_counting/sitecustomize.py),
so the same bench measures the fan-out's process pool once the CLI uses one. Usage:

    .venv/bin/python bench/import.py [--rows 100000] [--customers N] [--path function|cli]
        [--workers 8] [--raw-items 20000] [--memory-rows 1000000 ...] [--profile-rows 10000]

What bounds the ratio: DynamoDB Local's transactions. Measured 2026-12-04 on the shared
2-core machine (load 8.7-11, figures +-20% between runs), 20,000 rows, 2,000 customers:

    raw BatchWriteItem, 8 threads            2,429 / 3,076 items/s (before / after)
    import, 8 workers                        722 items/s, 140 orders/s, 5.15 items/order
    ratio at 8 threads                       0.26 (0.32 against raw at 1 thread)
    DynamoDB Local CPU per item written      0.55 ms (import) vs 0.20-0.24 ms (raw)
    import's own CPU per item written        0.20 ms; BatchGetItem pre-check 0.5% of request time
    peak RSS, 20,000 / 100,000 rows          157 / 347 MiB: not flat (~2.4 KiB a row)

Every item of an import is written in a TransactWriteItems (the order's "only if absent"
condition, its ledger entries and the aggregate ADDs commit together), and DynamoDB Local
spends 2-3x the CPU per item on a transaction that it spends on a BatchWriteItem, and commits
transactions side by side no faster than one at a time (replaying the importer's own requests:
1 thread 1,200-1,600 items/s, 8 threads 740-810; 8 import workers wait 117 ms per transaction).
The Python side is not the bound: its CPU per item is a third of the server's; the profile's top
entries are botocore's request serialisation (serialize.py _serialize, 14% of the import's CPU),
PynamoDB attribute get/set and container serialisation (~30%), json encoding and strftime.
The rows are parsed and built in 0.1 ms per order. Transactions of a customer hold ~51 items;
merging customers to 100 items a transaction changed nothing measurable.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, Iterator, List, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
COUNTING = Path(__file__).resolve().parent / "_counting"


def _csv_lines(orders: int, customers: int, seed: int, tag: str, addresses: int = 0) -> Iterator[str]:
    rng = random.Random(seed)
    start = datetime(2019, 1, 1, tzinfo=timezone.utc)
    shipping = ",shipping_line1,shipping_city,shipping_postcode,shipping_country" if addresses else ""
    yield f"customer_id,email,order_id,placed_at,currency,total_amount,status,refunded_amount,sku,category{shipping}\n"
    for n in range(orders):
        customer = n % customers
        placed = start + timedelta(minutes=rng.randint(0, 60 * 24 * 365 * 7))
        total = rng.randint(500, 40000)
        status = rng.choices(["delivered", "refunded", "cancelled", "placed"], [85, 6, 3, 6])[0]
        refunded = rng.randint(1, total) if status == "refunded" else ""
        yield (f"cust{tag}-{customer:06d},c{tag}{customer}@example.com,ord{tag}-{n:08d},"
               f"{placed:%Y-%m-%dT%H:%M:%SZ},GBP,{total},{status},{refunded},SKU-{rng.randint(1, 300)},shoes"
               + (f",{customer % 900 + 1} Meadow Lane {n // customers % addresses + 1},Harrogate,HG1 2AB,GB"
                  if addresses else "") + "\n")


def generated_csv(orders: int, customers: int, seed: int = 11, tag: str = "") -> str:
    """The bench's order history as one string (bench/value_fit_table.py builds its table with it)."""
    return "".join(_csv_lines(orders, customers, seed, tag))


def write_csv(path: Path, orders: int, customers: int, tag: str, addresses: int = 0) -> None:
    """The same history streamed to a file, so a 1,000,000-row file never sits in memory."""
    with path.open("w") as out:
        out.writelines(_csv_lines(orders, customers, 11, tag, addresses))


def load() -> str:
    return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU of the DynamoDB Local JVM so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raw_batch_write(endpoint: str, table: str, items: int, threads: int, server_pid: int) -> dict:
    """Small items (about a ledger entry's size) written by BatchWriteItem, 25 a request,
    unprocessed items sent again, spread over ``threads`` threads with a client each."""
    import boto3
    from botocore.config import Config

    run = uuid.uuid4().hex[:8]
    client = boto3.session.Session().client("dynamodb", endpoint_url=endpoint,
                                            config=Config(max_pool_connections=max(10, threads)))

    def item(n: int) -> dict:
        return {"PutRequest": {"Item": {
            "pk": {"S": f"RAW#{run}#{n // 25:07d}"}, "sk": {"S": f"LEDGER#2026-01-01T00:00:00Z#ORDER#r-{n:09d}#placed"},
            "item_type": {"S": "raw"}, "customer_id": {"S": f"raw-{n // 25:07d}"}, "entry_type": {"S": "order_placed"},
            "at": {"S": "2026-01-01T00:00:00.000000+0000"}, "amount": {"N": str(n % 40000)}, "currency": {"S": "GBP"},
            "order_id": {"S": f"r-{n:09d}"}, "description": {"S": "order placed"}}}}

    def share(worker: int) -> None:
        for first in range(worker * 25, items, 25 * threads):
            pending: Optional[dict] = {table: [item(n) for n in range(first, min(items, first + 25))]}
            while pending:
                pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None

    cpu_before, started = server_cpu_seconds(server_pid), time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(share, range(threads)))
    seconds = time.perf_counter() - started
    return {"items": items, "seconds": seconds, "items_per_s": items / seconds,
            "server_ms_per_item": 1000 * (server_cpu_seconds(server_pid) - cpu_before) / items, "load": load()}


def run_import(path_kind: str, file: Path, env: Dict[str, str], server_pid: int,
               profile: Optional[Path] = None) -> dict:
    """Import ``file`` in a child process; its report, wall time, requests, CPU and peak RSS."""
    counts = Path(tempfile.mkdtemp(prefix="bench-import-counts-"))
    child_env = {**env, "BENCH_COUNT_DIR": str(counts),
                 "PYTHONPATH": os.pathsep.join([str(COUNTING), str(ROOT), env.get("PYTHONPATH", "")])}
    if path_kind == "cli":
        command = [sys.executable, "-m", "chalicelib.cli", "import", str(file), "--json"]
    else:
        command = [sys.executable, str(Path(__file__).resolve()), "--child-import", str(file)]
        if profile is not None:
            command += ["--child-profile", str(profile)]
    cpu_before, started = server_cpu_seconds(server_pid), time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    output = child.stdout.read() if child.stdout else b""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if child.returncode != 0 and not output:
        raise SystemExit(f"import of {file} failed with exit code {child.returncode}: run {' '.join(command)}")
    report = json.loads(output[output.index(b"{"):])
    operations: Dict[str, dict] = {}
    client_cpu = 0.0
    for part in counts.glob("*.json"):
        counted = json.loads(part.read_text())
        client_cpu += counted["cpu_seconds"]
        for name, entry in counted["operations"].items():
            total = operations.setdefault(name, {"requests": 0, "items": 0, "seconds": 0.0})
            for key in total:
                total[key] += entry[key]
    return {"report": report, "seconds": seconds, "operations": operations, "client_cpu": client_cpu,
            "server_cpu": server_cpu_seconds(server_pid) - cpu_before, "peak_rss_mib": usage.ru_maxrss / 1024,
            "load": load()}


def _settings_in(env: Dict[str, str]):
    """The app's settings as a process with ``env`` would read them."""
    from chalicelib.config import settings

    saved = dict(os.environ)
    try:
        os.environ.update(env)
        settings.cache_clear()
        return settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        settings.cache_clear()


def child_import(file: Path, profile: Optional[Path]) -> None:
    """``--child-import FILE``: ``import_orders`` on the file, the report as JSON on stdout."""
    from chalicelib.api.import_rows import open_import_text, read_import_file
    from chalicelib.services.importer import import_orders

    profilers: List = []
    if profile is not None:
        import cProfile
        import threading

        def profiled(run):
            def wrapper(self):
                profiler = cProfile.Profile(time.thread_time)  # CPU, not time spent waiting
                profilers.append(profiler)
                profiler.enable()
                try:
                    run(self)
                finally:
                    profiler.disable()
            return wrapper

        threading.Thread.run = profiled(threading.Thread.run)  # the importer's pool threads
        profilers.append(cProfile.Profile(time.thread_time))
        profilers[-1].enable()
    now = datetime.now(timezone.utc)
    with file.open("rb") as binary, open_import_text(binary) as stream:
        report = import_orders(read_import_file(stream, file.name, now), now=now)
    if profile is not None:
        import pstats

        profilers[0].disable()
        stats = pstats.Stats(profilers[0])
        for profiler in profilers[1:]:
            stats.add(profiler)
        stats.dump_stats(str(profile))
    print(json.dumps(report.to_json()))


def print_profile(path: Path, top: int) -> None:
    import pstats

    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(str(path), stream=out).strip_dirs().sort_stats(order).print_stats(top)
        lines = out.getvalue().splitlines()
        start = next(n for n, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        print(f"\nprofile of the import (CPU time, every thread), top {top} by {order}:")
        print("\n".join("  " + line for line in lines[start:] if line.strip()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000,
                        help="rows of the measured import (100,000 takes over 10 minutes on a shared 2-core machine)")
    parser.add_argument("--customers", type=int, default=None, help="default: rows / 10")
    parser.add_argument("--path", choices=("function", "cli"), default="function",
                        help="import through import_orders in a child process, or through the CLI command")
    parser.add_argument("--workers", type=int, default=None, help="LOYALTY_IMPORT_WORKERS (default: the setting's)")
    parser.add_argument("--compare-workers", type=int, nargs="*", default=[],
                        help="also import (other ids) with these worker counts, each against raw at its count")
    parser.add_argument("--addresses", type=int, default=0,
                        help="shipping addresses per customer in the generated file (default: none)")
    parser.add_argument("--raw-items", type=int, default=20_000, help="items of each raw BatchWriteItem run")
    parser.add_argument("--memory-rows", type=int, nargs="*", default=[],
                        help="more import sizes to measure peak RSS at (e.g. 1000000; slow)")
    parser.add_argument("--profile-rows", type=int, default=0, help="also profile an import of this many rows")
    parser.add_argument("--profile-top", type=int, default=15)
    parser.add_argument("--child-import", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-profile", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_import:
        child_import(args.child_import, args.child_profile)
        return

    from bench._dynamodb import dynamodb_local_table
    from bench.value import table  # one table printer for the benches

    customers = args.customers or max(1, args.rows // 10)
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    print(f"uptime at start: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    with dynamodb_local_table() as local:
        env = {**os.environ, "DYNAMODB_ENDPOINT": local.endpoint, "LOYALTY_TABLE": local.table_name,
               "LOYALTY_BACKEND": "dynamodb-local"}
        if args.workers:
            env["LOYALTY_IMPORT_WORKERS"] = str(args.workers)
        workers = _settings_in(env).import_workers  # what the import's process will use

        def csv(rows: int, people: int, tag: str) -> Path:
            path = work / f"orders{tag}-{rows}.csv"
            write_csv(path, rows, people, tag, args.addresses)
            return path

        # Warm-up: DynamoDB Local's JIT compiles its write paths in the first tens of thousands of items.
        raw_batch_write(local.endpoint, local.table_name, args.raw_items, 1, local.server_pid)
        run_import(args.path, csv(2_000, 200, "w"), env, local.server_pid)

        concurrencies = sorted({1, workers, *args.compare_workers})
        raw_before = {threads: raw_batch_write(local.endpoint, local.table_name, args.raw_items, threads,
                                               local.server_pid) for threads in concurrencies}
        file = csv(args.rows, customers, "")
        first = run_import(args.path, file, env, local.server_pid)
        again = run_import(args.path, file, env, local.server_pid)
        compared = {count: run_import(args.path, csv(args.rows, customers, f"c{count}"),
                                      {**env, "LOYALTY_IMPORT_WORKERS": str(count)}, local.server_pid)
                    for count in args.compare_workers if count != workers}
        raw_after = {threads: raw_batch_write(local.endpoint, local.table_name, args.raw_items, threads,
                                              local.server_pid) for threads in concurrencies}
        memory = [(args.rows, first)]
        for rows in args.memory_rows:
            memory.append((rows, run_import(args.path, csv(rows, max(1, rows // 10), f"m{rows}"), env,
                                            local.server_pid)))
        profile = None
        if args.profile_rows:
            profile = work / "import.prof"  # CPU time of each thread (where the Python side spends it)
            run_import("function", csv(args.profile_rows, max(1, args.profile_rows // 10), "p"), env,
                       local.server_pid, profile=profile)
    uptime_end = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()

    def written(run: dict) -> int:
        return sum(entry["items"] for entry in run["operations"].values())

    def requests(run: dict) -> int:
        return sum(entry["requests"] for entry in run["operations"].values())

    def raw_row(label: str, threads: int, result: dict) -> list:
        return [f"raw BatchWriteItem ({label})", threads, f"{result['items']:,}", f"{result['seconds']:.1f}",
                f"{result['items_per_s']:,.0f}", "", "", "", f"{result['server_ms_per_item']:.3f}", result["load"]]

    def import_row(label: str, threads: int, run: dict) -> list:
        orders, items = max(1, run["report"]["rows"]), written(run)
        return [f"{label} ({args.path})", threads, f"{items:,}", f"{run['seconds']:.1f}",
                f"{items / run['seconds']:,.0f}", f"{orders / run['seconds']:,.0f}", f"{items / orders:.2f}",
                f"{requests(run) / orders:.3f}", f"{1000 * run['server_cpu'] / items:.3f}" if items else "",
                run["load"]]

    imports = {workers: first, **compared}
    rows = [raw_row("before", threads, result) for threads, result in raw_before.items()]
    rows += [import_row("import, first", workers, first), import_row("re-import (no change)", workers, again)]
    rows += [import_row(f"import, {count} workers", count, run) for count, run in compared.items()]
    rows += [raw_row("after", threads, result) for threads, result in raw_after.items()]
    table(f"import of {args.rows:,} orders for {customers:,} customers into DynamoDB Local, "
          f"{workers} workers by default ({args.path} path)",
          ["run", "threads", "items written", "seconds", "items/s", "orders/s", "items/order", "requests/order",
           "server CPU ms/item", "load 1/5/15 min"], rows)

    def raw_rate(threads: int) -> float:
        return (raw_before[threads]["items_per_s"] + raw_after[threads]["items_per_s"]) / 2

    ratios = []
    for count, run in sorted(imports.items()):
        rate = written(run) / run["seconds"]
        for threads in dict.fromkeys((count, 1)):
            ratios.append([f"import ({count} workers) items/s / raw items/s at {threads} thread{'s' if threads > 1 else ''}",
                           f"{rate:,.0f} / {raw_rate(threads):,.0f}", f"{rate / raw_rate(threads):.2f}",
                           ("target >= 0.5" if count == workers else "same concurrency") if threads == count
                           else "(reference)"])
    table("ratio (raw: mean of before and after)", ["ratio", "items/s", "ratio", ""], ratios)

    operations = [[name, f"{entry['requests']:,}", f"{entry['items']:,}",
                   f"{entry['items'] / entry['requests']:.1f}" if entry["items"] else "",
                   f"{entry['seconds']:.1f}", f"{1000 * entry['seconds'] / entry['requests']:.1f}"]
                  for name, entry in sorted(first["operations"].items())]
    table(f"where the first import's time goes: {first['seconds']:.1f} s wall, {first['client_cpu']:.1f} s CPU in "
          f"the import's processes, {first['server_cpu']:.1f} s CPU in DynamoDB Local "
          f"({1000 * first['client_cpu'] / max(1, written(first)):.3f} and "
          f"{1000 * first['server_cpu'] / max(1, written(first)):.3f} ms per item written)",
          ["request", "requests", "items written", "items/request", "seconds waiting (sum over threads)",
           "ms/request"], operations)

    table("peak RSS of the importing process (largest of its processes)",
          ["rows", "path", "peak RSS MiB", "seconds", "imported", "load 1/5/15 min"],
          [[f"{rows:,}", args.path, f"{run['peak_rss_mib']:,.0f}", f"{run['seconds']:.1f}",
            f"{run['report']['imported']:,}", run["load"]] for rows, run in memory])
    if first["report"]["rejected"]:
        print(f"rejected rows: {first['report']['rejected']} (first: {first['report']['rejected_rows'][0]})")
    if again["report"]["imported"] or written(again):
        print(f"re-import wrote {written(again):,} items and imported {again['report']['imported']:,} orders: "
              "it must change nothing")
    if profile is not None:
        print_profile(profile, args.profile_top)
    print(f"\nuptime at end: {uptime_end}")


if __name__ == "__main__":
    main()
