"""schemathesis against the app: requests generated from chalicelib/api/openapi.json, sent with
valid credentials to every route, never get a 5xx, and every answer matches the document
(status code, content type, headers, body).

The app runs in-process on moto through Chalice's test client (which runs the Bearer
authorizer as API Gateway would); a few lines of WSGI adapter let schemathesis call it.
Generation is derandomized, so a run is repeatable; a failure lists every problem found,
each with a curl command to reproduce it. ``pytest -s`` prints the answers each operation got.
"""
import json
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import NamedTuple, Optional

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from chalicelib.api.openapi import DOCUMENT_PATH

from .helpers import JSON, order_body, post, put

NOW = datetime.now(timezone.utc)
SEED_CUSTOMER, SEED_ORDER, OTHER_CUSTOMER = "c-seed", "o-seed-1", "guest-seed"
SEED_ADDRESS = {"line1": "Unit 4, Acacia Business Park", "city": "Leeds", "postcode": "LS6 1LF", "country": "GB"}
MIN_REQUESTS = 500
CONFORMANCE = [not_a_server_error, status_code_conformance, content_type_conformance,
               response_headers_conformance, response_schema_conformance]
# Examples per operation: generated as the document allows; the same again with the ids of
# the seeded records and repaired money and times (so valid requests reach the success paths);
# and data the document forbids, which must be refused with a 4xx.
# And, for the ledger routes, cursors holding generated positions.
POSITIVE_EXAMPLES, SEEDED_EXAMPLES, NEGATIVE_EXAMPLES, CURSOR_EXAMPLES = 20, 25, 20, 20
# Operations that change what others read run last, in this order.
LAST = ["/v1/admin/customers/{customer_id}/merge", "/v1/admin/customers/{customer_id}/personal-data",
        "/v1/admin/rules"]


class Plan(NamedTuple):
    """One batch of generated requests for an operation."""

    mode: GenerationMode
    examples: int
    checks: list = CONFORMANCE
    repair: bool = False  # make bodies plausible with `repaired`
    fixed: Optional[dict] = None  # as_strategy arguments: path parameters or a body to send as they are
    cursors: bool = False  # send generated ledger positions as ``cursor`` (forged_cursors)


def chalice_wsgi(http):
    """A WSGI application in front of Chalice's test client: the raw path and query string go through
    unchanged, and a response without a Content-Type gets application/json, as API Gateway (and
    ``chalice local``) give it."""

    def application(environ, start_response):
        path = environ.get("REQUEST_URI") or environ["PATH_INFO"]
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        headers = {name[5:].replace("_", "-").title(): value for name, value in environ.items()
                   if name.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        response = http.request(environ["REQUEST_METHOD"], path, headers=headers, body=body)
        answer_headers = {"Content-Type": "application/json", **response.headers}  # API Gateway's default
        start_response(f"{response.status_code} Status", list(answer_headers.items()))
        return [response.body if isinstance(response.body, bytes) else (response.body or "").encode()]

    return application


def seed(client, raw_client):
    """A customer with a profile, orders (one shipped to an address, delivered, partly refunded),
    a note and a goodwill credit; and a guest record to merge."""
    put(client, f"/v1/customers/{SEED_CUSTOMER}", {"email": "seed@example.com", "name": "Seed Customer",
                                                   "country": "GB"})
    for number, days_ago in enumerate((200, 90, 20), start=1):
        placed = (NOW - timedelta(days=days_ago)).isoformat()
        extra = {"shipping_address": SEED_ADDRESS} if number == 1 else {}
        assert post(client, f"/v1/customers/{SEED_CUSTOMER}/orders",
                    order_body(f"o-seed-{number}", placed, **extra)).status_code == 201
    at = (NOW - timedelta(days=195)).isoformat()
    post(client, f"/v1/customers/{SEED_CUSTOMER}/orders/{SEED_ORDER}/events",
         {"event_id": "d-1", "type": "delivered", "at": at})
    post(client, f"/v1/customers/{SEED_CUSTOMER}/orders/{SEED_ORDER}/events",
         {"event_id": "r-1", "type": "refunded", "at": at, "amount": 500})
    post(client, f"/v1/customers/{OTHER_CUSTOMER}/orders",
         order_body("o-guest-1", (NOW - timedelta(days=5)).isoformat()))
    for adjustment in ({"adjustment_id": "n-1", "kind": "note", "text": "seeded"},
                       {"adjustment_id": "g-1", "kind": "goodwill_credit", "amount": 500, "currency": "GBP",
                        "reason": "late parcel"}):
        raw_client.http.post(f"/v1/admin/customers/{SEED_CUSTOMER}/adjustments", headers=JSON,
                             body=json.dumps(adjustment).encode())
    addresses = client.http.get(f"/v1/admin/customers/{SEED_CUSTOMER}").json_body["addresses"]
    return addresses[0]["address_id"]


def repaired(case):
    """Make a generated body plausible where the API checks more than a schema can say: money that
    adds up, a known currency, times in the past, so some generated requests are accepted."""
    body = case.body
    if not isinstance(body, dict):
        return case
    if "currency" in body:
        body["currency"] = "GBP"
    for field in ("placed_at", "at", "created_at"):
        if field in body:
            body[field] = (NOW - timedelta(days=1)).isoformat()
    if body.get("quote_token") is not None:
        body["quote_token"] = None  # a made-up token is refused, rightly
    if "until" in body:
        body["until"] = (NOW + timedelta(days=30)).isoformat()
    lines = body.get("lines")
    if isinstance(lines, list) and all(isinstance(line, dict) for line in lines):
        for line in lines:  # JSON Schema calls 3.0 an integer; the API wants 3
            line.update({name: int(value) for name, value in line.items() if isinstance(value, float)})
        if "total_amount" in body:
            for line in lines:
                line["discount_amount"] = 0
            body["total_amount"] = sum(line.get("quantity", 0) * line.get("unit_amount", 0) for line in lines)
    if body.get("type") in ("returned", "refunded", "chargeback") and "amount" in body:
        body["amount"], body["lines"] = 1, None
    return case


def test_generated_requests_get_no_5xx_and_answers_match_the_document(client, raw_client, storefront_secret,
                                                                      customer_token):
    sent, failures, operations = run_schemathesis(client, raw_client, storefront_secret, customer_token)
    assert not failures, "\n\n".join(f"{label}: {title}\n{report}" for (label, title), report in failures.items())
    assert {label for label, _ in sent} == {operation.label for operation in operations}
    assert len(sent) >= MIN_REQUESTS


def forged_cursors():
    """Cursors in the API's encoding holding any position after ``LEDGER#`` (defect 4 of issue 11:
    DynamoDB refuses a starting key outside the Query's key range, moto does not)."""
    from hypothesis import strategies

    from chalicelib.api.cursors import encode_cursor

    return strategies.text(max_size=12).map(lambda text: encode_cursor("LEDGER#" + text))


def run_schemathesis(client, raw_client, storefront_secret, customer_token,
                     examples=(POSITIVE_EXAMPLES, SEEDED_EXAMPLES, NEGATIVE_EXAMPLES, CURSOR_EXAMPLES)):
    """Seed the table, send every operation its generated requests (``examples``: how many of each
    kind per operation) and return (sent: [(operation, status)], failures by (operation, check),
    the operations). tests/conformance runs it on DynamoDB Local too."""
    positive, seeded, negative, cursors = examples
    started = time.monotonic()
    address_id = seed(client, raw_client)
    schema = schemathesis.openapi.from_path(DOCUMENT_PATH)
    app = chalice_wsgi(raw_client.http)
    storefront = {"Authorization": f"Bearer {storefront_secret}"}
    customer = {"Authorization": f"Bearer {customer_token(SEED_CUSTOMER)}"}
    operator = {"Authorization": "AWS4-HMAC-SHA256 not-checked-locally", "X-Operator": "schemathesis"}
    seeded_ids = {"customer_id": SEED_CUSTOMER, "order_id": SEED_ORDER, "address_id": address_id}

    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda operation: LAST.index(operation.path) + 1 if operation.path in LAST else 0)

    sent = []
    failures = {}

    for operation in operations:
        security = [name for requirement in operation.definition.raw.get("security", []) for name in requirement]
        credentials = {"sigv4": operator, "bearer": customer if operation.path.startswith("/v1/me") else storefront}
        headers = credentials.get(security[0], {}) if security else {}
        fixed_ids = {name: value for name, value in seeded_ids.items() if "{" + name + "}" in operation.path}

        plans = [Plan(GenerationMode.POSITIVE, positive),
                 Plan(GenerationMode.POSITIVE, seeded, repair=True,
                      fixed={"path_parameters": fixed_ids or None}),
                 Plan(GenerationMode.NEGATIVE, negative, CONFORMANCE + [negative_data_rejection])]
        if any(parameter.name == "cursor" for parameter in operation.iter_parameters()):
            plans.append(Plan(GenerationMode.POSITIVE, cursors, fixed={"path_parameters": fixed_ids or None},
                              cursors=True))
        if operation.label == "PUT /v1/admin/rules":  # no generated document validates: send the current one back
            current = raw_client.http.get("/v1/admin/rules").json_body
            plans.append(Plan(GenerationMode.POSITIVE, 1, fixed={"body": current}))
        for plan in plans:
            if plan.mode is GenerationMode.NEGATIVE and not _can_be_negated(operation, headers):
                continue
            if plan.cursors:
                strategy = forged_cursors().flatmap(
                    lambda cursor, operation=operation, plan=plan, headers=headers: operation.as_strategy(
                        generation_mode=plan.mode, headers=headers, query={"cursor": cursor}, **plan.fixed))
            else:
                strategy = operation.as_strategy(generation_mode=plan.mode, headers=headers, **(plan.fixed or {}))

            def exercise(case, plan=plan, headers=headers):
                if plan.repair:
                    repaired(case)
                response = case.call(app=app, headers=headers)
                sent.append((case.operation.label, response.status_code))
                try:
                    case.validate_response(response, checks=plan.checks, headers=headers)
                except FailureGroup as group:
                    for failure in group.exceptions:
                        failures.setdefault((case.operation.label, failure.title), str(group))

            for_each_example(strategy, plan.examples, exercise)

    elapsed = time.monotonic() - started
    answers = Counter(sent)
    print(f"\nschemathesis: {len(sent)} requests in {elapsed:.1f} s")
    for label in sorted({label for label, _ in answers}):
        print(f"  {label}: " + ", ".join(f"{status} x{count}" for (name, status), count in sorted(answers.items())
                                         if name == label))
    return sent, failures, operations


def for_each_example(strategy, examples, exercise):
    """Run ``exercise`` on ``examples`` cases drawn from ``strategy``, the same ones every run."""

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None, print_blob=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case):
        exercise(case)

    run()


def _can_be_negated(operation, fixed_headers):
    """Whether the document forbids anything of this operation that the test does not fix (else negative
    mode has nothing to generate)."""
    fixed = {name.lower() for name in fixed_headers}
    return bool(list(operation.body)) or any(parameter.name.lower() not in fixed
                                             for parameter in operation.iter_parameters())
