"""The ``rules replay`` examples of docs/rules.md, run on the demo data (a moto table seeded as
``make run`` seeds it, dated from today) after runner-ben's README quote is committed as an order:

    .venv/bin/python -m devtools.replay_demo [--screenshot docs/rules-replay-demo.png]

Prints each command and its output; with ``--screenshot``, also renders the first candidate's
HTML page in headless Chromium to that PNG.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

os.environ.update(AWS_ACCESS_KEY_ID="demo", AWS_SECRET_ACCESS_KEY="demo", AWS_DEFAULT_REGION="eu-west-2",
                  LOYALTY_TABLE="loyalty-demo", LOYALTY_BACKEND="moto", LOYALTY_RULES_CACHE_SECONDS="0")
os.environ.setdefault("LOYALTY_QUOTE_SIGNING_KEY", "demo-only-signing-key-" + os.urandom(16).hex())
os.environ.setdefault("LOYALTY_HASH_KEY", "demo-only-hash-key-" + os.urandom(16).hex())
os.environ.pop("DYNAMODB_ENDPOINT", None)

BEN_CART = [{"sku": "RUN-GHOST-16", "category": "running-shoes", "quantity": 1, "unit_amount": 13999}]


def _ben_buys_today() -> None:
    from chalicelib import clock
    from chalicelib.api.parsing import parse_order, parse_quote
    from chalicelib.services.orders import record_order
    from chalicelib.services.quotes import create_quote

    quote = create_quote(parse_quote({"customer_id": "runner-ben", "currency": "GBP", "promo_codes": ["RUNCLUB10"],
                                      "lines": BEN_CART}))
    now = clock.now()
    lines = [{**line, "discount_amount": sum(p["amount"]["amount"] for p in quoted["discounts"])}
             for line, quoted in zip(BEN_CART, quote["lines"])]
    body = {"order_id": "RRS-DEMO-TODAY", "placed_at": (now - timedelta(seconds=1)).isoformat(), "currency": "GBP",
            "lines": lines, "total_amount": quote["totals"]["total"]["amount"], "quote_token": quote["quote_token"]}
    record_order("runner-ben", parse_order(body, now), now=now)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args()
    from click.testing import CliRunner
    from moto import mock_aws

    from chalicelib.cli import cli
    from chalicelib.services.rules import current_rules, rules_json
    from chalicelib.store import models
    from chalicelib.store.table import create_table
    from devtools.demo import seed_demo

    work = Path(tempfile.mkdtemp())
    with mock_aws():
        models.configure("loyalty-demo", "eu-west-2", None)
        create_table()
        list(seed_demo(data_dir=None))
        _ben_buys_today()
        rules = rules_json(current_rules())
        silver = json.loads(json.dumps(rules))
        silver["tiers"][1]["qualify"][0]["net_spend"] = 40000
        sale = json.loads(json.dumps(rules))
        springforward = next(p for p in sale["promotions"] if p["code"] == "SPRINGFORWARD")
        print(f"# SPRINGFORWARD in the demo's rules: stackable={springforward['stackable']}")
        springforward["stackable"] = not springforward["stackable"]
        (work / "silver-400.json").write_text(json.dumps(silver))
        (work / "springforward.json").write_text(json.dumps(sale))
        runs = [["silver-400.json", "--since", "2021-01-01", "--html", str(work / "replay.html")],
                ["springforward.json"]]
        for run in runs:
            command = ["rules", "replay", str(work / run[0]), *run[1:]]
            result = CliRunner().invoke(cli, command)
            print(f"$ python -m chalicelib.cli rules replay {' '.join([run[0], *run[1:]])}".replace(str(work) + "/", ""))
            print(result.stdout)
            if result.exit_code:
                print(result.stderr, file=sys.stderr)
                sys.exit(result.exit_code)
    if args.screenshot:
        browser = shutil.which("chromium") or shutil.which("chromium-browser")
        if not browser:
            sys.exit("chromium is not installed (apt-get install -y chromium)")
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={work / 'profile'}", f"--screenshot={args.screenshot.resolve()}",
                        "--window-size=780,1250", "--hide-scrollbars", (work / "replay.html").as_uri()],
                       check=True, capture_output=True)
        print(f"screenshot: {args.screenshot}")


if __name__ == "__main__":
    main()
