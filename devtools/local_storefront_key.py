"""The local storefront key ``make run`` hands out: one per backend, kept, never multiplied.

``make run`` passes the secret it saved for this backend (in ``.data/local-credentials.json``)
on standard input. If it still works it is kept; otherwise a new key with every scope is made.
Either way every other active "local storefront" key in this database is revoked, so switching
``DB=`` or wiping the credentials file never leaves old local keys working. Prints JSON:
``{"key_id", "secret", "created", "revoked": [key ids]}``.

    echo "$SECRET" | python -m devtools.local_storefront_key   # with the local stage's environment
"""
from __future__ import annotations

import json
import sys
from typing import Any, Optional

LOCAL_KEY_NAME = "local storefront"
LOCAL_CHANNEL = "local"


def ensure_local_key(previous_secret: Optional[str]) -> dict[str, Any]:
    from chalicelib.services.api_keys import SCOPES, create_key, list_keys, revoke_key, verify_key

    key = verify_key(previous_secret) if previous_secret else None
    secret, created = previous_secret, False
    if key is None or key.name != LOCAL_KEY_NAME or set(key.scopes) != set(SCOPES):
        key, secret = create_key(LOCAL_KEY_NAME, LOCAL_CHANNEL, list(SCOPES), created_by="local:make run")
        created = True
    revoked = []
    for other in list_keys():
        if (other.name == LOCAL_KEY_NAME and other.channel == LOCAL_CHANNEL and other.revoked_at is None
                and other.key_id != key.key_id):
            revoke_key(other.key_id)
            revoked.append(other.key_id)
    return {"key_id": key.key_id, "secret": secret, "created": created, "revoked": revoked}


def main() -> int:
    previous = sys.stdin.readline().strip() or None
    print(json.dumps(ensure_local_key(previous)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
