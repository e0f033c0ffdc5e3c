"""Who may call which route.

- Storefront routes need ``Authorization: Bearer <api key>``; the key's scopes decide the
  routes (``ROUTE_SCOPES``). The custom authorizer returns a policy covering every route the
  key may call, so API Gateway can cache it for ``AUTHORIZER_TTL_SECONDS``: a revoked key
  stops working within that time.
- ``/v1/admin/*`` routes use IAM (SigV4) in deployed stages; ``chalice local`` does not
  enforce IAM, so the local stage is for a developer's own machine only.
- ``OPEN_ROUTES`` need nothing.

Every route of the app must appear in exactly one of these; a test enforces it.
"""
from __future__ import annotations

import logging
from typing import Dict, List, Optional, Tuple

from chalice import AuthResponse, AuthRoute

from ..services.api_keys import verify_key

logger = logging.getLogger("loyalty.auth")
AUTHORIZER_TTL_SECONDS = 300
ADMIN_PREFIX = "/v1/admin/"
OPEN_ROUTES = {("/v1/health", "GET")}
ROUTE_SCOPES: Dict[Tuple[str, str], str] = {
    ("/v1/quotes", "POST"): "quotes",
    ("/v1/customers/{customer_id}/orders", "POST"): "orders",
    ("/v1/customers/{customer_id}/orders/{order_id}/events", "POST"): "orders",
    ("/v1/customers/{customer_id}", "PUT"): "customers",
    ("/v1/customers/{customer_id}", "GET"): "customers",
    ("/v1/customers/{customer_id}/ledger", "GET"): "customers",
}


def bearer_token(header: Optional[str]) -> Optional[str]:
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _policy_path(path: str) -> str:
    """``/v1/customers/{customer_id}/orders`` -> ``/v1/customers/*/orders`` for the IAM policy."""
    return "/".join("*" if part.startswith("{") else part for part in path.split("/"))


def routes_for_scopes(scopes) -> List[AuthRoute]:
    by_path: Dict[str, List[str]] = {}
    for (path, method), scope in ROUTE_SCOPES.items():
        if scope in scopes:
            by_path.setdefault(_policy_path(path), []).append(method)
    return [AuthRoute(path, sorted(methods)) for path, methods in sorted(by_path.items())]


def storefront_policy(authorization_header: Optional[str], method_arn: str):
    """The authorizer's answer: the routes a valid key may call, or an explicit Deny.

    A failure to read the key (DynamoDB unavailable) is logged, without the key, and raised:
    API Gateway then answers 500 for this request only, whereas a Deny would be cached for
    the TTL and lock a valid key out.
    """
    token = bearer_token(authorization_header)
    try:
        key = verify_key(token) if token else None
    except Exception:
        logger.exception("the storefront authorizer could not read API keys")
        raise
    if key is None:
        return deny_everything(method_arn)
    return AuthResponse(routes=routes_for_scopes(key.scopes), principal_id=key.key_id,
                        context={"key_id": key.key_id, "channel": key.channel, "scopes": ",".join(key.scopes)})


def deny_everything(method_arn: str) -> dict:
    """An explicit Deny on every route of the stage (safe to cache: the token is bad everywhere)."""
    arn_prefix, _, path = method_arn.partition("/")
    stage = path.split("/", 1)[0]
    return {
        "principalId": "rejected",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": [f"{arn_prefix}/{stage}/*"]}],
        },
    }


LOCAL_OPERATOR_HEADER = "x-operator"


def operator_identity(context: Optional[dict], headers, stage: str) -> str:
    """The IAM caller's ARN of an admin request; in the local stage, where IAM is not enforced,
    the ``X-Operator`` header the CLI sends (marked ``local:``), else ``unknown``."""
    arn = ((context or {}).get("identity") or {}).get("userArn")
    if arn:
        return arn
    claimed = headers.get(LOCAL_OPERATOR_HEADER) if headers else None
    if stage in ("local", "test") and claimed:
        return f"local:{claimed[:100]}"
    return "unknown"
