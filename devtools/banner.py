"""What ``make run`` prints once the API answers: where things are and curl lines to paste.

The example requests live here, in one place, so they can follow the API as it changes.
"""

from __future__ import annotations

import json
from typing import Any

DOCS = ("README.md", "docs/api.md (every route and error)", "docs/local-development.md",
        "docs/operator-cli.md")

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


def story_quotes() -> list[tuple[str, dict[str, Any]]]:
    """The two stories of the README as quote bodies, built from the demo data itself."""
    from devtools.demo import HOME, UNIT_4, UNIT_5

    return [
        ("runner-ben, two dozen pairs of running shoes, at home: his tier and why other offers did not apply", {
            "customer_id": "runner-ben", "currency": "GBP", "promo_codes": ["RUNCLUB10"],
            "lines": [{"sku": "RUN-GHOST-16", "category": "running-shoes", "quantity": 1, "unit_amount": 13999}],
            "shipping_address": dict(HOME)}),
        ("acacia-systems moved next door: shipping to Unit 5 while PayPal still confirms Unit 4", {
            "customer_id": "acacia-systems", "currency": "GBP",
            "lines": [{"sku": "HDD-EXOS-16TB", "category": "storage", "quantity": 2, "unit_amount": 32999}],
            "shipping_address": dict(UNIT_5),
            "payment": {"method": "paypal", "confirmed_address": dict(UNIT_4)}}),
    ]


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


def story_curls(base_url: str, api_key: str) -> list[str]:
    """The two story quotes as commented, ready-to-paste curl commands."""
    header = f"-H 'Authorization: Bearer {api_key}' -H 'Content-Type: application/json'"
    lines = []
    for title, body in story_quotes():
        lines += [f"# {title}", f"curl -sS -X POST {base_url}/v1/quotes {header} -d '{_json(body)}'"]
    return lines


def ready_banner(credentials: dict[str, Any], credentials_file: str, storage: str,
                 cautions: tuple[str, ...] = ()) -> str:
    """The multi-line message shown when the API is up."""
    base_url = credentials["base_url"]
    api_key = credentials["storefront_api_key"]
    lines = [
        "",
        f"Loyalty API ready on {base_url} (stage {credentials['stage']}, "
        f"backend {credentials['backend']}, table {credentials['table']})",
        f"  database:    {credentials['dynamodb_endpoint']}  ({storage})",
        *(f"               {caution}" for caution in cautions),
        f"  API key:     {credentials.get('storefront_key_id', '?')} (\"local storefront\", every scope, "
        f"{credentials['backend']}'s own; "
        f"{'new on each start: moto keeps nothing' if credentials['backend'] == 'moto' else 'kept across restarts'})",
        f"  details:     {credentials_file} (the CLI reads it: .venv/bin/python -m chalicelib.cli keys list)",
        f"  docs:        {', '.join(DOCS)}; {base_url}/v1/openapi.json",
        f"  health:      curl -sS {base_url}/v1/health",
        "",
        "The two stories (paste them):",
        *(f"  {line}" for line in story_curls(base_url, api_key)),
        "",
        "More:",
        *(f"  {command}" for command in curl_examples(base_url, api_key)),
        "",
        "Press Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)
