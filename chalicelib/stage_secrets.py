"""The stage's secrets: the quote signing key and the hash key.

Each secret is taken from its environment variable when that is set (``make run``, tests,
bench); otherwise from AWS Secrets Manager, by the secret id in ``<VARIABLE>_SECRET_ID``
(``.chalice/config.json`` names it per stage; infra/resources.json creates it with a random
value, so no person and no file ever holds it). The Secrets Manager client is created only
then, on the first request that needs the secret; the value is cached for the life of the
container and never logged. Rotation: infra/README.md.
"""
from __future__ import annotations

import os
import threading
from typing import Dict, Optional

from .domain.errors import ServiceUnavailable

QUOTE_SIGNING_KEY = "LOYALTY_QUOTE_SIGNING_KEY"
HASH_KEY = "LOYALTY_HASH_KEY"
MIN_LENGTH = 32

_cache: Dict[str, str] = {}
_lock = threading.Lock()


def _from_secrets_manager(secret_id: str) -> str:
    import boto3

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-2"
    client = boto3.client("secretsmanager", region_name=region)
    return client.get_secret_value(SecretId=secret_id)["SecretString"].strip()


def secret(variable: str) -> Optional[str]:
    """The secret named by ``variable``, or None when neither it nor ``<variable>_SECRET_ID`` is set.

    Raises :class:`ServiceUnavailable` (503) when Secrets Manager cannot be read; the error
    names the secret id, never a value."""
    value = os.environ.get(variable)
    if value:
        return value
    secret_id = os.environ.get(f"{variable}_SECRET_ID")
    if not secret_id:
        return None
    with _lock:
        if secret_id not in _cache:
            try:
                _cache[secret_id] = _from_secrets_manager(secret_id)
            except Exception as error:  # noqa: BLE001 - any failure to read is the same 503; not cached
                raise ServiceUnavailable(f"the secret {secret_id} cannot be read ({type(error).__name__})",
                                         retry_after_seconds=30) from None
        return _cache[secret_id]


def required(variable: str, purpose: str) -> str:
    """The secret, at least :data:`MIN_LENGTH` characters, or a 503 saying what is missing."""
    value = secret(variable)
    if not value or len(value) < MIN_LENGTH:
        raise ServiceUnavailable(f"{purpose}: {variable} (or {variable}_SECRET_ID) is not configured "
                                 f"(at least {MIN_LENGTH} characters)", retry_after_seconds=60)
    return value


def quote_signing_key() -> str:
    return required(QUOTE_SIGNING_KEY, "quotes cannot be signed")


def hash_key() -> str:
    return required(HASH_KEY, "contact details and customer ids cannot be hashed")


def forget_cached_secrets() -> None:
    """Drop cached values (tests; after a rotation a new container reads the new value anyway)."""
    with _lock:
        _cache.clear()
