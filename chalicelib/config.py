"""Settings read from the environment once per Lambda container.

The stage's `.chalice/config.json` sets these for deployed stages; `make run` and the
tests set them for local backends. The secrets (the quote signing key, the hash key) are read
through ``stage_secrets.py``: from the environment locally (``make run`` generates them under
``.data/``), from Secrets Manager in a deployed stage; never in the repository, never logged.
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
    rules_cache_seconds: float
    quote_ttl_seconds: int
    import_workers: int
    batch_read_timeout_seconds: float = 60.0
    batch_page_attempts: int = 6
    default_country: str = "GB"  # how a phone without +country code is read, when the customer's is unknown


@lru_cache(maxsize=1)
def settings() -> Settings:
    endpoint = os.environ.get("DYNAMODB_ENDPOINT") or None
    backend = os.environ.get("LOYALTY_BACKEND", "dynamodb-local" if endpoint else "aws")
    # moto loses concurrent updates to one item: against it, imports always run one worker.
    workers = 1 if backend == "moto" else max(1, int(os.environ.get("LOYALTY_IMPORT_WORKERS", "8")))
    return Settings(
        table_name=os.environ.get("LOYALTY_TABLE", "loyalty-local"),
        region=os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "eu-west-2",
        dynamodb_endpoint=endpoint,
        backend=backend,
        stage=os.environ.get("LOYALTY_STAGE", "local"),
        base_currency=os.environ.get("LOYALTY_BASE_CURRENCY", "GBP"),
        retry_budget_seconds=float(os.environ.get("LOYALTY_RETRY_BUDGET_SECONDS", "3")),
        rules_cache_seconds=float(os.environ.get("LOYALTY_RULES_CACHE_SECONDS", "30")),
        quote_ttl_seconds=int(os.environ.get("LOYALTY_QUOTE_TTL_SECONDS", "900")),
        import_workers=workers,
        # Batch commands (fit-value-model) only; the request path keeps its 4 s (store/models.py).
        batch_read_timeout_seconds=float(os.environ.get("LOYALTY_BATCH_READ_TIMEOUT_SECONDS", "60")),
        batch_page_attempts=max(1, int(os.environ.get("LOYALTY_BATCH_PAGE_ATTEMPTS", "6"))),
        default_country=os.environ.get("LOYALTY_DEFAULT_COUNTRY", "GB").upper(),
    )
