"""Domain events from item changes: what the table's stream says happened, as events a store can use.

Pure: a :class:`ItemChange` (the old and new image of one item, as plain values, with the
stream record's id, sequence number and time) becomes zero or more :class:`DomainEvent`.
Only committed state reaches the stream, so nothing is announced that did not happen; a
replayed request writes nothing, so it announces nothing again.

Every event carries ``event_id`` (stable across stream retries and replays: derived from the
item's immutable ids, or from the stream record's sequence number where the item has none),
``type``, ``customer_id`` (None for a guest), ``occurred_at`` and a ``detail`` that never holds
a name, email, phone or address line. The schemas are in docs/events.md.

Tiers are not stored: a tier is evaluated from the profile's aggregates and the monthly buckets.
:func:`advance_tier` keeps a :class:`TierWatch` per customer (the aggregates as the stream last
showed them, and the tier last announced) and moves it one item change at a time, so 200 racing
orders that cross one threshold announce it exactly once, whatever the consumer's lag.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .customer import MonthTotals
from .history import CustomerHistory, TierOverride
from .rules import Tier
from .tiers import evaluate_tier
from .times import iso_utc

EVENT_TYPES = (
    "customer.tier_changed", "customer.tier_expiring", "order.recorded", "order.event_recorded",
    "address.review_required", "address.verify_required", "goodwill.granted", "credit.granted",
    "credit.spent", "credit.returned", "credit.expired", "customer.merged", "customer.erased", "import.finished",
)


class MalformedChange(ValueError):
    """A stream record whose item cannot be read as its type says (missing or wrong fields).
    The message names the field, never a value."""


@dataclass(frozen=True)
class ItemChange:
    """One stream record: ``kind`` INSERT | MODIFY | REMOVE, the images as plain values."""

    kind: str
    keys: Mapping[str, Any]
    old: Optional[Mapping[str, Any]]
    new: Optional[Mapping[str, Any]]
    sequence: str
    at: datetime
    by_ttl: bool = False  # a REMOVE made by DynamoDB's Time to Live (userIdentity: dynamodb.amazonaws.com)

    @property
    def item_type(self) -> Optional[str]:
        image = self.new if self.new is not None else self.old
        return None if image is None else image.get("item_type")


@dataclass(frozen=True)
class DomainEvent:
    event_id: str
    type: str
    customer_id: Optional[str]
    occurred_at: datetime
    detail: Mapping[str, Any]

    def to_json(self) -> dict:
        return {"event_id": self.event_id, "type": self.type, "customer_id": self.customer_id,
                "occurred_at": iso_utc(self.occurred_at), "detail": dict(self.detail)}


def stable_id(*parts: object) -> str:
    """A short id that is the same every time for the same parts (a consumer's dedup key)."""
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode("utf-8")).hexdigest()[:32]


# ------------------------------------------------------------------ reading images


def _field(image: Mapping[str, Any], name: str) -> Any:
    if name not in image or image[name] is None:
        raise MalformedChange(f"{image.get('item_type')} item without {name}")
    return image[name]


def _int(image: Mapping[str, Any], name: str, default: Optional[int] = None) -> int:
    value = image.get(name)
    if value is None:
        if default is None:
            raise MalformedChange(f"{image.get('item_type')} item without {name}")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise MalformedChange(f"{image.get('item_type')} item with a non-numeric {name}") from None


def _time(image: Mapping[str, Any], name: str) -> Optional[datetime]:
    """A stored time: PynamoDB writes ``2026-11-20T10:15:00.000000+0000``."""
    raw = image.get(name)
    if raw is None:
        return None
    for pattern in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(str(raw), pattern).astimezone(timezone.utc)
        except ValueError:
            continue
    try:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise MalformedChange(f"{image.get('item_type')} item with an unreadable {name}") from None
    if moment.tzinfo is None:
        raise MalformedChange(f"{image.get('item_type')} item with a naive {name}")
    return moment.astimezone(timezone.utc)


def _json(image: Mapping[str, Any], name: str) -> Any:
    raw = image.get(name)
    if raw is None or not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        raise MalformedChange(f"{image.get('item_type')} item with unreadable JSON in {name}") from None


def _money(amount: int, currency: Any) -> dict:
    return {"amount": amount, "currency": currency}


# ------------------------------------------------------------------ the mapping


def events_for(change: ItemChange) -> List[DomainEvent]:
    """The events one item change means, tiers aside (see :func:`advance_tier`).

    Items the mapping does not know (ledger entries, rules, keys, ...) give no event; the caller
    counts them. Raises :class:`MalformedChange` for an item of a known type it cannot read.
    """
    mapper = _MAPPERS.get(change.item_type or "")
    return [] if mapper is None else mapper(change)


def _order(change: ItemChange) -> List[DomainEvent]:
    if change.kind != "INSERT" or change.new is None:
        return []  # later changes of an order come with their own event item
    new = change.new
    order_id = _field(new, "order_id")
    detail = {
        "order_id": order_id,
        "placed_at": iso_utc(_time(new, "placed_at")),
        "total": _money(_int(new, "total_amount"), _field(new, "currency")),
        "base_total": _money(_int(new, "base_total"), _field(new, "base_currency")),
        "lines": len(_json(new, "lines") or []),
        "source": new.get("source") or "api",
        "merged_from": new.get("merged_from"),
    }
    return [DomainEvent(stable_id("order.recorded", order_id, new.get("merged_from") or ""), "order.recorded",
                        _field(new, "customer_id"), _time(new, "recorded_at") or change.at, detail)]


def _order_event(change: ItemChange) -> List[DomainEvent]:
    if change.kind != "INSERT" or change.new is None:
        return []
    new = change.new
    order_id, event_id = _field(new, "order_id"), _field(new, "event_id")
    result = _json(new, "result")
    result = result if isinstance(result, dict) else {}
    order = result.get("order") if isinstance(result.get("order"), dict) else {}
    detail: Dict[str, Any] = {"order_id": order_id, "order_event_id": event_id, "event_type": _field(new, "event_type"),
                              "at": result.get("at"), "amount": result.get("amount"),
                              "order_status": order.get("status"), "order_remaining": order.get("remaining")}
    at = _time(result, "at") if result.get("at") else None
    return [DomainEvent(stable_id("order.event_recorded", order_id, event_id), "order.event_recorded",
                        _field(new, "customer_id"), at or change.at, detail)]


def _decision(change: ItemChange) -> List[DomainEvent]:
    if change.kind != "INSERT" or change.new is None:
        return []  # an erasure rewrites decisions: nothing new was decided
    new = change.new
    decision = _field(new, "decision")
    if decision not in ("review", "verify"):
        return []
    trust = (_json(new, "details") or {}).get("address_trust") or {}
    codes = [reason["code"] for reason in trust.get("reasons", []) if isinstance(reason, dict) and "code" in reason
             and reason.get("sentiment") != "positive"]
    quote_id = _field(new, "quote_id")
    return [DomainEvent(stable_id("address", quote_id), f"address.{decision}_required", new.get("customer_id"),
                        _time(new, "decided_at") or change.at,
                        {"quote_id": quote_id, "decision": decision, "score": _int(new, "score"), "reason_codes": codes})]


def _adjustment(change: ItemChange) -> List[DomainEvent]:
    if change.kind != "INSERT" or change.new is None:
        return []
    new = change.new
    if new.get("kind") != "goodwill_credit":
        return []  # erasure and merge audits are announced from the profile
    details = _json(new, "details")
    if not isinstance(details, dict) or "amount" not in details or "currency" not in details:
        raise MalformedChange("goodwill adjustment item without amount and currency")
    granted = details.get("credit_granted") if isinstance(details.get("credit_granted"), dict) else {}
    adjustment_id = _field(new, "adjustment_id")
    detail = {"adjustment_id": adjustment_id, "amount": _money(int(details["amount"]), details["currency"]),
              "credit_grant_id": granted.get("grant_id"), "expires_at": granted.get("expires_at")}
    return [DomainEvent(stable_id("goodwill.granted", _field(new, "customer_id"), adjustment_id), "goodwill.granted",
                        _field(new, "customer_id"), _time(new, "at") or change.at, detail)]


_CREDIT_TYPES = {"granted": "credit.granted", "spent": "credit.spent", "returned": "credit.returned"}


def _credit_movement(change: ItemChange) -> List[DomainEvent]:
    if change.kind != "INSERT" or change.new is None:
        return []
    new = change.new
    if _field(new, "kind") in ("moved_in", "moved_out"):  # a merge moved a grant: announced as customer.merged
        return []
    event_type = _CREDIT_TYPES.get(_field(new, "kind"))
    if event_type is None:
        raise MalformedChange("credit_movement item with an unknown kind")
    movement_id, customer_id = _field(new, "movement_id"), _field(new, "customer_id")
    detail = {"movement_id": movement_id, "amount": _money(_int(new, "amount"), _field(new, "currency")),
              "grants": sorted((_json(new, "grants") or {}).keys()), "order_id": new.get("order_id"),
              "source": new.get("source")}
    return [DomainEvent(stable_id(event_type, customer_id, movement_id), event_type, customer_id,
                        _time(new, "at") or change.at, detail)]


def _profile(change: ItemChange) -> List[DomainEvent]:
    if change.new is None:
        return []
    old, new = change.old or {}, change.new
    customer_id = _field(new, "customer_id")
    events = []
    if new.get("erased_at") is not None and old.get("erased_at") is None:
        at = _time(new, "erased_at")
        events.append(DomainEvent(stable_id("customer.erased", customer_id, iso_utc(at)), "customer.erased",
                                  customer_id, at or change.at, {"erased_at": iso_utc(at)}))
    if new.get("merged_into") and new.get("merged_into") != old.get("merged_into"):
        events.append(merged_event(customer_id, new["merged_into"], change.at))
    return events


def merged_event(source: str, target: str, at: datetime) -> DomainEvent:
    """``customer.merged``, announced to the target (the record the store keeps)."""
    return DomainEvent(stable_id("customer.merged", source, target), "customer.merged", target, at,
                       {"source_customer_id": source, "target_customer_id": target})


def _import_report(change: ItemChange) -> List[DomainEvent]:
    if change.kind != "INSERT" or change.new is None:
        return []
    new = change.new
    import_id = _field(new, "import_id")
    counts = {name: _int(new, name, 0) for name in ("rows", "imported", "already_present", "rejected", "customers")}
    return [DomainEvent(stable_id("import.finished", import_id), "import.finished", None,
                        _time(new, "finished_at") or change.at,
                        {"import_id": import_id, "counts": counts, "report": new.get("report_location")})]


_MAPPERS = {
    "order": _order, "order_event": _order_event, "decision": _decision, "adjustment": _adjustment,
    "credit_movement": _credit_movement, "profile": _profile, "import_report": _import_report,
}


# ------------------------------------------------------------------ credit expiry

CREDIT_EXPIRY_TYPE = "credit_expiry"


def expired_grant(change: ItemChange) -> Optional[Tuple[str, str]]:
    """(customer id, grant id) when Time to Live removed a grant's expiry marker: the grant has
    expired. Any other removal of a marker (an operator's, a test's) announces nothing."""
    if change.kind != "REMOVE" or change.item_type != CREDIT_EXPIRY_TYPE or not change.by_ttl or change.old is None:
        return None
    return _field(change.old, "customer_id"), _field(change.old, "grant_id")


def credit_expired(grant: Mapping[str, Any], now: datetime) -> List[DomainEvent]:
    """``credit.expired`` for a grant (its item's image) that has expired by ``now`` with credit
    left: the amount is what was still unspent, read from the grant (``remaining``), so credit
    spent or given back before the expiry is counted where it belongs. A grant spent to nothing,
    one without expiry or not yet expired announces nothing. ``occurred_at`` is the grant's
    expiry, not the moment the marker was removed (Time to Live may lag by a day or two), so a
    replay gives the same event."""
    expires_at = _time(grant, "expires_at")
    if expires_at is None or expires_at > now:
        return []
    remaining = _int(grant, "remaining")
    if remaining <= 0:
        return []
    customer_id, grant_id = _field(grant, "customer_id"), _field(grant, "grant_id")
    detail = {"grant_id": grant_id, "amount": _money(remaining, _field(grant, "currency")),
              "granted": _money(_int(grant, "amount"), grant["currency"]), "source": grant.get("source"),
              "expired_at": iso_utc(expires_at)}
    return [DomainEvent(stable_id("credit.expired", customer_id, grant_id), "credit.expired", customer_id,
                        expires_at, detail)]


# ------------------------------------------------------------------ replay


@dataclass(frozen=True)
class Replay:
    """What a replay found: the events (oldest first) and the items it could not read."""

    events: Tuple[DomainEvent, ...]
    malformed: int


def replay_events(images: Sequence[Mapping[str, Any]], since: datetime, until: datetime, now: datetime) -> Replay:
    """The events a customer's items announced (or, for an expiry, will announce) with
    ``since <= occurred_at < until``, rebuilt from the items as they are now, with the
    ``event_id`` each had the first time: a consumer that deduplicates on it sees nothing twice.

    ``images``: every item of the customer's partition, of the orders its ledger names, and the
    merge audits that name it. Each item is mapped as its first write was (an ``INSERT``);
    an order a merge moved is mapped as it was before the move (its first customer). Tier events
    are not rebuilt: their ids come from stream sequence numbers a replay cannot know, and a
    tier is a state the customer summary answers (docs/events.md, Replay).
    """
    found: Dict[str, DomainEvent] = {}
    malformed = 0
    for image in images:
        try:
            for event in _replayed(image, now):
                found[event.event_id] = event
        except MalformedChange:
            malformed += 1
    chosen = sorted((event for event in found.values() if since <= event.occurred_at < until),
                    key=lambda event: (event.occurred_at, event.type, event.event_id))
    return Replay(tuple(chosen), malformed)


def _replayed(image: Mapping[str, Any], now: datetime) -> List[DomainEvent]:
    item_type = image.get("item_type")
    if item_type == "credit_grant":
        return credit_expired(image, now)
    if item_type == "adjustment" and image.get("kind") == "merge":
        source = str(_field(image, "request_hash")).partition("merge:")[2] or None
        if source is None:
            raise MalformedChange("merge audit without its source")
        return [merged_event(source, _field(image, "customer_id"), _time(image, "at") or now)]
    if item_type == "order" and image.get("merged_from"):
        image = {**image, "customer_id": image["merged_from"], "merged_from": None}  # as first written
    change = ItemChange("INSERT", {}, None, image, "0", now)
    events = events_for(change)
    if item_type == "profile":  # its merge is announced from the audit, which knows when
        events = [event for event in events if event.type != "customer.merged"]
    return events


# ------------------------------------------------------------------ tiers


@dataclass(frozen=True)
class TierWatch:
    """What the stream has shown of one customer's tier inputs, and the tier last announced.

    ``months`` are absolute bucket values from the month items' new images (so applying a
    change twice is harmless); ``profile`` holds the profile fields tiers read. ``sequence`` is
    the last stream sequence number applied: an older or equal one is a retry and is skipped.
    """

    customer_id: str
    profile: Mapping[str, Any] = field(default_factory=dict)
    months: Mapping[str, Tuple[int, int]] = field(default_factory=dict)
    tier: Optional[str] = None
    basis: str = "none"
    held_until: Optional[str] = None
    sequence: str = "0"

    def to_json(self) -> dict:
        return {"customer_id": self.customer_id, "profile": dict(self.profile),
                "months": {key: list(value) for key, value in self.months.items()}, "tier": self.tier,
                "basis": self.basis, "held_until": self.held_until, "sequence": self.sequence}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> "TierWatch":
        return cls(raw["customer_id"], dict(raw.get("profile") or {}),
                   {key: (int(value[0]), int(value[1])) for key, value in (raw.get("months") or {}).items()},
                   raw.get("tier"), raw.get("basis") or "none", raw.get("held_until"), str(raw.get("sequence") or "0"))


TIER_PROFILE_FIELDS = ("lifetime_orders", "lifetime_net_spend", "first_order_at", "last_order_at", "created_at",
                       "first_seen_at", "tier_override", "merged_into")


def tier_inputs(change: ItemChange) -> Optional[Tuple[str, str]]:
    """(customer id, what changed: ``profile`` or ``month``) when the change can move a tier."""
    if change.new is None or change.item_type not in ("profile", "month"):
        return None
    customer_id = change.new.get("customer_id")
    if not customer_id:
        raise MalformedChange(f"{change.item_type} item without customer_id")
    if change.item_type == "profile":
        old = change.old or {}
        if change.kind == "MODIFY" and all(old.get(name) == change.new.get(name) for name in TIER_PROFILE_FIELDS):
            return None
    else:
        old = change.old or {}
        if change.kind == "MODIFY" and all(old.get(name) == change.new.get(name) for name in ("orders", "net_spend")):
            return None  # a goodwill-only change of the bucket
    return customer_id, change.item_type


def watch_from(customer_id: str, profile: Optional[Mapping[str, Any]], months: Mapping[str, Tuple[int, int]],
               tiers: Sequence[Tier], at: datetime, base_currency: str) -> TierWatch:
    """A first watch for a customer the stream has not shown before, from what the store holds
    (``profile`` as an image, or None). Its tier is taken as already announced."""
    watch = TierWatch(customer_id, _tier_fields(profile or {}), dict(months))
    status = evaluate_tier(tiers, _history(watch), at, base_currency)
    return replace(watch, tier=status.tier, basis=status.basis, held_until=iso_utc(status.held_until))


def advance_tier(watch: TierWatch, change: ItemChange, tiers: Sequence[Tier],
                 base_currency: str) -> Tuple[TierWatch, List[DomainEvent]]:
    """Apply one profile or month change to ``watch``; the tier events it means, if any.

    ``customer.tier_changed`` when the tier moves (up, down, or to none), naming why;
    ``customer.tier_expiring`` when a tier is kept by its grace period after the customer
    stopped qualifying (the event says until when, and what keeps it).
    """
    if _sequence(change.sequence) <= _sequence(watch.sequence):
        return watch, []  # a retried record: already applied
    new = change.new or {}
    if change.item_type == "profile":
        watch = replace(watch, profile=_tier_fields(new))
    else:
        month = _field(new, "month")
        watch = replace(watch, months={**watch.months, month: (_int(new, "orders", 0), _int(new, "net_spend", 0))})
    watch = replace(watch, sequence=change.sequence)
    if watch.profile.get("merged_into"):
        return watch, []  # a merged-away record: its history now counts for the target
    status = evaluate_tier(tiers, _history(watch), change.at, base_currency)
    events = []
    held_until = iso_utc(status.held_until)
    if status.tier != watch.tier:
        events.append(DomainEvent(
            stable_id("customer.tier_changed", watch.customer_id, change.sequence), "customer.tier_changed",
            watch.customer_id, change.at,
            {"from": watch.tier, "to": status.tier, "direction": _direction(tiers, watch.tier, status.tier),
             "basis": status.basis, "why": status.explanation, "effective": iso_utc(change.at),
             "grace_until": held_until if status.basis == "grace" else None}))
    elif status.basis == "grace" and watch.basis != "grace":
        events.append(DomainEvent(
            stable_id("customer.tier_expiring", watch.customer_id, change.sequence), "customer.tier_expiring",
            watch.customer_id, change.at,
            {"tier": status.tier, "grace_until": held_until, "why": status.explanation,
             "to_keep": status.next_tier.progress if status.next_tier else None}))
    return replace(watch, tier=status.tier, basis=status.basis, held_until=held_until), events


def _sequence(raw: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise MalformedChange("stream record with a non-numeric sequence number") from None


def _direction(tiers: Sequence[Tier], before: Optional[str], after: Optional[str]) -> str:
    rank = {tier.name: tier.rank for tier in tiers}
    return "up" if rank.get(after or "", -1) > rank.get(before or "", -1) else "down"


def _tier_fields(image: Mapping[str, Any]) -> Dict[str, Any]:
    return {name: image.get(name) for name in TIER_PROFILE_FIELDS if image.get(name) is not None}


def _history(watch: TierWatch) -> CustomerHistory:
    profile = watch.profile
    override = None
    raw = _json(profile, "tier_override") if profile.get("tier_override") else None
    if isinstance(raw, dict) and raw.get("tier") and raw.get("until"):
        override = TierOverride(str(raw["tier"]), datetime.fromisoformat(str(raw["until"]).replace("Z", "+00:00")),
                                str(raw.get("reason", "")))
    first_order = _time(profile, "first_order_at")
    evidence = [moment for moment in (_time(profile, "created_at"), _time(profile, "first_seen_at"), first_order)
                if moment is not None]
    return CustomerHistory(
        customer_id=watch.customer_id,
        lifetime_orders=_int(profile, "lifetime_orders", 0),
        lifetime_net_spend=_int(profile, "lifetime_net_spend", 0),
        first_order_at=first_order,
        last_order_at=_time(profile, "last_order_at"),
        months={key: MonthTotals(orders=orders, net_spend=net) for key, (orders, net) in watch.months.items()},
        tier_override=override,
        customer_since=min(evidence, default=None),
    )
