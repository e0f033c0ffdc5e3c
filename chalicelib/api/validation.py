"""Checking a JSON body against a Struct of :mod:`chalicelib.api.shapes`, naming every problem.

msgspec stops at the first error; a developer should fix a request in one round trip, so
:func:`check` walks the declaration (``msgspec.inspect``) and lists every field that breaks it,
with today's field names (``lines[0].quantity``) and reasons. What it returns, the body with
free text trimmed and times read, is then built into the Struct by ``msgspec.convert``.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional

import msgspec
import msgspec.inspect as mi

from ..domain.errors import InvalidInput

MAX_FUTURE = timedelta(days=1)
MISSING = mi.NODEFAULT

_JSON_KINDS = {float: "a decimal number", str: "a string", bool: "true/false", list: "a list",
               dict: "an object", type(None): "null"}
MONEY_REASON = "must be an integer amount of minor units (e.g. 12999 for 129.99), not {kind}"


class Problems:
    """Collects field problems; ``raise_if_any`` turns them into one 400."""

    def __init__(self) -> None:
        self.items: List[dict] = []

    def add(self, field: str, reason: str) -> None:
        self.items.append({"field": field, "reason": reason})

    def replace(self, field: str, reason: str, *, keep: bool = False) -> None:
        """One problem for ``field`` where the first about it (or inside it) stood, instead of
        those (or before them, with ``keep``)."""
        inside = [i for i, item in enumerate(self.items) if _within(item["field"], field)]
        position = inside[0] if inside else len(self.items)
        if not keep:
            self.items = [item for item in self.items if not _within(item["field"], field)]
        self.items.insert(position, {"field": field, "reason": reason})

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidInput.for_fields(self.items)


def _within(name: str, field: str) -> bool:
    return name == field or name.startswith(field + ".") or name.startswith(field + "[")


# A check hook runs after a Struct whose fields were all fine: (its clean fields, its field name, problems).
Hook = Callable[[Dict[str, Any], str, Problems], None]


def decode(body: Dict[str, Any], shape: Any, *, now: Optional[datetime] = None,
           hooks: Optional[Dict[type, Hook]] = None) -> Any:
    """``body`` as the Struct ``shape`` (a Struct class or a tagged union of them); 400 listing
    every problem. ``now`` bounds times marked ``at_most_a_day_ahead`` or ``after_now``."""
    problems = Problems()
    clean = check(body, shape, problems, now=now, hooks=hooks)
    problems.raise_if_any()
    return msgspec.convert(clean, shape)


def check(value: Any, shape: Any, problems: Problems, *, field: str = "", now: Optional[datetime] = None,
          hooks: Optional[Dict[type, Hook]] = None) -> Any:
    """The clean value of ``value`` for ``shape``, adding each problem to ``problems``."""
    return _Walk(problems, now, hooks or {}).value(value, _info(shape), field, {})


@lru_cache(maxsize=None)
def _info(shape: Any) -> mi.Type:
    return mi.type_info(shape)


@lru_cache(maxsize=None)
def _validating(pattern: str) -> re.Pattern:
    return re.compile(pattern[:-1] + "\\Z" if pattern.endswith("$") else pattern)


class _Walk:
    def __init__(self, problems: Problems, now: Optional[datetime], hooks: Dict[type, Hook]) -> None:
        self.problems, self.now, self.hooks = problems, now, hooks

    def value(self, value: Any, kind: mi.Type, field: str, extra: Dict[str, Any]) -> Any:
        if isinstance(kind, mi.Metadata):
            return self.value(value, kind.type, field, {**extra, **(kind.extra or {})})
        if isinstance(kind, mi.UnionType):
            return self.union(value, kind, field, extra)
        if isinstance(kind, mi.StructType):
            return self.struct(value, kind, field)
        if isinstance(kind, mi.StrType):
            return self.text(value, kind, field, extra) if extra.get("text") else self.string(value, kind, field, extra)
        if isinstance(kind, mi.IntType):
            return self.integer(value, kind, field, extra)
        if isinstance(kind, mi.BoolType):
            if not isinstance(value, bool):
                return self.add(field, "must be true or false")
            return value
        if isinstance(kind, mi.ListType):
            return self.list(value, kind, field)
        if isinstance(kind, mi.LiteralType):
            if not isinstance(value, str) or value not in kind.values:
                return self.add(field, extra.get("reason") or f"must be one of {', '.join(kind.values)}")
            return value
        if isinstance(kind, mi.DateTimeType):
            return self.time(value, field, extra)
        raise TypeError(f"no check for {kind!r}")  # a declaration this walk does not know yet

    def add(self, field: str, reason: str) -> Any:
        self.problems.add(field, reason)
        return MISSING

    def union(self, value: Any, kind: mi.UnionType, field: str, extra: Dict[str, Any]) -> Any:
        members = [member for member in kind.types if not isinstance(member, mi.NoneType)]
        if value is None and any(isinstance(member, mi.NoneType) for member in kind.types):
            return None
        structs = [member for member in members if isinstance(member, mi.StructType)]
        if len(structs) > 1:  # a tagged union: the tag picks the Struct
            tag_field = structs[0].tag_field
            by_tag = {member.tag: member for member in structs}
            tag = value.get(tag_field) if isinstance(value, dict) else None
            if not isinstance(tag, str) or tag not in by_tag:
                return self.add(_join(field, tag_field), f"must be one of {', '.join(by_tag)}")
            return self.struct(value, by_tag[tag], field)
        if isinstance(value, bool) and any(isinstance(member, mi.BoolType) for member in members):
            return value
        chosen = [member for member in members if not isinstance(member, mi.BoolType)] or members
        return self.value(value, chosen[0], field, extra)

    def struct(self, value: Any, kind: mi.StructType, field: str) -> Any:
        if not isinstance(value, dict):
            return self.add(field or "body", "must be an object")
        before = len(self.problems.items)
        names = {item.encode_name for item in kind.fields}
        for name in value:
            if name not in names and name != kind.tag_field:
                self.problems.add(_join(field, name), "is not a known field")
        clean: Dict[str, Any] = {}
        if kind.tag_field:
            clean[kind.tag_field] = kind.tag
        for item in kind.fields:
            name = _join(field, item.encode_name)
            given = value.get(item.encode_name, MISSING)
            if given is MISSING and not item.required:
                continue  # its default
            if given is MISSING:
                given = None
            result = self.field_value(given, item, name)
            if result is not MISSING:
                clean[item.encode_name] = result
        hook = self.hooks.get(kind.cls)
        if hook and len(self.problems.items) == before:
            hook(clean, field, self.problems)
        return clean if len(self.problems.items) == before else MISSING

    def field_value(self, value: Any, item: mi.Field, name: str) -> Any:
        kind = item.type
        if value is None:
            extra = _extra_of(kind)
            if "not_null" in extra:
                return self.add(name, extra["not_null"])
        return self.value(value, kind, name, {})

    def text(self, value: Any, kind: mi.StrType, field: str, extra: Dict[str, Any]) -> Any:
        """Free text: trimmed, then checked; a text that may be empty is never 'required'."""
        required = kind.min_length != 0
        if value is None:
            return self.add(field, "is required") if required else None
        if not isinstance(value, str):
            return self.add(field, "must be a string")
        text = value.strip()
        maximum = kind.max_length or extra.get("max_length")
        if required and not text:
            return self.add(field, "must not be empty")
        if maximum is not None and len(text) > maximum:
            return self.add(field, f"must be at most {maximum} characters")
        if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in text):
            return self.add(field, "must not contain control characters")
        if kind.pattern and not _validating(kind.pattern).match(text):
            self.problems.add(field, extra["reason"])
            return text  # named, but kept: the fields after it are still checked
        return text

    def string(self, value: Any, kind: mi.StrType, field: str, extra: Dict[str, Any]) -> Any:
        reason = extra.get("reason", "must be a string")
        if not isinstance(value, str):
            return self.add(field, reason)
        if kind.pattern and not _validating(kind.pattern).match(value):
            return self.add(field, reason)
        if not (kind.min_length or 0) <= len(value) <= (kind.max_length or len(value)):
            return self.add(field, reason)
        if "check" in extra and not extra["check"](value):
            return self.add(field, reason)
        return value

    def integer(self, value: Any, kind: mi.IntType, field: str, extra: Dict[str, Any]) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            if extra.get("reason"):
                return self.add(field, extra["reason"])
            if extra.get("money"):
                return self.add(field, MONEY_REASON.format(kind=_JSON_KINDS.get(type(value), "a value of another type")))
            return self.add(field, "must be an integer")
        if value < kind.ge or value > kind.le:
            return self.add(field, extra.get("reason") or f"must be between {kind.ge} and {kind.le}")
        return value

    def list(self, value: Any, kind: mi.ListType, field: str) -> Any:
        if not isinstance(value, list):
            return self.add(field, "must be a list")
        minimum, maximum = kind.min_length or 0, kind.max_length
        if not minimum <= len(value) <= maximum:
            return self.add(field, f"must have between {minimum} and {maximum} items")
        items = [self.value(item, kind.item_type, f"{field}[{index}]", {}) for index, item in enumerate(value)]
        return [item for item in items if item is not MISSING]

    def time(self, value: Any, field: str, extra: Dict[str, Any]) -> Any:
        """An ISO 8601 time with an offset, in UTC. Naive times are refused, not guessed."""
        moment = read_time(value, field, self.problems)
        if moment is None:
            return MISSING
        if extra.get("at_most_a_day_ahead") and self.now is not None and moment > self.now + MAX_FUTURE:
            return self.add(field, "must not be in the future")
        if extra.get("after_now") and self.now is not None and moment <= self.now:
            self.problems.add(field, extra["after_now"])
        return moment


def read_time(value: Any, field: str, problems: Problems) -> Optional[datetime]:
    if not isinstance(value, str):
        problems.add(field, "must be an ISO 8601 string such as 2026-11-23T10:15:00Z")
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        problems.add(field, "must be an ISO 8601 time such as 2026-11-23T10:15:00Z")
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        problems.add(field, "must include a time zone offset (Z or +01:00); naive times are ambiguous")
        return None
    try:
        moment = moment.astimezone(timezone.utc)
    except OverflowError:
        problems.add(field, "is out of range")
        return None
    if moment.year < 1990:
        problems.add(field, "must be after 1990")
        return None
    return moment


def _extra_of(kind: mi.Type) -> Dict[str, Any]:
    found: Dict[str, Any] = {}
    for member in getattr(kind, "types", (kind,)):
        if isinstance(member, mi.Metadata):
            found.update(member.extra or {})
    return found


def _join(field: str, name: str) -> str:
    return f"{field}.{name}" if field else name

