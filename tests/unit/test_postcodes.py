"""Postcode validation by country rules: GB (with its special cases), US ZIP / ZIP+4, others."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.postcodes import (
    INVALID,
    MISSING,
    UNCHECKED,
    VALID,
    check_postcode,
    comparison_key,
    district_of,
    sector_of,
)


@pytest.mark.parametrize("raw, canonical", [
    ("M1 1AE", "M1 1AE"),          # A9 9AA
    ("B33 8TH", "B33 8TH"),        # A99 9AA
    ("CR2 6XH", "CR2 6XH"),        # AA9 9AA
    ("DN55 1PT", "DN55 1PT"),      # AA99 9AA
    ("W1A 0AX", "W1A 0AX"),        # A9A 9AA
    ("EC1A 1BB", "EC1A 1BB"),      # AA9A 9AA
    ("sw1a1aa", "SW1A 1AA"),
    ("  ls11   5qp ", "LS11 5QP"),
])
def test_gb_postcodes_in_every_format_are_valid_and_spelt_canonically(raw: str, canonical: str) -> None:
    check = check_postcode(raw, "GB")
    assert check.status == VALID
    assert check.canonical == canonical
    assert check.kind == "standard"


@pytest.mark.parametrize("raw, fragment", [
    ("QA1 1AA", "never start with Q"),
    ("VA1 1AA", "never start with V"),
    ("XA1 1AA", "never start with X"),
    ("AI1 1AA", "I as the second letter"),
    ("AJ1 1AA", "J as the second letter"),
    ("AZ1 1AA", "Z as the second letter"),
    ("W1I 1AA", "letter rules"),      # A9A: third letter must be one of ABCDEFGHJKPSTUW
    ("EC1C 1AA", "letter rules"),     # AA9A: fourth letter must be one of ABEHMNPRVWXY
    ("SW1A 1AC", "cannot include C, I, K, M, O or V"),
    ("SW1A 1IA", "cannot include C, I, K, M, O or V"),
    ("SW1A 1AO", "cannot include C, I, K, M, O or V"),
    ("SW1A", "not in a UK postcode format"),
    ("12345", "not in a UK postcode format"),
])
def test_gb_postcodes_breaking_the_letter_rules_are_invalid_with_a_readable_reason(raw: str, fragment: str) -> None:
    check = check_postcode(raw, "GB")
    assert check.status == INVALID
    assert fragment in check.problem


@pytest.mark.parametrize("raw, country, canonical, kind", [
    ("GIR 0AA", "GB", "GIR 0AA", "non_geographic"),
    ("gir0aa", "GB", "GIR 0AA", "non_geographic"),
    ("XM4 5HQ", "GB", "XM4 5HQ", "non_geographic"),
    ("BFPO 57", "GB", "BFPO 57", "bfpo"),
    ("bfpo1234", "GB", "BFPO 1234", "bfpo"),
    ("FIQQ 1ZZ", "FK", "FIQQ 1ZZ", "overseas_territory"),
    ("GX11 1AA", "GI", "GX11 1AA", "overseas_territory"),
    ("STHL 1ZZ", "GB", "STHL 1ZZ", "overseas_territory"),
    ("TKCA 1ZZ", "TC", "TKCA 1ZZ", "overseas_territory"),
    ("JE2 3AB", "JE", "JE2 3AB", "standard"),
    ("GY1 1AA", "GG", "GY1 1AA", "standard"),
    ("IM1 1AA", "IM", "IM1 1AA", "standard"),
])
def test_gb_special_cases_are_valid(raw: str, country: str, canonical: str, kind: str) -> None:
    check = check_postcode(raw, country)
    assert (check.status, check.canonical, check.kind) == (VALID, canonical, kind)


def test_bfpo_numbers_have_at_most_four_digits() -> None:
    assert check_postcode("BFPO 12345", "GB").status == INVALID


@pytest.mark.parametrize("raw, canonical, kind", [
    ("10019", "10019", "zip"),
    ("10019-1234", "10019-1234", "zip+4"),
    ("10019 1234", "10019-1234", "zip+4"),
    ("100191234", "10019-1234", "zip+4"),
    ("02108", "02108", "zip"),
])
def test_us_zip_and_zip_plus_4_are_valid(raw: str, canonical: str, kind: str) -> None:
    check = check_postcode(raw, "US")
    assert (check.status, check.canonical, check.kind) == (VALID, canonical, kind)


@pytest.mark.parametrize("raw", ["1001", "100199", "ABCDE", "10019-12", "00000"])
def test_malformed_us_zips_are_invalid(raw: str) -> None:
    check = check_postcode(raw, "US")
    assert check.status == INVALID
    assert check.problem


def test_zip_plus_4_compares_by_its_zip5() -> None:
    assert comparison_key(check_postcode("10019-1234", "US")) == comparison_key(check_postcode("10019", "US"))


@pytest.mark.parametrize("raw, country, canonical", [
    ("k1a0b1", "CA", "K1A 0B1"),
    ("1012ab", "NL", "1012 AB"),
    ("d02x285", "IE", "D02 X285"),
    ("1000001", "JP", "100-0001"),
    ("10115", "DE", "10115"),
])
def test_other_common_countries_are_checked_by_their_pattern(raw: str, country: str, canonical: str) -> None:
    check = check_postcode(raw, country)
    assert (check.status, check.canonical) == (VALID, canonical)


def test_a_postcode_of_a_country_without_rules_is_kept_unchecked() -> None:
    check = check_postcode("0155", "NO")
    assert check.status == UNCHECKED
    assert check.is_usable and not check.is_valid


def test_a_missing_postcode_is_missing_not_invalid() -> None:
    assert check_postcode(None, "GB").status == MISSING
    assert check_postcode("  ", "US").status == MISSING


def test_districts_and_sectors() -> None:
    assert district_of("GB", "SW1A 1AA") == "SW1A"
    assert sector_of("GB", "SW1A 1AA") == "SW1A 1"
    assert district_of("US", "10019-1234") == "100"
    assert sector_of("US", "10019-1234") == "10019"
    assert district_of("FR", "75002") is None


_FIRST, _SECOND = "ABCDEFGHIJKLMNOPRSTUWYZ", "ABCDEFGHKLMNOPQRSTUVWXY"
_THIRD, _FOURTH, _INWARD = "ABCDEFGHJKPSTUW", "ABEHMNPRVWXY", "ABDEFGHJLNPQRSTUWXYZ"
_digit = st.sampled_from("0123456789")
_outward = st.one_of(
    st.tuples(st.sampled_from(_FIRST), _digit),
    st.tuples(st.sampled_from(_FIRST), _digit, _digit),
    st.tuples(st.sampled_from(_FIRST), st.sampled_from(_SECOND), _digit),
    st.tuples(st.sampled_from(_FIRST), st.sampled_from(_SECOND), _digit, _digit),
    st.tuples(st.sampled_from(_FIRST), _digit, st.sampled_from(_THIRD)),
    st.tuples(st.sampled_from(_FIRST), st.sampled_from(_SECOND), _digit, st.sampled_from(_FOURTH)),
).map("".join)
_inward = st.tuples(_digit, st.sampled_from(_INWARD), st.sampled_from(_INWARD)).map("".join)


@given(_outward, _inward)
def test_every_postcode_the_format_rules_allow_is_valid_and_canonical_form_is_stable(outward: str, inward: str) -> None:
    check = check_postcode(f"{outward.lower()}{inward.lower()}", "GB")
    assert check.status == VALID
    assert check.canonical == f"{outward} {inward}"
    assert check_postcode(check.canonical, "GB").canonical == check.canonical


@given(st.text(max_size=30), st.sampled_from(["GB", "US", "CA", "NO", "JE", "FK"]))
def test_any_text_gets_a_status_and_never_raises(raw: str, country: str) -> None:
    check = check_postcode(raw, country)
    assert check.status in (VALID, INVALID, MISSING, UNCHECKED)
    assert (check.problem is not None) == (check.status == INVALID)
