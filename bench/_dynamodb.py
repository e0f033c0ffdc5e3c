"""Shared by the benchmarks: a DynamoDB Local to run against and a request counter."""
from __future__ import annotations

import os
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-2")
os.environ.setdefault("LOYALTY_RETRY_BUDGET_SECONDS", "30")
os.environ.setdefault("LOYALTY_HASH_KEY", "bench-only-hash-key-" + os.urandom(16).hex())

from devtools import localdb  # noqa: E402


class RequestCounter:
    """Counts DynamoDB API calls by operation, through a botocore event hook on the client."""

    def __init__(self) -> None:
        self.by_operation: dict = {}
        # Where the table is, for a bench that runs work in other processes (bench/import.py).
        self.endpoint = ""
        self.table_name = ""
        self.server_pid = 0

    def __call__(self, model, **kwargs) -> None:
        self.by_operation[model.name] = self.by_operation.get(model.name, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.by_operation.values())

    def reset(self) -> None:
        self.by_operation.clear()


@contextmanager
def dynamodb_local_table() -> Iterator[RequestCounter]:
    """Start an in-memory DynamoDB Local, point the models at a fresh table, count requests."""
    from chalicelib.store import models
    from chalicelib.store.table import create_table

    localdb.install_dynamodb_local()
    log = Path(tempfile.mkdtemp()) / "dynamodb-local.log"
    server = localdb.start_dynamodb_local(localdb.free_loopback_port(), db_path=None, log_path=log)
    try:
        models.configure(f"bench-{uuid.uuid4().hex[:8]}", "eu-west-2", server.endpoint)
        create_table()
        counter = RequestCounter()
        counter.endpoint, counter.table_name = server.endpoint, models.TableItem.Meta.table_name
        counter.server_pid = server.process.pid
        client = models.TableItem._get_connection().connection.client
        client.meta.events.register("before-call.dynamodb", counter)
        yield counter
    finally:
        server.stop()
