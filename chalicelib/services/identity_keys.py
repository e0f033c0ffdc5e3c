"""The identity index kept in step with records that merge or are erased (docs/identity.md):
the keys a record holds move to the customer it merges into, or leave the index with it.

Kept apart from recognition (which reads the index at checkout and may itself start a merge),
so that merging (services/merge.py) and recognition never import each other.
"""
from __future__ import annotations

from typing import Dict

from ..domain.customer import lookup_hash
from ..stage_secrets import hash_key
from ..store import identity as index


def _record_keys(customer_id: str) -> Dict[str, str]:
    """Every identity key a record holds (keyed hash -> kind): its emails and phones, and the
    addresses delivered to it."""
    contact, delivered = index.profile_identity(customer_id)
    key = hash_key()
    keys = {k: kind for k, kind in ((k, h.kind) for k, h in index.holders(sorted(contact)).items())}
    keys.update({lookup_hash("address", fingerprint, key): "address" for fingerprint in delivered})
    return keys


def _in_parts(keys: Dict[str, str], size: int = 45):
    items = sorted(keys.items())
    for start in range(0, len(items), size):
        yield dict(items[start:start + size])


def move_identity(source: str, target: str) -> int:
    """After a merge: the source's identity keys are the target's now, and no longer the
    source's (so the emptied record stops matching). One item cannot be added to and taken
    from in one transaction, so the target is added first, then the source removed: a merge
    run again (it is idempotent) finishes a move that stopped between the two."""
    keys = _record_keys(source)
    for part in _in_parts(keys):
        index.change_identity({target: part}, {})
        index.change_identity({}, {source: list(part)})
    return len(keys)


def forget_identity(customer_id: str) -> int:
    """An erasure: take the record off every identity item it is on. Idempotent."""
    keys = _record_keys(customer_id)
    for part in _in_parts(keys, 90):
        index.change_identity({}, {customer_id: list(part)})
    return len(keys)
