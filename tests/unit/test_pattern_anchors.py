"""Defect 11 of issue 11: ``$`` also matches before a trailing newline, so ``"o-1\\n"`` passed the id
rule as an order different from ``"o-1"``. Every validating pattern must end in ``\\Z`` (or be used
with ``fullmatch``); this guard reads the source so a new pattern cannot bring the bug back."""
import ast
from pathlib import Path

import pytest

from chalicelib.api.parsing import COUNTRY_PATTERN, EMAIL_PATTERN, ID_PATTERN, PHONE_PATTERN
from chalicelib.services.api_keys import CHANNEL, KEY_FORMAT
from chalicelib.services.customer_tokens import CUSTOMER_ID_PATTERN, looks_like_jwt

ROOT = Path(__file__).resolve().parents[2]
REGEX_FUNCTIONS = {"compile", "match", "search", "fullmatch"}


def regex_literals():
    """(file:line, pattern text) of every literal pattern given to ``re.*`` in the shipped code."""
    found = []
    for path in sorted((ROOT / "chalicelib").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in REGEX_FUNCTIONS and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "re" and node.args):
                continue
            first = node.args[0]
            if isinstance(first, ast.JoinedStr):  # an f-string: its last literal part decides the ending
                first = first.values[-1]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", first.value))
    return found


def test_no_pattern_in_the_code_ends_with_a_dollar_anchor():
    literals = regex_literals()
    assert len(literals) > 20  # the walk finds the patterns (a broken walk would prove nothing)
    assert [place for place, text in literals if text.endswith("$") and not text.endswith("\\$")] == []


@pytest.mark.parametrize("pattern, valid", [
    (ID_PATTERN, "o-1"), (CUSTOMER_ID_PATTERN, "c-1"), (COUNTRY_PATTERN, "GB"), (EMAIL_PATTERN, "a@b.co"),
    (PHONE_PATTERN, "+44 113 496 0000"), (CHANNEL, "web-shop"), (KEY_FORMAT, "lk_web_" + "A" * 43),
], ids=["id", "customer_id", "country", "email", "phone", "channel", "api_key"])
def test_an_id_with_a_trailing_newline_is_refused_by_every_rule(pattern, valid):
    assert pattern.match(valid)
    assert not pattern.match(valid + "\n")


def test_a_customer_token_shape_with_a_trailing_newline_is_not_a_token():
    assert looks_like_jwt("a.b.c") and not looks_like_jwt("a.b.c\n")
