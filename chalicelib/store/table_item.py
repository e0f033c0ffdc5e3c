"""The table's keys and base item: the key prefixes, the functions that build keys, and
:class:`TableItem`, which every item model of ``models.py`` and ``job_models.py`` extends.
``models.py`` re-exports all of it, so callers keep reading ``models.customer_pk`` and the rest.
"""
from __future__ import annotations

from pynamodb.attributes import DiscriminatorAttribute, UnicodeAttribute
from pynamodb.models import Model

from ..config import settings

PROFILE_SK = "PROFILE"
MONTH_PREFIX = "PROFILE#MONTH#"
PROMO_USE_PREFIX = "PROFILE#PROMO#"
ADDRESS_PREFIX = "PROFILE#ADDR#"
DECISION_PREFIX = "DECISION#"
RULES_PK = "RULES"
RULES_CURRENT_SK = "CURRENT"
LEDGER_PREFIX = "LEDGER#"
ORDER_SK = "ORDER"
EVENT_PREFIX = "EVENT#"
DAY_PREFIX = "DAY#"
ADJUSTMENT_PREFIX = "ADJUSTMENT#"  # an operator's adjustment, by its client-chosen id
AUDIT_PREFIX = "AUDIT#"  # what the system audits itself (erasure, merge): no client id can reach it
CREDIT_GRANT_PREFIX = "PROFILE#CREDIT#"
CREDIT_MOVEMENT_PREFIX = "CREDIT#"
CREDIT_EXPIRY_PREFIX = "EXPIRY#CREDIT#"
IDENTITY_SK = "IDENTITY"
MATCH_PREFIX = "MATCH#"


def key_range(prefix: str):
    """``sk BETWEEN prefix AND prefix~``: the items whose sort key starts with ``prefix``.

    Same result as ``begins_with`` in DynamoDB; written this way because DynamoDB Local
    answers ``begins_with`` by scanning the whole partition (11 ms instead of 2 ms on a
    20,000-item partition), which would make local tests and benchmarks lie.
    """
    return TableItem.sk.between(prefix, prefix + "~")


def customer_pk(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


def identity_pk(key_hash: str) -> str:
    return f"IDENTITY#{key_hash}"


def order_pk(order_id: str) -> str:
    return f"ORDER#{order_id}"


class TableItem(Model):
    """Every item of the table: the keys and the type discriminator."""

    class Meta:
        table_name = settings().table_name
        region = settings().region
        host = settings().dynamodb_endpoint
        connect_timeout_seconds = 2
        read_timeout_seconds = 4
        max_retry_attempts = 2
        stream_view_type = "NEW_AND_OLD_IMAGES"  # the source of domain events (docs/events.md)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute()

    @classmethod
    def _get_connection(cls):  # type: ignore[override]
        """One connection (one botocore client and pool) for every item type of the table."""
        return Model._get_connection.__func__(TableItem)  # type: ignore[attr-defined]


def adjustment_sk(adjustment_id: str) -> str:
    return ADJUSTMENT_PREFIX + adjustment_id


def audit_sk(kind: str, subject: str = "") -> str:
    """``AUDIT#ERASURE``, ``AUDIT#MERGE#<source>``: the system's own audit records, kept out of
    the ``ADJUSTMENT#`` range so a client-chosen ``adjustment_id`` can never take their key."""
    return AUDIT_PREFIX + kind.upper() + (f"#{subject}" if subject else "")


def address_sk(address_id: str) -> str:
    return ADDRESS_PREFIX + address_id


def promotion_pk(code: str) -> str:
    return f"PROMOTION#{code.upper()}"


def rules_version_sk(version: int) -> str:
    return f"VERSION#{version:010d}"


def configure(table_name: str, region: str, host: str | None) -> None:
    """Point every model at a table (tests and tools switch between moto and DynamoDB Local)."""
    TableItem.Meta.table_name = table_name
    TableItem.Meta.region = region
    TableItem.Meta.host = host
    TableItem._connection = None
