"""Cold start: how long importing ``app.py`` takes in a fresh Lambda environment, against the
floor of importing boto3 and pynamodb alone.

The package is built by ``chalice package`` (the deployment Lambda runs), unzipped, and every
``.pyc`` removed, as Lambda sees it: the code in the zip is compiled on each cold start. Each
measurement is a fresh interpreter (``-I``, ``PYTHONDONTWRITEBYTECODE=1``) with the unzipped
package first on ``sys.path``; boto3 and s3transfer, which the Lambda runtime provides, come
from this virtualenv (with their ``.pyc``, as in the runtime). Floor and app runs alternate so
machine noise hits both alike.

Also printed: the package size, and what the first requests still load after the import
(the modules a first quote and a first order import lazily), so the cost moved out of the
import stays visible.

    python bench/coldstart.py [--runs 15] [--zip out/deployment.zip]

Target: app import <= 1.2 x the floor.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.2

FLOOR = "import boto3, pynamodb.models"
APP = "import app"
# What the first quote, order and admin call load on top of app.py (lazy imports).
FIRST_REQUESTS = ("import chalicelib.services.quotes, chalicelib.services.orders, chalicelib.api.parsing, "
                  "chalicelib.services.support, chalicelib.observability; chalicelib.observability.logger(); "
                  "import aws_lambda_powertools.metrics")


def build_package(out_dir: Path) -> Path:
    chalice = Path(sys.executable).with_name("chalice")
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-west-2")}
    subprocess.run([str(chalice), "package", "--stage", "dev", "--merge-template", "infra/resources.json",
                    str(out_dir)], cwd=ROOT, env=env, check=True, capture_output=True, timeout=900)
    return out_dir / "deployment.zip"


def unpack(zip_path: Path, into: Path) -> int:
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(into)
    for cache in list(into.rglob("__pycache__")):
        shutil.rmtree(cache)
    for compiled in into.rglob("*.pyc"):
        compiled.unlink()
    return sum(path.stat().st_size for path in into.rglob("*") if path.is_file())


def timed(package: Path, setup: str, statement: str) -> float:
    """Seconds ``statement`` takes in a fresh interpreter, after ``setup``."""
    code = (f"import sys; sys.path.insert(0, {str(package)!r}); {setup}\n"
            "import time; started = time.perf_counter()\n"
            f"{statement}\n"
            "print(time.perf_counter() - started)")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1", "AWS_DEFAULT_REGION": "eu-west-2",
           "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "LOYALTY_STAGE": "dev",
           "LOYALTY_TABLE": "loyalty-dev", "LOYALTY_BACKEND": "aws"}
    result = subprocess.run([sys.executable, "-I", "-c", code], cwd=package, env=env, check=True,
                            capture_output=True, text=True, timeout=120)
    return float(result.stdout.strip().splitlines()[-1])


def median_ms(values) -> float:
    return statistics.median(values) * 1000


def p90_ms(values) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--zip", type=Path, help="an existing deployment.zip (default: package now)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        zip_path = args.zip or build_package(work_dir / "out")
        zip_size = zip_path.stat().st_size
        package = work_dir / "task"
        unpacked = unpack(zip_path, package)
        floor, app, first = [], [], []
        timed(package, "", APP)  # a first run to warm the file cache
        for _ in range(args.runs):
            floor.append(timed(package, "", FLOOR))
            app.append(timed(package, "", APP))
            first.append(timed(package, APP, FIRST_REQUESTS))
    ratio = statistics.median(app) / statistics.median(floor)
    print(f"package: deployment.zip {zip_size / 2**20:.1f} MiB, unzipped {unpacked / 2**20:.1f} MiB")
    print(f"{'import, fresh process, no .pyc (' + str(args.runs) + ' runs)':<58} {'median ms':>10} {'p90 ms':>8}")
    print(f"{'floor: ' + FLOOR:<58} {median_ms(floor):>10.1f} {p90_ms(floor):>8.1f}")
    print(f"{'app:   ' + APP + ' (includes the floor)':<58} {median_ms(app):>10.1f} {p90_ms(app):>8.1f}")
    print(f"{'then, on first requests: services, parsing, Powertools':<58} {median_ms(first):>10.1f} {p90_ms(first):>8.1f}")
    print(f"ratio app / floor: {ratio:.2f} (target <= {TARGET_RATIO})")


if __name__ == "__main__":
    main()
