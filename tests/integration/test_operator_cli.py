"""The operator CLI over the admin API: readable by default, JSON with --json, signed with
SigV4 for deployed stages and naming the operator locally."""
import contextlib
import io
import json

import pytest
from click.testing import CliRunner

from chalicelib.cli import cli
from chalicelib.operator_client import OperatorClient

from .helpers import order_body, post, put


@pytest.fixture
def operator(raw_client):
    """An OperatorClient for the local stage whose HTTP goes through Chalice's test client."""
    def transport(method, url, headers, data):
        path = url.split("127.0.0.1:8000", 1)[1]
        with contextlib.redirect_stdout(io.StringIO()):  # the API's own log lines are not the CLI's output
            response = raw_client.http.request(method, path, headers=headers, body=data or b"")
        return response.status_code, json.loads(response.body or b"{}")

    client = OperatorClient("http://127.0.0.1:8000", transport=transport)
    return lambda *args: CliRunner().invoke(cli, ["customers", *args], obj=client)


@pytest.fixture
def ben(client):
    put(client, "/v1/customers/ben", {"name": "Ben Harris", "email": "ben@example.com"})
    post(client, "/v1/customers/ben/orders", order_body("b-1"))
    put(client, "/v1/customers/guest-1", {"name": "Guest"})
    post(client, "/v1/customers/guest-1/orders", order_body("g-1"))


def test_show_is_readable_and_json_on_request(operator, ben):
    shown = operator("show", "ben")
    assert shown.exit_code == 0, shown.output
    assert "Ben Harris" in shown.output and "lifetime: 1 orders, £100.00 net" in shown.output
    as_json = json.loads(operator("show", "ben", "--json").stdout)
    assert as_json["customer_id"] == "ben"


def test_find_adjust_merge_and_erase(operator, ben):
    assert "ben  Ben Harris  1 orders" in operator("find", "--email", "BEN@example.com").output
    adjusted = operator("adjust", "ben", "--goodwill", "1000", "--reason", "late parcel")
    assert adjusted.exit_code == 0 and "Goodwill credit of £10.00" in adjusted.output
    assert "(by local:" in adjusted.output
    assert "1 order(s) moved from guest-1 to ben" in operator("merge", "ben", "--from", "guest-1").output
    assert operator("erase", "ben").exit_code == 2  # needs --yes
    assert "personal data erased" in operator("erase", "ben", "--yes").output


def test_errors_are_shown_with_their_fields_and_exit_non_zero(operator, ben):
    result = operator("adjust", "ben", "--tier", "Platinum", "--until", "2099-01-01T00:00:00Z", "--reason", "x")
    assert result.exit_code == 2 and "tier" in result.output
    assert operator("show", "nobody").exit_code == 2


def test_requests_to_a_deployed_stage_are_signed_with_sigv4(monkeypatch):
    seen = {}

    def transport(method, url, headers, data):
        seen.update(headers)
        return 200, {"customers": []}

    client = OperatorClient("https://abc123.execute-api.eu-west-2.amazonaws.com/prod", transport=transport)
    client.call("GET", "/v1/admin/customers?email=a%40b.com")
    assert seen["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=")
    assert "/execute-api/aws4_request" in seen["Authorization"]
    assert "X-Operator" not in seen


def test_requests_are_signed_for_the_region_of_the_api_not_of_the_profile(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    seen = {}
    client = OperatorClient("https://abc123.execute-api.us-east-1.amazonaws.com/prod",
                            transport=lambda method, url, headers, data: (seen.update(headers) or (200, {})))
    client.call("GET", "/v1/admin/customers/ben")
    assert "/us-east-1/execute-api/aws4_request" in seen["Authorization"]


def test_an_unreachable_api_is_an_error_message_not_a_traceback():
    client = OperatorClient("http://127.0.0.1:9")  # nothing listens on the discard port
    result = CliRunner().invoke(cli, ["customers", "show", "ben"], obj=client)
    assert result.exit_code == 3 and "cannot reach" in result.output


def test_credit_is_granted_and_shown_with_who_granted_it(operator, ben):
    granted = operator("credit", "ben", "--grant", "1500", "--reason", "late parcel", "--no-expiry")
    assert granted.exit_code == 0, granted.output
    assert "Store credit of £15.00, never expires: late parcel" in granted.output
    assert "balance now £15.00" in granted.output
    shown = operator("credit", "ben")
    assert "balance £15.00: granted £15.00, spent £0.00" in shown.output
    assert "manual  £15.00  left £15.00  active, no expiry  by local:" in shown.output
    assert json.loads(operator("credit", "ben", "--json").output)["balance"] == {"amount": 1500, "currency": "GBP"}
    refused = operator("credit", "ben", "--grant", "-5", "--reason", "x")
    assert refused.exit_code == 2 and "amount" in refused.output


def test_show_lists_possible_duplicates_with_the_merge_to_run_and_find_takes_any_spelling(operator, client):
    put(client, "/v1/customers/tom", {"name": "Tom", "email": "tom.jones@gmail.com", "phone": "+44 7700 900555"})
    post(client, "/v1/customers/tom/orders", order_body("t-1"))
    post(client, "/v1/customers/tom/orders", order_body("t-2", placed_at="2026-11-02T10:00:00Z"))
    put(client, "/v1/customers/guest-2", {"phone": "07700 900555"})
    shown = operator("show", "guest-2")
    assert shown.exit_code == 0, shown.output
    assert "possible duplicates:\n  tom  2 orders; agree: phone; merge: customers merge tom --from guest-2" in shown.output
    assert "tom  Tom  2 orders" in operator("find", "--email", "Tom.Jones+x@googlemail.com").output
