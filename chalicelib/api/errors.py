"""One JSON error shape for every failure: ``{"error": {"code", "message", "details"}}``."""
from __future__ import annotations

import functools
import json
import logging
from typing import Any, Callable

from chalice import Response

from ..domain.errors import LoyaltyError, ServiceUnavailable

logger = logging.getLogger("loyalty-api.api")

# Chalice answers some requests itself (405, 415, its own 500); their codes in our vocabulary.
_CHALICE_CODES = {
    "MethodNotAllowedError": "method_not_allowed",
    "UnsupportedMediaType": "unsupported_media_type",
    "BadRequest": "bad_request",
    "InternalServerError": "internal_error",
}


def error_body(code: str, message: str, details: Any = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or []}}


def error_response(error: LoyaltyError) -> Response:
    headers = {"Content-Type": "application/json"}
    if isinstance(error, ServiceUnavailable):
        headers["Retry-After"] = str(error.retry_after_seconds)
    return Response(body=error_body(error.code, error.message, error.details), status_code=error.status,
                    headers=headers)


def json_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Route decorator: domain and service errors become their 4xx/503 in the one shape."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except LoyaltyError as error:
            return error_response(error)
        except Exception:
            # A bug: log the type and place, never the request (it may hold personal data).
            logger.exception("unhandled error in %s", view.__name__)
            return Response(body=error_body("internal_error", "an internal error occurred; it has been logged"),
                            status_code=500)

    return wrapper


def reshape_chalice_errors(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """HTTP middleware: rewrite the errors Chalice produces itself into the one shape."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, (dict, str)):
        if isinstance(body, str):
            try:
                body = json.loads(body)
            except ValueError:
                return response
        if isinstance(body, dict) and "Code" in body and "error" not in body:
            code = _CHALICE_CODES.get(body["Code"], "error")
            response.body = error_body(code, str(body.get("Message", "")))
    return response
