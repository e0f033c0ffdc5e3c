"""The story examples in README.md and docs/api.md, produced by the product itself.

    python -m devtools.docs_examples           # rewrite the blocks from today's answers
    python -m devtools.docs_examples --check   # exit 1 naming each block that differs

Each example sits between ``<!-- example: NAME -->`` and ``<!-- /example -->``: the request
(a curl line for the README, JSON for the API reference) and the answer of the HTTP app, on
a moto table seeded with the demo data for today (devtools/demo.py). Ids, tokens and times
change on every run, so they are compared as their shape, not their value
(:func:`comparable`); everything else must be what the product answers.
tests/integration/test_docs_examples.py fails when a document and the product disagree.
"""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parent.parent
DOCUMENTS = ("README.md", "docs/api.md")
BLOCK = re.compile(r"(<!-- example: (?P<name>[a-z0-9-]+) -->\n)(?P<body>.*?)(<!-- /example -->)", re.S)

BEN_QUOTE = {"customer_id": "runner-ben", "currency": "GBP", "promo_codes": ["RUNCLUB10"],
             "lines": [{"sku": "RUN-GHOST-16", "category": "running-shoes", "quantity": 1, "unit_amount": 13999}],
             "shipping_address": {"line1": "27 Meadow Lane", "city": "Harrogate", "postcode": "HG1 2AB",
                                  "country": "GB"}}
ACACIA_QUOTE = {"customer_id": "acacia-systems", "currency": "GBP",
                "lines": [{"sku": "HDD-EXOS-16TB", "category": "storage", "quantity": 2, "unit_amount": 32999}],
                "shipping_address": {"line1": "Unit 5, Acacia Business Park", "city": "Leeds",
                                     "postcode": "LS6 1LF", "country": "GB"},
                "payment": {"method": "paypal",
                            "confirmed_address": {"line1": "Unit 4, Acacia Business Park", "city": "Leeds",
                                                  "postcode": "LS6 1LF", "country": "GB"}}}

# name -> (method, path, body, what of the answer to show, how to show the request)
EXAMPLES: Dict[str, Tuple[str, str, Optional[dict], Callable[[dict], dict], str]] = {
    "readme-ben-quote": ("POST", "/v1/quotes", BEN_QUOTE, lambda a: _pick(a, "customer", "discounts", "not_applied",
                                                                           "totals", "address_trust"), "curl"),
    "readme-acacia-quote": ("POST", "/v1/quotes", ACACIA_QUOTE, lambda a: {"address_trust": a["address_trust"]},
                            "curl"),
    "api-ben-customer": ("GET", "/v1/customers/runner-ben", None, lambda a: a, "none"),
    "api-ben-quote": ("POST", "/v1/quotes", BEN_QUOTE, lambda a: a, "json"),
    "api-acacia-address-trust": ("POST", "/v1/quotes", ACACIA_QUOTE, lambda a: a["address_trust"], "none"),
}

_VOLATILE = [
    (re.compile(r'"quote_token": "[^"]*"'), '"quote_token": "<token>"'),
    (re.compile(r'"quote_id": "q-[0-9a-f]*"'), '"quote_id": "q-<id>"'),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"), "<time>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "<date>"),
    (re.compile(r"\d{4}-\d{2}"), "<month>"),
    (re.compile(r"\b\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December)"
                r" \d{4}\b"), "<day>"),
    (re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December) \d{4}\b"),
     "<month>"),
    (re.compile(r"\b(19|20)\d{2}\b"), "<year>"),
    (re.compile(r'"version": \d+'), '"version": <n>'),
    (re.compile(r'"rules_version": \d+'), '"rules_version": <n>'),
]


def _pick(answer: dict, *keys: str) -> dict:
    return {key: answer[key] for key in keys}


def comparable(text: str) -> str:
    """``text`` with what changes from run to run (ids, tokens, times, dates) replaced by its kind."""
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def _json(value: object) -> str:
    """One top-level key per line, each value compact: short enough to read, exact to compare."""
    if not isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    items = [f"{json.dumps(key)}: {json.dumps(item, ensure_ascii=False)}" for key, item in value.items()]
    return "{" + ",\n ".join(items) + "}"


def _curl(method: str, path: str, body: Optional[dict]) -> str:
    data = f" -H 'Content-Type: application/json' \\\n  -d '{json.dumps(body, ensure_ascii=False)}'" if body else ""
    return f'curl -sS -H "$AUTH" -X {method} http://127.0.0.1:8000{path}{data}'


def _block(name: str, answer: dict) -> str:
    method, path, body, shown, request = EXAMPLES[name]
    parts = []
    if request == "curl":
        parts.append(f"```sh\n{_curl(method, path, body)}\n```\n\nprints (abridged to the story's fields):\n")
    elif request == "json":
        parts.append(f"```json\n{_json(body)}\n```\n\nAnswer (200):\n")
    text = comparable_ids(_json(shown(answer)))
    parts.append(f"```json\n{text}\n```\n")
    return "\n".join(parts)


def comparable_ids(text: str) -> str:
    """Tokens are long and change on every run: the document shows their shape."""
    return _VOLATILE[0][0].sub(_VOLATILE[0][1], text)


def answers() -> Dict[str, dict]:
    """Each example's answer from the HTTP app, on a moto table seeded with today's demo."""
    for name, value in dict(AWS_ACCESS_KEY_ID="docs", AWS_SECRET_ACCESS_KEY="docs", AWS_SESSION_TOKEN="docs",
                            AWS_DEFAULT_REGION="eu-west-2", LOYALTY_TABLE="loyalty-docs", LOYALTY_STAGE="test",
                            LOYALTY_BACKEND="moto", LOYALTY_IMPORT_WORKERS="1", LOYALTY_RULES_CACHE_SECONDS="0",
                            LOYALTY_QUOTE_SIGNING_KEY="docs-examples-only-signing-key-not-a-secret",
                            LOYALTY_HASH_KEY="docs-examples-only-hash-key-not-a-secret-000").items():
        os.environ.setdefault(name, value)
    os.environ.pop("DYNAMODB_ENDPOINT", None)
    from chalice.test import Client
    from moto import mock_aws

    from app import app
    from chalicelib.config import settings
    from chalicelib.services.api_keys import SCOPES, create_key
    from chalicelib.services.rules import forget_cached_rules
    from chalicelib.store import models
    from chalicelib.store.table import create_table
    from devtools.demo import seed_demo

    results: Dict[str, dict] = {}
    with mock_aws():
        settings.cache_clear()
        forget_cached_rules()
        models.configure(settings().table_name, settings().region, None)
        create_table()
        secret = create_key("docs examples", "docs", SCOPES)[1]
        list(seed_demo(data_dir=None))
        with Client(app, stage_name="test") as client:
            for name, (method, path, body, _, _) in EXAMPLES.items():
                headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
                response = client.http.request(method, path, headers=headers,
                                               body=json.dumps(body).encode() if body else b"")
                if response.status_code != 200:
                    raise RuntimeError(f"{name}: {method} {path} answered {response.status_code}: {response.body!r}")
                results[name] = json.loads(response.body)
        forget_cached_rules()
    return results


def rendered(text: str, found: Dict[str, dict]) -> str:
    """``text`` with each example block replaced by the product's answer."""
    return BLOCK.sub(lambda m: m.group(1) + _block(m.group("name"), found[m.group("name")]) + m.group(4), text)


def differences(found: Optional[Dict[str, dict]] = None) -> List[str]:
    """``document: example`` for each block whose text differs from the product's answer (ids and times aside)."""
    found = found if found is not None else answers()
    stale = []
    for document in DOCUMENTS:
        text = (REPO / document).read_text(encoding="utf-8")
        names = [m.group("name") for m in BLOCK.finditer(text)]
        for name in set(EXAMPLES) - set(names) if document == DOCUMENTS[-1] else ():
            if not any(name in (REPO / d).read_text(encoding="utf-8") for d in DOCUMENTS):
                stale.append(f"{name}: in no document")
        for match in BLOCK.finditer(text):
            want = comparable(_block(match.group("name"), found[match.group("name")]))
            if comparable(match.group("body")) != want:
                stale.append(f"{document}: {match.group('name')}")
    return stale


def main(argv: List[str]) -> int:
    found = answers()
    if "--check" in argv:
        stale = differences(found)
        for line in stale:
            print(f"differs from the product: {line}")
        return 1 if stale else 0
    for document in DOCUMENTS:
        path = REPO / document
        path.write_text(rendered(path.read_text(encoding="utf-8"), found), encoding="utf-8")
    print(f"rewrote {len(EXAMPLES)} examples in {', '.join(DOCUMENTS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
