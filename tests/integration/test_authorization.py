"""Who gets in where, for every route of the app (the table is generated from app.routes:
a new route without a rule here fails the test)."""
import json

import pytest
from chalice import IAMAuthorizer

from app import app, bearer
from chalicelib.api.auth import ADMIN_PREFIX, CUSTOMER_ROUTES, OPEN_ROUTES, ROUTE_SCOPES
from chalicelib.services.api_keys import create_key, list_keys, revoke_key

ROUTES = sorted((path, method) for path, methods in app.routes.items() for method in methods)
SAMPLE_BODIES = {"/v1/quotes": {"currency": "GBP", "lines": [{"sku": "A", "quantity": 1, "unit_amount": 100}]}}


def concrete(path):
    return (path.replace("{customer_id}", "c-1").replace("{order_id}", "o-1")
            .replace("{address_id}", "0123456789abcdef"))


def call(raw_client, path, method, token=None):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = token
    body = json.dumps(SAMPLE_BODIES.get(path, {}))
    return raw_client.http.request(method, concrete(path), headers=headers, body=body.encode())


def test_every_route_has_exactly_one_access_rule():
    for path, method in ROUTES:
        rules = [(path, method) in OPEN_ROUTES, (path, method) in ROUTE_SCOPES, (path, method) in CUSTOMER_ROUTES,
                 path.startswith(ADMIN_PREFIX)]
        assert sum(rules) == 1, f"{method} {path} needs exactly one access rule in chalicelib/api/auth.py"


@pytest.mark.parametrize("path, method", ROUTES)
def test_each_route_is_wired_to_its_authorizer(path, method):
    authorizer = app.routes[path][method].authorizer
    if (path, method) in OPEN_ROUTES:
        assert authorizer is None
    elif path.startswith(ADMIN_PREFIX):
        assert isinstance(authorizer, IAMAuthorizer)
    elif (path, method) in CUSTOMER_ROUTES:
        assert authorizer is bearer
    else:
        assert authorizer is bearer


STOREFRONT_ROUTES = sorted(ROUTE_SCOPES)


@pytest.mark.parametrize("path, method", STOREFRONT_ROUTES)
def test_storefront_routes_refuse_customer_tokens(raw_client, customer_token, path, method):
    assert call(raw_client, path, method, f"Bearer {customer_token('c-1')}").status_code == 403


@pytest.mark.parametrize("path, method", sorted(CUSTOMER_ROUTES))
def test_customer_routes_take_only_a_valid_customer_token(raw_client, customer_token, path, method):
    _, key = create_key("web shop", "web-shop", ["quotes", "orders", "customers"])
    assert call(raw_client, path, method).status_code == 401
    assert call(raw_client, path, method, f"Bearer {key}").status_code == 403
    assert call(raw_client, path, method, f"Bearer {customer_token('c-1', minutes=-5)}").status_code == 403
    assert call(raw_client, path, method, "Bearer a.b.c").status_code == 403
    tampered = customer_token("c-1")[:-6] + "AAAAAA"
    assert call(raw_client, path, method, f"Bearer {tampered}").status_code == 403
    assert call(raw_client, path, method, f"Bearer {customer_token('c-1')}").status_code not in (401, 403)


@pytest.mark.parametrize("path, method", STOREFRONT_ROUTES)
def test_storefront_routes_refuse_missing_malformed_revoked_and_unscoped_keys(raw_client, path, method):
    needed = ROUTE_SCOPES[(path, method)]
    _, good = create_key("web shop", "web-shop", [needed])
    _, other = create_key("point of sale", "pos", [scope for scope in ("quotes", "orders", "customers")
                                                  if scope != needed])
    revoked_key, revoked = create_key("old", "web-shop", [needed])
    revoke_key(revoked_key.key_id)
    assert call(raw_client, path, method).status_code == 401
    assert call(raw_client, path, method, "Bearer not-a-key").status_code == 403
    assert call(raw_client, path, method, f"Basic {good}").status_code == 403
    assert call(raw_client, path, method, f"Bearer {good[:-1]}x").status_code == 403
    assert call(raw_client, path, method, f"Bearer {revoked}").status_code == 403
    assert call(raw_client, path, method, f"Bearer {other}").status_code == 403
    assert call(raw_client, path, method, f"Bearer {good}").status_code not in (401, 403)


@pytest.mark.parametrize("path, method", sorted(OPEN_ROUTES))
def test_open_routes_need_no_credentials(raw_client, path, method):
    assert call(raw_client, path, method).status_code == 200


def test_keys_are_stored_only_as_hashes_and_listed_without_secrets(table):
    import boto3

    key, secret = create_key("marketplace", "marketplace", ["quotes"])
    dump = json.dumps(boto3.client("dynamodb").scan(TableName=table)["Items"])
    assert secret not in dump and secret[:-4] not in dump
    listed = [k.to_json() for k in list_keys()]
    assert listed == [key.to_json()] and "secret" not in json.dumps(listed)
    assert listed[0]["last4"] == secret[-4:]


@pytest.mark.parametrize("name, channel, scopes", [("", "web", ["quotes"]), ("x", "Web Shop", ["quotes"]),
                                                   ("x", "web", []), ("x", "web", ["admin"])])
def test_bad_key_requests_are_refused(table, name, channel, scopes):
    from chalicelib.domain.errors import InvalidInput

    with pytest.raises(InvalidInput):
        create_key(name, channel, scopes)


def test_operators_create_list_check_and_revoke_keys_with_the_cli(table):
    from click.testing import CliRunner

    from chalicelib.cli import cli

    runner = CliRunner()
    created = runner.invoke(cli, ["keys", "create", "--name", "web shop", "--channel", "web-shop",
                                  "--scope", "quotes", "--scope", "orders", "--json"])
    assert created.exit_code == 0, created.output
    key = json.loads(created.stdout)
    assert key["secret"].startswith("lk_web-shop_") and key["scopes"] == ["quotes", "orders"]
    assert runner.invoke(cli, ["keys", "check"], input=key["secret"] + "\n").exit_code == 0
    listed = runner.invoke(cli, ["keys", "list"])
    assert key["key_id"] in listed.output and key["secret"] not in listed.output
    assert runner.invoke(cli, ["keys", "revoke", key["key_id"]]).exit_code == 0
    assert runner.invoke(cli, ["keys", "check"], input=key["secret"] + "\n").exit_code == 1
    bad = runner.invoke(cli, ["keys", "create", "--name", "x", "--channel", "Web Shop", "--scope", "quotes"])
    assert bad.exit_code == 2 and "channel" in bad.output


def test_a_rejected_key_gets_an_explicit_deny_on_every_route_of_the_stage():
    from chalicelib.api.auth import deny_everything

    policy = deny_everything("arn:aws:execute-api:eu-west-2:123456789012:abc123/prod/POST/v1/quotes")
    statement = policy["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Deny"
    assert statement["Resource"] == ["arn:aws:execute-api:eu-west-2:123456789012:abc123/prod/*"]


def test_a_key_store_failure_is_an_error_not_a_cached_deny(table, monkeypatch):
    from chalicelib.api import auth
    from chalicelib.store import api_keys as key_store

    def unavailable(secret_hash):
        raise RuntimeError("DynamoDB unavailable")

    monkeypatch.setattr(key_store, "find_key", unavailable)
    _, secret = create_key("web shop", "web-shop", ["quotes"])
    with pytest.raises(RuntimeError):
        auth.bearer_policy(f"Bearer {secret}", "arn:aws:execute-api:eu-west-2:1:abc/test/POST/v1/quotes")


def test_admin_changes_record_who_made_them(client, raw_client):
    import boto3

    response = raw_client.http.put("/v1/admin/rules", headers={"Content-Type": "application/json",
                                                                 "X-Operator": "dana"},
                                   body=json.dumps(client.http.get("/v1/admin/rules").json_body).encode())
    assert response.status_code == 200
    items = boto3.client("dynamodb").scan(TableName="loyalty-test")["Items"]
    versions = [item for item in items if item["item_type"]["S"] == "rules"]
    assert {item["created_by"]["S"] for item in versions} == {"local:dana"}


def test_operator_identity_prefers_the_iam_caller():
    from chalicelib.api.auth import operator_identity

    context = {"identity": {"userArn": "arn:aws:iam::123456789012:user/dana"}}
    assert operator_identity(context, {"x-operator": "mallory"}, "prod") == "arn:aws:iam::123456789012:user/dana"
    assert operator_identity({}, {"x-operator": "mallory"}, "prod") == "unknown"
    assert operator_identity({}, {"x-operator": "dana"}, "local") == "local:dana"
