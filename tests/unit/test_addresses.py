"""Address normalisation, fingerprints, match levels and distances."""
from __future__ import annotations

import subprocess
import sys
from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import geo
from chalicelib.domain.addresses import (
    AddressInvalid,
    MatchLevel,
    NormalisedAddress,
    compare_addresses,
    normalise_address,
)


def gb(line1: str, postcode: str = "LS11 5QP", city: str = "Leeds", line2: Optional[str] = None) -> NormalisedAddress:
    data = {"line1": line1, "city": city, "postcode": postcode, "country": "GB"}
    if line2 is not None:
        data["line2"] = line2
    return normalise_address(data)


def us(line1: str, postcode: str = "10019", city: str = "New York", region: str = "NY") -> NormalisedAddress:
    return normalise_address({"line1": line1, "city": city, "region": region, "postcode": postcode, "country": "US"})


# --- normalisation ----------------------------------------------------------------------------

@pytest.mark.parametrize("first, second", [
    (gb("Unit 4, Acacia Business Park"), gb("4 Acacia Business Pk")),
    (gb("Unit 4", line2="Acacia Business Park"), gb("UNIT 4 ACACIA BUSINESS PARK")),
    (gb("Flat 2B, 15 High Street"), gb("15 High St Apt 2B")),
    (gb("15 High Street, Flat 2B"), gb("flat 2b, 15 high st.")),
    (gb("15B High Street"), gb("Flat B, 15 High Street")),
    (gb("12 St John's Road"), gb("12 Saint Johns Rd")),
    (gb("33 Queen's Gardens"), gb("33 QUEENS GDNS")),
    (gb("Acme Ltd, Unit 7, Riverside Industrial Estate"), gb("Unit 7 Riverside Ind Est")),
    (gb("27 Church Road", postcode="ls115qp"), gb("27 church rd", postcode="LS11 5QP")),
    (us("Apartment 3, 221 West 57th Street"), us("221 W 57th St #3")),
    (us("Apt 3, 221 Fifth Avenue"), us("221 5th Ave Apt 3")),
    (us("1 Market Street, Suite 200"), us("1 Market St Ste 200")),
    (us("1600 Pennsylvania Avenue Northwest", "20500"), us("1600 Pennsylvania Ave NW", "20500-0003")),
    (us("100 North Main Street, Apt 4"), us("100 N Main St Unit 4")),
    (us("45 Beacon Street", region="Massachusetts"), us("45 Beacon St.", region="MA")),
])
def test_the_same_address_typed_differently_gets_one_fingerprint(first: NormalisedAddress, second: NormalisedAddress) -> None:
    assert first.fingerprint == second.fingerprint
    assert first.building_key == second.building_key


def test_two_units_of_one_building_share_the_building_key_but_not_the_fingerprint() -> None:
    unit4, unit5 = gb("Unit 4, Acacia Business Park"), gb("Unit 5, Acacia Business Park")
    assert unit4.building_key == unit5.building_key
    assert unit4.fingerprint != unit5.fingerprint


@pytest.mark.parametrize("line1, unit, label", [
    ("Unit 4, Acacia Business Park", "4", "Unit 4"),
    ("Flat 2B, 15 High Street", "2B", "Flat 2B"),
    ("Apt 3, 221 W 57th St", "3", "Apt 3"),
    ("Suite 200, 1 Market St", "200", "Suite 200"),
    ("221 W 57th St #12", "12", "#12"),
    ("1 Market St, Suite # 310", "310", "Suite 310"),
    ("3rd Floor, 1 Market St", "FL3", "Floor 3"),
    ("Ground Floor, 1 Market St", "FL0", "Ground floor"),
    ("3/12 Smith St", "3", "Unit 3"),
])
def test_unit_designators_are_recognised_and_labelled_for_people(line1: str, unit: str, label: str) -> None:
    address = gb(line1)
    assert (address.unit, address.unit_label) == (unit, label)


def test_building_number_name_and_street_are_separated() -> None:
    address = gb("Flat 3, Marlborough Court, 12 Pembroke Road", line2="Clifton")
    assert address.unit == "3"
    assert address.building_name == "MARLBOROUGH CT"
    assert address.building_number == "12"
    assert address.street == "PEMBROKE RD"


def test_a_named_house_on_a_named_lane_keeps_both() -> None:
    address = gb("Rose Cottage", line2="Mill Lane")
    assert (address.building_name, address.street, address.building_number) == ("ROSE COTTAGE", "MILL LN", None)


@pytest.mark.parametrize("line1, po_box", [
    ("PO Box 123", "PO BOX 123"),
    ("P.O. Box 123", "PO BOX 123"),
    ("Post Office Box 77", "PO BOX 77"),
    ("123 Main St PMB 456", "PMB 456"),
])
def test_po_boxes_and_private_mailboxes_are_recognised(line1: str, po_box: str) -> None:
    assert us(line1).po_box == po_box


def test_recipient_and_company_lines_do_not_change_the_fingerprint_but_stay_searchable() -> None:
    plain = us("4705 NW 103rd Ave")
    with_recipient = normalise_address({"line1": "c/o Shipito", "line2": "4705 NW 103rd Ave", "city": "New York",
                                        "region": "NY", "postcode": "10019", "country": "US"})
    assert with_recipient.fingerprint == plain.fingerprint
    assert "SHIPITO" in with_recipient.text


def test_the_locality_counts_only_when_there_is_no_usable_postcode() -> None:
    assert gb("27 Church Road", city="Leeds").fingerprint == gb("27 Church Road", city="LEEDS 11").fingerprint
    no_pc_a = normalise_address({"line1": "Storgata 12", "city": "Oslo", "country": "NO"})
    no_pc_b = normalise_address({"line1": "Storgata 12", "city": "Bergen", "country": "NO"})
    assert no_pc_a.fingerprint != no_pc_b.fingerprint


def test_continental_addresses_put_the_number_after_the_street() -> None:
    address = normalise_address({"line1": "Hauptstraße 12", "city": "Berlin", "postcode": "10115", "country": "DE"})
    assert (address.building_number, address.street) == ("12", "HAUPTSTRASSE")


def test_uk_as_a_country_code_is_read_as_gb() -> None:
    assert normalise_address({"line1": "1 A St", "city": "Leeds", "postcode": "LS1 4DY", "country": "uk"}).country == "GB"


@pytest.mark.parametrize("data, field", [
    ({"city": "Leeds", "country": "GB"}, "line1"),
    ({"line1": "1 A St", "country": "GB"}, "city"),
    ({"line1": "1 A St", "city": "Leeds"}, "country"),
    ({"line1": "1 A St", "city": "Leeds", "country": "Great Britain"}, "country"),
    ({"line1": 12, "city": "Leeds", "country": "GB"}, "line1"),
])
def test_missing_or_malformed_fields_raise_naming_the_field(data: dict, field: str) -> None:
    with pytest.raises(AddressInvalid) as error:
        normalise_address(data)
    assert error.value.field == field


def test_an_invalid_postcode_is_kept_and_flagged_not_raised() -> None:
    address = gb("1 Any Street", postcode="QQ1 1QQ")
    assert address.postcode_status == "invalid"
    assert address.postcode == "QQ1 1QQ"


def test_the_stored_form_round_trips_and_refuses_another_version() -> None:
    address = gb("Flat 2B, 15 High Street")
    assert NormalisedAddress.from_dict(address.to_dict()) == address
    stale = dict(address.to_dict(), version=0)
    with pytest.raises(ValueError):
        NormalisedAddress.from_dict(stale)


def test_fingerprints_are_stable_across_releases() -> None:
    # Stored address ids are these fingerprints: if this fails, bump NORMALISATION_VERSION and
    # plan a re-normalisation of stored address books.
    assert gb("Unit 4, Acacia Business Park").fingerprint == "b287829890614ff3"
    assert us("Apt 3, 221 West 57th Street").fingerprint == "d66a482e8af462b7"


def test_short_text_reads_naturally() -> None:
    assert gb("Unit 4, Acacia Business Park").short_text() == "Unit 4, Acacia Business Pk, LS11 5QP"
    assert us("221 West 57th St Apt 3").short_text() == "Apt 3, 221 W 57th St, 10019"


# --- match levels -------------------------------------------------------------------------------

@pytest.mark.parametrize("new, known, level", [
    (gb("Unit 4, Acacia Business Park"), gb("4 Acacia Business Pk"), MatchLevel.EXACT),
    (gb("12 Accacia Avenue"), gb("12 Acacia Avenue"), MatchLevel.EXACT),
    (gb("12 Pembroke Raod"), gb("12 Pembroke Road"), MatchLevel.EXACT),
    (gb("Unit 4, Acacia Busness Park"), gb("Unit 4, Acacia Business Park"), MatchLevel.EXACT),
    (gb("14 Station Road", postcode="LS11 5PQ"), gb("14 Station Road"), MatchLevel.EXACT),
    (gb("Flat 3 Marlborough Ct"), gb("Flat 3, Marlborough Court, 12 Pembroke Road"), MatchLevel.EXACT),
    (gb("3 Marlborough Court"), gb("Flat 3, Marlborough Court, 12 Pembroke Road"), MatchLevel.EXACT),
    (us("221 West 57th Stret #3"), us("Apt 3, 221 W 57th St"), MatchLevel.EXACT),
    (gb("Unit 5, Acacia Business Park"), gb("Unit 4, Acacia Business Park"), MatchLevel.SAME_BUILDING_OTHER_UNIT),
    (gb("5 Acacia Business Pk"), gb("Unit 4, Acacia Business Park"), MatchLevel.SAME_BUILDING_OTHER_UNIT),
    (gb("15B High Street"), gb("15A High Street"), MatchLevel.SAME_BUILDING_OTHER_UNIT),
    (gb("Flat 1, 22 Albert Terrace"), gb("22 Albert Terrace"), MatchLevel.SAME_BUILDING_OTHER_UNIT),
    (us("1 Market St, Suite 310"), us("Suite 200, 1 Market Street"), MatchLevel.SAME_BUILDING_OTHER_UNIT),
    (gb("40 Acacia Avenue"), gb("12 Acacia Avenue"), MatchLevel.SAME_STREET),
    (gb("40 Acacia Avenue", postcode="LS11 6AB"), gb("12 Acacia Avenue"), MatchLevel.SAME_STREET),
    (gb("12 Acacia Road"), gb("12 Acacia Avenue"), MatchLevel.SAME_POSTCODE),
    (gb("12 Marlborough Street"), gb("12 Marlborough Road"), MatchLevel.SAME_POSTCODE),
    (us("100 E Main St"), us("100 W Main St"), MatchLevel.SAME_POSTCODE),
    (gb("1 Other Road"), gb("12 Acacia Avenue"), MatchLevel.SAME_POSTCODE),
])
def test_match_levels(new: NormalisedAddress, known: NormalisedAddress, level: MatchLevel) -> None:
    assert compare_addresses(new, known).level == level


def test_a_nearby_postcode_is_near_with_its_distance() -> None:
    result = compare_addresses(gb("1 Other Road", postcode="LS6 1AN"), gb("12 Acacia Avenue", postcode="LS11 5QP"))
    assert result.level == MatchLevel.NEAR
    assert 2 < result.distance_km < 10


def test_a_distant_postcode_is_far_with_its_distance() -> None:
    result = compare_addresses(gb("1 Other Road", postcode="SW1A 1AA", city="London"), gb("12 Acacia Avenue"))
    assert result.level == MatchLevel.FAR
    assert 250 < result.distance_km < 300


def test_us_zips_are_placed_too() -> None:
    result = compare_addresses(us("1 Main St", "90012", "Los Angeles", "CA"), us("1 Main St", "10019"))
    assert result.level == MatchLevel.FAR
    assert 3900 < result.distance_km < 4000


def test_another_country_is_other_country() -> None:
    assert compare_addresses(us("1 Main St"), gb("1 Main St")).level == MatchLevel.OTHER_COUNTRY


def test_a_postcode_without_a_centroid_gives_distance_unknown_not_an_error() -> None:
    belfast = gb("18 Donegall Place", postcode="BT1 1AA", city="Belfast")
    assert compare_addresses(belfast, gb("12 Acacia Avenue")).level == MatchLevel.DISTANCE_UNKNOWN


def test_the_same_town_without_postcodes_is_near() -> None:
    a = normalise_address({"line1": "Storgata 12", "city": "Oslo", "country": "NO"})
    b = normalise_address({"line1": "Karl Johans gate 1", "city": "Oslo", "country": "NO"})
    assert compare_addresses(a, b).level == MatchLevel.NEAR


_line = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


@settings(max_examples=200)
@given(_line, st.one_of(st.none(), _line), st.sampled_from(["LS11 5QP", "10019", "", "garbage", "75002"]),
       st.sampled_from(["GB", "US", "FR", "NO"]))
def test_any_text_normalises_without_error_and_matches_itself_exactly(line1: str, line2: Optional[str], postcode: str,
                                                                       country: str) -> None:
    data = {"line1": line1 if line1.strip() else "x", "city": "Town", "postcode": postcode, "country": country}
    if line2 is not None:
        data["line2"] = line2
    address = normalise_address(data)
    assert len(address.fingerprint) == 16
    assert compare_addresses(address, normalise_address(data)).level == MatchLevel.EXACT


# --- geo --------------------------------------------------------------------------------------

def test_haversine_gives_the_known_distance_from_london_to_edinburgh() -> None:
    assert 530 < geo.haversine_km(51.5074, -0.1278, 55.9533, -3.1883) < 540


def test_centroids_fall_back_from_sector_to_district_and_from_zip5_to_zip3() -> None:
    assert geo.centroid_for("GB", "SW1A 1AA").precision == "sector"
    assert geo.centroid_for("GB", "SW1A 9ZZ").precision == "district"
    assert geo.centroid_for("US", "10019").precision == "zip5"
    assert geo.centroid_for("US", "10099").precision == "zip3"
    assert geo.centroid_for("GB", "BT1 1AA") is None
    assert geo.centroid_for("FR", "75002") is None


def test_importing_geo_reads_no_data_file() -> None:
    code = ("import chalicelib.domain.address_trust, chalicelib.domain.geo as g; "
            "import sys; sys.exit(1 if g._tables else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=geo.DATA_DIR.parent.parent).returncode == 0
