"""Verifying the tokens customers' mobile apps send: Cognito user-pool JWTs (RS256).

A customer signs in to the store's Cognito user pool and the app sends
``Authorization: Bearer <access or id token>``. This module decides whether such a token
was issued by our pool for our app client, is of an accepted kind and still valid, and if
so which loyalty customer it speaks for (:class:`CustomerPrincipal`).

Why it looks the way it does:

- Cold start: PyJWT and cryptography are imported inside functions, and the pool's public
  keys (JWKS) are loaded on the first verification, never at import. They are then kept for
  the life of the Lambda container.
- Key rotation: a token whose ``kid`` we do not know triggers one reload of the JWKS, at most
  once per refresh interval, so random ``kid`` values cannot make us fetch on every request.
- Failure modes are kept apart so the authorizer can answer correctly: a bad token is
  ``None`` (safe to cache as a Deny); a stage that is not configured raises
  :class:`CustomerTokenConfigError`; a JWKS endpoint that cannot be reached raises
  :class:`JwksUnavailable` (answer 500 for this request, never a cached Deny).
- Tokens and claims are never logged; only the reason a token was refused (at DEBUG) and
  key ids, which are public.
"""
from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeGuard

logger = logging.getLogger("loyalty-api.customer_tokens")

ALGORITHM = "RS256"
TOKEN_USES: frozenset[str] = frozenset({"access", "id"})
DEFAULT_CUSTOMER_ID_CLAIM = "custom:customer_id"
DEFAULT_REFRESH_MINUTES = 5.0
DEFAULT_LEEWAY_SECONDS = 30
MAX_LEEWAY_SECONDS = 300
MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600  # Cognito's longest access/id token validity is one day
MAX_TOKEN_CHARS = 16 * 1024
MAX_JWKS_BYTES = 512 * 1024
MIN_RSA_KEY_BITS = 2048
JWKS_TIMEOUT_SECONDS = 2.0
# The project's id rule; the same pattern as ``chalicelib.api.shapes.ID_PATTERN`` (a test
# keeps them equal; services do not import from the api ring).
CUSTOMER_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+\-]{0,127}\Z")
_JWT_PATTERN = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\Z")

ENV_JWKS_URL = "LOYALTY_CUSTOMER_JWKS_URL"
ENV_JWKS_FILE = "LOYALTY_CUSTOMER_JWKS_FILE"
ENV_ISSUER = "LOYALTY_CUSTOMER_TOKEN_ISSUER"
ENV_AUDIENCE = "LOYALTY_CUSTOMER_TOKEN_AUDIENCE"
ENV_TOKEN_USES = "LOYALTY_CUSTOMER_TOKEN_USES"
ENV_CUSTOMER_ID_CLAIM = "LOYALTY_CUSTOMER_ID_CLAIM"
ENV_REFRESH_MINUTES = "LOYALTY_CUSTOMER_JWKS_REFRESH_MINUTES"
ENV_LEEWAY_SECONDS = "LOYALTY_CUSTOMER_TOKEN_LEEWAY_SECONDS"
_SOURCE_VARIABLES = (ENV_JWKS_URL, ENV_JWKS_FILE, ENV_ISSUER, ENV_AUDIENCE)


class CustomerTokenConfigError(RuntimeError):
    """The stage's customer-token settings or JWKS file are missing or wrong (a deployment bug)."""


class JwksUnavailable(RuntimeError):
    """The JWKS URL could not be fetched or read just now (transient; do not cache a Deny)."""


@dataclass(frozen=True)
class CustomerPrincipal:
    """Who a valid customer token speaks for.

    ``customer_id`` is the loyalty customer (from the configured claim, else ``sub``);
    ``subject`` is the Cognito user's ``sub``; ``expires_at`` is the token's ``exp`` in UTC,
    which bounds how long an authorizer may cache its answer.
    """

    customer_id: str
    subject: str
    token_use: str
    expires_at: datetime


@dataclass(frozen=True)
class CustomerTokenSettings:
    """Where the pool's keys come from and what a token must say to be accepted."""

    issuer: str
    audiences: frozenset[str]
    jwks_url: str | None = None
    jwks_file: str | None = None
    token_uses: frozenset[str] = TOKEN_USES
    customer_id_claim: str = DEFAULT_CUSTOMER_ID_CLAIM
    refresh_interval_seconds: float = DEFAULT_REFRESH_MINUTES * 60
    leeway_seconds: int = DEFAULT_LEEWAY_SECONDS

    def __post_init__(self) -> None:
        _check_settings(self)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> CustomerTokenSettings:
        """Read the ``LOYALTY_CUSTOMER_*`` variables; raise :class:`CustomerTokenConfigError` if wrong.

        Without a JWKS URL or file, a Cognito issuer implies its standard JWKS address
        (``<issuer>/.well-known/jwks.json``).
        """
        issuer = _env(environ, ENV_ISSUER)
        jwks_url, jwks_file = _env(environ, ENV_JWKS_URL), _env(environ, ENV_JWKS_FILE)
        if not jwks_url and not jwks_file and issuer.startswith("https://cognito-idp."):
            jwks_url = issuer.rstrip("/") + "/.well-known/jwks.json"
        return cls(
            issuer=issuer,
            audiences=_csv(_env(environ, ENV_AUDIENCE)),
            jwks_url=jwks_url or None,
            jwks_file=jwks_file or None,
            token_uses=_csv(_env(environ, ENV_TOKEN_USES)) or TOKEN_USES,
            customer_id_claim=_env(environ, ENV_CUSTOMER_ID_CLAIM) or DEFAULT_CUSTOMER_ID_CLAIM,
            refresh_interval_seconds=_number(environ, ENV_REFRESH_MINUTES, DEFAULT_REFRESH_MINUTES) * 60,
            leeway_seconds=int(_number(environ, ENV_LEEWAY_SECONDS, DEFAULT_LEEWAY_SECONDS)),
        )


def cognito_issuer(region: str, user_pool_id: str) -> str:
    """The ``iss`` of a Cognito user pool's tokens, e.g. for a stage's configuration."""
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


def looks_like_jwt(token: object) -> TypeGuard[str]:
    """Whether ``token`` has the shape of a signed JWT: three non-empty base64url parts.

    Cheap and import-free, so the authorizer can route a bearer value: storefront keys
    (``lk_<channel>_<43 chars>``) contain no dots. It says nothing about validity.
    """
    return isinstance(token, str) and len(token) <= MAX_TOKEN_CHARS and bool(_JWT_PATTERN.match(token))


def customer_tokens_configured(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether this stage has any customer-token setting (lets a stage without an app opt out)."""
    return any(environ.get(name, "").strip() for name in _SOURCE_VARIABLES)


def verify_customer_token(token: object) -> CustomerPrincipal | None:
    """The customer a token speaks for, or ``None`` if the token is not valid for us.

    Uses the process-wide verifier built from the environment on first call. Raises
    :class:`CustomerTokenConfigError` or :class:`JwksUnavailable` (see the module docstring).
    """
    return _default_verifier().verify(token)


def reset_customer_token_verifier() -> None:
    """Forget the process-wide verifier and its keys (tests, or after changing the environment)."""
    global _verifier
    with _verifier_lock:
        _verifier = None


class CustomerTokenVerifier:
    """Checks tokens against one pool's keys, which it loads lazily and caches.

    ``clock`` (seconds, monotonic is fine) only paces JWKS refreshes; token times are
    checked against the wall clock by PyJWT. ``fetch_url`` is injectable for tests.
    """

    def __init__(
        self,
        settings: CustomerTokenSettings,
        clock: Callable[[], float] = time.monotonic,
        fetch_url: Callable[[str], bytes] | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._fetch_url = fetch_url or _fetch_url
        self._keys: dict[str, Any] | None = None
        self._last_load: float | None = None
        self._lock = threading.Lock()

    def verify(self, token: object) -> CustomerPrincipal | None:
        """A :class:`CustomerPrincipal` for a valid token, else ``None`` (never raises for a bad token)."""
        if not looks_like_jwt(token):
            return None
        kid = _signing_kid(token)
        if kid is None:
            return None
        key = self._key_for(kid)
        if key is None:
            logger.debug("customer token refused: unknown key id")
            return None
        claims = _decoded_claims(token, key, self.settings)
        return _principal(claims, self.settings) if claims is not None else None

    def _key_for(self, kid: str) -> Any | None:
        """The public key for ``kid``: loads the JWKS on first use, reloads it for an unknown
        ``kid`` at most once per refresh interval (key rotation)."""
        with self._lock:
            if self._keys is None:
                self._load()
            assert self._keys is not None
            if kid not in self._keys and self._refresh_due():
                logger.info("customer token key id %r is unknown; reloading the JWKS", kid[:64])
                self._load()
            return self._keys.get(kid)

    def _refresh_due(self) -> bool:
        return self._last_load is None or self._clock() - self._last_load >= self.settings.refresh_interval_seconds

    def _load(self) -> None:
        # The attempt counts even if it fails, so a failing endpoint is not hammered.
        self._last_load = self._clock()
        document = self._read_jwks()
        self._keys = _public_keys(document, self._source())
        logger.info("loaded %d customer token signing key(s) from %s", len(self._keys), self._source())

    def _read_jwks(self) -> Any:
        if self.settings.jwks_file:
            return _read_jwks_file(self.settings.jwks_file)
        assert self.settings.jwks_url
        body = self._fetch_url(self.settings.jwks_url)
        try:
            return json.loads(body)
        except ValueError:
            raise JwksUnavailable(f"the customer JWKS at {self.settings.jwks_url} is not JSON") from None

    def _source(self) -> str:
        return self.settings.jwks_file or self.settings.jwks_url or "?"


_verifier: CustomerTokenVerifier | None = None
_verifier_lock = threading.Lock()


def _default_verifier() -> CustomerTokenVerifier:
    global _verifier
    with _verifier_lock:
        if _verifier is None:
            _verifier = CustomerTokenVerifier(CustomerTokenSettings.from_env())
        return _verifier


# ---------------------------------------------------------------------------------------
# Settings


def _env(environ: Mapping[str, str], name: str) -> str:
    return environ.get(name, "").strip()


def _csv(value: str) -> frozenset[str]:
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = _env(environ, name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise CustomerTokenConfigError(f"{name} must be a number") from None


def _check_settings(settings: CustomerTokenSettings) -> None:
    """Raise :class:`CustomerTokenConfigError` naming the first wrong setting."""
    if not settings.issuer:
        raise CustomerTokenConfigError(f"{ENV_ISSUER} is not set (the user pool URL, e.g. "
                                       f"{cognito_issuer('eu-west-2', '<pool_id>')})")
    if not settings.audiences:
        raise CustomerTokenConfigError(f"{ENV_AUDIENCE} is not set (the app client id)")
    if bool(settings.jwks_url) == bool(settings.jwks_file):
        raise CustomerTokenConfigError(f"set exactly one of {ENV_JWKS_URL} and {ENV_JWKS_FILE}")
    if settings.jwks_url and not settings.jwks_url.startswith("https://"):
        raise CustomerTokenConfigError(f"{ENV_JWKS_URL} must be an https:// URL")
    if not settings.token_uses or not settings.token_uses <= TOKEN_USES:
        raise CustomerTokenConfigError(f"{ENV_TOKEN_USES} must list some of: {', '.join(sorted(TOKEN_USES))}")
    if not settings.customer_id_claim:
        raise CustomerTokenConfigError(f"{ENV_CUSTOMER_ID_CLAIM} must name a claim")
    if not settings.refresh_interval_seconds > 0:
        raise CustomerTokenConfigError(f"{ENV_REFRESH_MINUTES} must be more than 0")
    if not 0 <= settings.leeway_seconds <= MAX_LEEWAY_SECONDS:
        raise CustomerTokenConfigError(f"{ENV_LEEWAY_SECONDS} must be between 0 and {MAX_LEEWAY_SECONDS}")


# ---------------------------------------------------------------------------------------
# Keys


def _fetch_url(url: str) -> bytes:
    """The JWKS document's bytes (2 s timeout, size-capped); any failure is :class:`JwksUnavailable`."""
    import http.client
    import urllib.request  # only stages that fetch keys pay for these imports

    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=JWKS_TIMEOUT_SECONDS) as response:
            body = response.read(MAX_JWKS_BYTES + 1)
    except (OSError, http.client.HTTPException) as error:  # URLError, HTTPError and timeouts are OSErrors
        raise JwksUnavailable(f"could not fetch the customer JWKS from {url}: {type(error).__name__}") from None
    if len(body) > MAX_JWKS_BYTES:
        raise JwksUnavailable(f"the customer JWKS at {url} is larger than {MAX_JWKS_BYTES} bytes")
    return body


def _read_jwks_file(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CustomerTokenConfigError(f"cannot read the customer JWKS file {path}: {type(error).__name__}") from None


def _public_keys(document: Any, source: str) -> dict[str, Any]:
    """``kid`` -> RSA public key for every usable signing key of a JWKS document.

    Keys that are not RSA signing keys of at least 2048 bits are skipped; a document with
    none left is a configuration error (wrong URL or file).
    """
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise CustomerTokenConfigError(f"the customer JWKS from {source} has no 'keys' list")
    keys = {}
    for entry in entries:
        key = _rsa_signing_key(entry)
        if key is not None:
            keys[entry["kid"]] = key
    if not keys:
        raise CustomerTokenConfigError(f"the customer JWKS from {source} has no usable RS256 signing key")
    return keys


def _rsa_signing_key(entry: Any) -> Any | None:
    import jwt

    if not isinstance(entry, dict) or entry.get("kty") != "RSA" or not isinstance(entry.get("kid"), str):
        return None
    if entry.get("use", "sig") != "sig" or entry.get("alg", ALGORITHM) != ALGORITHM:
        return None
    try:
        key = jwt.PyJWK(entry, algorithm=ALGORITHM).key
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError, KeyError):
        return None
    return key if getattr(key, "key_size", 0) >= MIN_RSA_KEY_BITS else None


# ---------------------------------------------------------------------------------------
# Token checks


def _signing_kid(token: str) -> str | None:
    """The header's ``kid`` if the header asks for RS256, else ``None`` (alg none, HS256, ...)."""
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        return None
    kid = header.get("kid")
    if header.get("alg") != ALGORITHM or not isinstance(kid, str) or not kid:
        logger.debug("customer token refused: header is not RS256 with a key id")
        return None
    return kid


def _decoded_claims(token: str, key: Any, settings: CustomerTokenSettings) -> dict[str, Any] | None:
    """The claims if signature, ``iss``, ``exp``, ``nbf`` and ``iat`` hold, else ``None``.

    Only RS256 is accepted, whatever the header says, so no algorithm confusion is possible.
    The audience is checked afterwards because access tokens carry it in ``client_id``.
    """
    import jwt

    try:
        return jwt.decode(
            token, key, algorithms=[ALGORITHM], issuer=settings.issuer, leeway=settings.leeway_seconds,
            options={"require": ["iss", "sub", "exp", "iat", "token_use"], "verify_aud": False},
        )
    except jwt.InvalidTokenError as error:
        logger.debug("customer token refused: %s", type(error).__name__)
        return None


def _principal(claims: Mapping[str, Any], settings: CustomerTokenSettings) -> CustomerPrincipal | None:
    """The principal for claims that passed the signature checks, or ``None`` with the reason logged."""
    reason = _claims_problem(claims, settings)
    customer_id = None if reason else _customer_id(claims, settings.customer_id_claim)
    if customer_id is None:
        logger.debug("customer token refused: %s", reason or "customer id breaks the id rule")
        return None
    return CustomerPrincipal(customer_id=customer_id, subject=claims["sub"], token_use=claims["token_use"],
                             expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC))


def _claims_problem(claims: Mapping[str, Any], settings: CustomerTokenSettings) -> str | None:
    """Why verified claims are still not for us (token use, audience, subject, lifetime), or ``None``."""
    token_use = claims.get("token_use")
    if not isinstance(token_use, str) or token_use not in settings.token_uses:
        return "token_use not accepted"
    if _audience(claims, token_use) not in settings.audiences:
        return "audience is not our app client"
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        return "no subject"
    if int(claims["exp"]) - int(claims["iat"]) > MAX_TOKEN_LIFETIME_SECONDS + settings.leeway_seconds:
        return "lifetime longer than Cognito issues"
    return None


def _audience(claims: Mapping[str, Any], token_use: str) -> str | None:
    """The app client a token was issued to: ``client_id`` on access tokens, ``aud`` on id tokens."""
    value = claims.get("client_id" if token_use == "access" else "aud")
    return value if isinstance(value, str) else None


def _customer_id(claims: Mapping[str, Any], claim: str) -> str | None:
    """The configured claim, or ``sub`` when the token has no such claim; ``None`` if it breaks the id rule.

    A present but unusable claim is refused rather than falling back to ``sub``.
    """
    value = claims[claim] if claim in claims else claims.get("sub")
    return value if isinstance(value, str) and CUSTOMER_ID_PATTERN.match(value) else None
