"""``rules replay``: what a candidate rules document would have done to the real ledger, before
anyone publishes it with ``PUT /v1/admin/rules``.

The candidate is checked exactly as the ``PUT`` checks it, before anything is read. Then one
parallel Scan reads every customer and order (read only), and the domain compares the
candidate with the baseline (the rules in force, or a document given): tiers today, and every
order of the period priced again (``chalicelib/domain/replay.py``).
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Optional

from .. import clock
from ..domain.replay import CustomerToday, orders_summary, replay_orders, tiers_today
from ..domain.times import iso_utc
from ..store.replay_reads import read_ledger
from .quotes import history_of
from .rules import checked_rules, current_rules

DEFAULT_DAYS = 90


def replay_rules(candidate: Dict[str, Any], *, baseline: Optional[Dict[str, Any]] = None,
                 since: Optional[datetime] = None, until: Optional[datetime] = None, segments: int = 4,
                 now: Optional[datetime] = None, progress: Optional[Callable[[int], None]] = None,
                 log_ref: Callable[[str], Optional[str]] = lambda customer_id: None) -> dict:
    """The replay report of ``candidate`` against ``baseline`` (default: the rules in force).

    Raises :class:`RulesInvalid` (with every field error, the ``PUT``'s own) before reading
    anything when either document is invalid. The period is ``[since, until)``, by default the
    90 days before ``now``.
    """
    candidate_rules = checked_rules(candidate)
    baseline_rules = checked_rules(baseline) if baseline is not None else None
    now = now or clock.now()
    until = until or now
    since = since or until - timedelta(days=DEFAULT_DAYS)
    if baseline_rules is None:
        baseline_rules = current_rules()
    started = time.perf_counter()
    snapshot = read_ledger(baseline_rules.base_currency, segments, progress)
    read = time.perf_counter()
    histories = {customer_id: history_of(customer) for customer_id, customer in snapshot.customers.items()}
    today = {customer_id: CustomerToday(histories[customer_id], customer.stats.lifetime_net_spend)
             for customer_id, customer in snapshot.customers.items()}
    tiers = tiers_today(baseline_rules, candidate_rules, today, now, log_ref)
    tiered = time.perf_counter()
    before = replay_orders(baseline_rules, histories, snapshot.orders, since, until)
    after = replay_orders(candidate_rules, histories, snapshot.orders, since, until)
    orders = orders_summary(baseline_rules, candidate_rules, before, after)
    priced = time.perf_counter()
    return {
        "period": {"since": iso_utc(since), "until": iso_utc(until)},
        "baseline_version": baseline_rules.version or 0,
        "baseline_source": "rules in force" if baseline is None else "file",
        "items_read": snapshot.items_read,
        "seconds": {"read": round(read - started, 3), "tiers": round(tiered - read, 3),
                    "orders": round(priced - tiered, 3)},
        "tiers_today": tiers,
        "orders": orders,
    }


def parse_day(text: str, *, end: bool = False) -> datetime:
    """``2026-09-01`` (the start of that UTC day; with ``end``, the start of the next) or an
    ISO 8601 time with an offset."""
    if len(text) == 10:
        moment = datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
        return moment + timedelta(days=1) if end else moment
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text}: give a date (2026-09-01) or a time with an offset")
    return moment
