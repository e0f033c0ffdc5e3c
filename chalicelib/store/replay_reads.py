"""The whole ledger for ``rules replay``, by a parallel Scan: profiles with their monthly buckets,
and every order with its stored decision. Read only; never on a request path.

The segments are read by threads through the batch reader ``fit-value-model`` uses
(``batch_reads.py``: its own client with long timeouts, page-level retry); each segment is one
paginated Scan keeping only the items the replay uses (profiles, months, orders).
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Callable, Dict, List, Optional

from ..domain.customer import Customer, MonthTotals
from ..domain.replay import PlacedOrder
from .batch_reads import scan_pages_of
from .models import MonthItem, OrderItem, ProfileItem
from .customers import customer_from
from .orders import order_state



@dataclass
class LedgerSnapshot:
    """Customers (with every monthly bucket) by id, and every order."""

    customers: Dict[str, Customer] = field(default_factory=dict)
    orders: List[PlacedOrder] = field(default_factory=list)
    items_read: int = 0


@dataclass
class _Segment:
    profiles: List[ProfileItem] = field(default_factory=list)
    months: Dict[str, Dict[str, MonthTotals]] = field(default_factory=dict)
    orders: List[PlacedOrder] = field(default_factory=list)
    items: int = 0


def read_ledger(base_currency: str, segments: int = 4,
                progress: Optional[Callable[[int], None]] = None) -> LedgerSnapshot:
    """Every customer and order, read by ``segments`` parallel Scan segments."""
    lock = threading.Lock()

    def tick(count: int) -> None:
        if progress and count:
            with lock:
                progress(count)

    def read(segment: int) -> _Segment:
        part = _Segment()
        for page in scan_pages_of((ProfileItem, MonthItem, OrderItem), segment, segments):
            part.items += page.scanned
            tick(page.scanned)
            for item in page.items:
                if isinstance(item, ProfileItem):
                    if not item.merged_into:  # its history lives with the customer it was merged into
                        part.profiles.append(item)
                elif isinstance(item, MonthItem):
                    part.months.setdefault(item.customer_id, {})[item.month] = MonthTotals(
                        orders=int(item.orders), net_spend=int(item.net_spend), goodwill=int(item.goodwill or 0))
                elif isinstance(item, OrderItem):
                    guest = bool(((item.result or {}).get("quote") or {}).get("guest_quote"))
                    part.orders.append(PlacedOrder(order_state(item), item.decision, guest))
        return part

    with ThreadPoolExecutor(max_workers=segments) as pool:
        parts = list(pool.map(read, range(segments)))
    months: Dict[str, Dict[str, MonthTotals]] = {}
    snapshot = LedgerSnapshot()
    for part in parts:  # a customer's items may sit in several segments: joined after all are read
        for customer_id, buckets in part.months.items():
            months.setdefault(customer_id, {}).update(buckets)
        snapshot.orders.extend(part.orders)
        snapshot.items_read += part.items
    for part in parts:
        for profile in part.profiles:
            customer = customer_from(profile, months.get(profile.customer_id, {}), base_currency)
            snapshot.customers[profile.customer_id] = replace(
                customer, tier_override=profile.tier_override, lifetime_goodwill=int(profile.lifetime_goodwill or 0))
    return snapshot
