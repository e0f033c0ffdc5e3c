"""Signing and reading quote tokens (HS256 JWTs via PyJWT).

A quote token carries the decision of a quote (customer, cart, tier, discounts, rules
version) so that ``POST .../orders`` can record exactly what the shopper was shown. It is
signed with the stage's key and short-lived; a tampered token is refused, an expired one
is re-evaluated at commit. PyJWT is imported on first use, not on the Lambda's cold start.
"""
from __future__ import annotations

from datetime import datetime
from typing import Tuple

from ..domain.errors import InvalidInput, PayloadTooLarge

# What the order route takes (api/shapes.py, OrderRequest.quote_token), and the most a quote signs: the token holds a
# digest of the cart and a few bytes per discounted line (500 lines with 4 discounts each: ~30 KB),
# so only a rules document stacking a dozen discounts on every line of a 500-line cart reaches it.
MAX_TOKEN_CHARS = 160_000
MAX_SIGNED_TOKEN_CHARS = 64_000

ALGORITHM = "HS256"
ISSUER = "loyalty-api/quotes"
REQUIRED_CLAIMS = ("qid", "cur", "rv", "disc", "tot", "iat", "exp")
CART_CLAIMS = (("n", "cart", "sale", "ld"), ("lines",))  # today's digest, or a whole cart (signed before)


def _key() -> str:
    """The stage's signing key (environment, or Secrets Manager once per container); a 503 without one."""
    from ..stage_secrets import quote_signing_key

    return quote_signing_key()


def sign_quote(claims: dict) -> str:
    """The signed token; a 413 on ``lines`` (never a token the order route would refuse) past
    ``MAX_SIGNED_TOKEN_CHARS``."""
    import jwt

    token = jwt.encode({**claims, "iss": ISSUER}, _key(), algorithm=ALGORITHM)
    if len(token) > MAX_SIGNED_TOKEN_CHARS:
        raise PayloadTooLarge(f"lines: this cart's discounts need a {len(token)}-character quote token; the limit "
                              f"is {MAX_SIGNED_TOKEN_CHARS} (split the order)",
                              [{"field": "lines", "reason": "too many discounted lines for one quote token"}])
    return token


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
    if not any(all(name in claims for name in names) for names in CART_CLAIMS):
        raise refuse("is not a valid quote token (it does not describe a cart)")
    return claims, now.timestamp() >= claims["exp"]
