"""Identity keys (normalised emails and phones) and the recognition rules, without a table."""
import json

import pytest

from chalicelib.domain.identity import (
    Candidate,
    IdentityInvalid,
    identity_policy,
    identity_policy_problems,
    normalise_email,
    normalise_phone,
    recognise,
)

EMAILS = [
    ("ben.harris@example.com", "ben.harris@example.com"),
    ("  Ben.Harris@Example.COM ", "ben.harris@example.com"),
    ("Ben.Harris+shoes@Example.com", "ben.harris@example.com"),  # RFC 5233 sub-address
    ("ben.harris+a+b@example.com", "ben.harris@example.com"),
    ("B.E.N.Harris@gmail.com", "benharris@gmail.com"),  # Gmail ignores dots
    ("benharris+running@GoogleMail.com", "benharris@gmail.com"),  # the same mailbox
    ("ben.harris@outlook.com", "ben.harris@outlook.com"),  # Outlook keeps dots
    ("ben.harris+x@hotmail.co.uk", "ben.harris@hotmail.co.uk"),
    ("o'neil@example.ie", "o'neil@example.ie"),
]


@pytest.mark.parametrize("typed,normalised", EMAILS)
def test_emails_written_differently_normalise_to_one_key(typed, normalised):
    assert normalise_email(typed) == normalised


@pytest.mark.parametrize("typed", ["", "ben", "ben@", "@example.com", "ben@@example.com", "ben@example",
                                   "ben harris@example.com", ".ben@example.com", "ben..h@example.com",
                                   "+shoes@example.com", "ben@exa mple.com"])
def test_malformed_emails_are_refused(typed):
    with pytest.raises(IdentityInvalid):
        normalise_email(typed)


PHONES = [
    ("+44 7700 900123", None, "+447700900123"),
    ("07700 900123", "GB", "+447700900123"),
    ("+44 (0)7700 900123", None, "+447700900123"),
    ("0044 7700-900-123", "GB", "+447700900123"),
    ("(415) 555-0132", "US", "+14155550132"),
    ("+1 415.555.0132", "GB", "+14155550132"),
]


@pytest.mark.parametrize("typed,country,e164", PHONES)
def test_phones_normalise_to_e164(typed, country, e164):
    assert normalise_phone(typed, country) == e164


@pytest.mark.parametrize("typed", ["call me", "12", "+44 12", "+999 123456"])
def test_impossible_phones_are_refused(typed):
    with pytest.raises(IdentityInvalid):
        normalise_phone(typed, "GB")


HOME, OTHER = "fp-home", "fp-other"


def ben(**overrides):
    base = dict(customer_id="runner-ben", by=("email",), lifetime_orders=24,
                delivered_addresses=frozenset({HOME}), book_addresses=frozenset({HOME, OTHER}))
    return Candidate(**{**base, **overrides})


def test_one_record_and_a_delivered_address_is_recognised():
    result = recognise([ben()], HOME, None)
    assert (result.outcome, result.customer_id, result.by) == ("recognised", "runner-ben", ("email", "delivered_address"))


def test_the_payment_address_in_the_book_is_a_second_fact():
    result = recognise([ben(by=("phone",))], "fp-new", OTHER)
    assert (result.outcome, result.by) == ("recognised", ("phone", "payment_address"))


def test_an_address_shipped_to_but_never_delivered_is_not_a_second_fact():
    assert recognise([ben()], OTHER, None).outcome == "identity_only"


def test_an_identity_key_alone_is_not_proof():
    result = recognise([ben()], "fp-new", None)
    assert (result.outcome, result.customer_id) == ("identity_only", "runner-ben")


def test_several_records_are_ambiguous_even_with_a_second_fact():
    result = recognise([ben(), ben(customer_id="guest-7")], HOME, None)
    assert (result.outcome, result.customer_id, result.candidates) == ("ambiguous", None, ("guest-7", "runner-ben"))


def test_an_erased_customer_matches_nothing():
    assert recognise([ben(erased=True)], HOME, None).outcome == "none"
    assert recognise([ben(erased=True), ben(customer_id="b")], HOME, None).customer_id == "b"


def test_the_identity_policy_is_validated_and_defaults_to_suggest_with_every_signal():
    assert identity_policy(None).attach == "suggest"
    assert identity_policy(None).new_customer_signals == ("email", "phone", "delivered_address")
    assert identity_policy({"new_customer_signals": ["phone"]}).new_customer_signals == ("phone",)
    fields = {p["field"] for p in identity_policy_problems({"new_customer_signals": ["shoe size"], "attach": "x",
                                                             "other": 1})}
    assert fields == {"identity.new_customer_signals", "identity.attach", "identity.other"}
    assert identity_policy_problems({"new_customer_signals": [], "attach": "auto"}) == []


def _modules_after(body):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    script = ("import sys, json; from chalicelib.api.parsing import parse_quote; "
              f"parse_quote(json.loads({json.dumps(body)!r})); print('phonenumbers' in sys.modules)")
    path = os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p)
    result = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=60,
                            check=True, env={**os.environ, "PYTHONPATH": path})
    return result.stdout.strip()


def test_phonenumbers_loads_only_when_a_phone_is_given():
    cart = {"currency": "GBP", "lines": [{"sku": "S", "category": "c", "quantity": 1, "unit_amount": 100}]}
    assert _modules_after({**cart, "customer": {"email": "ben@example.com"}}) == "False"
    assert _modules_after(cart) == "False"
    assert _modules_after({**cart, "customer": {"phone": "+44 7700 900123"}}) == "True"
