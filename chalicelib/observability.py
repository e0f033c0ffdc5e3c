"""Structured logs and business metrics, with AWS Lambda Powertools.

- Logs are JSON lines (Powertools Logger, service ``loyalty-api``). Every HTTP request ends
  with one ``request`` line: ``route``, ``status``, ``duration_ms``, ``error_code`` (4xx/5xx),
  ``customer`` (a hash of the customer id, never the id), the ``correlation_id`` (API
  Gateway's request id) and whatever the service noted (a quote's ``address_decision``,
  ``discount_total``, ...). The application's own loggers (``loyalty-api.*``) write through
  the same handler. Personal data (email, phone, address lines) is never logged.
- Metrics use CloudWatch's embedded metric format (Powertools): namespace ``LoyaltyAPI``,
  dimensions ``service`` and ``stage``, plus ``kind`` or ``outcome`` where named. They are
  collected during a request and written with its log line. infra/resources.json's dashboard
  reads exactly these names.

Powertools is imported on the first request, not when ``app.py`` is imported (cold start).
"""
from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from collections import defaultdict
from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional, Tuple

SERVICE = "loyalty-api"
NAMESPACE = "LoyaltyAPI"

_request = threading.local()


class _Stdout:
    """Writes to whatever ``sys.stdout`` is at the time (Lambda's, or a test's capture)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@lru_cache(maxsize=1)
def logger():
    """The Powertools Logger of the service, created on first use."""
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE, stream=_Stdout(), level=os.environ.get("LOYALTY_LOG_LEVEL", "INFO"))


def customer_ref(customer_id: Optional[str], *, key: Optional[str] = None) -> Optional[str]:
    """How logs name a customer: a keyed hash (HMAC with the stage's hash key) of the id, so
    logs can be searched for a customer (``python -m chalicelib.cli log-ref ID``) without
    carrying the id, and nobody without the key can confirm a guessed id.

    None (the field is left out) when the hash key cannot be had: a log line never fails a request."""
    if not customer_id:
        return None
    if key is None:
        from .domain.errors import ServiceUnavailable
        from .stage_secrets import hash_key

        try:
            key = hash_key()
        except ServiceUnavailable:
            return None
    from .domain.customer import keyed_hash

    return keyed_hash(key, f"log-ref:{customer_id}")[:16]


def note(**fields: Any) -> None:
    """Add fields to the current request's log line (no personal data: ids go through
    :func:`customer_ref`)."""
    notes = getattr(_request, "notes", None)
    if notes is not None:
        notes.update({name: value for name, value in fields.items() if value is not None})


def metric(name: str, value: float = 1, unit: str = "Count", **dimensions: str) -> None:
    """Count a business figure for the current request (written when the request ends)."""
    pending = getattr(_request, "metrics", None)
    if pending is not None:
        pending.append((name, value, unit, tuple(sorted(dimensions.items()))))


def _stage() -> str:
    return os.environ.get("LOYALTY_STAGE", "local")


def flush_metrics(pending: List[Tuple[str, float, str, tuple]]) -> None:
    """One EMF document per set of dimensions, values of the same metric added up."""
    if not pending:
        return
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    grouped: Dict[tuple, Dict[Tuple[str, str], float]] = defaultdict(lambda: defaultdict(float))
    for name, value, unit, dimensions in pending:
        grouped[dimensions][(name, unit)] += value
    for dimensions, values in grouped.items():
        metrics = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
        metrics.add_dimension(name="stage", value=_stage())
        for dimension, dimension_value in dimensions:
            metrics.add_dimension(name=dimension, value=dimension_value)
        for (name, unit), value in values.items():
            metrics.add_metric(name=name, unit=MetricUnit(unit), value=value)
        metrics.flush_metrics()


def _error_code(body: Any) -> Optional[str]:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"].get("code")
    return None


def observe_requests(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice HTTP middleware: correlation id, one log line and the metrics of each request."""
    log = logger()
    context = getattr(event, "context", None) or {}
    # API Gateway's request id (chalice local has none: a local one stands in).
    log.set_correlation_id(context.get("requestId") or f"local-{uuid.uuid4().hex[:16]}")
    _request.notes, _request.metrics = {}, []
    started = time.perf_counter()
    try:
        response = get_response(event)
    finally:
        notes, pending = _request.notes, _request.metrics
        _request.notes = _request.metrics = None
    params = getattr(event, "uri_params", None) or {}
    authorizer = context.get("authorizer") or {}
    customer = params.get("customer_id") or authorizer.get("customer_id")
    fields = {
        "route": f"{getattr(event, 'method', '')} {context.get('resourcePath', getattr(event, 'path', ''))}",
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "customer": customer_ref(customer),
        "error_code": _error_code(response.body) if response.status_code >= 400 else None,
        "channel": authorizer.get("channel"),
        **notes,
    }
    log.info("request", extra={name: value for name, value in fields.items() if value is not None})
    flush_metrics(pending)
    return response
