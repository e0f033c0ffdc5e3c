"""Address-trust decisions a quote records (the only write a quote makes), and support's read of them.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import List, Optional

from ..domain.times import iso_utc
from .models import DecisionItem, customer_pk, key_range


def save_decision(customer_id: Optional[str], quote_id: str, decided_at: datetime, decision: str, score: int,
                  details: dict, keep_days: int = 400) -> None:
    """Record a quote's verify/review decision (the only write a quote makes)."""
    stamp = decided_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    pk, sk = ((customer_pk(customer_id), f"DECISION#{stamp}#{quote_id}") if customer_id
              else (f"QUOTE#{quote_id}", "DECISION"))
    DecisionItem(pk, sk, customer_id=customer_id, quote_id=quote_id, decided_at=decided_at, decision=decision,
                 score=score, details=details,
                 expires_at=int(decided_at.timestamp()) + keep_days * 86400).save()


def recent_decisions(customer_id: str, limit: int = 20) -> List[dict]:
    """The customer's recorded address-trust decisions, newest first."""
    query = DecisionItem.query(customer_pk(customer_id), key_range("DECISION#"), scan_index_forward=False,
                               limit=limit)
    return [{"quote_id": item.quote_id, "decided_at": iso_utc(item.decided_at), "decision": item.decision,
             "score": int(item.score), **item.details} for item in query]
