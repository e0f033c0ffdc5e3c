"""Moving store credit grants between customers (a merge), and finding a grant after it moved.

A grant moves with everything it knows (amount, spent, returned, remaining, expiry, who granted
it and why) and with its expiry marker, in one transaction per batch: the target's copy is put
only if absent, the source's item is deleted only if unchanged since it was read (a racing spend
or give-back makes the batch fail and the caller read again), and a journal line is written on
both records (``moved_out`` on the source, ``moved_in`` on the target). A grant whose id the
target already uses arrives as ``<grant_id>@<source>``. Nothing is left on the source, so a
merge run again moves nothing twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from .models import (
    CREDIT_EXPIRY_PREFIX,
    CREDIT_GRANT_PREFIX,
    CREDIT_MOVEMENT_PREFIX,
    PROFILE_SK,
    CreditExpiryItem,
    CreditGrantItem,
    CreditMovementItem,
    ProfileItem,
    TableItem,
    customer_pk,
    key_range,
)
from .retry import RetryableConflict, cancellation_codes

# A grant's move writes at most 6 items (its copy and the deletion, the marker's copy and the
# deletion, a journal line on each record): 15 grants stay within DynamoDB's 100 per transaction.
GRANTS_PER_TRANSACTION = 15
# How far a give-back follows ``merged_into`` to find the grants an order spent.
MAX_MERGE_HOPS = 5


@dataclass(frozen=True)
class GrantToMove:
    grant: CreditGrantItem
    marker: Optional[CreditExpiryItem]
    new_id: str  # its id on the target


def plan_grant_moves(source: str, target: str) -> List[GrantToMove]:
    """The source's grants (every one: spent, expired and live, so a later give-back for a moved
    order finds the grant it came from on the target) with their expiry markers, read consistently."""
    grants: Dict[str, CreditGrantItem] = {}
    markers: Dict[str, CreditExpiryItem] = {}
    for item in TableItem.query(customer_pk(source), key_range(CREDIT_GRANT_PREFIX), consistent_read=True):
        if isinstance(item, CreditGrantItem):
            grants[item.grant_id] = item
    for item in TableItem.query(customer_pk(source), key_range(CREDIT_EXPIRY_PREFIX), consistent_read=True):
        if isinstance(item, CreditExpiryItem):
            markers[item.grant_id] = item
    if not grants:
        return []
    taken = _grant_ids(target)
    return [GrantToMove(item, markers.get(grant_id), f"{grant_id}@{source}" if grant_id in taken else grant_id)
            for grant_id, item in sorted(grants.items())]


def _grant_ids(customer_id: str) -> set:
    return {item.grant_id for item in TableItem.query(customer_pk(customer_id), key_range(CREDIT_GRANT_PREFIX),
                                                      consistent_read=True)
            if isinstance(item, CreditGrantItem)}


def move_grants(source: str, target: str, moves: Sequence[GrantToMove], now: datetime, by: str) -> int:
    """Move ``moves`` (at most :data:`GRANTS_PER_TRANSACTION`) in one transaction. A grant changed
    or moved since it was read, or an id taken on the target meanwhile, is a
    :class:`RetryableConflict` with nothing written."""
    if not moves:
        return 0
    if len(moves) > GRANTS_PER_TRANSACTION:
        raise ValueError("too many grants for one transaction")
    try:
        with TransactWrite(connection=TableItem._get_connection().connection) as tx:
            for move in moves:
                _move_one(tx, source, target, move, now, by)
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancellation_codes(error):
            raise RetryableConflict("a credit grant changed during the merge") from error
        raise
    return len(moves)


def _move_one(tx: TransactWrite, source: str, target: str, move: GrantToMove, now: datetime, by: str) -> None:
    old = move.grant
    remaining = int(old.remaining)
    tx.save(CreditGrantItem(customer_pk(target), CREDIT_GRANT_PREFIX + move.new_id, customer_id=target,
                            grant_id=move.new_id, source=old.source, amount=old.amount, spent=old.spent,
                            returned=old.returned, remaining=old.remaining, currency=old.currency,
                            granted_at=old.granted_at, expires_at=old.expires_at, granted_by=old.granted_by,
                            reason=old.reason, order_id=old.order_id),
            condition=CreditGrantItem.pk.does_not_exist())
    tx.delete(CreditGrantItem(customer_pk(source), old.sk),
              condition=(CreditGrantItem.remaining == old.remaining) & (CreditGrantItem.spent == old.spent)
              & (CreditGrantItem.returned == old.returned))
    if move.marker is not None:  # none when absent: Time to Live removed it (the expiry was announced)
        marker = move.marker
        tx.save(CreditExpiryItem(customer_pk(target), CREDIT_EXPIRY_PREFIX + move.new_id, customer_id=target,
                                 grant_id=move.new_id, amount=marker.amount, currency=marker.currency,
                                 grant_expires_at=marker.grant_expires_at, expires_at=marker.expires_at),
                condition=CreditExpiryItem.pk.does_not_exist())
        tx.delete(CreditExpiryItem(customer_pk(source), marker.sk), condition=CreditExpiryItem.pk.exists())
    for customer_id, kind, reason in ((source, "moved_out", f"moved to {target} by a merge"),
                                      (target, "moved_in", f"moved from {source} by a merge")):
        movement_id = f"merge-{source}-{old.grant_id}"
        stamp = now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        tx.save(CreditMovementItem(customer_pk(customer_id), f"{CREDIT_MOVEMENT_PREFIX}{stamp}#{movement_id}",
                                   customer_id=customer_id, movement_id=movement_id, kind=kind, at=now,
                                   amount=remaining, currency=old.currency,
                                   grants={(old.grant_id if kind == "moved_out" else move.new_id): remaining},
                                   by=by, source=old.source, reason=reason),
                condition=CreditMovementItem.pk.does_not_exist())


def in_batches(moves: Sequence[GrantToMove]) -> Iterable[Sequence[GrantToMove]]:
    for start in range(0, len(moves), GRANTS_PER_TRANSACTION):
        yield moves[start:start + GRANTS_PER_TRANSACTION]


def locate_grants(customer_id: str, grant_ids: Sequence[str]) -> Tuple[str, Dict[str, str]]:
    """Where the grants an order spent from are now: (customer id, original id -> id there).

    On ``customer_id`` unless a merge moved them: then along ``merged_into`` (a grant renamed on
    arrival is ``<id>@<the record it came from>``). Grants found nowhere, or split between
    records (a merge moving them right now), answer ``customer_id`` unchanged, so the give-back's
    own condition fails and it is retried. One Query when they never moved; a GetItem and a
    Query more per merge followed."""
    wanted = list(dict.fromkeys(grant_ids))
    unchanged = {grant_id: grant_id for grant_id in wanted}
    names, current = dict(unchanged), customer_id
    held = _grant_ids(current)
    for _ in range(MAX_MERGE_HOPS):
        if all(names[g] in held for g in wanted):
            return current, names
        merged_into = None if any(names[g] in held for g in wanted) else _merged_into(current)
        if merged_into is None:
            break
        next_held = _grant_ids(merged_into)
        # Renamed on arrival exactly when the target had a grant of that id (then not ours).
        names = {g: f"{names[g]}@{current}" if f"{names[g]}@{current}" in next_held else names[g] for g in wanted}
        current, held = merged_into, next_held
    return customer_id, unchanged


def _merged_into(customer_id: str) -> Optional[str]:
    try:
        profile = ProfileItem.get(customer_pk(customer_id), PROFILE_SK, consistent_read=True,
                                  attributes_to_get=["pk", "sk", "item_type", "merged_into"])
    except ProfileItem.DoesNotExist:
        return None
    return profile.merged_into
