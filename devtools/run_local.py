"""``make run``: the whole API on this machine, against a local DynamoDB, in one command.

Steps: start the database (DynamoDB Local by default, moto as fallback), create the table
and load demo data through the app's own CLI, write ``.data/local-credentials.json``, start
``chalice local``, wait for ``GET /v1/health``, print how to call it, then wait.
Ctrl-C or SIGTERM stops everything this started, API first, then the database.

Settings (environment variables):
    DB        dynamodb-local (default) or moto
    PORT      API port on 127.0.0.1 (default 8000)
    DDB_PORT  database port (default 8001)
    LOYALTY_TABLE  table name (default loyalty-local)
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, Mapping

from devtools import localdb
from devtools.app_env import local_app_environment, table_name
from devtools.banner import ready_banner
from devtools.local_customer_keys import local_token_settings
from devtools.processes import spawn_process_group, stop_process_group

REPO_ROOT = localdb.REPO_ROOT
DATA_DIR = REPO_ROOT / ".data"
DYNAMODB_DATA_DIR = DATA_DIR / "dynamodb"
CREDENTIALS_FILE = DATA_DIR / "local-credentials.json"
STAGE = "local"
BACKENDS = ("dynamodb-local", "moto")
CLI_TIMEOUT_SECONDS = 120
HEALTH_TIMEOUT_SECONDS = 60.0


class RunError(Exception):
    """A problem the developer can act on: printed as one clear message, no traceback."""


class StopRequested(Exception):
    """Raised by our SIGINT/SIGTERM handler so every ``finally`` and ExitStack unwinds."""


def say(message: str) -> None:
    print(f"[make run] {message}", flush=True)


@dataclass(frozen=True)
class Settings:
    backend: str
    api_port: int
    db_port: int
    table: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        backend = environ.get("DB") or "dynamodb-local"
        if backend not in BACKENDS:
            raise RunError(f"DB={backend!r} is not supported; use one of: {', '.join(BACKENDS)}")
        settings = cls(
            backend=backend,
            api_port=_port_from_env(environ, "PORT", 8000),
            db_port=_port_from_env(environ, "DDB_PORT", 8001),
            table=table_name(environ),
        )
        if settings.api_port == settings.db_port:
            raise RunError(f"PORT and DDB_PORT are both {settings.api_port}; pick two ports")
        return settings

    @property
    def base_url(self) -> str:
        return f"http://{localdb.LOOPBACK}:{self.api_port}"


def _port_from_env(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name) or str(default)
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise RunError(f"{name}={raw!r} is not a TCP port number")
    return int(raw)


def check_ports_free(settings: Settings) -> None:
    """Fail early, with the fix, when a port is taken (often: another ``make run``)."""
    for name, port, what in (("PORT", settings.api_port, "the API"),
                             ("DDB_PORT", settings.db_port, "the database")):
        if not localdb.loopback_port_is_free(port):
            raise RunError(
                f"port {port} on 127.0.0.1 (for {what}) is already in use - is another "
                f"`make run` still running? Stop it, or choose another port: "
                f"{name}={port + 10} make run")


# ---------------------------------------------------------------------------------------
# Database


def start_database(settings: Settings) -> localdb.LocalServer:
    """Start the requested backend; fall back to moto when DynamoDB Local cannot run here."""
    moto_log = DATA_DIR / "moto.log"
    if settings.backend == "moto":
        say(f"starting moto server on 127.0.0.1:{settings.db_port} (in memory) ...")
        return localdb.start_moto_server(settings.db_port, log_path=moto_log)
    say(f"starting DynamoDB Local on port {settings.db_port} (data in .data/dynamodb/) ...")
    try:
        return localdb.start_dynamodb_local(
            settings.db_port, db_path=DYNAMODB_DATA_DIR, log_path=DATA_DIR / "dynamodb-local.log")
    except (localdb.LocalDatabaseUnavailable, localdb.LocalDatabaseStartError) as exc:
        reason = str(exc).splitlines()[0].rstrip(":.")
        if isinstance(exc, localdb.LocalDatabaseStartError):
            reason += "; see .data/dynamodb-local.log"
        elif "\n" in str(exc):
            reason += "; `make tools` shows why"
        say(f"DynamoDB Local unavailable ({reason}); falling back to moto "
            f"(in memory: data is lost on stop; not safe under concurrent writes, so imports "
            f"run with one worker)")
        return localdb.start_moto_server(settings.db_port, log_path=moto_log)


def storage_description(server: localdb.LocalServer) -> str:
    if server.backend == "dynamodb-local":
        return "DynamoDB Local, data kept in .data/dynamodb/"
    return "moto, in memory: data is lost on stop"


MOTO_CAUTIONS = (
    "moto is a mock, not DynamoDB: it can lose concurrent updates to one item, so imports run",
    "with one worker here; transactions, conditions and limits (capacity, throttling, item size)",
    "are only approximated. Use DynamoDB Local (java + npm) for anything concurrent.",
)


def storage_cautions(server: localdb.LocalServer) -> tuple[str, ...]:
    return MOTO_CAUTIONS if server.backend == "moto" else ()


# ---------------------------------------------------------------------------------------
# The app


def run_app_cli(command: str, env: Mapping[str, str]) -> None:
    """Run ``python -m chalicelib.cli <command>`` with the local environment; output passes through."""
    argv = [sys.executable, "-m", "chalicelib.cli", command]
    say(f"python -m chalicelib.cli {command}")
    try:
        result = subprocess.run(argv, cwd=REPO_ROOT, env=dict(env), stdin=subprocess.DEVNULL,
                                timeout=CLI_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise RunError(f"`python -m chalicelib.cli {command}` took over "
                       f"{CLI_TIMEOUT_SECONDS}s") from None
    if result.returncode != 0:
        raise RunError(f"`python -m chalicelib.cli {command}` failed with exit code "
                       f"{result.returncode} (its output is above)")


def warn_about_stage_overrides(env: Mapping[str, str]) -> None:
    """chalice local applies ``.chalice/config.json`` environment_variables over ours: warn."""
    try:
        config = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text())
    except (OSError, ValueError):
        return
    overrides = dict(config.get("environment_variables") or {})
    overrides.update((config.get("stages", {}).get(STAGE, {}) or {}).get("environment_variables") or {})
    for key in ("LOYALTY_TABLE", "DYNAMODB_ENDPOINT", "LOYALTY_BACKEND", "AWS_DEFAULT_REGION"):
        if key in overrides and overrides[key] != env[key]:
            say(f"warning: .chalice/config.json sets {key}={overrides[key]!r} for stage "
                f"'{STAGE}', which overrides {env[key]!r} inside chalice local")


def start_chalice(settings: Settings, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start ``chalice local`` (``devtools.local_api``: gateway errors in the API's error shape)
    bound to 127.0.0.1; its request log goes to this terminal."""
    command = [sys.executable, "-m", "devtools.local_api", "--stage", STAGE,
               "--host", localdb.LOOPBACK, "--port", str(settings.api_port)]
    say(f"starting chalice local on {settings.base_url} ...")
    return spawn_process_group(command, cwd=REPO_ROOT, env={**env, "PYTHONUNBUFFERED": "1"})


def wait_for_health(base_url: str, chalice: subprocess.Popen[bytes]) -> dict[str, Any]:
    """Poll ``GET /v1/health`` until it answers 200; return its JSON body."""
    url = f"{base_url}/v1/health"
    deadline = time.monotonic() + HEALTH_TIMEOUT_SECONDS
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if chalice.poll() is not None:
            raise RunError(f"chalice local exited with code {chalice.returncode} "
                           "before it answered (its output is above)")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            last_error = f"HTTP {exc.code}: {exc.read()[:300].decode(errors='replace')}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last_error = str(exc)
        time.sleep(0.3)
    raise RunError(f"GET {url} did not answer 200 within {HEALTH_TIMEOUT_SECONDS:.0f}s "
                   f"(last: {last_error})")


def check_health_body(health: dict[str, Any], settings: Settings, backend: str) -> None:
    """Warn when the running app is not looking at what we set up (e.g. a config override)."""
    table = health.get("table") or {}
    if health.get("backend") != backend:
        say(f"warning: /v1/health reports backend {health.get('backend')!r}, expected {backend!r}")
    if table.get("name") not in (None, settings.table):
        say(f"warning: /v1/health reports table {table.get('name')!r}, expected {settings.table!r}")
    if table.get("exists") is False:
        say("warning: /v1/health says the table does not exist")


# ---------------------------------------------------------------------------------------
# Credentials file


def local_credentials(settings: Settings, server: localdb.LocalServer, key: dict[str, Any],
                      previous: dict[str, Any]) -> dict[str, Any]:
    """What a local client (curl, the CLI) needs to call this API and reach its table.

    ``keys`` keeps one storefront key per backend, so switching ``DB=`` and back finds the
    key that backend's database knows; ``storefront_api_key`` is the running backend's.
    """
    keys = dict(previous.get("keys") or {})
    keys[server.backend] = {"key_id": key["key_id"], "secret": key["secret"]}
    return {
        "base_url": settings.base_url,
        "stage": STAGE,
        "table": settings.table,
        "dynamodb_endpoint": server.endpoint,
        "region": localdb.LOCAL_REGION,
        "backend": server.backend,
        "storefront_api_key": key["secret"],
        "storefront_key_id": key["key_id"],
        "keys": keys,
        "customer_token_command": "python -m devtools.local_customer_keys <customer_id>",
    }


def previous_credentials() -> dict[str, Any]:
    try:
        previous = json.loads(CREDENTIALS_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return previous if isinstance(previous, dict) else {}


def local_storefront_key(env: Mapping[str, str], backend: str, previous: dict[str, Any]) -> dict[str, Any]:
    """This backend's local storefront key: the saved one while it works, else a new one; any
    other active local key in this database is revoked (``devtools/local_storefront_key.py``)."""
    saved = (previous.get("keys") or {}).get(backend) or {}
    if not saved and previous.get("backend") == backend:  # a file written before keys were kept per backend
        saved = {"secret": previous.get("storefront_api_key")}
    try:
        result = subprocess.run([sys.executable, "-m", "devtools.local_storefront_key"], env=dict(env),
                                cwd=REPO_ROOT, input=(saved.get("secret") or "") + "\n", text=True,
                                capture_output=True, timeout=CLI_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise RunError(f"making the local storefront key took over {CLI_TIMEOUT_SECONDS}s") from None
    if result.returncode != 0:
        raise RunError(f"could not make the local storefront key:\n{result.stderr[-2000:]}")
    key = json.loads(result.stdout)
    if key["created"]:
        say(f"made local storefront key {key['key_id']} for {backend}")
    if key["revoked"]:
        say(f"revoked old local storefront key(s) {', '.join(key['revoked'])} ({backend})")
    return key


def local_quote_signing_key() -> str:
    """The local stage's quote-signing key: made once, kept in .data/ (never in the repo)."""
    return local_secret("quote-signing-key")


def local_hash_key() -> str:
    """The local stage's hash key (email/phone lookups, log refs): made once, kept in .data/hash-key,
    where ``python -m chalicelib.cli log-ref`` finds it too."""
    return local_secret("hash-key")


def local_secret(name: str) -> str:
    """A random secret kept in ``.data/<name>`` (mode 0600), made on first use."""
    path = DATA_DIR / name
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


def write_credentials(credentials: dict[str, Any]) -> None:
    """Write the credentials file readable by this user only (it will hold an API key)."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(CREDENTIALS_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(credentials, handle, indent=2)
        handle.write("\n")


# ---------------------------------------------------------------------------------------
# Orchestration


def _request_stop(signum: int, frame: FrameType | None) -> None:
    raise StopRequested(signal.Signals(signum).name)


def _ignore_stop_signals() -> None:
    """While cleaning up, a second Ctrl-C must not leave a half-stopped server behind."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def serve(settings: Settings, stack: ExitStack) -> int:
    """Start everything (registering each stop on ``stack``) and wait until something ends."""
    if not (REPO_ROOT / "app.py").exists():
        raise RunError(f"no app.py in {REPO_ROOT}")
    check_ports_free(settings)

    server = start_database(settings)
    stack.callback(say, f"stopped {server.backend}")
    stack.callback(server.stop)
    say(f"{server.backend} is answering on {server.endpoint}")

    env = local_app_environment(server.endpoint, server.backend, settings.table)
    env["LOYALTY_QUOTE_SIGNING_KEY"] = local_quote_signing_key()
    env["LOYALTY_HASH_KEY"] = local_hash_key()
    env.update(local_token_settings(DATA_DIR))  # customers' app tokens, signed by a key under .data/
    run_app_cli("create-table", env)
    run_app_cli("seed-demo", env)
    previous = previous_credentials()
    key = local_storefront_key(env, server.backend, previous)
    credentials = local_credentials(settings, server, key, previous)
    write_credentials(credentials)

    warn_about_stage_overrides(env)
    say("consuming the table's stream: events to .data/events.jsonl (python -m chalicelib.cli events tail)")
    events = spawn_process_group([sys.executable, "-m", "devtools.local_events"], cwd=REPO_ROOT,
                                 env={**env, "PYTHONUNBUFFERED": "1"})
    stack.callback(stop_process_group, events)
    chalice = start_chalice(settings, env)
    stack.callback(say, "stopped chalice local")
    stack.callback(stop_process_group, chalice)
    health = wait_for_health(settings.base_url, chalice)
    check_health_body(health, settings, server.backend)

    print(ready_banner(credentials, str(CREDENTIALS_FILE.relative_to(REPO_ROOT)),
                       storage_description(server), storage_cautions(server)), flush=True)
    while True:
        if chalice.poll() is not None:
            raise RunError(f"chalice local stopped unexpectedly (exit code {chalice.returncode})")
        if not server.is_running():
            raise RunError(f"{server.backend} stopped unexpectedly (exit code "
                           f"{server.process.returncode}); log tail:\n{server.log_tail()}")
        time.sleep(0.5)


def shutdown(stack: ExitStack) -> None:
    """Stop what ``serve`` started, in reverse order, immune to further Ctrl-C."""
    while True:
        try:
            _ignore_stop_signals()
            stack.close()
            return
        except StopRequested:  # landed before the signals were ignored: just finish the job
            continue


def main() -> int:
    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    stack = ExitStack()
    exit_code = 0
    try:
        try:
            exit_code = serve(Settings.from_env(), stack)
        except StopRequested as stop:
            print(flush=True)
            say(f"{stop} received, stopping ...")
        except (RunError, localdb.LocalDatabaseStartError) as error:
            say(f"error: {error}")
            exit_code = 1
    except StopRequested:  # a second signal while reporting the first
        pass
    finally:
        shutdown(stack)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
