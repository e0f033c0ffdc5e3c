"""Demo data for `make run`: the two customers of the stories in shared/seeds/, dated relative
to the day the demo is first seeded, so the stories hold on whatever day the project runs.

- ``runner-ben``: a father who has bought about two dozen pairs of running shoes over five
  years, the last a few weeks ago, brought in through the importer from
  ``demo_data/running_store_history.csv`` (dates there are ``D-<days>``: days before the
  demo's day, rendered to a real file under ``.data/`` and imported as a store would).
- ``acacia-systems``: a business with three years of hardware orders, every one delivered to
  Unit 4 of a business park (it has since moved next door, to Unit 5).
- The Spring Forward sale (``SPRINGFORWARD``), which "does run today also": its window is
  moved to include the day of every seed.

The demo's day is chosen once, when the table has no demo yet, and read back from the table
afterwards (from runner-ben's first order), never from a file that could disagree with it:
re-seeding on a later day writes nothing new (ids and dates are fixed), a reset table is
seeded afresh for today, and ``.data/demo-day.json`` only records what was chosen.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Iterator, Optional
from zoneinfo import ZoneInfo

from chalicelib import clock
from chalicelib.api.import_rows import read_import_file
from chalicelib.api.parsing import parse_event, parse_order
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.services import customers, orders
from chalicelib.services.importer import import_orders
from chalicelib.services.rules import current_rules, replace_rules

DEMO_DATA = Path(__file__).resolve().parent / "demo_data"
RUNNING_STORE_TEMPLATE = DEMO_DATA / "running_store_history.csv"
DATA_DIR = Path(__file__).resolve().parent.parent / ".data"
FIRST_ORDER_DAYS_BEFORE = 1850  # runner-ben's first order (D-1850 in the template)
DAY_TOKEN = re.compile(r"\bD-(\d+)T")

UNIT_4 = {
    "line1": "Unit 4, Acacia Business Park",
    "line2": "Cardigan Road",
    "city": "Leeds",
    "postcode": "LS6 1LF",
    "country": "GB",
}
UNIT_5 = {**UNIT_4, "line1": "Unit 5, Acacia Business Park"}
HOME = {"line1": "27 Meadow Lane", "city": "Harrogate", "postcode": "HG1 2AB", "country": "GB"}
HARDWARE = [
    ("SRV-R650", "servers", 289900),
    ("HDD-EXOS-16TB", "storage", 32999),
    ("SW-48P-POE", "networking", 114900),
    ("UPS-3000VA", "power", 89900),
    ("HDD-EXOS-16TB", "storage", 32999),
    ("NAS-12BAY", "storage", 179900),
]
ACACIA_ORDERS = 22  # one every 50 days: about three years of deliveries to Unit 4
ACACIA_FIRST_DAYS_BEFORE = 1100
ACACIA_OPENED_DAYS_BEFORE = 1114
SALE_CODE = "SPRINGFORWARD"
SALE_ZONE = "America/Los_Angeles"
SALE_DAYS_BEFORE, SALE_DAYS_AFTER = 3, 4


def demo_day(now: datetime) -> date:
    """The day the demo is dated from: read back from the table, or today for a table without it."""
    try:
        first = customers.customer_summary("runner-ben", now=now)["stats"]["first_order_at"]
    except NotFound:
        first = None
    if not first:
        return now.astimezone(timezone.utc).date()
    return datetime.fromisoformat(first.replace("Z", "+00:00")).date() + timedelta(days=FIRST_ORDER_DAYS_BEFORE)


def render_history(day: date) -> str:
    """The running store's history file with ``D-<n>`` replaced by the date ``n`` days before ``day``."""
    text = RUNNING_STORE_TEMPLATE.read_text(encoding="utf-8")
    return DAY_TOKEN.sub(lambda match: f"{(day - timedelta(days=int(match.group(1)))).isoformat()}T", text)


def seed_demo(now: Optional[datetime] = None, data_dir: Optional[Path] = DATA_DIR) -> Iterator[str]:
    """Seed (or re-seed, changing nothing) the demo; yields one line per step for the banner."""
    now = now or clock.now()
    day = demo_day(now)
    at = datetime.combine(day, time(9, 0), tzinfo=timezone.utc)
    history = render_history(day)
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "running_store_history.csv").write_text(history, encoding="utf-8")
        (data_dir / "demo-day.json").write_text(json.dumps(
            {"demo_day": day.isoformat(), "note": "read back from the table on every seed; reset the table to re-date"},
            indent=2) + "\n", encoding="utf-8")
    import io

    report = import_orders(read_import_file(io.StringIO(history), RUNNING_STORE_TEMPLATE.name, now), now=now)
    yield (f"runner-ben: {report.imported} orders imported, {report.already_present} already present, "
           f"{len(report.rejected)} rejected (demo dated from {day.isoformat()})")
    yield _seed_acacia(at, now)
    yield _sale_includes_today(now)


def _seed_acacia(at: datetime, now: datetime) -> str:
    customers.upsert_profile("acacia-systems", {
        "name": "Acacia Systems Ltd", "email": "it@acacia-systems.example", "country": "GB",
        "created_at": at - timedelta(days=ACACIA_OPENED_DAYS_BEFORE),
    }, now=now)
    created = kept = 0
    for number in range(1, ACACIA_ORDERS + 1):
        placed = at + timedelta(days=-ACACIA_FIRST_DAYS_BEFORE + 50 * (number - 1), hours=1)
        sku, category, price = HARDWARE[number % len(HARDWARE)]
        quantity = 2 if category == "storage" else 1
        body = {
            "order_id": f"ACACIA-{number:04d}",
            "placed_at": placed.isoformat(),
            "currency": "GBP",
            "lines": [{"sku": sku, "category": category, "quantity": quantity, "unit_amount": price}],
            "total_amount": quantity * price,
            "shipping_address": UNIT_4,
        }
        try:
            status, _ = orders.record_order("acacia-systems", parse_order(body, now), now=now)
        except Conflict:  # recorded by an older demo with other dates: kept as it is
            kept += 1
            continue
        created += status == 201
        delivered = min(placed + timedelta(days=2), now)
        event, canonical = parse_event(
            {"event_id": f"ACACIA-{number:04d}-delivered", "type": "delivered", "at": delivered.isoformat()}, now)
        orders.record_event("acacia-systems", body["order_id"], event, canonical, now=now)
    older = f"; {kept} kept from an older demo (reset the table to re-date them)" if kept else ""
    return f"acacia-systems: {created} orders recorded now, {ACACIA_ORDERS} in all, each delivered to Unit 4{older}"


def _sale_includes_today(now: datetime) -> str:
    """Move the Spring Forward sale's window to include today, in the rules in force (a new
    version only when today is outside it, so re-seeding the same day writes nothing)."""
    rules = current_rules()
    sale = rules.promotion(SALE_CODE)
    if sale is None:
        return f"{SALE_CODE}: not in the rules in force, left alone"
    if sale.window is not None and sale.window.contains(now):
        return f"{SALE_CODE}: runs today ({_window_text(rules, SALE_CODE)})"
    local_day = now.astimezone(ZoneInfo(SALE_ZONE)).date()
    window = {"time_zone": SALE_ZONE,
              "start": f"{local_day - timedelta(days=SALE_DAYS_BEFORE)}T00:00:00",
              "end": f"{local_day + timedelta(days=SALE_DAYS_AFTER)}T00:00:00"}
    document = rules.to_document()
    for promotion in document["promotions"]:
        if str(promotion.get("code", "")).upper() == SALE_CODE:
            promotion["window"] = window
    replace_rules({**document, "version": rules.version or 0}, created_by="local:demo", now=now)
    return f"{SALE_CODE}: the Spring Forward sale now runs today ({window['start'][:10]} to {window['end'][:10]}, {SALE_ZONE})"


def _window_text(rules, code: str) -> str:
    window = rules.to_document()
    sale = next(p for p in window["promotions"] if str(p.get("code", "")).upper() == code)
    return f"{sale['window']['start'][:10]} to {sale['window']['end'][:10]}, {sale['window']['time_zone']}"
