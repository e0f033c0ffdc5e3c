"""Who a shopper is, from what they type: identity keys and the recognition rules.

An *identity key* is a normalised email, a normalised phone (E.164) or the fingerprint of an
address a customer had delivered. Keys are only ever stored as keyed hashes
(:func:`chalicelib.domain.customer.lookup_hash`), on the table's identity items.

Email normalisation (docs/identity.md lists the providers):

- case and surrounding whitespace never matter;
- a ``+tag`` (RFC 5233 sub-addressing) is removed for every domain: Gmail, Outlook.com,
  iCloud, Fastmail and Proton document it, and it is the default delimiter of Postfix and
  Exim. It is also the usual way to take a "first order" offer twice;
- dots in the local part are removed only where the provider documents that they do not
  matter (Gmail: ``gmail.com``, and ``googlemail.com``, which is the same mailbox).

Phones are parsed with the ``phonenumbers`` library (imported only when a phone is given)
with the customer's or store's country as the default region, and must be a possible number.

Recognition (:func:`recognise`): exactly one customer holds an email or phone key **and** a
second fact agrees (the shipping address is one they had delivered, or the payment
provider's confirmed address is in their book). An identity key alone is not proof: anyone
can type someone else's email.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

#: Providers whose documentation says dots in the local part are ignored, and the domain they
#: are the same mailbox as.
DOTS_IGNORED = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
#: Providers that document ``+tag`` sub-addressing (the tag is removed for every domain; this
#: list is what docs/identity.md cites).
PLUS_TAGS_DOCUMENTED = ("gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com",
                        "icloud.com", "me.com", "fastmail.com", "proton.me", "protonmail.com")

_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+\Z")
_DOMAIN = re.compile(r"(?=.{1,253}\Z)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z")

SIGNALS = ("email", "phone", "delivered_address")
ATTACH_POLICIES = ("suggest", "auto")


class IdentityInvalid(ValueError):
    """An email or phone that cannot be one; the message is the reason (never the value)."""


def normalise_email(raw: str) -> str:
    """The identity form of an email: ``" Ben.Harris+shoes@Example.com "`` -> ``ben.harris@example.com``;
    ``J.Smith+x@GoogleMail.com`` -> ``jsmith@gmail.com``. Raises :class:`IdentityInvalid`."""
    text = raw.strip().lower()
    if len(text) > 254 or text.count("@") != 1:
        raise IdentityInvalid("must be an email address")
    local, domain = text.split("@")
    if not local or not _LOCAL.match(local) or local.startswith(".") or local.endswith(".") or ".." in local:
        raise IdentityInvalid("must be an email address")
    if not _DOMAIN.match(domain):
        raise IdentityInvalid("must be an email address with a domain like example.com")
    local = local.split("+", 1)[0]
    if domain in DOTS_IGNORED:
        local, domain = local.replace(".", ""), DOTS_IGNORED[domain]
    if not local:
        raise IdentityInvalid("must be an email address")
    return f"{local}@{domain}"


def normalise_phone(raw: str, default_country: Optional[str]) -> str:
    """E.164 (``+447700900123``) of a phone written any usual way, read in ``default_country``
    when it has no ``+``/international prefix. Raises :class:`IdentityInvalid`."""
    import phonenumbers  # only when a phone is given: it is a large import

    try:
        number = phonenumbers.parse(raw, (default_country or "").upper() or None)
    except phonenumbers.NumberParseException:
        raise IdentityInvalid("must be a phone number (with +country code, or a number of the "
                              "customer's country)") from None
    if not phonenumbers.is_possible_number(number):
        raise IdentityInvalid("is not a possible phone number for its country")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# ---------------------------------------------------------------- the rules' identity section


@dataclass(frozen=True)
class IdentityPolicy:
    """The rules' ``identity`` section: which facts make a record "not new", and what a guest
    order that matches one customer does (``suggest`` a merge to support, or merge ``auto``)."""

    new_customer_signals: Tuple[str, ...] = SIGNALS
    attach: str = "suggest"


def identity_policy_problems(section: Any) -> List[Dict[str, str]]:
    """Every problem of an ``identity`` section, as ``{"field", "reason"}``."""
    if not isinstance(section, Mapping):
        return [{"field": "identity", "reason": "must be an object"}]
    problems = []
    for name in section:
        if name not in ("new_customer_signals", "attach"):
            problems.append({"field": f"identity.{name}", "reason": "is not a known field (new_customer_signals, attach)"})
    signals = section.get("new_customer_signals", list(SIGNALS))
    if not isinstance(signals, list) or any(s not in SIGNALS for s in signals) or len(set(signals)) != len(signals):
        problems.append({"field": "identity.new_customer_signals",
                         "reason": f"must be a list of distinct signals among {', '.join(SIGNALS)}"})
    if section.get("attach", "suggest") not in ATTACH_POLICIES:
        problems.append({"field": "identity.attach", "reason": "must be suggest or auto"})
    return problems


def identity_policy(section: Optional[Mapping[str, Any]]) -> IdentityPolicy:
    """The policy of a validated section (defaults where absent)."""
    if not section:
        return IdentityPolicy()
    return IdentityPolicy(tuple(section.get("new_customer_signals", SIGNALS)), str(section.get("attach", "suggest")))


# ---------------------------------------------------------------- recognition


@dataclass(frozen=True)
class Candidate:
    """A customer holding one of the identity keys a shopper gave, as read for recognition."""

    customer_id: str
    by: Tuple[str, ...]  # which keys they hold: "email", "phone"
    erased: bool = False
    lifetime_orders: int = 0
    delivered_addresses: frozenset = frozenset()  # fingerprints with a confirmed delivery
    book_addresses: frozenset = frozenset()  # every fingerprint in their address book


@dataclass(frozen=True)
class Recognition:
    """The outcome: ``recognised`` (price as ``customer_id``), ``identity_only`` (a guest quote
    with a sign-in hint), ``ambiguous`` (several records: a guest quote, recorded for
    support) or ``none``."""

    outcome: str
    customer_id: Optional[str] = None
    by: Tuple[str, ...] = ()
    candidates: Tuple[str, ...] = ()


def second_facts(candidate: Candidate, shipping_fingerprint: Optional[str],
                 payment_fingerprint: Optional[str]) -> Tuple[str, ...]:
    """The facts beyond an identity key that agree with ``candidate``."""
    facts = []
    if shipping_fingerprint and shipping_fingerprint in candidate.delivered_addresses:
        facts.append("delivered_address")
    if payment_fingerprint and payment_fingerprint in candidate.book_addresses:
        facts.append("payment_address")
    return tuple(facts)


def recognise(candidates: Sequence[Candidate], shipping_fingerprint: Optional[str],
              payment_fingerprint: Optional[str]) -> Recognition:
    """Apply the rules above to the customers holding the shopper's email or phone keys.
    Erased customers match nothing."""
    live = [c for c in candidates if not c.erased]
    if not live:
        return Recognition("none")
    if len(live) > 1:
        return Recognition("ambiguous", candidates=tuple(sorted(c.customer_id for c in live)))
    only = live[0]
    facts = second_facts(only, shipping_fingerprint, payment_fingerprint)
    if facts:
        return Recognition("recognised", only.customer_id, tuple(only.by) + facts)
    return Recognition("identity_only", only.customer_id, tuple(only.by))


#: The shopper's words for every guest who typed an email or phone and was not recognised,
#: whether it matched one record, several or none: the same words for all, so typing someone's
#: email tells nobody whether they are a customer, nor their tier.
SIGN_IN_HINT = "Sign in to use any benefits your account has"


def recognised_customer_json(customer: Mapping[str, Any]) -> Dict[str, Any]:
    """The ``customer`` block of a quote that recognised a guest, for the storefront: the tier
    and the discounts are the point, the stored history behind them is not the caller's to
    read (a signed-in customer's quote shows it): no explanation with years, order counts or
    spend, no date the tier is held until, no progress to the next tier."""
    tier = customer.get("tier")
    explanation = (f"Your {tier} benefits apply: we recognised you from your checkout details" if tier
                   else "We recognised you from your checkout details")
    return {**customer, "tier_explanation": explanation, "tier_held_until": None, "next_tier": None}


ORDERED_BEFORE = "You've ordered with us before"
