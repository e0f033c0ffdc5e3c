"""Signing and reading quote tokens (HS256 JWTs via PyJWT).

A quote token carries the decision of a quote (customer, cart, tier, discounts, rules
version) so that ``POST .../orders`` can record exactly what the shopper was shown. It is
signed with the stage's key and short-lived; a tampered token is refused, an expired one
is re-evaluated at commit. PyJWT is imported on first use, not on the Lambda's cold start.
"""
from __future__ import annotations

from datetime import datetime
from typing import Tuple

from ..domain.errors import InvalidInput

MAX_TOKEN_CHARS = 160_000

ALGORITHM = "HS256"
ISSUER = "loyalty-api/quotes"
REQUIRED_CLAIMS = ("qid", "cur", "rv", "lines", "disc", "tot", "iat", "exp")


def _key() -> str:
    """The stage's signing key (environment, or Secrets Manager once per container); a 503 without one."""
    from ..stage_secrets import quote_signing_key

    return quote_signing_key()


def sign_quote(claims: dict) -> str:
    import jwt

    return jwt.encode({**claims, "iss": ISSUER}, _key(), algorithm=ALGORITHM)


def read_quote(token: object, now: datetime) -> Tuple[dict, bool]:
    """The token's claims and whether it has expired; a token that is not ours is a 400."""
    import jwt

    def refuse(reason: str) -> InvalidInput:
        return InvalidInput(f"quote_token: {reason}", [{"field": "quote_token", "reason": reason}])

    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise refuse("must be the quote_token string a quote returned")
    try:
        claims = jwt.decode(token, _key(), algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"verify_exp": False, "require": list(REQUIRED_CLAIMS)})
    except jwt.InvalidTokenError:
        raise refuse("is not a valid quote token (altered, or signed with another key)") from None
    return claims, now.timestamp() >= claims["exp"]
