"""What ``GET /v1/health`` reports: which backend, and whether the table is there."""
from __future__ import annotations

from ..config import settings
from ..store.table import table_exists


def report() -> dict:
    current = settings()
    try:
        exists = table_exists()
        status = "ok" if exists else "table_missing"
        problem = None if exists else "the table does not exist; run `python -m chalicelib.cli create-table`"
    except Exception as error:  # noqa: BLE001 - health reports, it does not raise
        exists, status, problem = False, "unavailable", f"DynamoDB did not answer: {type(error).__name__}"
    body = {
        "status": status,
        "backend": current.backend,
        "stage": current.stage,
        "table": {"name": current.table_name, "exists": exists},
    }
    if problem:
        body["problem"] = problem
    return body
