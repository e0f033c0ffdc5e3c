"""Settings read from the environment once per Lambda container.

The stage's `.chalice/config.json` sets these for deployed stages; `make run` and the
tests set them for local backends. Nothing secret is read here.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional


@dataclass(frozen=True)
class Settings:
    table_name: str
    region: str
    dynamodb_endpoint: Optional[str]
    backend: str
    stage: str
    base_currency: str
    retry_budget_seconds: float


@lru_cache(maxsize=1)
def settings() -> Settings:
    endpoint = os.environ.get("DYNAMODB_ENDPOINT") or None
    return Settings(
        table_name=os.environ.get("LOYALTY_TABLE", "loyalty-local"),
        region=os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "eu-west-2",
        dynamodb_endpoint=endpoint,
        backend=os.environ.get("LOYALTY_BACKEND", "dynamodb-local" if endpoint else "aws"),
        stage=os.environ.get("LOYALTY_STAGE", "local"),
        base_currency=os.environ.get("LOYALTY_BASE_CURRENCY", "GBP"),
        retry_budget_seconds=float(os.environ.get("LOYALTY_RETRY_BUDGET_SECONDS", "3")),
    )
