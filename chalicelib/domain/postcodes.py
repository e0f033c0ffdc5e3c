"""Postcode validation and canonical form, by the rules of each country.

A checkout sends whatever the shopper typed. ``check_postcode`` says whether it is a possible
postcode for the country, gives its canonical spelling (``"sw1a1aa"`` -> ``"SW1A 1AA"``,
``"123456789"`` -> ``"12345-6789"``) and, when it is not, says why in words an operator can read out.
Validity here is about form: whether the postcode exists is for the centroid tables in ``geo`` to say.

Great Britain follows the Royal Mail / BS 7666 rules (formats A9 9AA, A99 9AA, AA9 9AA, AA99 9AA,
A9A 9AA, AA9A 9AA and the letters each position may hold) plus its special cases: GIR 0AA, BFPO
numbers, the overseas territories' single postcodes and a few non-geographic codes. The Crown
dependencies (JE, GG, IM) use the same format. The US has ZIP and ZIP+4. A small table covers other
common countries; anything else is accepted as ``unchecked`` when it looks like a postcode at all.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

VALID = "valid"
INVALID = "invalid"
MISSING = "missing"
UNCHECKED = "unchecked"  # a country whose rules we do not hold; the text is kept as typed

GB_FORMAT_COUNTRIES = frozenset({"GB", "JE", "GG", "IM"})

# Letters allowed in each position of a GB postcode (Royal Mail rules).
_FIRST = "[ABCDEFGHIJKLMNOPRSTUWYZ]"        # never Q, V, X
_SECOND = "[ABCDEFGHKLMNOPQRSTUVWXY]"       # never I, J, Z
_THIRD = "[ABCDEFGHJKPSTUW]"                # the letter of A9A
_FOURTH = "[ABEHMNPRVWXY]"                  # the letter of AA9A
_INWARD_LETTER = "[ABDEFGHJLNPQRSTUWXYZ]"   # never C, I, K, M, O, V
_GB_OUTWARD = re.compile(
    rf"^(?:{_FIRST}[0-9][0-9]?|{_FIRST}{_SECOND}[0-9][0-9]?|{_FIRST}[0-9]{_THIRD}|{_FIRST}{_SECOND}[0-9]{_FOURTH})\Z"
)
_GB_INWARD = re.compile(rf"^[0-9]{_INWARD_LETTER}{{2}}\Z")
_GB_SHAPE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][A-Z]{2}\Z")

# Postcodes that break the general rules but are real.
_GB_NON_GEOGRAPHIC = {"GIR0AA": "GIR 0AA", "XM45HQ": "XM4 5HQ", "SANTA1": "SAN TA1"}
# Overseas territories with one UK-format postcode each, and the ISO code of the territory.
_OVERSEAS_TERRITORIES = {
    "ASCN1ZZ": ("ASCN 1ZZ", "SH"),  # Ascension Island
    "STHL1ZZ": ("STHL 1ZZ", "SH"),  # St Helena
    "TDCU1ZZ": ("TDCU 1ZZ", "SH"),  # Tristan da Cunha
    "BBND1ZZ": ("BBND 1ZZ", "IO"),  # British Indian Ocean Territory
    "BIQQ1ZZ": ("BIQQ 1ZZ", "AQ"),  # British Antarctic Territory
    "FIQQ1ZZ": ("FIQQ 1ZZ", "FK"),  # Falkland Islands
    "GX111AA": ("GX11 1AA", "GI"),  # Gibraltar
    "PCRN1ZZ": ("PCRN 1ZZ", "PN"),  # Pitcairn Islands
    "SIQQ1ZZ": ("SIQQ 1ZZ", "GS"),  # South Georgia and the South Sandwich Islands
    "TKCA1ZZ": ("TKCA 1ZZ", "TC"),  # Turks and Caicos Islands
}
_BFPO = re.compile(r"^BFPO(\d{1,4})\Z")

_US_ZIP = re.compile(r"^(\d{5})(\d{4})?\Z")

# Other countries: pattern on the compact form (no spaces or hyphens) and how to print it.
_OTHER = {
    "CA": (re.compile(r"^[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z][0-9][ABCEGHJ-NPRSTV-Z][0-9]\Z"), (3,)),
    "AU": (re.compile(r"^[0-9]{4}\Z"), ()),
    "NZ": (re.compile(r"^[0-9]{4}\Z"), ()),
    "DE": (re.compile(r"^[0-9]{5}\Z"), ()),
    "FR": (re.compile(r"^[0-9]{5}\Z"), ()),
    "IT": (re.compile(r"^[0-9]{5}\Z"), ()),
    "ES": (re.compile(r"^[0-9]{5}\Z"), ()),
    "NL": (re.compile(r"^[1-9][0-9]{3}[A-Z]{2}\Z"), (4,)),
    "BE": (re.compile(r"^[1-9][0-9]{3}\Z"), ()),
    "IE": (re.compile(r"^(?:[AC-FHKNPRTV-Y][0-9]{2}|D6W)[0-9AC-FHKNPRTV-Y]{4}\Z"), (3,)),
    "SE": (re.compile(r"^[1-9][0-9]{4}\Z"), (3,)),
    "JP": (re.compile(r"^[0-9]{7}\Z"), (3,)),
    "IN": (re.compile(r"^[1-9][0-9]{5}\Z"), ()),
}
# Joiner used when printing the compact form split at the positions above.
_JOINER = {"JP": "-"}


@dataclass(frozen=True)
class PostcodeCheck:
    """Outcome of checking one postcode against its country's rules.

    ``canonical`` is the form to store and compare: the official spelling when ``status`` is
    ``valid``, the typed text upper-cased and tidied otherwise (empty when missing). ``kind`` names
    the rule that accepted it (``standard``, ``bfpo``, ``non_geographic``, ``overseas_territory``,
    ``zip``, ``zip+4``, ``pattern``, ``unchecked``). ``problem`` explains an ``invalid`` status.
    """

    country: str
    canonical: str
    status: str
    kind: Optional[str] = None
    problem: Optional[str] = None

    @property
    def is_valid(self) -> bool:
        return self.status == VALID

    @property
    def is_usable(self) -> bool:
        """Good enough to compare with another postcode: valid, or unchecked for want of rules."""
        return self.status in (VALID, UNCHECKED)


def compact(raw: str) -> str:
    """Upper-case and drop everything but letters and digits: ``" sw1a-1aa "`` -> ``"SW1A1AA"``."""
    return re.sub(r"[^0-9A-Z]", "", raw.upper())


def check_postcode(raw: Optional[str], country: str) -> PostcodeCheck:
    """Check ``raw`` as a postcode of ``country`` (ISO 3166-1 alpha-2) and give its canonical form."""
    country = country.upper()
    text = " ".join((raw or "").upper().split())
    if not compact(text):
        return PostcodeCheck(country, "", MISSING)
    if country in GB_FORMAT_COUNTRIES or compact(text) in _OVERSEAS_TERRITORIES:
        return _check_gb(text, country)
    if country == "US":
        return _check_us(text)
    return _check_other(text, country)


def _check_gb(text: str, country: str) -> PostcodeCheck:
    code = compact(text)
    if code in _GB_NON_GEOGRAPHIC:
        return PostcodeCheck(country, _GB_NON_GEOGRAPHIC[code], VALID, "non_geographic")
    if code in _OVERSEAS_TERRITORIES:
        canonical, _territory = _OVERSEAS_TERRITORIES[code]
        return PostcodeCheck(country, canonical, VALID, "overseas_territory")
    bfpo = _BFPO.match(code)
    if bfpo:
        return PostcodeCheck(country, f"BFPO {int(bfpo.group(1))}", VALID, "bfpo")
    problem = gb_postcode_problem(code)
    if problem:
        return PostcodeCheck(country, text, INVALID, problem=problem)
    return PostcodeCheck(country, f"{code[:-3]} {code[-3:]}", VALID, "standard")


def gb_postcode_problem(code: str) -> Optional[str]:
    """Why a compact GB postcode breaks the format rules, in plain English; None if it does not."""
    if not _GB_SHAPE.match(code):
        return (f"'{code}' is not in a UK postcode format "
                "(A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA or AA9A 9AA)")
    outward, inward = code[:-3], code[-3:]
    if not _GB_INWARD.match(inward):
        return f"the last two letters of '{inward}' cannot include C, I, K, M, O or V"
    if not _GB_OUTWARD.match(outward):
        if outward[0] in "QVX":
            return f"UK postcodes never start with {outward[0]}"
        if outward[1].isalpha() and outward[1] in "IJZ":
            return f"UK postcodes never have {outward[1]} as the second letter"
        return f"'{outward}' breaks the letter rules for the first half of a UK postcode"
    return None


def _check_us(text: str) -> PostcodeCheck:
    digits = re.sub(r"[\s-]", "", text)
    match = _US_ZIP.match(digits)
    if not match:
        return PostcodeCheck("US", text, INVALID,
                             problem=f"'{text}' is not a US ZIP code (5 digits, or ZIP+4 as 12345-6789)")
    zip5, plus4 = match.groups()
    if zip5 == "00000":
        return PostcodeCheck("US", text, INVALID, problem="00000 is not an assigned US ZIP code")
    if plus4:
        return PostcodeCheck("US", f"{zip5}-{plus4}", VALID, "zip+4")
    return PostcodeCheck("US", zip5, VALID, "zip")


def _check_other(text: str, country: str) -> PostcodeCheck:
    code = compact(text)
    rule = _OTHER.get(country)
    if rule is None:
        if 2 <= len(code) <= 10:
            return PostcodeCheck(country, text, UNCHECKED, "unchecked")
        return PostcodeCheck(country, text, INVALID, problem=f"'{text}' does not look like a postcode")
    pattern, splits = rule
    if not pattern.match(code):
        return PostcodeCheck(country, text, INVALID, problem=f"'{text}' is not a valid {country} postcode")
    for position in splits:
        code = code[:position] + _JOINER.get(country, " ") + code[position:]
    return PostcodeCheck(country, code, VALID, "pattern")


def comparison_key(check: PostcodeCheck) -> str:
    """The part of a postcode that identifies a delivery area: ZIP5 for ZIP+4, else the compact form."""
    if not check.is_usable:
        return ""
    if check.country == "US":
        return check.canonical[:5]
    return compact(check.canonical)


def district_of(country: str, canonical: str) -> Optional[str]:
    """The coarse area a valid canonical postcode belongs to: GB outward code (``SW1A``), US ZIP3."""
    if not canonical:
        return None
    if country in GB_FORMAT_COUNTRIES and " " in canonical:
        return canonical.split(" ", 1)[0]
    if country == "US":
        return canonical[:3]
    return None


def sector_of(country: str, canonical: str) -> Optional[str]:
    """GB postcode sector (``SW1A 1``) of a valid canonical postcode; the ZIP5 for the US."""
    if not canonical:
        return None
    if country in GB_FORMAT_COUNTRIES and " " in canonical:
        outward, inward = canonical.split(" ", 1)
        return f"{outward} {inward[:1]}"
    if country == "US":
        return canonical[:5]
    return None
