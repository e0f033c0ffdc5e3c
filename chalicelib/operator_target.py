"""Which table, backend and API an operator command talks to: one rule for every CLI command.

1. ``--stage dev|prod``: that deployed stage's table in AWS (and its secrets' ids, from
   ``.chalice/config.json``), with the operator's own AWS credentials. Talking to AWS always takes this (or the variables below); it is never a default.
2. ``DYNAMODB_ENDPOINT`` or ``LOYALTY_TABLE`` in the environment: exactly what they say
   (how ``make run`` and the tests drive the CLI).
3. Otherwise the local stage ``make run`` wrote to ``.data/local-credentials.json``: its
   endpoint, table and backend, with dummy credentials so nothing reaches an AWS account, and
   the hash key ``make run`` keeps beside it (``.data/hash-key``).
   Without that file the command stops and says how to get one.

Whatever is chosen is announced on the command's first line, on standard error. Not used by
the Lambda functions.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, MutableMapping, Optional

LOCAL_CREDENTIALS = Path(__file__).resolve().parent.parent / ".data" / "local-credentials.json"
CHALICE_CONFIG = Path(__file__).resolve().parent.parent / ".chalice" / "config.json"
DEPLOYED_STAGES = ("dev", "prod")
# Variables that would make boto3 use real credentials or another account against a local table.
_REAL_AWS_VARIABLES = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")


class NoTarget(Exception):
    """No stage was given and there is no local one: the message says what to do."""


@dataclass(frozen=True)
class Target:
    stage: str
    backend: str
    table: str
    endpoint: Optional[str]
    api_url: Optional[str]
    source: str
    region: str = "eu-west-2"

    def describe(self) -> str:
        where = f"{self.backend} at {self.endpoint}" if self.endpoint else f"AWS {self.region}"
        return f"stage {self.stage}: {where}, table {self.table} [{self.source}]"


def select_target(stage: Optional[str] = None, environ: MutableMapping[str, str] = os.environ,
                  local_file: Optional[Path] = None) -> Target:
    """Decide the target and set ``environ`` so the app's settings() reads exactly that."""
    if stage in DEPLOYED_STAGES:
        if environ.get("DYNAMODB_ENDPOINT"):
            raise NoTarget(f"--stage {stage} talks to AWS, but DYNAMODB_ENDPOINT is set to "
                           f"{environ['DYNAMODB_ENDPOINT']}; unset it")
        # The stage's own variables from .chalice/config.json: its table and its secrets' ids.
        environ.update({"LOYALTY_STAGE": stage, "LOYALTY_TABLE": f"loyalty-{stage}", "LOYALTY_BACKEND": "aws",
                        **stage_variables(stage)})
        table = environ["LOYALTY_TABLE"]
        region = environ.get("AWS_DEFAULT_REGION") or environ.get("AWS_REGION") or "eu-west-2"
        return Target(stage, "aws", table, None, environ.get("LOYALTY_API_URL"), f"--stage {stage}", region)
    if stage is None and (environ.get("DYNAMODB_ENDPOINT") or environ.get("LOYALTY_TABLE")):
        endpoint = environ.get("DYNAMODB_ENDPOINT") or None
        return Target(environ.get("LOYALTY_STAGE", "local"),
                      environ.get("LOYALTY_BACKEND") or ("dynamodb-local" if endpoint else "aws"),
                      environ.get("LOYALTY_TABLE") or "loyalty-local", endpoint,
                      environ.get("LOYALTY_API_URL"), "environment variables",
                      environ.get("AWS_DEFAULT_REGION") or environ.get("AWS_REGION") or "eu-west-2")
    local_file = local_file or LOCAL_CREDENTIALS
    local = read_local_stage(local_file)
    environ.update(local_environment(local, environ))
    hash_key = local_file.parent / "hash-key"  # make run's key for email/phone lookups and log refs
    if not environ.get("LOYALTY_HASH_KEY") and hash_key.exists():
        environ["LOYALTY_HASH_KEY"] = hash_key.read_text(encoding="utf-8").strip()
    return Target("local", local["backend"], local["table"], local["dynamodb_endpoint"],
                  environ.get("LOYALTY_API_URL") or local.get("base_url"), _display(local_file))


def stage_variables(stage: str, config: Path = CHALICE_CONFIG) -> Dict[str, str]:
    """The ``environment_variables`` ``.chalice/config.json`` gives a deployed stage."""
    try:
        document = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    stage_config = (document.get("stages") or {}).get(stage) or {}
    return {**(document.get("environment_variables") or {}), **(stage_config.get("environment_variables") or {})}


def read_local_stage(path: Path) -> dict:
    """The local stage ``make run`` wrote; :class:`NoTarget` when there is none."""
    try:
        local = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NoTarget(f"no local stage ({_display(path)} does not exist): start one with `make run`, "
                       "or pass --stage dev|prod to talk to AWS") from None
    except (OSError, ValueError) as error:
        raise NoTarget(f"cannot read {_display(path)} ({error}); `make run` rewrites it") from None
    missing = [key for key in ("dynamodb_endpoint", "table", "backend") if not local.get(key)]
    if missing:
        raise NoTarget(f"{_display(path)} lacks {', '.join(missing)}; `make run` rewrites it")
    return local


def local_environment(local: Mapping[str, str], environ: Mapping[str, str]) -> Dict[str, str]:
    """The variables pointing the app at the local stage, with dummy credentials."""
    for name in _REAL_AWS_VARIABLES:
        if name in environ and isinstance(environ, MutableMapping):
            del environ[name]
    return {
        "LOYALTY_STAGE": "local",
        "LOYALTY_TABLE": local["table"],
        "DYNAMODB_ENDPOINT": local["dynamodb_endpoint"],
        "LOYALTY_BACKEND": local["backend"],
        "AWS_DEFAULT_REGION": local.get("region") or "eu-west-2",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
