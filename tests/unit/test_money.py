"""Money: exact minor units, currency exponents, largest-remainder allocation."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.money import (
    CURRENCY_EXPONENTS,
    Money,
    UnknownCurrency,
    allocate,
    convert,
    exponent_of,
    format_money,
)


@pytest.mark.parametrize("code, exponent", [("GBP", 2), ("USD", 2), ("JPY", 0), ("KWD", 3), ("BHD", 3), ("CLF", 4)])
def test_currency_exponents_follow_iso_4217(code, exponent):
    assert exponent_of(code) == exponent


@pytest.mark.parametrize("code", ["gbp", "XXX", "", None, "POUNDS"])
def test_unknown_currency_codes_are_refused(code):
    with pytest.raises(UnknownCurrency):
        exponent_of(code)


@pytest.mark.parametrize(
    "amount, currency, text",
    [(400, "GBP", "£4.00"), (12999, "GBP", "£129.99"), (500, "JPY", "¥500"), (1250, "KWD", "1.250 KWD"),
     (-705, "EUR", "-€7.05"), (123456789, "USD", "$1,234,567.89")],
)
def test_format_money_respects_the_currency_exponent(amount, currency, text):
    assert format_money(amount, currency) == text


def test_money_refuses_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        Money(12.5, "GBP")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money(1, "GBP") + Money(1, "EUR")
    assert Money(1, "GBP") + Money(2, "GBP") == Money(3, "GBP")


@given(total=st.integers(0, 10**9), weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=40))
def test_allocation_parts_always_sum_to_the_total(total, weights):
    if sum(weights) == 0:
        total = 0
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert all(part >= 0 for part in parts)
    assert all(part == 0 for part, weight in zip(parts, weights) if weight == 0)
    weight_sum = sum(weights) or 1
    for part, weight in zip(parts, weights):
        exact = total * weight / weight_sum
        assert abs(part - exact) < 1 + 1e-9


def test_allocation_gives_leftover_units_to_the_largest_remainders():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(10, [3, 3, 4]) == [3, 3, 4]
    assert allocate(5, [1, 2]) == [2, 3]


def test_conversion_is_exact_decimal_and_rounds_half_up():
    assert convert(1000, "USD", "GBP", "0.79") == 790
    assert convert(1, "USD", "GBP", "0.5") == 1  # 0.5p rounds up
    assert convert(1000, "GBP", "JPY", "190.5") == 1905  # £10.00 -> ¥1,905
    assert convert(1000, "KWD", "GBP", "2.5") == 250  # 1.000 KWD -> £2.50


def test_every_listed_currency_has_a_sane_exponent():
    assert set(CURRENCY_EXPONENTS.values()) <= {0, 2, 3, 4}
    assert len(CURRENCY_EXPONENTS) > 150
