"""Every JSON response the integration suite produces is checked for the one money shape.

Money in a response is always ``{"amount": <int minor units>, "currency": "<ISO 4217>"}``. The
autouse fixture below wraps Chalice's test client, so every response any test receives (the
schemathesis run included) is walked; a bare integer under an amount-like key fails the test
that received it, naming the route and the place in the body.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterator, List

import pytest

# Keys whose values are sums of money: amount, unit_amount, total, base_total, subtotal, discount,
# net_spend, spend_needed, cost, balance, price, short_by, discount_taken_back, ...
AMOUNT_KEY = re.compile(r"(^|_)(amount|total|subtotal|discount|spend|cost|credit|balance|price)$"
                        r"|^(short_by|discount_taken_back|spend_needed)$")


def is_money(value: Any) -> bool:
    return (isinstance(value, dict) and set(value) == {"amount", "currency"}
            and isinstance(value["amount"], int) and not isinstance(value["amount"], bool)
            and isinstance(value["currency"], str))


# A request body handed back ready to send (a goodwill grant): requests give the currency once
# and plain integer amounts.
REQUEST_BODIES = (".grant_with.body",)


def bare_amounts(body: Any, where: str = "$") -> Iterator[str]:
    """Places in ``body`` where an amount-like key holds a bare integer instead of a Money object."""
    if is_money(body) or where.endswith(REQUEST_BODIES):
        return
    if isinstance(body, dict):
        for key, value in body.items():
            place = f"{where}.{key}"
            if AMOUNT_KEY.search(str(key)) and isinstance(value, int) and not isinstance(value, bool):
                yield place
            else:
                yield from bare_amounts(value, place)
    elif isinstance(body, list):
        for index, value in enumerate(body):
            yield from bare_amounts(value, f"{where}[{index}]")


# Documents, not records: the OpenAPI document's request examples, and the rules document, which
# is read and written whole with its amounts in its own base_currency (docs/rules.md).
DOCUMENT_ROUTES = ("/v1/openapi.json", "/v1/admin/rules")
CHECKED: List[str] = []  # routes whose responses were walked in this process (for the self-test)


@pytest.fixture(autouse=True)
def money_shape_of_every_response(monkeypatch):
    from chalice.test import TestHTTPClient

    request = TestHTTPClient.request

    def checked_request(self, method, path, headers=None, body=b""):
        response = request(self, method, path, headers=headers, body=body)
        content_type = (response.headers or {}).get("Content-Type", "application/json")
        if response.body and "json" in content_type and path.split("?")[0] not in DOCUMENT_ROUTES:
            try:
                decoded = json.loads(response.body)
            except ValueError:
                decoded = None
            bare = list(bare_amounts(decoded))
            assert not bare, f"{method} {path} answered bare integer amounts at {', '.join(bare)}"
            CHECKED.append(f"{method} {path}")
        return response

    monkeypatch.setattr(TestHTTPClient, "request", checked_request)
