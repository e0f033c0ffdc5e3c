"""Demo data for `make run`: the two customers of the stories in shared/seeds/.

- ``runner-ben``: a father who has bought about two dozen pairs of running shoes over five
  years, brought in through the importer from ``demo_data/running_store_history.csv``.
- ``acacia-systems``: a business that has bought thousands of pounds of hardware, every
  order delivered to Unit 4 of a business park (it has since moved next door, to Unit 5).

Seeding is idempotent: every order and event has a fixed id, so running it again changes nothing.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from chalicelib.api.import_rows import read_import_file
from chalicelib.api.parsing import parse_event, parse_order
from chalicelib.services import customers, orders
from chalicelib.services.importer import import_orders

RUNNING_STORE_FILE = Path(__file__).resolve().parent / "demo_data" / "running_store_history.csv"
UNIT_4 = {
    "line1": "Unit 4, Acacia Business Park",
    "line2": "Cardigan Road",
    "city": "Leeds",
    "postcode": "LS6 1LF",
    "country": "GB",
}
HARDWARE = [
    ("SRV-R650", "servers", 289900),
    ("HDD-EXOS-16TB", "storage", 32999),
    ("SW-48P-POE", "networking", 114900),
    ("UPS-3000VA", "power", 89900),
    ("HDD-EXOS-16TB", "storage", 32999),
    ("NAS-12BAY", "storage", 179900),
]


def seed_demo() -> Iterator[str]:
    now = datetime.now(timezone.utc)
    with RUNNING_STORE_FILE.open(encoding="utf-8", newline="") as stream:
        report = import_orders(read_import_file(stream, RUNNING_STORE_FILE.name, now), now=now)
    yield (f"runner-ben: {report.imported} orders imported, {report.already_present} already present, "
           f"{len(report.rejected)} rejected")

    customers.upsert_profile("acacia-systems", {
        "name": "Acacia Systems Ltd", "email": "it@acacia-systems.example", "country": "GB",
        "created_at": datetime(2023, 8, 21, 9, 0, tzinfo=timezone.utc),
    })
    created = 0
    placed = datetime(2023, 9, 4, 10, 0, tzinfo=timezone.utc)
    for number in range(1, 19):
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
        status, _ = orders.record_order("acacia-systems", parse_order(body, now), now=now)
        created += status == 201
        event, canonical = parse_event(
            {"event_id": f"ACACIA-{number:04d}-delivered", "type": "delivered",
             "at": (placed + timedelta(days=2)).isoformat()}, now)
        orders.record_event("acacia-systems", body["order_id"], event, canonical, now=now)
        placed += timedelta(days=50)
    yield f"acacia-systems: {created} orders recorded now, 18 in all, each delivered to Unit 4"
