"""The whole ledger for ``rules replay``, by a parallel Scan: profiles with their monthly buckets,
and every order with its stored decision. Read only; never on a request path.

The segments are read by threads, as ``fit-value-model`` reads purchase days
(``services/value_fit.py``); each segment is one paginated Scan, and only the items the
replay uses (profiles, months, orders) are kept.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Callable, Dict, List, Optional

from ..domain.customer import Customer, MonthTotals
from ..domain.replay import PlacedOrder
from .models import MonthItem, OrderItem, ProfileItem, TableItem
from .repository import _customer_from, _order_state

PROGRESS_EVERY = 500
PAGE_SIZE = 500
"""Items per Scan request: a full 1 MB page of DynamoDB Local, with segments sharing the cores,
can outlast the request path's 4 s read timeout that batch reads still use on main (branch
merge-import gives them their own client and page-level retries; switch to it when it lands)."""


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
        pending = 0
        for item in TableItem.scan(segment=segment, total_segments=segments, page_size=PAGE_SIZE):
            part.items += 1
            pending += 1
            if pending == PROGRESS_EVERY:
                tick(pending)
                pending = 0
            if isinstance(item, ProfileItem):
                if not item.merged_into:  # its history lives with the customer it was merged into
                    part.profiles.append(item)
            elif isinstance(item, MonthItem):
                part.months.setdefault(item.customer_id, {})[item.month] = MonthTotals(
                    orders=int(item.orders), net_spend=int(item.net_spend), goodwill=int(item.goodwill or 0))
            elif isinstance(item, OrderItem):
                part.orders.append(PlacedOrder(_order_state(item), item.decision,
                                               bool(((item.result or {}).get("quote") or {}).get("guest_quote"))))
        tick(pending)
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
            customer = _customer_from(profile, months.get(profile.customer_id, {}), base_currency)
            snapshot.customers[profile.customer_id] = replace(
                customer, tier_override=profile.tier_override, lifetime_goodwill=int(profile.lifetime_goodwill or 0))
    return snapshot
