"""Structured logs and business metrics: every request ends with one JSON log line carrying
the API Gateway request id as correlation id and a hash of the customer id (never the id),
and the figures on the dashboard are written in CloudWatch's embedded metric format with
exactly the names and dimensions infra/resources.json reads."""
import json

import pytest

from chalicelib.observability import customer_ref

from .helpers import post
from .test_quotes_api import cart, get_quote, give_history, order_from_quote

ADDRESS = {"line1": "1 New Street", "city": "Leeds", "postcode": "LS1 4AB", "country": "GB"}


def emitted(capsys):
    """The JSON documents written to stdout since the last call: (log lines, EMF documents)."""
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return ([d for d in documents if "_aws" not in d and d.get("service") == "loyalty-api"],
            [d for d in documents if "_aws" in d])


def metric_values(documents, name, **dimensions):
    values = []
    for document in documents:
        directive = document["_aws"]["CloudWatchMetrics"][0]
        names = [metric["Name"] for metric in directive["Metrics"]]
        if name in names and all(document.get(key) == value for key, value in dimensions.items()):
            assert directive["Namespace"] == "LoyaltyAPI"
            assert set(directive["Dimensions"][0]) >= {"service", "stage", *dimensions}
            assert document["service"] == "loyalty-api" and document["stage"]
            value = document[name]
            values.append(sum(value) if isinstance(value, list) else value)
    return values


def test_a_quote_writes_one_request_line_and_its_metrics(client, capsys):
    give_history(client, "regular", orders=10)
    emitted(capsys)
    get_quote(client, {**cart(customer_id="regular"), "shipping_address": ADDRESS})
    logs, metrics = emitted(capsys)
    [line] = [log for log in logs if log["message"] == "request"]
    assert line["route"] == "POST /v1/quotes" and line["status"] == 200
    assert line["customer"] == customer_ref("regular") and "regular" not in json.dumps(line)
    assert line["correlation_id"] and line["duration_ms"] >= 0
    assert line["tier"] == "Gold" and line["discount_total"] > 0
    assert line["address_decision"] in ("ship", "verify", "review")
    assert metric_values(metrics, "QuotesCreated") == [1]
    assert metric_values(metrics, "AddressDecisions", outcome=line["address_decision"]) == [1]


def test_an_order_counts_a_commit_and_its_discount_by_kind_and_a_replay_counts_nothing(client, capsys):
    give_history(client, "regular", orders=10)
    quote = get_quote(client, cart(customer_id="regular"))
    body = order_from_quote(quote)
    emitted(capsys)
    assert post(client, "/v1/customers/regular/orders", body).status_code == 201
    _, metrics = emitted(capsys)
    assert metric_values(metrics, "OrdersCommitted") == [1]
    tier = next(d for d in quote["discounts"] if d["kind"] == "tier")["amount"]["amount"]
    assert metric_values(metrics, "DiscountGranted", kind="tier") == [tier]
    assert metric_values(metrics, "DiscountGranted", kind="promotion") == []

    assert post(client, "/v1/customers/regular/orders", body).status_code == 200
    _, metrics = emitted(capsys)
    assert metric_values(metrics, "OrdersCommitted") == []


@pytest.mark.parametrize("body, code", [("{not json", "invalid_input"), ({"lines": []}, "invalid_input")])
def test_a_refused_request_logs_its_error_code(client, capsys, body, code):
    emitted(capsys)
    response = post(client, "/v1/customers/c-9/orders", body)
    assert response.status_code == 400
    assert response.json_body["error"]["code"] == code
    logs, metrics = emitted(capsys)
    [line] = [log for log in logs if log["message"] == "request"]
    assert line["status"] == 400 and line["error_code"] == code
    assert line["route"] == "POST /v1/customers/{customer_id}/orders" and line["customer"] == customer_ref("c-9")
    assert metrics == []
