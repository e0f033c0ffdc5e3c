"""The rules document in force: read from the table, cached in the warm Lambda for a short TTL.

Until an operator stores rules, the built-in default (``chalicelib/rules/default.json``,
version 0) applies. A new version takes effect everywhere within the cache TTL
(``LOYALTY_RULES_CACHE_SECONDS``, default 30 s).
"""
from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any, Callable, Dict, Optional

from .. import clock
from ..config import settings
from ..domain.errors import Conflict
from ..domain.rules import Rules, RulesInvalid, load_default_rules, parse_rules
from ..store import rules_store
from ..store.retry import RetryableConflict, with_retries

_lock = threading.Lock()
_cached: Dict[str, Any] = {"rules": None, "loaded_at": float("-inf")}


def current_rules(*, clock=time.monotonic) -> Rules:
    """The rules in force, at most ``rules_cache_seconds`` old."""
    with _lock:
        if clock() - _cached["loaded_at"] < settings().rules_cache_seconds and _cached["rules"] is not None:
            return _cached["rules"]
    stored = rules_store.current_rules_document()
    rules = load_default_rules() if stored is None else parse_rules(stored[1], version=stored[0])
    with _lock:
        _cached.update(rules=rules, loaded_at=clock())
    return rules


_sections_lock = threading.Lock()
_sections: Dict[tuple, tuple] = {}


def parsed_section(rules: Rules, name: str, parse: Callable[[Optional[dict]], Any]) -> Any:
    """``parse(rules.document.get(name))``, computed once per rules object (the rules in force
    change at most every cache period, and parsing a section on every request is waste)."""
    key = (id(rules), name)
    with _sections_lock:
        cached = _sections.get(key)
        if cached is not None and cached[0] is rules:
            return cached[1]
    parsed = parse(rules.document.get(name))
    with _sections_lock:
        if len(_sections) > 16:
            _sections.clear()
        _sections[key] = (rules, parsed)
    return parsed


def forget_cached_rules() -> None:
    with _lock:
        _cached.update(rules=None, loaded_at=float("-inf"))


def rules_json(rules: Rules) -> dict:
    """What ``GET /v1/admin/rules`` answers: the document with its version, ready to edit and PUT back."""
    return {"version": rules.version or 0, **rules.to_document()}


def checked_rules(document: Dict[str, Any]) -> Rules:
    """A rules document checked as ``PUT /v1/admin/rules`` checks it (every section, the base
    currency, the ``version`` it was edited from), parsed; raises :class:`RulesInvalid` with
    every field error. Reads nothing: ``rules replay`` validates a candidate with it before
    touching the table."""
    edited_from = document.get("version")
    if edited_from is not None and (isinstance(edited_from, bool) or not isinstance(edited_from, int)
                                    or edited_from < 0):
        raise RulesInvalid([{"field": "version", "reason": "must be the whole version number you read, or absent"}])
    body = {key: value for key, value in document.items() if key != "version"}
    rules = parse_rules(body, version=edited_from)
    for problems in _section_problems(body):
        if problems:
            raise RulesInvalid(problems)
    base = settings().base_currency
    if rules.base_currency != base:
        raise RulesInvalid([{"field": "base_currency",
                             "reason": f"must stay {base}: aggregates and thresholds are kept in it"}])
    return rules


def _section_problems(body: Dict[str, Any]):
    """The field errors of each section present, in turn, each found by the domain module that
    reads that section (imported only when the section is there: they are not all light)."""
    if "address_trust" in body:
        from ..domain.address_trust import trust_rules_problems

        yield trust_rules_problems(body["address_trust"])
    if "value_model" in body:
        from ..domain.customer_value import value_model_problems

        yield value_model_problems(body["value_model"])
    if "credit" in body:
        from ..domain.store_credit import credit_policy_problems

        yield credit_policy_problems(body["credit"])
    if "identity" in body:
        from ..domain.identity import identity_policy_problems

        yield identity_policy_problems(body["identity"])


def replace_rules(document: Dict[str, Any], *, created_by: Optional[str] = None,
                  now: Optional[datetime] = None) -> dict:
    """Validate and store a new version of the rules.

    A ``version`` in the document is the version it was edited from: if the rules changed
    since, the answer is 409 rather than silently overwriting someone else's change.
    """
    now = now or clock.now()
    rules = checked_rules(document)
    edited_from = document.get("version")

    def attempt() -> int:
        stored = rules_store.current_rules_document()
        current_version = stored[0] if stored else 0
        if edited_from is not None and edited_from != current_version:
            raise Conflict(f"the rules changed since version {edited_from} (now {current_version}); "
                           "GET them again and reapply your change",
                           [{"field": "version", "reason": f"current version is {current_version}"}])
        try:
            return rules_store.save_rules_document(rules.to_document(), current_version, now, created_by)
        except RetryableConflict:
            if edited_from is not None:
                raise Conflict("the rules changed while saving; GET them again",
                               [{"field": "version", "reason": "changed concurrently"}])
            raise

    version = with_retries(attempt, budget_seconds=settings().retry_budget_seconds)
    forget_cached_rules()
    return rules_json(rules.with_version(version))
