"""Who may call which route.

- Storefront routes need ``Authorization: Bearer <api key>``; the key's scopes decide the
  routes (``ROUTE_SCOPES``). The custom authorizer returns a policy covering every route the
  key may call, so API Gateway can cache it for ``AUTHORIZER_TTL_SECONDS``: a revoked key
  stops working within that time.
- A customer's app sends its Cognito token (a JWT) and gets only ``CUSTOMER_ROUTES``,
  for the customer the token names.
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
from ..services.customer_tokens import customer_tokens_configured, looks_like_jwt, verify_customer_token

logger = logging.getLogger("loyalty-api.auth")
AUTHORIZER_TTL_SECONDS = 300
ADMIN_PREFIX = "/v1/admin/"
OPEN_ROUTES = {("/v1/health", "GET"), ("/v1/openapi.json", "GET")}
# A customer's own data; the customer id comes from the verified token, never the request.
CUSTOMER_ROUTES = {("/v1/me", "GET"), ("/v1/me/ledger", "GET"), ("/v1/me/addresses", "GET")}
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


def bearer_policy(authorization_header: Optional[str], method_arn: str):
    """The authorizer's answer for a Bearer token: a customer's app token (a JWT) gets the
    ``/v1/me`` routes, a storefront key the routes of its scopes; anything else an explicit Deny.

    A failure to check a token (DynamoDB or the JWKS unavailable, or customer-token settings
    that are set but wrong) is logged, without the token, and raised: API Gateway then answers
    500 for this request only, whereas a Deny would be cached for the TTL and lock a valid
    caller out. A stage with no customer-token settings at all has no customer app: anything
    shaped like a JWT is refused there like any other bad credential (an explicit Deny).
    """
    token = bearer_token(authorization_header)
    if token and looks_like_jwt(token):
        return _customer_policy(token, method_arn)
    try:
        key = verify_key(token) if token else None
    except Exception:
        logger.exception("the storefront authorizer could not read API keys")
        raise
    if key is None:
        return deny_everything(method_arn)
    return AuthResponse(routes=routes_for_scopes(key.scopes), principal_id=key.key_id,
                        context={"key_id": key.key_id, "channel": key.channel, "scopes": ",".join(key.scopes)})


def _customer_policy(token: str, method_arn: str):
    if not customer_tokens_configured():
        return deny_everything(method_arn)  # no customer app in this stage: no token can be good here
    try:
        principal = verify_customer_token(token)
    except Exception:
        logger.exception("the authorizer could not verify customer tokens")
        raise
    if principal is None:
        return deny_everything(method_arn)
    routes = [AuthRoute(path, [method]) for path, method in sorted(CUSTOMER_ROUTES)]
    return AuthResponse(routes=routes, principal_id=principal.customer_id,
                        context={"customer_id": principal.customer_id, "token_use": principal.token_use})


def scopes_of(context: Optional[dict]) -> frozenset:
    """The scopes of the storefront key a request came with (the authorizer's context)."""
    scopes = ((context or {}).get("authorizer") or {}).get("scopes") or ""
    return frozenset(scope for scope in str(scopes).split(",") if scope)


def customer_id_of(context: Optional[dict]) -> str:
    """The customer a ``/v1/me`` request is for: only ever the verified token's."""
    customer_id = ((context or {}).get("authorizer") or {}).get("customer_id")
    if not customer_id:
        raise PermissionError("a /v1/me route was reached without a verified customer token")
    return customer_id


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
