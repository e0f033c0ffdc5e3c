"""Secrets of a deployed stage (issue 11, defect 14): read from Secrets Manager by the id the
stage's config names, once per container, never logged; the environment variable still wins
for local runs and tests, without creating a Secrets Manager client."""
import json
import logging

import boto3
import pytest
from moto import mock_aws

from chalicelib import stage_secrets
from chalicelib.domain.errors import ServiceUnavailable

from .helpers import post

SECRET_VALUE = "deployed-signing-key-" + "k" * 40


@pytest.fixture
def fresh(monkeypatch):
    stage_secrets.forget_cached_secrets()
    yield monkeypatch
    stage_secrets.forget_cached_secrets()


def test_the_environment_variable_wins_and_no_client_is_created(fresh):
    fresh.setenv("LOYALTY_QUOTE_SIGNING_KEY_SECRET_ID", "loyalty/test/quote-signing-key")
    fresh.setattr(boto3, "client", lambda *a, **k: pytest.fail("a Secrets Manager client was created"))
    assert stage_secrets.quote_signing_key() == stage_secrets.secret("LOYALTY_QUOTE_SIGNING_KEY")


def test_a_deployed_stage_reads_its_secret_once_and_never_logs_it(client, fresh, caplog, capsys):
    caplog.set_level(logging.INFO)
    with mock_aws():
        boto3.client("secretsmanager").create_secret(Name="loyalty/test/quote-signing-key", SecretString=SECRET_VALUE)
        caplog.clear()
        capsys.readouterr()
        fresh.delenv("LOYALTY_QUOTE_SIGNING_KEY")
        fresh.setenv("LOYALTY_QUOTE_SIGNING_KEY_SECRET_ID", "loyalty/test/quote-signing-key")
        created = []
        real_client = boto3.client
        fresh.setattr(boto3, "client", lambda *a, **k: created.append(a) or real_client(*a, **k))
        body = {"customer_id": "c-1", "currency": "GBP",
                "lines": [{"sku": "A", "category": "c", "quantity": 1, "unit_amount": 100}]}
        tokens = [post(client, "/v1/quotes", body).json_body["quote_token"] for _ in range(3)]
    assert created == [("secretsmanager",)]  # once per container
    import jwt

    assert jwt.decode(tokens[0], SECRET_VALUE, algorithms=["HS256"], issuer="loyalty-api/quotes",
                      options={"verify_exp": False})["qid"]
    logged = caplog.text + capsys.readouterr().out
    assert SECRET_VALUE not in logged


def test_an_unreadable_or_missing_secret_is_a_503_that_names_no_value(client, fresh):
    with mock_aws():
        fresh.delenv("LOYALTY_QUOTE_SIGNING_KEY")
        fresh.setenv("LOYALTY_QUOTE_SIGNING_KEY_SECRET_ID", "loyalty/test/absent")
        body = {"currency": "GBP", "lines": [{"sku": "A", "category": "c", "quantity": 1, "unit_amount": 100}]}
        response = post(client, "/v1/quotes", body)
    assert response.status_code == 503 and response.json_body["error"]["code"] == "service_unavailable"
    assert "loyalty/test/absent" in response.json_body["error"]["message"]
    fresh.delenv("LOYALTY_QUOTE_SIGNING_KEY_SECRET_ID")
    with pytest.raises(ServiceUnavailable):
        stage_secrets.quote_signing_key()


def test_the_hash_key_comes_the_same_way(fresh):
    with mock_aws():
        boto3.client("secretsmanager").create_secret(Name="loyalty/test/hash-key", SecretString="h" * 48)
        fresh.delenv("LOYALTY_HASH_KEY")
        fresh.setenv("LOYALTY_HASH_KEY_SECRET_ID", "loyalty/test/hash-key")
        assert stage_secrets.hash_key() == "h" * 48
    assert json.dumps({"cached": stage_secrets.hash_key()})  # cached: no AWS needed any more
