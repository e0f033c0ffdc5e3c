"""What ``make run`` prints once the API answers: where things are and curl lines to paste.

The example requests live here, in one place, so they can follow the API as it changes.
"""

from __future__ import annotations

import json
from typing import Any

EXAMPLE_CUSTOMER_ID = "c-123"

EXAMPLE_CUSTOMER: dict[str, Any] = {
    "email": "ada@example.com",
    "name": "Ada Lovelace",
    "country": "GB",
}

EXAMPLE_ORDER: dict[str, Any] = {
    "order_id": "o-1001",
    "placed_at": "2026-11-20T10:15:00Z",
    "currency": "GBP",
    "lines": [
        {"sku": "BOOK-001", "category": "books", "quantity": 2,
         "unit_amount": 1999, "discount_amount": 0},
        {"sku": "MUG-042", "category": "homeware", "quantity": 1,
         "unit_amount": 899, "discount_amount": 100},
    ],
    "total_amount": 4797,
}


def _json(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"))


def curl_examples(base_url: str, api_key: str) -> list[str]:
    """Ready-to-paste curl commands against ``base_url`` (the bodies contain no single quotes)."""
    customer = f"{base_url}/v1/customers/{EXAMPLE_CUSTOMER_ID}"
    auth = f"-H 'Authorization: Bearer {api_key}'"
    json_header = f"{auth} -H 'Content-Type: application/json'"
    return [
        f"curl -sS -X PUT {customer} {json_header} -d '{_json(EXAMPLE_CUSTOMER)}'",
        f"curl -sS -X POST {customer}/orders {json_header} -d '{_json(EXAMPLE_ORDER)}'",
        f"curl -sS {auth} {customer}",
        f"curl -sS {auth} {customer}/ledger",
        f"curl -sS {auth} '{base_url}/v1/customers/runner-ben/ledger?limit=5'",
        f"curl -sS {auth} {base_url}/v1/customers/acacia-systems",
    ]


def ready_banner(credentials: dict[str, Any], credentials_file: str, storage: str) -> str:
    """The multi-line message shown when the API is up."""
    base_url = credentials["base_url"]
    lines = [
        "",
        f"Loyalty API ready on {base_url} (stage {credentials['stage']}, "
        f"backend {credentials['backend']}, table {credentials['table']})",
        f"  database:    {credentials['dynamodb_endpoint']}  ({storage})",
        f"  details:     {credentials_file}",
        f"  health:      curl -sS {base_url}/v1/health",
        "",
        "Try:",
        *(f"  {command}" for command in curl_examples(base_url, credentials["storefront_api_key"])),
        "",
        "Press Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)
