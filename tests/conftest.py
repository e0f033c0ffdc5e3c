"""Shared test setup: dummy AWS settings (never real credentials) and a moto-backed table."""
import os

TEST_ENVIRONMENT = dict(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="eu-west-2",
    LOYALTY_TABLE="loyalty-test",
    LOYALTY_STAGE="test",
    LOYALTY_BACKEND="moto",
    LOYALTY_RETRY_BUDGET_SECONDS="10",
    LOYALTY_IMPORT_WORKERS="1",
    LOYALTY_RULES_CACHE_SECONDS="0",  # each test has its own table, so its own rules  # moto is not thread-safe; parallel import is proven on DynamoDB Local
    LOYALTY_QUOTE_SIGNING_KEY="test-only-signing-key-" + os.urandom(16).hex(),
    LOYALTY_HASH_KEY="test-only-hash-key-" + os.urandom(16).hex(),
)
os.environ.update(TEST_ENVIRONMENT)
os.environ.pop("DYNAMODB_ENDPOINT", None)

import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402


@pytest.fixture
def table():
    """A fresh, empty table in moto for one test."""
    from chalicelib.store import models
    from chalicelib.store.table import create_table

    with mock_aws():
        models.configure("loyalty-test", "eu-west-2", None)
        create_table()
        yield models.TableItem.Meta.table_name


@pytest.fixture
def raw_client(table, monkeypatch):
    """Chalice's test client on the app, backed by the moto table, sending no credentials.

    The client applies a stage's environment variables from .chalice/config.json; the
    test settings are put back on top so no deployed stage's table name leaks in. Errors API
    Gateway answers itself come in the API's error shape, as deployed and under `make run`.
    """
    from chalice.test import Client, HTTPResponse, TestHTTPClient

    from app import app
    from chalicelib.config import settings
    from devtools.local_api import shaped_gateway_error

    def gateway_error(self, error):  # API Gateway's own answers as deployed and as `make run` gives them
        status, headers, body = shaped_gateway_error(error)
        return HTTPResponse(headers=headers, body=body, status_code=status)

    monkeypatch.setattr(TestHTTPClient, "_error_response", gateway_error)
    with Client(app, stage_name="test") as test_client:
        os.environ.update(TEST_ENVIRONMENT)
        settings.cache_clear()
        yield test_client
    settings.cache_clear()


class _AuthorizedHttp:
    """The test client's ``http`` sending a storefront key unless a test sets its own header."""

    def __init__(self, http, secret):
        self._http, self._secret = http, secret

    def request(self, method, path, headers=None, body=b""):
        headers = {"Authorization": f"Bearer {self._secret}", **(headers or {})}
        return self._http.request(method, path, headers=headers, body=body)

    def __getattr__(self, method):
        return lambda path, **kwargs: self.request(method.upper(), path, **kwargs)


class _AuthorizedClient:
    def __init__(self, client, secret):
        self.http = _AuthorizedHttp(client.http, secret)
        self.lambda_, self.events = client.lambda_, client.events


@pytest.fixture
def storefront_secret(table):
    from chalicelib.services.api_keys import SCOPES, create_key

    return create_key("test web shop", "web-shop", SCOPES)[1]


@pytest.fixture
def client(raw_client, storefront_secret):
    """The test client acting as a storefront with a key holding every scope."""
    return _AuthorizedClient(raw_client, storefront_secret)


@pytest.fixture
def with_settings(monkeypatch):
    """Change settings for one test: ``with_settings(LOYALTY_RETRY_BUDGET_SECONDS="0.3")``."""
    from chalicelib.config import settings

    def apply(**variables):
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        settings.cache_clear()

    yield apply
    monkeypatch.undo()
    settings.cache_clear()


@pytest.fixture
def customer_token(tmp_path, monkeypatch):
    """Mint customers' app tokens signed by a local key pair (as the local stage does):
    ``customer_token("c-1")``, ``customer_token("c-1", minutes=-5)`` for an expired one."""
    from chalicelib.services.customer_tokens import reset_customer_token_verifier
    from devtools.local_customer_keys import local_token_settings, mint_customer_token

    data_dir = tmp_path / ".data"
    for name, value in local_token_settings(data_dir=data_dir).items():
        monkeypatch.setenv(name, value)
    reset_customer_token_verifier()

    def mint(customer_id, minutes=60):
        if minutes > 0:
            return mint_customer_token(customer_id, minutes=minutes, data_dir=data_dir)
        # An already expired token: the same claims, issued an hour ago, expired `minutes` ago.
        import time

        import jwt

        from devtools import local_customer_keys as local

        keys = local.ensure_local_customer_keys(data_dir)
        issued = int(time.time()) - 3600
        claims = local._cognito_claims(customer_id, 60 + minutes, "access", now=issued)
        return jwt.encode(claims, local._load_private_key(keys.private_key_path), algorithm="RS256",
                          headers={"kid": keys.kid})

    yield mint
    reset_customer_token_verifier()
