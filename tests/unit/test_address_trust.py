"""Address trust: the regular who moved next door ships; real fraud patterns are held."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.address_trust import (
    REVIEW,
    SHIP,
    VERIFY,
    InvalidTrustRules,
    KnownAddress,
    TrustContext,
    TrustRules,
    default_rules,
    load_rules_section,
    score_address,
)
from chalicelib.domain.addresses import MatchLevel, NormalisedAddress, normalise_address

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
MARCH_2023 = datetime(2023, 3, 14, tzinfo=timezone.utc)


def gb(line1: str, postcode: str = "LS11 5QP", city: str = "Leeds", line2: Optional[str] = None) -> NormalisedAddress:
    data = {"line1": line1, "city": city, "postcode": postcode, "country": "GB"}
    if line2:
        data["line2"] = line2
    return normalise_address(data)


def us(line1: str, postcode: str = "10019", city: str = "New York", line2: Optional[str] = None) -> NormalisedAddress:
    data = {"line1": line1, "city": city, "region": "NY", "postcode": postcode, "country": "US"}
    if line2:
        data["line2"] = line2
    return normalise_address(data)


def book_entry(address: NormalisedAddress, deliveries: int, shipped: Optional[int] = None,
               first_used: datetime = MARCH_2023, confirmed_by: Optional[str] = None) -> KnownAddress:
    return KnownAddress(address.fingerprint, address, first_used, deliveries if shipped is None else shipped,
                        deliveries, confirmed_by, NOW - timedelta(days=20) if deliveries else None)


def regular(**changes: Any) -> TrustContext:
    values: Dict[str, Any] = dict(
        now=NOW, account_created_at=MARCH_2023 - timedelta(days=3), first_order_at=MARCH_2023, lifetime_orders=14,
        delivered_orders=12, net_spend_minor=450_000, chargebacks=0, refunds=1, new_addresses_last_30_days=0,
        cart_value_minor=30_000, usual_order_value_minor=35_000, payment_address=None,
    )
    values.update(changes)
    return TrustContext(**values)


def newcomer(**changes: Any) -> TrustContext:
    values: Dict[str, Any] = dict(now=NOW, account_created_at=NOW - timedelta(hours=5), cart_value_minor=4_000)
    values.update(changes)
    return TrustContext(**values)


def messages(trust) -> List[str]:
    return [reason.message for reason in trust.reasons]


def codes(trust) -> List[str]:
    return [reason.code for reason in trust.reasons]


# --- the story ----------------------------------------------------------------------------------

def test_the_regular_who_moved_to_the_next_unit_ships_although_the_payment_address_is_the_old_unit() -> None:
    old_unit = gb("Unit 4, Acacia Business Park")
    trust = score_address(gb("Unit 5, Acacia Business Park"), [book_entry(old_unit, 12)],
                          regular(payment_address=old_unit))
    assert trust.decision == SHIP
    assert trust.matched_address_id == old_unit.fingerprint
    assert trust.match_level == MatchLevel.SAME_BUILDING_OTHER_UNIT
    assert "Another unit (Unit 5) of a building with 12 confirmed deliveries" in messages(trust)


def test_the_regular_ships_even_when_the_payment_provider_confirms_an_address_in_another_country() -> None:
    old_unit = gb("Unit 4, Acacia Business Park")
    trust = score_address(gb("Unit 5, Acacia Business Park"), [book_entry(old_unit, 12)],
                          regular(payment_address=us("1 Main St"), cart_value_minor=300_000,
                                  new_addresses_last_30_days=6))
    assert trust.decision == SHIP
    assert codes(trust)[0] == "REGULAR_KNOWN_BUILDING"
    assert "PAYMENT_ADDRESS_OTHER_COUNTRY" in codes(trust)  # still shown to the operator


_BUILDINGS = [
    ("Unit 4, Acacia Business Park", "Unit {n}, Acacia Business Park", "GB"),
    ("Unit 4, Acacia Business Park", "{n} Acacia Business Pk", "GB"),
    ("Flat 2B, 15 High Street", "Flat {n}, 15 High Street", "GB"),
    ("22 Albert Terrace", "Flat {n}, 22 Albert Terrace", "GB"),
    ("Suite 200, 1 Market Street", "1 Market St Ste {n}", "US"),
    ("Apt 3, 221 West 57th Street", "221 W 57th St #{n}", "US"),
]
_payment_kinds = st.sampled_from(["none", "old", "new", "far", "abroad", "forwarder"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    building=st.sampled_from(_BUILDINGS), unit=st.integers(5, 99), deliveries_here=st.integers(1, 50),
    delivered=st.integers(3, 500), extra_orders=st.integers(0, 50), refunds=st.integers(0, 60),
    tenure_days=st.integers(0, 4000), account_days=st.integers(0, 4000), new_addresses=st.integers(0, 30),
    usual=st.one_of(st.none(), st.integers(0, 500_000)), cart=st.integers(0, 5_000_000),
    net_spend=st.integers(-100_000, 10_000_000), payment=_payment_kinds, confirmed_by=st.sampled_from(
        [None, "payment_provider", "operator"]), others=st.integers(0, 5), forwarder_line=st.booleans(),
)
def test_hard_requirement_a_regular_without_chargebacks_in_a_delivered_building_always_ships(
        building, unit, deliveries_here, delivered, extra_orders, refunds, tenure_days, account_days, new_addresses,
        usual, cart, net_spend, payment, confirmed_by, others, forwarder_line) -> None:
    known_line, new_pattern, country = building
    make = gb if country == "GB" else us
    old = make(known_line)
    new = make(new_pattern.format(n=unit), line2="c/o MyUS forwarding" if forwarder_line else None)
    far = gb("9 Castle Street", "EH1 1YZ", "Edinburgh") if country == "GB" else us("9 Pine St", "98101", "Seattle")
    abroad = us("9 Pine St", "98101", "Seattle") if country == "GB" else gb("9 Castle Street", "EH1 1YZ", "Edinburgh")
    payment_address = {"none": None, "old": old, "new": new, "far": far, "abroad": abroad,
                       "forwarder": make("1 Any Street", line2="Shipito")}[payment]
    book = [book_entry(old, deliveries_here, confirmed_by=confirmed_by)]
    book += [book_entry(make(f"{i + 1} Other Road"), 0, shipped=i) for i in range(others)]
    context = TrustContext(
        now=NOW, account_created_at=NOW - timedelta(days=account_days), first_order_at=NOW - timedelta(days=tenure_days),
        lifetime_orders=delivered + extra_orders, delivered_orders=delivered, net_spend_minor=net_spend, chargebacks=0,
        refunds=refunds, new_addresses_last_30_days=new_addresses, cart_value_minor=cart,
        usual_order_value_minor=usual, payment_address=payment_address, currency="GBP" if country == "GB" else "USD",
    )
    trust = score_address(new, book, context)
    assert trust.decision == SHIP
    assert trust.score >= default_rules().ship_min_score


def test_a_regular_with_a_chargeback_loses_the_guarantee_but_is_scored() -> None:
    old_unit = gb("Unit 4, Acacia Business Park")
    trust = score_address(gb("Unit 5, Acacia Business Park"), [book_entry(old_unit, 12)],
                          regular(chargebacks=1, cart_value_minor=400_000, new_addresses_last_30_days=5,
                                  payment_address=us("1 Main St")))
    assert "REGULAR_KNOWN_BUILDING" not in codes(trust)
    assert trust.decision in (VERIFY, REVIEW)


def test_a_building_known_only_from_shipped_orders_does_not_trigger_the_guarantee() -> None:
    old_unit = gb("Unit 4, Acacia Business Park")
    trust = score_address(gb("Unit 5, Acacia Business Park"), [book_entry(old_unit, 0, shipped=3)], regular())
    assert "REGULAR_KNOWN_BUILDING" not in codes(trust)


# --- messages -----------------------------------------------------------------------------------

def test_an_exact_match_says_how_often_and_since_when_it_was_delivered() -> None:
    home = gb("27 Church Road")
    trust = score_address(gb("27 church rd"), [book_entry(home, 5)], regular(payment_address=home))
    assert trust.decision == SHIP
    assert trust.match_level == MatchLevel.EXACT
    assert "Delivered here 5 times since March 2023" in messages(trust)
    assert "Matches the address confirmed by the payment provider" in messages(trust)


def test_an_operator_confirmed_address_says_so() -> None:
    home = gb("27 Church Road")
    trust = score_address(home, [book_entry(home, 1, confirmed_by="operator")], regular())
    assert "Delivered here once, in March 2023" in messages(trust)
    assert "This address was confirmed by an operator" in messages(trust)


def test_reasons_serialise_to_code_sentiment_and_message_only() -> None:
    trust = score_address(gb("27 Church Road"), [], newcomer())
    body = trust.to_dict()
    assert set(body) == {"score", "decision", "reasons", "matched_address_id"}
    assert all(set(r) == {"code", "sentiment", "message"} for r in body["reasons"])
    assert body["matched_address_id"] is None


# --- fraud patterns -----------------------------------------------------------------------------

def test_a_brand_new_account_shipping_a_large_cart_far_from_its_card_address_is_reviewed() -> None:
    trust = score_address(gb("9 Castle Street", "EH1 1YZ", "Edinburgh"), [],
                          newcomer(cart_value_minor=129_999, payment_address=gb("4 Acacia Avenue")))
    assert trust.decision == REVIEW
    assert {"NEW_ACCOUNT", "PAYMENT_ADDRESS_FAR", "HIGH_CART_NO_HISTORY"} <= set(codes(trust))


def test_a_brand_new_account_shipping_a_small_cart_to_its_card_address_ships() -> None:
    home = gb("4 Acacia Avenue")
    assert score_address(home, [], newcomer(payment_address=home)).decision == SHIP


@pytest.mark.parametrize("line1, line2", [
    ("200 Market Street", "Suite SH48213 c/o Shipito"),
    ("3100 SW Broadway", "MyUS Suite 551120"),
    ("900 North Central Avenue", "Parcel forwarding dept"),
])
def test_a_new_account_shipping_to_a_freight_forwarder_is_reviewed(line1: str, line2: str) -> None:
    trust = score_address(us(line1, line2=line2), [], newcomer(cart_value_minor=45_000,
                                                               payment_address=gb("4 Acacia Avenue")))
    assert trust.decision == REVIEW
    assert "FREIGHT_FORWARDER" in codes(trust)


def test_forwarder_addresses_listed_in_the_rules_are_recognised_in_any_unit() -> None:
    section = copy.deepcopy(load_rules_section())
    section["forwarders"]["addresses"] = [{"name": "Example Reshipper", "address": {
        "line1": "Unit 1, Harbour Trade Park", "city": "Leeds", "postcode": "LS11 5QP", "country": "GB"}}]
    rules = TrustRules.from_dict(section)
    trust = score_address(gb("Unit 77, Harbour Trade Park"), [], newcomer(), rules)
    assert "Freight forwarder or reshipper (known address of Example Reshipper)" in messages(trust)


def test_a_burst_of_new_addresses_far_away_with_a_large_cart_is_reviewed() -> None:
    home = gb("27 Church Road")
    trust = score_address(gb("9 Castle Street", "EH1 1YZ", "Edinburgh"), [book_entry(home, 12)],
                          regular(new_addresses_last_30_days=5, cart_value_minor=175_000, payment_address=home))
    assert trust.decision == REVIEW
    assert {"NEW_ADDRESS_BURST", "CART_ABOVE_USUAL", "LARGE_CART_TO_UNFAMILIAR_ADDRESS"} <= set(codes(trust))


def test_a_country_change_on_a_high_value_cart_is_reviewed() -> None:
    home = gb("27 Church Road")
    trust = score_address(us("9 Pine St", "98101", "Seattle"), [book_entry(home, 12)],
                          regular(cart_value_minor=175_000, payment_address=home))
    assert trust.decision == REVIEW
    assert trust.match_level == MatchLevel.OTHER_COUNTRY


def test_a_chargeback_history_with_a_new_far_address_is_reviewed() -> None:
    home = gb("27 Church Road")
    trust = score_address(gb("9 Castle Street", "EH1 1YZ", "Edinburgh"), [book_entry(home, 8)],
                          regular(chargebacks=2, delivered_orders=8))
    assert trust.decision == REVIEW


def test_several_chargebacks_cap_the_decision_at_verify_even_at_home() -> None:
    home = gb("27 Church Road")
    trust = score_address(home, [book_entry(home, 15)], regular(chargebacks=2, payment_address=home))
    assert trust.decision == VERIFY
    assert "CHARGEBACK_HISTORY_CAP" in codes(trust)


def test_a_po_box_or_locker_costs_points_unless_delivered_there_before() -> None:
    box = us("PO Box 4410")
    new_trust = score_address(box, [], newcomer(payment_address=us("9 Pine St", "98101", "Seattle")))
    known_trust = score_address(box, [book_entry(box, 6)], regular(payment_address=box))
    assert "PO_BOX" in codes(new_trust) and "PO_BOX" in codes(known_trust)
    po_box_points = {r.code: r.points for r in new_trust.reasons}["PO_BOX"]
    assert po_box_points < 0
    assert {r.code: r.points for r in known_trust.reasons}["PO_BOX"] == 0
    locker = score_address(gb("InPost Locker, Tesco Superstore"), [], newcomer())
    assert "PARCEL_LOCKER" in codes(locker)


def test_a_payment_address_that_is_a_known_home_is_not_counted_twice_against_a_far_address() -> None:
    home = gb("27 Church Road")
    trust = score_address(gb("9 Castle Street", "EH1 1YZ", "Edinburgh"), [book_entry(home, 30)],
                          regular(payment_address=home, delivered_orders=30))
    assert "PAYMENT_ADDRESS_KNOWN" in codes(trust)
    assert "PAYMENT_ADDRESS_FAR" not in codes(trust)
    assert trust.decision == SHIP


# --- unknown postcodes --------------------------------------------------------------------------

@pytest.mark.parametrize("address", [
    gb("18 Donegall Place", "BT1 1AA", "Belfast"),
    gb("5 Nowhere Lane", "QQ1 1QQ"),
    normalise_address({"line1": "5 Nowhere Lane", "city": "Leeds", "country": "GB"}),
    normalise_address({"line1": "Storgata 12", "city": "Oslo", "postcode": "0155", "country": "NO"}),
])
def test_an_unknown_or_invalid_postcode_is_a_neutral_reason_never_a_crash(address: NormalisedAddress) -> None:
    trust = score_address(address, [book_entry(gb("27 Church Road"), 4)], regular(payment_address=gb("1 A Road")))
    neutral = [r for r in trust.reasons if r.code in ("MATCH_DISTANCE_UNKNOWN", "POSTCODE_INVALID", "MATCH_NEAR",
                                                      "MATCH_OTHER_COUNTRY")]
    assert neutral
    for reason in trust.reasons:
        if reason.code in ("MATCH_DISTANCE_UNKNOWN", "POSTCODE_INVALID"):
            assert reason.sentiment == "neutral"


def test_an_invalid_postcode_explains_the_rule_it_breaks() -> None:
    trust = score_address(gb("5 Nowhere Lane", "QQ1 1QQ"), [], newcomer())
    assert any(m.startswith("Postcode not valid for GB: UK postcodes never start with Q") for m in messages(trust))


# --- bounds and rules ---------------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(delivered=st.integers(0, 50), chargebacks=st.integers(0, 9), cart=st.integers(0, 10_000_000),
       new_addresses=st.integers(0, 40), days=st.integers(0, 5000), payment=st.booleans())
def test_the_score_stays_between_0_and_100(delivered, chargebacks, cart, new_addresses, days, payment) -> None:
    context = TrustContext(now=NOW, account_created_at=NOW - timedelta(days=days),
                           first_order_at=NOW - timedelta(days=days) if delivered else None, lifetime_orders=delivered,
                           delivered_orders=delivered, chargebacks=chargebacks, cart_value_minor=cart,
                           new_addresses_last_30_days=new_addresses, usual_order_value_minor=10_000 if delivered else None,
                           payment_address=gb("1 A Road") if payment else None)
    trust = score_address(us("1 Main St", line2="Shipito"), [book_entry(gb("27 Church Road"), delivered)], context)
    assert 0 <= trust.score <= 100


def test_the_rules_refuse_to_raise_the_regular_bar_above_three_delivered_orders() -> None:
    section = copy.deepcopy(load_rules_section())
    section["regular_customer"]["min_delivered_orders"] = 4
    with pytest.raises(InvalidTrustRules, match="min_delivered_orders"):
        TrustRules.from_dict(section)


def test_the_rules_refuse_thresholds_out_of_order() -> None:
    section = copy.deepcopy(load_rules_section())
    section["decision"]["verify_min_score"] = 80
    with pytest.raises(InvalidTrustRules, match="verify_min_score"):
        TrustRules.from_dict(section)


def test_a_missing_rules_key_is_named() -> None:
    section = copy.deepcopy(load_rules_section())
    del section["forwarders"]
    with pytest.raises(InvalidTrustRules, match="forwarders"):
        TrustRules.from_dict(section)


def test_thresholds_come_from_the_rules() -> None:
    section = copy.deepcopy(load_rules_section())
    section["decision"] = {"ship_min_score": 100, "verify_min_score": 100}
    strict = TrustRules.from_dict(section)
    home = gb("4 Acacia Avenue")
    assert score_address(home, [], newcomer(payment_address=home), strict).decision == REVIEW


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        TrustContext(now=datetime(2026, 11, 23), account_created_at=MARCH_2023)


def test_every_reason_code_has_shopper_wording_without_figures() -> None:
    """Storefronts get the code's shopper wording, never the staff message (defect 1 of issue 11)."""
    import inspect
    import re

    from chalicelib.domain import address_trust

    source = inspect.getsource(address_trust)
    codes = set(re.findall(r'TrustReason\("([A-Z_]+)"', source))
    codes |= {f"MATCH_{level.value}" for level in MatchLevel if level != MatchLevel.NO_KNOWN_ADDRESSES}
    codes |= {"PAYMENT_ADDRESS_" + suffix for suffix in re.findall(r'MatchLevel\.[A-Z_]+: "([A-Z_]+)"', source)}
    assert len(codes) > 30
    assert codes <= set(address_trust.SHOPPER_WORDING), codes - set(address_trust.SHOPPER_WORDING)
    for wording in address_trust.SHOPPER_WORDING.values():
        assert wording[0].isupper() and not re.search(r"\d", wording), wording


def test_storefront_reasons_carry_shopper_wording_and_staff_reasons_the_full_message() -> None:
    home = gb("27 Church Road")
    trust = score_address(gb("9 Castle Street", "EH1 1YZ", "Edinburgh"), [book_entry(home, 3)], regular())
    staff = " ".join(r["message"] for r in trust.to_dict("staff")["reasons"])
    storefront = trust.to_dict("storefront")
    assert "Church" in staff
    assert all(r["message"] == address_trust_wording(r["code"]) for r in storefront["reasons"])
    assert storefront["matched_address_id"] == trust.matched_address_id


def address_trust_wording(code: str) -> str:
    from chalicelib.domain.address_trust import SHOPPER_WORDING

    return SHOPPER_WORDING[code]
