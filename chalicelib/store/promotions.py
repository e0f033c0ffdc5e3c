"""Promotion uses and budgets an order claims (and a cancellation gives back) in its transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from pynamodb.transactions import TransactWrite

from .models import PROMO_USE_PREFIX, PromotionBudgetItem, PromotionUseItem, customer_pk, promotion_pk


class PromotionUnavailable(Exception):
    """A promotion of the order's decision hit its per-customer limit or its total budget."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class PromotionClaim:
    """One use of a promotion an order commits: counted against its limit and budget atomically."""

    code: str
    per_customer_limit: Optional[int] = None
    budget: Optional[int] = None


def claim_failure_reasons(claims: Sequence[PromotionClaim]) -> List[Tuple[PromotionClaim, str]]:
    """The claims' transaction items in order, each with what its failure means."""
    reasons = []
    for claim in claims:
        if claim.per_customer_limit is not None:
            reasons.append((claim, "this customer has already used it the most times allowed"))
        if claim.budget is not None:
            reasons.append((claim, "its total budget is used up"))
    return reasons


def claim_promotions(tx: TransactWrite, customer_id: str, claims: Sequence[PromotionClaim]) -> None:
    for claim in claims:
        code = claim.code.upper()
        if claim.per_customer_limit is not None:
            tx.update(
                PromotionUseItem(customer_pk(customer_id), PROMO_USE_PREFIX + code),
                actions=[PromotionUseItem.item_type.set(PromotionUseItem),
                         PromotionUseItem.customer_id.set(customer_id),
                         PromotionUseItem.code.set(code), PromotionUseItem.uses.add(1)],
                condition=PromotionUseItem.uses.does_not_exist() | (PromotionUseItem.uses < claim.per_customer_limit),
            )
        if claim.budget is not None:
            tx.update(
                PromotionBudgetItem(promotion_pk(code), "BUDGET"),
                actions=[PromotionBudgetItem.item_type.set(PromotionBudgetItem),
                         PromotionBudgetItem.code.set(code), PromotionBudgetItem.used.add(1)],
                condition=PromotionBudgetItem.used.does_not_exist() | (PromotionBudgetItem.used < claim.budget),
            )


def release_claims(tx: TransactWrite, customer_id: str, claims: Sequence[dict]) -> None:
    """A cancelled order gives back the promotion uses it counted (its claim items exist)."""
    for claim in claims:
        code = claim["code"].upper()
        if claim.get("per_customer_limit") is not None:
            tx.update(PromotionUseItem(customer_pk(customer_id), PROMO_USE_PREFIX + code),
                      actions=[PromotionUseItem.uses.add(-1)])
        if claim.get("budget") is not None:
            tx.update(PromotionBudgetItem(promotion_pk(code), "BUDGET"), actions=[PromotionBudgetItem.used.add(-1)])
