"""The environment that points the app (chalice local, the CLI, tests) at a local database.

This is the contract between the developer tooling and the application code: the app reads
exactly these variables, so ``make run``, the CLI commands it runs, and the tests that drive
the app against a local server all build their environment here.
"""

from __future__ import annotations

import os
from typing import Mapping

from devtools.localdb import LOCAL_ACCESS_KEY_ID, LOCAL_REGION, LOCAL_SECRET_ACCESS_KEY

DEFAULT_TABLE = "loyalty-local"

# Variables that would make boto3 pick real credentials or another account over our dummies.
_REAL_AWS_VARIABLES = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")


def table_name(environ: Mapping[str, str] = os.environ) -> str:
    """The table name: ``LOYALTY_TABLE`` if the developer set it, else ``loyalty-local``."""
    return environ.get("LOYALTY_TABLE") or DEFAULT_TABLE


def local_app_environment(
    endpoint: str,
    backend: str,
    table: str = DEFAULT_TABLE,
    base: Mapping[str, str] = os.environ,
) -> dict[str, str]:
    """``base`` plus the variables that point the app at ``endpoint`` with dummy credentials.

    Real AWS credentials and profiles are removed, so nothing local can reach an AWS account.
    """
    env = {key: value for key, value in base.items() if key not in _REAL_AWS_VARIABLES}
    env.update(
        LOYALTY_TABLE=table,
        DYNAMODB_ENDPOINT=endpoint,
        LOYALTY_BACKEND=backend,
        AWS_DEFAULT_REGION=LOCAL_REGION,
        AWS_REGION=LOCAL_REGION,
        AWS_ACCESS_KEY_ID=LOCAL_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=LOCAL_SECRET_ACCESS_KEY,
        AWS_EC2_METADATA_DISABLED="true",  # never wait on an instance-metadata lookup
    )
    return env
