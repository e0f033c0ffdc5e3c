"""Creating and checking the table (local development and tests; deployed stages use infra/)."""
from __future__ import annotations

from .models import TableItem


def table_exists() -> bool:
    return TableItem.exists()


def create_table() -> bool:
    """Create the table on demand (pay per request) if it is missing; True when it was created."""
    if TableItem.exists():
        return False
    TableItem.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    return True
