"""The aggregates maintained at write time: profile counters, first/last order, monthly and
purchase-day buckets. Counters change by ``ADD``; first/last order time by a condition on
what was read, so a stale read becomes a retry, never a lost write.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List, Optional

from pynamodb.transactions import TransactWrite

from ..domain.customer import CustomerStats
from ..domain.ledger import StatsDelta
from .models import DAY_PREFIX, MONTH_PREFIX, MonthItem, ProfileItem, PurchaseDayItem, customer_pk


@dataclass
class AggregateChange:
    """The sum of several deltas: profile counters plus per-month buckets."""

    counters: Dict[str, int] = field(default_factory=lambda: defaultdict(int))
    months: Dict[str, Dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    days: Dict[str, Dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    def add(self, delta: StatsDelta) -> None:
        for name, value in delta.counters().items():
            self.counters[name] += value
        for name, value in (("orders", delta.orders), ("net_spend", delta.net_spend), ("gross_spend", delta.gross_spend)):
            if value:
                self.months[delta.month][name] += value
        if delta.day:
            for name, value in (("orders", delta.orders), ("net_spend", delta.net_spend)):
                if value:
                    self.days[delta.day][name] += value

    def negated(self) -> "AggregateChange":
        """The opposite change: what taking these contributions away does."""
        negative = AggregateChange()
        for name, value in self.counters.items():
            negative.counters[name] = -value
        for buckets, into in ((self.months, negative.months), (self.days, negative.days)):
            for key, values in buckets.items():
                for name, value in values.items():
                    into[key][name] = -value
        return negative


def span_update(observed: Optional[CustomerStats], placed_times: List[datetime]):
    """Actions and condition keeping first/last order time right without read-modify-write races."""
    if not placed_times:
        return [], None
    earliest, latest = min(placed_times), max(placed_times)
    first = observed.first_order_at if observed else None
    last = observed.last_order_at if observed else None
    if first is None or last is None:
        return (
            [ProfileItem.first_order_at.set(earliest), ProfileItem.last_order_at.set(latest)],
            ProfileItem.first_order_at.does_not_exist(),
        )
    actions = []
    if earliest < first:
        actions.append(ProfileItem.first_order_at.set(earliest))
        condition = ProfileItem.first_order_at > earliest
    else:
        condition = ProfileItem.first_order_at <= earliest
    if latest > last:
        actions.append(ProfileItem.last_order_at.set(latest))
        condition &= ProfileItem.last_order_at < latest
    else:
        condition &= ProfileItem.last_order_at >= latest
    return actions, condition


def counter_actions(counters: Dict[str, int]) -> list:
    return [getattr(ProfileItem, name).add(value) for name, value in counters.items() if value]


def month_updates(tx: TransactWrite, customer_id: str, change: AggregateChange) -> None:
    """One ADD per purchase day and one per month touched. Every day in ``change.days`` and
    month in ``change.months`` gets an item (the caller counts them to locate later items of
    the transaction)."""
    buckets = [(PurchaseDayItem, DAY_PREFIX, PurchaseDayItem.day, change.days),
               (MonthItem, MONTH_PREFIX, MonthItem.month, change.months)]
    for model, prefix, key_attribute, values_by_key in buckets:
        for key, values in sorted(values_by_key.items()):
            tx.update(
                model(customer_pk(customer_id), prefix + key),
                actions=[model.item_type.set(model), model.customer_id.set(customer_id), key_attribute.set(key)]
                + [getattr(model, name).add(value) for name, value in values.items() if value],
            )
