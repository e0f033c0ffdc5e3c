"""The customer's address book and the address-trust judgement of a checkout.

Address book entries live in the customer's partition (``PROFILE#ADDR#<fingerprint>``), so
the quote's one Query already returns them. Orders add "shipped here", ``delivered`` events
add "delivered here", operators confirm. The address modules are imported on first use:
they cost tens of milliseconds to import and a quote without an address never needs them.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from ..domain.customer import AddressRecord, Customer, CustomerStats, customer_since
from ..domain.errors import InvalidInput, NotFound
from ..domain.ledger import Order, OrderState
from ..domain.rules import Rules
from ..store import addresses as addresses_store
from .exchange import to_base

NEW_ADDRESS_WINDOW = timedelta(days=30)


def _normalised(address: dict):
    """The normalised form of an address, or None when it cannot be read as one."""
    from ..domain.addresses import AddressInvalid, normalise_address

    try:
        return normalise_address(address)
    except AddressInvalid:
        return None


def address_use(order: Order, state: OrderState,
                payment_confirmed_address: Optional[dict] = None) -> Optional[addresses_store.AddressUse]:
    """What recording ``order`` (in ``state``) adds to the address book entry it shipped to.

    When the payment provider confirmed the very same address, the entry is marked confirmed
    by the payment provider.
    """
    if not order.shipping_address:
        return None
    normalised = _normalised(order.shipping_address)
    if normalised is None:
        return None
    paid_to = _normalised(payment_confirmed_address) if payment_confirmed_address else None
    delivered = state.delivered_at is not None
    return addresses_store.AddressUse(
        normalised.fingerprint, normalised.to_dict(), dict(order.shipping_address), order.placed_at,
        orders=0 if state.status == "cancelled" else 1,
        deliveries=1 if delivered else 0,
        last_delivery_at=state.delivered_at,
        payment_confirmed=paid_to is not None and paid_to.fingerprint == normalised.fingerprint,
        identity_key=_identity_key(normalised.fingerprint) if delivered else None,
    )


def delivery_use(order: Order, delivered_at: datetime) -> Optional[addresses_store.AddressUse]:
    """A confirmed delivery to the order's address (the first ``delivered`` event of an order)."""
    use = address_use(order, OrderState(order=order))
    if use is None:
        return None
    return addresses_store.AddressUse(use.address_id, use.normalised, use.address, use.first_used_at,
                                      orders=0, deliveries=1, last_delivery_at=delivered_at,
                                      identity_key=_identity_key(use.address_id))


def _identity_key(fingerprint: str) -> str:
    """A delivered address is an identity key (docs/identity.md), kept as a keyed hash."""
    from .customers import address_identity_key

    return address_identity_key(fingerprint)


def confirm_address(customer_id: str, address_id: str, now: datetime, operator: str) -> dict:
    """An operator confirms an address; ``operator`` (their IAM ARN) is kept on the entry."""
    if not addresses_store.confirm_address(customer_id, address_id, "operator", now, operator):
        raise NotFound(f"customer {customer_id} has no address {address_id}")
    return {"customer_id": customer_id, "address_id": address_id, "confirmed_by": "operator",
            "confirmed_by_operator": operator, "confirmed_at": now.isoformat().replace("+00:00", "Z")}


def trust_rules_of(rules: Rules):
    """The parsed ``address_trust`` section of ``rules``, parsed once per rules object."""
    from ..domain.address_trust import TrustRules, default_rules
    from .rules import parsed_section

    return parsed_section(rules, "address_trust",
                          lambda section: TrustRules.from_dict(section) if section else default_rules())


def judge_address(customer: Optional[Customer], shipping_address: dict, payment: Optional[dict],
                  cart_total: int, currency: str, rules: Rules, now: datetime):
    """The address-trust verdict of a quote (``AddressTrust``): score, decision, reasons,
    matched address. ``to_dict(STOREFRONT)`` is what the caller may see; ``to_dict(STAFF)``
    is support's record."""
    from ..domain.address_trust import KnownAddress, TrustContext, score_address

    address = _normalised(shipping_address)
    if address is None:
        raise InvalidInput("shipping_address: cannot be read as an address",
                           [{"field": "shipping_address", "reason": "cannot be read as an address"}])
    confirmed = (payment or {}).get("confirmed_address")
    paid_to = _normalised(confirmed) if confirmed else None
    records = customer.addresses if customer else ()
    known = [known_address for known_address in (_known(record, KnownAddress) for record in records)
             if known_address is not None]
    stats = customer.stats if customer else CustomerStats()
    profile = customer.profile if customer else None
    context = TrustContext(
        now=now,
        account_created_at=customer_since(profile, stats) or now,
        first_order_at=stats.first_order_at,
        lifetime_orders=stats.lifetime_orders,
        delivered_orders=stats.delivered_orders,
        net_spend_minor=stats.lifetime_net_spend,
        chargebacks=stats.chargebacks_count,
        refunds=stats.refunds_count + stats.returns_count,
        new_addresses_last_30_days=sum(1 for record in records if record.first_used_at >= now - NEW_ADDRESS_WINDOW
                                       and record.address_id != address.fingerprint),
        cart_value_minor=to_base(cart_total, currency, rules.base_currency, rules.fx),
        usual_order_value_minor=stats.lifetime_net_spend // stats.lifetime_orders if stats.lifetime_orders else None,
        payment_address=paid_to,
        currency=rules.base_currency,
    )
    return score_address(address, known, context, trust_rules_of(rules))


def _known(record: AddressRecord, known_type):
    from ..domain.addresses import NormalisedAddress

    try:
        normalised = NormalisedAddress.from_dict(record.normalised)
    except (ValueError, TypeError):
        normalised = _normalised(dict(record.address))  # stored by an older normaliser
        if normalised is None:
            return None
    return known_type(record.address_id, normalised, record.first_used_at, record.orders_shipped,
                      record.deliveries_confirmed, record.confirmed_by, record.last_delivery_at)
