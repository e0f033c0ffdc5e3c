"""The local stage's stand-in for a Cognito user pool: one RSA key pair and a token minter.

Deployed stages verify customers' tokens against their Cognito pool's JWKS. Locally there
is no pool, so this module keeps a key pair under ``.data/`` (gitignored, never in the
repository) and signs tokens shaped like Cognito's, which the app verifies with the very same
code path (``chalicelib.services.customer_tokens``) through ``local_token_settings()``.

    .data/customer-signing-key.pem   private key, PKCS#8 PEM, mode 0600
    .data/customer-jwks.json         the public key as a JWKS, ``kid`` = RFC 7638 thumbprint

Run ``python -m devtools.local_customer_keys <customer_id> [minutes] [access|id]`` to print
a token.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The app's id rule: minting refuses a customer id the app would refuse.
from chalicelib.services.customer_tokens import CUSTOMER_ID_PATTERN

DATA_DIR = Path(__file__).resolve().parent.parent / ".data"
PRIVATE_KEY_NAME = "customer-signing-key.pem"
JWKS_NAME = "customer-jwks.json"
LOCAL_ISSUER = "http://127.0.0.1/local-user-pool"
LOCAL_APP_CLIENT_ID = "local-app"
_SUB_NAMESPACE = uuid.UUID("5f1d8c4e-3b0a-4c55-9d0e-6f2b7a1c9e42")  # stable local ``sub`` per customer
MAX_MINUTES = 24 * 60  # Cognito's longest token validity; the app refuses longer


@dataclass(frozen=True)
class LocalCustomerKeys:
    """Where the local key pair lives and the key id tokens are signed with."""

    private_key_path: Path
    jwks_path: Path
    kid: str


def ensure_local_customer_keys(data_dir: Path = DATA_DIR) -> LocalCustomerKeys:
    """Create the key pair once; later calls reuse it (and rebuild a missing JWKS from it).

    Idempotent and safe to call on every ``make run``. Refuses any directory but ``.data``.
    """
    data_dir = _checked_data_dir(data_dir)
    private_key_path = data_dir / PRIVATE_KEY_NAME
    private_key = _load_or_create_private_key(private_key_path)
    jwks = _public_jwks(private_key)
    jwks_path = data_dir / JWKS_NAME
    if _read_json(jwks_path) != jwks:
        _write_atomically(jwks_path, json.dumps(jwks, indent=2) + "\n")
    return LocalCustomerKeys(private_key_path, jwks_path, jwks["keys"][0]["kid"])


def mint_customer_token(customer_id: str, minutes: int = 60, token_use: str = "access",
                        data_dir: Path = DATA_DIR) -> str:
    """A Cognito-shaped RS256 token for ``customer_id`` signed with the local key (local stage only)."""
    import jwt

    if not isinstance(customer_id, str) or not CUSTOMER_ID_PATTERN.match(customer_id):
        raise ValueError("customer_id breaks the id rule ^[A-Za-z0-9][A-Za-z0-9._:@+\\-]{0,127}$")
    if token_use not in ("access", "id"):
        raise ValueError("token_use must be 'access' or 'id'")
    if not 1 <= minutes <= MAX_MINUTES:
        raise ValueError(f"minutes must be between 1 and {MAX_MINUTES}")
    keys = ensure_local_customer_keys(data_dir)
    private_key = _load_private_key(keys.private_key_path)
    claims = _cognito_claims(customer_id, minutes, token_use, now=int(time.time()))
    return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": keys.kid})


def local_token_settings(data_dir: Path = DATA_DIR) -> dict[str, str]:
    """The app's environment variables that make it accept tokens from ``mint_customer_token``.

    Creates the key pair if needed, so the JWKS file exists before the app starts.
    """
    keys = ensure_local_customer_keys(data_dir)
    return {
        "LOYALTY_CUSTOMER_JWKS_FILE": str(keys.jwks_path),
        "LOYALTY_CUSTOMER_TOKEN_ISSUER": LOCAL_ISSUER,
        "LOYALTY_CUSTOMER_TOKEN_AUDIENCE": LOCAL_APP_CLIENT_ID,
    }


def _cognito_claims(customer_id: str, minutes: int, token_use: str, now: int) -> dict[str, Any]:
    """The claims Cognito puts in an access or id token, with our ``custom:customer_id``."""
    sub = str(uuid.uuid5(_SUB_NAMESPACE, customer_id))
    claims: dict[str, Any] = {
        "iss": LOCAL_ISSUER, "sub": sub, "token_use": token_use, "custom:customer_id": customer_id,
        "auth_time": now, "iat": now, "exp": now + minutes * 60, "jti": str(uuid.uuid4()),
    }
    if token_use == "access":
        claims.update(client_id=LOCAL_APP_CLIENT_ID, scope="aws.cognito.signin.user.admin", username=sub)
    else:
        claims.update({"aud": LOCAL_APP_CLIENT_ID, "cognito:username": sub})
    return claims


def _checked_data_dir(data_dir: Path) -> Path:
    if data_dir.name != ".data":
        raise ValueError(f"local customer keys live only in a .data/ directory, not {data_dir}")
    data_dir.mkdir(parents=True, exist_ok=True)
    return data_dir


def _load_or_create_private_key(path: Path) -> Any:
    """The private key at ``path``; a new 2048-bit one, written 0600 with O_EXCL, if there is none."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    if path.exists():
        return _load_private_key(path)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return _load_private_key(path)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return key


def _load_private_key(path: Path) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def _public_jwks(private_key: Any) -> dict[str, Any]:
    """The public half as a JWKS whose ``kid`` is the key's RFC 7638 thumbprint (stable)."""
    from jwt.algorithms import RSAAlgorithm

    jwk = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    return {"keys": [{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": jwk["n"], "e": jwk["e"]}]}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def main(argv: list[str]) -> int:
    """``<customer_id> [minutes] [access|id]``: print a local customer token."""
    usage = "usage: python -m devtools.local_customer_keys <customer_id> [minutes] [access|id]"
    if not 1 <= len(argv) <= 3:
        print(usage, file=sys.stderr)
        return 2
    try:
        minutes = int(argv[1]) if len(argv) > 1 else 60
        token = mint_customer_token(argv[0], minutes=minutes, token_use=argv[2] if len(argv) > 2 else "access")
    except ValueError as error:
        print(f"{error}\n{usage}", file=sys.stderr)
        return 2
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
