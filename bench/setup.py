"""The first ten minutes, timed: a fresh clone in a temporary folder, then

1. ``make run`` until ``GET /v1/health`` first answers 200 (venv, installs, DynamoDB Local,
   table, demo data, API), then stopped with Ctrl-C;
2. a second ``make run`` to its first 200 (everything already installed and seeded);
3. ``make test`` (with ``CI=true``, as CI runs it: conformance tests may not skip).

Caches start empty (uv, pip and npm caches live in the temporary folder) so the first run is
what a new machine sees; ``--warm-caches`` uses this machine's caches instead. The load average
is printed with the figures: on a shared machine other work slows every step.

    python bench/setup.py [--port 18000] [--ddb-port 18001] [--source .] [--skip-test] [--keep]

Targets (issue 18, on a 2-core machine): first serving < 90 s, second < 20 s, make test < 4 min.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"first make run": 90.0, "second make run": 20.0, "make test": 240.0}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_until_healthy(clone: Path, env: dict, port: int, log: Path, timeout: float = 600.0) -> float:
    """Seconds from ``make run`` to the first 200 on /v1/health; the run is then stopped."""
    url = f"http://127.0.0.1:{port}/v1/health"
    started = time.monotonic()
    with log.open("ab") as output:
        process = subprocess.Popen(["make", "run"], cwd=clone, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        while time.monotonic() - started < timeout:
            if process.poll() is not None:
                raise SystemExit(f"make run exited with {process.returncode}; see {log}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"no 200 from {url} within {timeout:.0f}s; see {log}")
    finally:
        os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C: make run stops what it started
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run_tests(clone: Path, env: dict, log: Path) -> tuple[float, int]:
    started = time.monotonic()
    with log.open("ab") as output:
        code = subprocess.run(["make", "test"], cwd=clone, env={**env, "CI": "true"}, stdout=output,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode
    return time.monotonic() - started, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(REPO_ROOT), help="the repository to clone (its committed HEAD)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 0) or free_port())
    parser.add_argument("--ddb-port", type=int, default=int(os.environ.get("DDB_PORT") or 0) or free_port())
    parser.add_argument("--warm-caches", action="store_true", help="use this machine's uv/pip/npm caches")
    parser.add_argument("--skip-test", action="store_true", help="time the two make runs only")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="loyalty-setup-bench-"))
    clone = folder / "repo"
    log = folder / "bench.log"
    subprocess.run(["git", "clone", "--quiet", args.source, str(clone)], check=True)
    env = {key: value for key, value in os.environ.items()
           if key not in ("VIRTUAL_ENV", "LOYALTY_TABLE", "DYNAMODB_ENDPOINT", "CI")}
    env.update(PORT=str(args.port), DDB_PORT=str(args.ddb_port))
    if not args.warm_caches:
        env.update(UV_CACHE_DIR=str(folder / "cache" / "uv"), PIP_NO_CACHE_DIR="1",
                   npm_config_cache=str(folder / "cache" / "npm"))
    print(f"clone: {clone} (log: {log}); ports {args.port}/{args.ddb_port}; "
          f"{'warm' if args.warm_caches else 'empty'} caches; load before {os.getloadavg()[0]:.2f}", flush=True)

    figures: list[tuple[str, float, str]] = []
    try:
        figures.append(("first make run", serve_until_healthy(clone, env, args.port, log), "to first 200"))
        print(f"  first make run: {figures[-1][1]:.1f}s", flush=True)
        figures.append(("second make run", serve_until_healthy(clone, env, args.port, log), "to first 200"))
        print(f"  second make run: {figures[-1][1]:.1f}s", flush=True)
        if not args.skip_test:
            seconds, code = run_tests(clone, env, log)
            figures.append(("make test", seconds, "passed" if code == 0 else f"FAILED (exit {code})"))
    finally:
        load = os.getloadavg()
        print()
        print(f"{'step':<18}{'seconds':>9}{'target':>9}  result")
        for step, seconds, what in figures:
            target = TARGETS[step]
            verdict = "ok" if seconds < target else "over"
            print(f"{step:<18}{seconds:>9.1f}{target:>9.0f}  {what}, {verdict}")
        print(f"load average after: {load[0]:.2f} (1 min), {load[1]:.2f} (5 min) on {os.cpu_count()} cores")
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0 if all(what.startswith(("to first", "passed")) for _, _, what in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
