"""The OpenAPI 3.1 document of the API (``openapi.json`` next to this module), served at
``GET /v1/openapi.json``. tests/integration/test_openapi.py keeps it in step with the route
table and chalicelib/api/auth.py; tests/integration/test_schemathesis.py checks the app's
answers against it."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

DOCUMENT_PATH = Path(__file__).with_name("openapi.json")


@lru_cache(maxsize=1)
def openapi_text() -> str:
    """The document as JSON text, read once per container on first use."""
    return DOCUMENT_PATH.read_text(encoding="utf-8")
