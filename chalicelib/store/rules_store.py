"""Storing the versioned rules document: ``RULES/CURRENT`` plus an immutable ``RULES/VERSION#n``."""
from __future__ import annotations

from datetime import datetime
from typing import Optional, Tuple

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from .models import RULES_CURRENT_SK, RULES_PK, RulesItem, TableItem, rules_version_sk
from .retry import RetryableConflict, cancellation_codes


def current_rules_document() -> Optional[Tuple[int, dict]]:
    """(version, document) in force, or None when no rules were ever stored (the default applies)."""
    try:
        item = RulesItem.get(RULES_PK, RULES_CURRENT_SK, consistent_read=True)
    except RulesItem.DoesNotExist:
        return None
    return int(item.version), item.document


def save_rules_document(document: dict, expected_version: int, now: datetime, created_by: Optional[str]) -> int:
    """Store ``document`` as version ``expected_version + 1`` if the current version is still
    ``expected_version`` (0 meaning the built-in default); otherwise :class:`RetryableConflict`."""
    version = expected_version + 1
    attributes = dict(version=version, document=document, created_at=now, created_by=created_by)
    current_condition = (RulesItem.pk.does_not_exist() if expected_version == 0
                         else RulesItem.version == expected_version)
    try:
        with TransactWrite(connection=TableItem._get_connection().connection) as tx:
            tx.save(RulesItem(RULES_PK, rules_version_sk(version), **attributes),
                    condition=RulesItem.pk.does_not_exist())
            tx.save(RulesItem(RULES_PK, RULES_CURRENT_SK, **attributes), condition=current_condition)
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancellation_codes(error):
            raise RetryableConflict("the rules changed since they were read") from error
        raise
    return version
