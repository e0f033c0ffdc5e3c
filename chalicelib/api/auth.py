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

from typing import Dict, List, Optional, Tuple

from chalice import AuthResponse, AuthRoute

from ..services.api_keys import verify_key

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


def storefront_policy(authorization_header: Optional[str]) -> AuthResponse:
    """The authorizer's answer: the routes a valid key may call, or none at all."""
    token = bearer_token(authorization_header)
    key = verify_key(token) if token else None
    if key is None:
        return AuthResponse(routes=[], principal_id="rejected")
    return AuthResponse(routes=routes_for_scopes(key.scopes), principal_id=key.key_id,
                        context={"key_id": key.key_id, "channel": key.channel, "scopes": ",".join(key.scopes)})
