"""Retrying DynamoDB work that failed only because the table was busy.

Transaction conflicts (two transactions touching one item at once) and throttling are
retried with full-jitter exponential backoff inside a time budget that fits the Lambda's
timeout. Past the budget the caller gets :class:`ServiceUnavailable`, which the API answers
as 503 with ``Retry-After``. Conditional-check failures are never retried here: they are
answers (a duplicate, a stale read) for the service to interpret.
"""
from __future__ import annotations

import random
import time
from typing import Callable, Optional, TypeVar

from pynamodb.exceptions import PynamoDBException, TransactWriteError

from ..domain.errors import ServiceUnavailable

T = TypeVar("T")

BUSY_ERROR_CODES = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TransactionConflictException",
        "TransactionInProgressException",
        "InternalServerError",
        "ServiceUnavailable",
    }
)
BUSY_CANCELLATION_CODES = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})


class RetryableConflict(Exception):
    """Raised by a unit of work whose optimistic read went stale: read again and retry."""


def cancellation_codes(error: TransactWriteError) -> list:
    """The per-item cancellation codes of a failed transaction (``None`` where an item was fine)."""
    return [reason.code if reason else None for reason in (error.cancellation_reasons or [])]


def is_busy(error: BaseException) -> bool:
    """True when the error means "try again later", not "this request is wrong"."""
    if isinstance(error, RetryableConflict):
        return True
    if isinstance(error, TransactWriteError):
        codes = [code for code in cancellation_codes(error) if code and code != "None"]
        if codes and all(code in BUSY_CANCELLATION_CODES for code in codes):
            return True
    if isinstance(error, PynamoDBException):
        cause = getattr(error, "cause", None)
        # First: botocore's timeouts carry ``response = None``, which cause_response_code cannot read.
        if cause is not None and type(cause).__name__ in ("ReadTimeoutError", "ConnectTimeoutError",
                                                           "EndpointConnectionError"):
            return True
        return getattr(cause, "response", None) is not None and error.cause_response_code in BUSY_ERROR_CODES
    return False


def with_retries(
    work: Callable[[], T],
    *,
    budget_seconds: float,
    base_delay: float = 0.02,
    max_delay: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: Optional[random.Random] = None,
) -> T:
    """Run ``work`` until it succeeds, retrying busy failures within ``budget_seconds``."""
    rng = rng or random
    deadline = clock() + budget_seconds
    attempt = 0
    while True:
        try:
            return work()
        except Exception as error:  # noqa: BLE001 - filtered by is_busy
            if not is_busy(error):
                raise
            attempt += 1
            delay = rng.uniform(0, min(max_delay, base_delay * (2 ** min(attempt, 10))))
            if clock() + delay > deadline:
                raise ServiceUnavailable(
                    "the ledger is busy right now; retry shortly", retry_after_seconds=1
                ) from error
            sleep(delay)
