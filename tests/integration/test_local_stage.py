"""The local stage as a new user meets it: a moto server and the API served as `make run` serves
it (``devtools.local_api``, over real HTTP on free ports), a ``.data/local-credentials.json``
pointing at them, and no environment variables.

- every CLI command finds the local table through that file and names it on its first line;
  without it (and without ``--stage``) nothing talks to AWS;
- API Gateway's own errors (no such route, no or a refused credential, a missing scope) answer
  in the API's error shape with the deployed codes, and never repeat a credential.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from chalicelib import operator_target
from chalicelib.cli import cli
from devtools import localdb
from devtools.app_env import local_app_environment
from devtools.processes import spawn_process_group, stop_process_group

REPO_ROOT = Path(__file__).resolve().parents[2]
TABLE = "loyalty-local"
# What a developer's shell has none of after a fresh clone.
STAGE_VARIABLES = ("LOYALTY_TABLE", "DYNAMODB_ENDPOINT", "LOYALTY_BACKEND", "LOYALTY_STAGE", "LOYALTY_API_URL",
                   "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION",
                   "AWS_REGION", "AWS_EC2_METADATA_DISABLED", "AWS_PROFILE", "LOYALTY_IMPORT_WORKERS",
                   "LOYALTY_HASH_KEY", "LOYALTY_HASH_KEY_SECRET_ID", "LOYALTY_QUOTE_SIGNING_KEY_SECRET_ID",
                   "LOYALTY_BASE_CURRENCY", "LOYALTY_RETRY_BUDGET_SECONDS")


def _wait_for_health(base_url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the local API exited:\n{log.read_text()[-3000:]}"
        try:
            with urllib.request.urlopen(f"{base_url}/v1/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise AssertionError(f"the local API did not answer:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def local_stage(tmp_path_factory):
    """A moto server, the local API on it, and the credentials file `make run` would write."""
    folder = tmp_path_factory.mktemp("local-stage")
    database = localdb.start_moto_server(localdb.free_loopback_port(), log_path=folder / "moto.log")
    api_port = localdb.free_loopback_port()
    base_url = f"http://127.0.0.1:{api_port}"
    environment = local_app_environment(database.endpoint, "moto", TABLE)
    environment.pop("AWS_SESSION_TOKEN", None)
    environment["LOYALTY_HASH_KEY"] = "local-stage-test-hash-key-" + os.urandom(16).hex()  # as make run keeps it
    api_log = folder / "api.log"
    try:
        subprocess.run([sys.executable, "-m", "chalicelib.cli", "create-table"], cwd=REPO_ROOT, env=environment,
                       check=True, capture_output=True, timeout=120)
        with api_log.open("wb") as log:
            api = spawn_process_group([sys.executable, "-m", "devtools.local_api", "--port", str(api_port)],
                                      cwd=REPO_ROOT, env={**environment, "PYTHONUNBUFFERED": "1"}, output=log)
        try:
            _wait_for_health(base_url, api, api_log)
            credentials = folder / ".data" / "local-credentials.json"
            credentials.parent.mkdir()
            (folder / ".data" / "hash-key").write_text(environment["LOYALTY_HASH_KEY"])
            credentials.write_text(json.dumps({
                "base_url": base_url, "stage": "local", "table": TABLE, "backend": "moto",
                "dynamodb_endpoint": database.endpoint, "region": "eu-west-2"}))
            yield {"credentials": credentials, "base_url": base_url, "endpoint": database.endpoint}
        finally:
            stop_process_group(api)
    finally:
        database.stop()


@pytest.fixture
def fresh_shell(monkeypatch):
    """No stage variables at all, as in a new terminal; the app's settings forget the test ones."""
    from chalicelib.config import settings
    from chalicelib.store import models

    for name in STAGE_VARIABLES:  # set first, so undo() also removes what the CLI adds
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    yield monkeypatch
    monkeypatch.undo()
    settings.cache_clear()
    models.configure(settings().table_name, settings().region, settings().dynamodb_endpoint)


def _cli(*arguments, stdin=None):
    return CliRunner().invoke(cli, list(arguments), input=stdin)


def _http(base_url, method, path, token=None, body=None):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base_url + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def _key(scopes=("quotes", "orders", "customers")):
    created = _cli("keys", "create", "--name", "test", "--channel", "web-shop",
                   *[part for scope in scopes for part in ("--scope", scope)], "--json")
    assert created.exit_code == 0, created.output
    return json.loads(created.stdout)["secret"]


@pytest.fixture
def history_file(tmp_path):
    """The demo's running-store history as make run renders it (dated relative to today)."""
    from datetime import date

    from devtools.demo import render_history

    path = tmp_path / "running_store_history.csv"
    path.write_text(render_history(date.today()), encoding="utf-8")
    return path


def test_with_no_variables_keys_import_and_customers_show_use_the_local_stage(local_stage, fresh_shell,
                                                                             history_file):
    fresh_shell.setattr(operator_target, "LOCAL_CREDENTIALS", local_stage["credentials"])
    target_line = f"loyalty: stage local: moto at {local_stage['endpoint']}, table {TABLE}"

    created = _cli("keys", "create", "--name", "web shop", "--channel", "web-shop", "--scope", "quotes", "--json")
    assert created.exit_code == 0, created.output
    assert created.stderr.splitlines()[0].startswith(target_line)
    key = json.loads(created.stdout)
    listed = _cli("keys", "list", "--json")
    assert listed.stderr.splitlines()[0].startswith(target_line)
    assert key["key_id"] in [listed_key["key_id"] for listed_key in json.loads(listed.stdout)]

    imported = _cli("import", str(history_file), "--json")
    assert imported.exit_code == 0, imported.output
    assert imported.stderr.splitlines()[0].startswith(target_line)
    with history_file.open(encoding="utf-8") as stream:
        bens_rows = sum(row["customer_id"] == "runner-ben" for row in csv.DictReader(stream))
    assert json.loads(imported.stdout)["imported"] >= bens_rows > 0

    # The API server reads the same moto server the CLI wrote to: the file led both to one table.
    shown = _cli("customers", "show", "runner-ben", "--json")
    assert shown.exit_code == 0, shown.output
    assert shown.stderr.splitlines()[0] == f"loyalty: API {local_stage['base_url']}"
    view = json.loads(shown.stdout)
    assert view["customer_id"] == "runner-ben" and view["stats"]["lifetime"]["orders"] == bens_rows
    # The CLI hashed the imported email with the hash key make run keeps: the API finds him by it.
    found = _cli("customers", "find", "--email", view["profile"]["email"].upper(), "--json")
    assert found.exit_code == 0, found.output
    assert [customer["customer_id"] for customer in json.loads(found.stdout)] == ["runner-ben"]


def test_with_no_variables_export_table_and_the_fit_from_it_use_the_local_stage(local_stage, fresh_shell, tmp_path):
    fresh_shell.setattr(operator_target, "LOCAL_CREDENTIALS", local_stage["credentials"])
    target_line = f"loyalty: stage local: moto at {local_stage['endpoint']}, table {TABLE}"

    exported = _cli("export-table", str(tmp_path / "exports"), "--json")
    assert exported.exit_code == 0, exported.output
    assert exported.stderr.splitlines()[0].startswith(target_line)
    assert json.loads(exported.stdout)["tableArn"].endswith(f":table/{TABLE}")
    fitted = _cli("fit-value-model", "--dry-run", "--json", "--from-export", str(tmp_path / "exports"))
    assert fitted.exit_code == 0, fitted.output
    assert fitted.stderr.splitlines()[0].startswith(target_line)
    assert json.loads(fitted.stdout)["export"]["path"] == str(tmp_path / "exports")


def test_without_a_local_stage_or_a_stage_option_nothing_talks_to_aws(fresh_shell, tmp_path, history_file):
    fresh_shell.setattr(operator_target, "LOCAL_CREDENTIALS", tmp_path / ".data" / "local-credentials.json")
    for command in (["keys", "list"], ["import", str(history_file)], ["create-table"], ["seed-demo"],
                    ["export-table", str(tmp_path / "exports")]):
        result = _cli(*command)
        assert result.exit_code == 2, (command, result.output)
        assert "make run" in result.stderr and "--stage dev|prod" in result.stderr
        assert "DYNAMODB_ENDPOINT" not in os.environ  # nothing was pointed anywhere


def test_aws_takes_an_explicit_stage_and_says_so(fresh_shell):
    fresh_shell.setenv("LOYALTY_HASH_KEY", "an-operators-copy-of-the-prod-hash-key")  # log-ref reads no AWS then
    result = _cli("--stage", "prod", "log-ref", "runner-ben")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == "loyalty: stage prod: AWS eu-west-2, table loyalty-prod [--stage prod]"
    # The stage's own variables from .chalice/config.json: its secrets are found by their ids.
    assert os.environ["LOYALTY_QUOTE_SIGNING_KEY_SECRET_ID"] == "loyalty/prod/quote-signing-key"
    assert os.environ["LOYALTY_STAGE"] == "prod"
    fresh_shell.setenv("DYNAMODB_ENDPOINT", "http://127.0.0.1:9")
    refused = _cli("--stage", "dev", "keys", "list")
    assert refused.exit_code == 2 and "unset it" in refused.stderr


def test_gateway_errors_answer_in_the_error_shape_with_the_deployed_codes(local_stage, fresh_shell):
    fresh_shell.setattr(operator_target, "LOCAL_CREDENTIALS", local_stage["credentials"])
    base_url = local_stage["base_url"]
    secret, quotes_only = _key(), _key(scopes=("quotes",))
    wrong = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")

    cases = [
        ("GET", "/v1/no-such-route", secret, 404, "not_found"),
        ("POST", "/v1/customers/c-1/nothing-here", None, 404, "not_found"),
        ("GET", "/v1/customers/c-1", None, 401, "unauthorized"),
        ("GET", "/v1/customers/c-1", wrong, 403, "forbidden"),
        ("GET", "/v1/customers/c-1", "not-even-a-key", 403, "forbidden"),
        ("GET", "/v1/customers/c-1", quotes_only, 403, "forbidden"),
        ("DELETE", "/v1/health", None, 405, "method_not_allowed"),
    ]
    for method, path, token, status, code in cases:
        answer_status, headers, text = _http(base_url, method, path, token)
        assert answer_status == status, (method, path, text)
        body = json.loads(text)
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, text
        assert body["error"]["code"] == code and body["error"]["message"], text
        assert headers["Content-Type"].startswith("application/json")
        for credential in filter(None, (token, secret, wrong, quotes_only)):
            assert credential not in text
        if status == 401:
            assert headers["WWW-Authenticate"] == "Bearer"

    # The same server lets the right credential through: the refusals above are about credentials.
    status, _, text = _http(base_url, "PUT", "/v1/customers/c-1", secret, {"name": "Ada"})
    assert status == 200, text
    assert json.loads(text)["customer_id"] == "c-1"


def test_the_local_answers_are_the_deployed_gateway_responses():
    from chalice import local as chalice_local

    from devtools.local_api import gateway_answer

    resources = json.loads((REPO_ROOT / "infra" / "resources.json").read_text())["Resources"]
    responses = resources["RestAPI"]["Properties"]["GatewayResponses"]
    aws_default_status = {"UNAUTHORIZED": 401, "ACCESS_DENIED": 403, "MISSING_AUTHENTICATION_TOKEN": 403}
    raised_by_chalice_local = {
        "UNAUTHORIZED": chalice_local.NotAuthorizedError({"x-amzn-ErrorType": "UnauthorizedException"}),
        "ACCESS_DENIED": chalice_local.ForbiddenError({"x-amzn-ErrorType": "AccessDeniedException"}),
        "MISSING_AUTHENTICATION_TOKEN": chalice_local.ForbiddenError({"x-amzn-ErrorType": "UnauthorizedException"}),
    }
    for response_type, error in raised_by_chalice_local.items():
        deployed = responses[response_type]
        template = deployed["ResponseTemplates"]["application/json"].replace("$context.error.messageString", '"x"')
        status = int(deployed.get("StatusCode", aws_default_status[response_type]))
        assert gateway_answer(error)[:2] == (status, json.loads(template)["error"]["code"]), response_type
