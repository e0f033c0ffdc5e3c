"""Money as integer minor units with an ISO 4217 currency.

Amounts never pass through floats: a price of £129.99 is ``Money(12999, "GBP")``.
The currency table holds the minor-unit exponent of every active ISO 4217 code
(JPY 0, GBP 2, KWD 3), so formatting and conversion respect each currency.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence

# ISO 4217 active codes and their minor-unit exponents. Codes with exponent 2 are the
# default and listed in one string to keep this table readable.
_EXPONENT_0 = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_EXPONENT_3 = "BHD IQD JOD KWD LYD OMR TND"
_EXPONENT_4 = "CLF UYW"
_EXPONENT_2 = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR "
    "FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW "
    "KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN "
    "NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD "
    "SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS "
    "VED VES WST XCD XCG YER ZAR ZMW ZWG"
)

CURRENCY_EXPONENTS = {
    code: exponent
    for exponent, codes in ((0, _EXPONENT_0), (2, _EXPONENT_2), (3, _EXPONENT_3), (4, _EXPONENT_4))
    for code in codes.split()
}

# Symbols for the currencies shoppers most often see; others are written with their code.
_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "JPY": "¥", "INR": "₹", "KRW": "₩"}


class UnknownCurrency(ValueError):
    """The code is not an active ISO 4217 currency."""


def exponent_of(currency: str) -> int:
    """Minor-unit exponent of an ISO 4217 currency (GBP 2, JPY 0, KWD 3)."""
    try:
        return CURRENCY_EXPONENTS[currency]
    except (KeyError, TypeError):
        raise UnknownCurrency(f"{currency!r} is not an ISO 4217 currency code") from None


def is_currency(code: object) -> bool:
    return isinstance(code, str) and code in CURRENCY_EXPONENTS


@dataclass(frozen=True, order=True)
class Money:
    """An exact amount of one currency, in minor units."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError("Money.amount must be an int of minor units")
        exponent_of(self.currency)

    def __add__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.amount, self.currency)

    def _same_currency(self, other: "Money") -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {getattr(other, 'currency', other)!r}")

    def to_json(self) -> dict:
        return {"amount": self.amount, "currency": self.currency}

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)


def format_money(amount: int, currency: str) -> str:
    """Human text for an amount: ``format_money(400, "GBP") == "£4.00"``, ``"¥500"``, ``"1.250 KWD"``."""
    exponent = exponent_of(currency)
    sign = "-" if amount < 0 else ""
    whole, minor = divmod(abs(amount), 10**exponent)
    number = f"{whole:,}" + (f".{minor:0{exponent}d}" if exponent else "")
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {currency}"


def allocate(total: int, weights: Sequence[int]) -> List[int]:
    """Split ``total`` minor units over ``weights`` by the largest-remainder method.

    The parts always sum exactly to ``total``; each part is proportional to its weight,
    rounded down, and the units left over go to the largest remainders (earliest first
    on ties), so the result is deterministic. A zero weight gets zero. Raises on
    negative inputs or when every weight is zero and total is not.
    """
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("allocate takes a non-negative total and weights")
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total:
            raise ValueError("cannot allocate a non-zero total over zero weights")
        return [0] * len(weights)
    parts = []
    remainders = []
    for index, weight in enumerate(weights):
        part, remainder = divmod(total * weight, weight_sum)
        parts.append(part)
        remainders.append((-remainder, index))
    left = total - sum(parts)
    for _, index in sorted(remainders)[:left]:
        parts[index] += 1
    return parts


def convert(amount: int, from_currency: str, to_currency: str, rate: str) -> int:
    """Convert minor units with a decimal ``rate`` (units of ``to`` per unit of ``from``).

    The rate is a decimal string so no float enters the calculation; the result is rounded
    half away from zero to the target currency's minor unit.
    """
    from decimal import ROUND_HALF_UP, Decimal

    scale = Decimal(10) ** (exponent_of(to_currency) - exponent_of(from_currency))
    value = (Decimal(amount) * Decimal(rate) * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(value)
