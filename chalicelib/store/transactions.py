"""The one way a change is written: a TransactWriteItems on the table's connection.

Every mutation of the store is one transaction (the ledger entries, the idempotency record, the
aggregate updates). Each commit function knows the order of its items, so it reads DynamoDB's
cancellation reasons (:func:`.retry.cancellation_codes`) by position to say which condition failed;
PynamoDB sends every Put before every Update, whatever the order of the calls.
"""
from __future__ import annotations

from typing import List, Tuple

from pynamodb.connection import Connection
from pynamodb.transactions import TransactWrite

from .models import TableItem


class EventAlreadyExists(Exception):
    pass


def _connection() -> Connection:
    return TableItem._get_connection().connection


def transact() -> TransactWrite:
    return TransactWrite(connection=_connection())


MAX_TRANSACTION_ITEMS = 100
"""DynamoDB's limit on the items of one TransactWriteItems (moto enforces it too)."""


class PlannedTransaction:
    """A transaction's operations, collected through the calls a ``TransactWrite`` takes, so the
    very list that will be written can be counted (or refused) before anything is sent."""

    def __init__(self) -> None:
        self.operations: List[Tuple[str, tuple, dict]] = []

    def save(self, *args, **kwargs) -> None:
        self.operations.append(("save", args, kwargs))

    def update(self, *args, **kwargs) -> None:
        self.operations.append(("update", args, kwargs))

    def delete(self, *args, **kwargs) -> None:
        self.operations.append(("delete", args, kwargs))

    def __len__(self) -> int:
        return len(self.operations)

    def commit(self) -> None:
        with transact() as tx:
            for name, args, kwargs in self.operations:
                getattr(tx, name)(*args, **kwargs)
