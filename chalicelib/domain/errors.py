"""Errors the domain and services raise; the API layer maps each to one HTTP status.

They carry what a caller needs to fix the request: a stable ``code``, a message a
person can read, and ``details`` naming the field and the reason.
"""
from __future__ import annotations

from typing import List, Optional


class LoyaltyError(Exception):
    """Base class: ``status`` is the HTTP status the API answers with."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: Optional[List[dict]] = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidInput(LoyaltyError):
    """The request is malformed: wrong types, missing fields, bad values (400)."""

    status = 400
    code = "invalid_input"

    @classmethod
    def for_fields(cls, problems: List[dict]) -> "InvalidInput":
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return cls(f"{first['field']}: {first['reason']}{more}", problems)


class NotFound(LoyaltyError):
    status = 404
    code = "not_found"


class Conflict(LoyaltyError):
    """The same id was already used with a different body (409)."""

    status = 409
    code = "conflict"


class PromotionUnavailable(Conflict):
    """A promotion the quote gave is used up at commit (limit or budget): quote again (409)."""

    code = "promotion_unavailable"


class CreditUnavailable(Conflict):
    """The store credit a quote applied is no longer there at commit (spent by another order,
    or expired): nothing is written; quote again (409)."""

    code = "credit_unavailable"


class PayloadTooLarge(LoyaltyError):
    status = 413
    code = "payload_too_large"


class Unprocessable(LoyaltyError):
    """Well-formed, but breaks a ledger rule, e.g. refunding more than remains (422)."""

    status = 422
    code = "unprocessable"


class ServiceUnavailable(LoyaltyError):
    """DynamoDB stayed busy (throttling, transaction conflicts) past the retry budget (503)."""

    status = 503
    code = "service_unavailable"

    def __init__(self, message: str, retry_after_seconds: int = 1) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
