"""Conformance tests run against AWS's DynamoDB Local, the closest local twin of DynamoDB.

``dynamodb_local_endpoint`` starts one in-memory DynamoDB Local for the whole session on a
free loopback port and stops it at the end. Without java or npm the tests are skipped with
the reason, except under CI (env ``CI`` set), where a missing database is a failure: a CI
run that silently skipped its conformance tests would prove nothing.

Every test in this directory is marked ``conformance`` and put in one pytest-xdist group, so
under ``make test`` (``-n 2 --dist loadgroup``) a single worker runs them all and only one
DynamoDB Local (one JVM) starts, while the other worker runs the moto-based tests.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, NoReturn

import pytest

from devtools import localdb

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests under this directory (the hook sees every collected item)."""
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.conformance)
            item.add_marker(pytest.mark.xdist_group("dynamodb-local"))


def _running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(reason: str) -> NoReturn:
    message = f"DynamoDB Local unavailable: {reason}"
    if _running_in_ci():
        pytest.fail(f"{message} (CI is set, so this fails instead of skipping; "
                    "install java and npm)", pytrace=False)
    pytest.skip(f"{message} (install java and npm to run conformance tests)")


@pytest.fixture(scope="session")
def dynamodb_local_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a DynamoDB Local (in memory, ``-sharedDb``) shared by the test session.

    Use unique table names per test: the database lives as long as the session.
    Connect with dummy credentials (``localdb.dynamodb_client(endpoint)`` does).
    """
    unavailable_reason = None
    try:
        localdb.install_dynamodb_local()
    except localdb.LocalDatabaseUnavailable as exc:
        unavailable_reason = str(exc)
    if unavailable_reason is not None:  # outside `except`: no chained traceback in the report
        _unavailable(unavailable_reason)
    log_path = tmp_path_factory.mktemp("dynamodb-local") / "dynamodb-local.log"
    server = localdb.start_dynamodb_local(
        localdb.free_loopback_port(), db_path=None, log_path=log_path)
    try:
        yield server.endpoint
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def patient_with_a_loaded_machine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """These tests prove DynamoDB's semantics, not its latency. On a two-core machine whose other
    worker runs the rest of the suite, DynamoDB Local can take longer than the request path's
    4 s read timeout, and ten writers contending for one partition longer than the tests' 10 s
    retry budget (both seen at load 10): give both room so a slow machine is not a red suite."""
    from chalicelib.config import settings
    from chalicelib.store import models
    from tests.conftest import TEST_ENVIRONMENT

    monkeypatch.setattr(models.TableItem.Meta, "read_timeout_seconds", 30)
    monkeypatch.setitem(TEST_ENVIRONMENT, "LOYALTY_RETRY_BUDGET_SECONDS", "30")
    monkeypatch.setenv("LOYALTY_RETRY_BUDGET_SECONDS", "30")
    models.TableItem._connection = None  # the next request builds a client with the longer timeout
    settings.cache_clear()
    yield
    models.TableItem._connection = None
    settings.cache_clear()


@pytest.fixture
def local_app(dynamodb_local_endpoint: str) -> Iterator[object]:
    """The app on a fresh table in DynamoDB Local, through Chalice's test client (which runs the
    Bearer authorizer as API Gateway would), sending no credentials: what moto lets through and
    DynamoDB refuses shows up here. The models point back at moto's defaults afterwards."""
    import uuid

    from chalice.test import Client

    from app import app
    from chalicelib.config import settings
    from chalicelib.services.rules import forget_cached_rules
    from chalicelib.store import models
    from chalicelib.store.table import create_table
    from tests.conftest import TEST_ENVIRONMENT

    models.configure(f"loyalty-conformance-{uuid.uuid4().hex[:8]}", "eu-west-2", dynamodb_local_endpoint)
    create_table()
    forget_cached_rules()
    try:
        with Client(app, stage_name="test") as client:
            os.environ.update(TEST_ENVIRONMENT)  # the stage's variables must not point elsewhere
            settings.cache_clear()
            yield client
    finally:
        settings.cache_clear()
        models.TableItem.delete_table()
        models.configure("loyalty-test", "eu-west-2", None)
        forget_cached_rules()


@pytest.fixture
def local_storefront_secret(local_app: object) -> str:
    """A storefront key with every scope, in the DynamoDB Local table of ``local_app``."""
    from chalicelib.services.api_keys import SCOPES, create_key

    return create_key("conformance web shop", "web-shop", SCOPES)[1]
