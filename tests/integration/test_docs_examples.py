"""The story examples in README.md and docs/api.md are the product's answers on today's demo
data (devtools/docs_examples.py): this fails when a document and the product disagree, ids,
tokens and times aside. Regenerate with `python -m devtools.docs_examples`."""
import copy

import pytest

from devtools import docs_examples


@pytest.fixture(scope="module")
def answers():
    return docs_examples.answers()


def test_every_story_example_in_the_docs_is_what_the_product_answers_today(answers):
    assert docs_examples.differences(answers) == []


def test_the_check_fails_when_the_product_answers_something_else(answers):
    changed = copy.deepcopy(answers)
    changed["api-ben-quote"]["customer"]["tier"] = "Gold"
    changed["readme-acacia-quote"]["address_trust"]["decision"] = "verify"
    assert docs_examples.differences(changed) == ["README.md: readme-acacia-quote", "docs/api.md: api-ben-quote"]


def test_ids_tokens_and_times_are_compared_by_their_shape_only():
    one = '{"quote_id": "q-5c1e", "quote_token": "eyJ.a.b", "expires_at": "2026-11-23T05:15:00Z", "tier": "Silver"}'
    two = '{"quote_id": "q-99ff", "quote_token": "eyJ.c.d", "expires_at": "2027-12-28T15:15:01Z", "tier": "Silver"}'
    assert docs_examples.comparable(one) == docs_examples.comparable(two)
    assert docs_examples.comparable(one) != docs_examples.comparable(one.replace("Silver", "Gold"))
    assert "a customer since <year> with 24 orders" in docs_examples.comparable("a customer since 2021 with 24 orders")
