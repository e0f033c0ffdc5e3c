"""What a signed-in customer is answered (``/v1/me``, ``/v1/me/ledger``, ``/v1/me/addresses``): their status,
history and addresses, the customer value estimate (staff see it too) and their store credit."""
from __future__ import annotations

from typing import Annotated, List, Literal, Optional, Union

from msgspec import UNSET, Meta, Struct, UnsetType

from ..shapes import Timestamp
from .common import AddressOut, Lifetime, Money, Rolling12Months, TierStatus


class CustomerValueBasedOn(Struct, kw_only=True):
    purchase_days: Union[Annotated[int, Meta(ge=0)], UnsetType] = UNSET
    first_purchase_day: Union[str, UnsetType] = UNSET
    last_purchase_day: Union[str, UnsetType] = UNSET


class CustomerValue(Struct, kw_only=True):
    """Estimates, never promises: null for a customer without orders. Optional: absent where the value model is not
    configured."""

    estimate: Literal[True]
    probability_active: Optional[float]
    expected_orders_12m: float
    expected_orders_5y: float
    expected_spend_per_order: Money
    expected_value_5y: Money
    customer_since: Union[Optional[Timestamp], UnsetType] = UNSET
    based_on: Union[CustomerValueBasedOn, UnsetType] = UNSET
    note: str


class MyEntry(Struct, kw_only=True):
    """A ledger entry as the customer sees it (no staff notes, operators or internal details)."""

    entry_id: Union[str, UnsetType] = UNSET
    type: str
    at: Timestamp
    order_id: Union[str, UnsetType] = UNSET
    description: Union[str, UnsetType] = UNSET
    amount: Union[Optional[Money], UnsetType] = UNSET


class MyStatus(TierStatus):
    customer_id: str
    name: Optional[str]
    benefits: Optional[str]
    last_12_months: Rolling12Months
    lifetime: Lifetime
    member_since: Optional[Timestamp]
    recent_history: List[MyEntry]
    value: Union[Optional[CustomerValue], UnsetType] = UNSET
    credit: Union[MyCredit, UnsetType] = UNSET


class MyLedgerPage(Struct, kw_only=True):
    entries: List[MyEntry]
    next_cursor: Optional[str]


class MyAddress(Struct, kw_only=True):
    address_id: str
    address: AddressOut
    orders_shipped: Annotated[int, Meta(ge=0)]
    last_delivery_at: Optional[Timestamp]


class MyAddresses(Struct, kw_only=True):
    addresses: List[MyAddress]


class ExpiringCredit(Struct, kw_only=True):
    at: Timestamp
    amount: Money
    text: str


class MyCredit(Struct, kw_only=True):
    balance: Money
    expiring: List[ExpiringCredit]
    text: Annotated[str, Meta(description="The balance and the next expiry in the customer's words.")]
