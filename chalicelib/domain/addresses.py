"""Postal addresses: normalisation, fingerprints, and how a new address matches a known one.

Shoppers type the same place many ways: "Unit 4, Acacia Business Park" and "4 Acacia Business Pk",
"Flat 2B, 15 High Street" and "15 High St Apt 2B". ``normalise_address`` turns the checkout's JSON
(``line1``, ``line2``, ``city``, ``region``, ``postcode``, ``country``) into a ``NormalisedAddress``
with its parts named (unit, building number and name, street, locality, postcode) so that such
variants come out equal, and ``compare_addresses`` says how close two addresses are, from EXACT down
to OTHER_COUNTRY, tolerating small typos.

Rules are for GB and US addresses with a generic fallback; everything is plain Python and table
driven, with no model and nothing downloaded at run time.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from . import geo
from .postcodes import (
    GB_FORMAT_COUNTRIES,
    INVALID,
    MISSING,
    check_postcode,
    comparison_key,
    district_of,
    sector_of,
)

# Bump when a change to the rules below changes fingerprints: stored addresses carry the version
# they were normalised with, so the store can re-normalise old items from their raw text.
NORMALISATION_VERSION = 1
DEFAULT_NEAR_KM = 30.0


class AddressInvalid(ValueError):
    """The address JSON lacks a field we need or has one of the wrong type; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class MatchLevel(str, Enum):
    """How a new address relates to a known one, closest first."""

    EXACT = "EXACT"
    SAME_BUILDING_OTHER_UNIT = "SAME_BUILDING_OTHER_UNIT"
    SAME_STREET = "SAME_STREET"
    SAME_POSTCODE = "SAME_POSTCODE"
    NEAR = "NEAR"
    DISTANCE_UNKNOWN = "DISTANCE_UNKNOWN"  # same country, but a postcode we cannot place
    FAR = "FAR"
    OTHER_COUNTRY = "OTHER_COUNTRY"
    NO_KNOWN_ADDRESSES = "NO_KNOWN_ADDRESSES"  # nothing to compare with

    @property
    def rank(self) -> int:
        """0 for EXACT, growing as the match gets weaker."""
        return _RANK[self]


_RANK = {level: index for index, level in enumerate(MatchLevel)}


@dataclass(frozen=True)
class NormalisedAddress:
    """An address reduced to comparable parts, upper-case with canonical abbreviations.

    ``fingerprint`` is a stable 16-hex-digit hash of the parts that identify the delivery point
    (country, postcode, building, street, PO box, unit; the locality only when there is no usable
    postcode, because towns are spelt many ways). ``building_key`` is the same hash without the unit,
    so two flats of one building share it. ``text`` is the whole address as one canonical line, for
    keyword searches (forwarders, lockers). ``postcode`` is canonical when ``postcode_status`` is
    ``valid``.
    """

    country: str
    postcode: str
    postcode_status: str
    unit: Optional[str]
    unit_label: Optional[str]
    building_number: Optional[str]
    building_name: Optional[str]
    street: Optional[str]
    locality: str
    region: Optional[str]
    po_box: Optional[str]
    text: str
    fingerprint: str
    building_key: str

    @property
    def site_names(self) -> Tuple[str, ...]:
        """Names that identify the premises without a number: the building name, and the street
        when it carries no number (``"ACACIA BUSINESS PK"`` in "Unit 4, Acacia Business Park")."""
        names = []
        if self.building_name:
            names.append(self.building_name)
        if self.street and not self.building_number:
            names.append(self.street)
        return tuple(names)

    def short_text(self) -> str:
        """A readable one-line form for messages: ``"Unit 4, Acacia Business Pk, LS1 4AB"``."""
        parts = [self.unit_label or "", self.building_name or "",
                 " ".join(p for p in (self.building_number, self.street) if p), self.po_box or "",
                 self.postcode or self.locality]
        return ", ".join(_display(p) if i < 4 else p for i, p in enumerate(parts) if p)

    def to_dict(self) -> Dict[str, Any]:
        """Plain dict for storage, with the normalisation version it was made with."""
        data = asdict(self)
        data["version"] = NORMALISATION_VERSION
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "NormalisedAddress":
        """Rebuild from ``to_dict`` output. Raises ValueError for another normalisation version:
        re-normalise the raw address instead, since fingerprints may differ."""
        if data.get("version") != NORMALISATION_VERSION:
            raise ValueError(f"normalised with version {data.get('version')!r}, "
                             f"this code is version {NORMALISATION_VERSION}")
        return cls(**{k: v for k, v in data.items() if k != "version"})


# --- vocabulary -------------------------------------------------------------------------------

_THOROUGHFARES = {
    "STREET": "ST", "STR": "ST", "ROAD": "RD", "AVENUE": "AVE", "AV": "AVE", "AVN": "AVE",
    "LANE": "LN", "DRIVE": "DR", "DRV": "DR", "COURT": "CT", "CRT": "CT", "PLACE": "PL",
    "SQUARE": "SQ", "CRESCENT": "CRES", "CRESC": "CRES", "CR": "CRES", "TERRACE": "TER", "TERR": "TER",
    "TCE": "TER", "CLOSE": "CL", "GARDENS": "GDNS", "GROVE": "GR", "GRV": "GR", "BOULEVARD": "BLVD",
    "HIGHWAY": "HWY", "PARKWAY": "PKWY", "CIRCLE": "CIR", "PARK": "PK", "PARADE": "PDE",
    "ESPLANADE": "ESP", "TRAIL": "TRL", "PLAZA": "PLZ", "EXPRESSWAY": "EXPY", "FREEWAY": "FWY",
    "ALLEY": "ALY", "COVE": "CV", "CROSSING": "XING", "TURNPIKE": "TPKE", "HEIGHTS": "HTS",
    "POINT": "PT", "MOUNT": "MT", "ESTATE": "EST", "CENTRE": "CTR", "CENTER": "CTR",
    "BUILDING": "BLDG", "INDUSTRIAL": "IND", "APARTMENTS": "APTS", "SAINT": "ST",
}
_DIRECTIONS = {
    "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W",
    "NORTHEAST": "NE", "NORTHWEST": "NW", "SOUTHEAST": "SE", "SOUTHWEST": "SW",
}
_ORDINALS = {
    "FIRST": "1ST", "SECOND": "2ND", "THIRD": "3RD", "FOURTH": "4TH", "FIFTH": "5TH", "SIXTH": "6TH",
    "SEVENTH": "7TH", "EIGHTH": "8TH", "NINTH": "9TH", "TENTH": "10TH",
}
_CANON = {**_THOROUGHFARES, **_DIRECTIONS, **_ORDINALS}

_STREET_TYPES = frozenset({
    "ST", "RD", "AVE", "LN", "DR", "CT", "PL", "SQ", "CRES", "TER", "CL", "GDNS", "GR", "BLVD",
    "HWY", "PKWY", "CIR", "WAY", "MEWS", "PK", "PDE", "ESP", "TRL", "PLZ", "EXPY", "FWY", "ALY",
    "CV", "XING", "TPKE", "ROW", "WALK", "HILL", "RISE", "VALE", "VIEW", "GREEN", "GATE", "WHARF",
    "QUAY", "LOOP", "PATH", "PIKE", "BROADWAY", "CAUSEWAY", "EMBANKMENT", "GROVE", "HTS", "PT",
})
_DIRECTION_TOKENS = frozenset(_DIRECTIONS.values())
# A numbered "street" ending in one of these is a site with numbered units, not a thoroughfare:
# "4 Acacia Business Park" is unit 4 of the park.
_PREMISES_ENDINGS = frozenset({
    "EST", "CTR", "BLDG", "HOUSE", "TOWER", "TOWERS", "MILL", "MILLS", "WORKS", "CAMPUS",
    "MANSIONS", "CHAMBERS", "COMPLEX", "APTS", "HALL", "LODGE", "STUDIOS", "UNITS",
})
_PREMISES_QUALIFIERS = frozenset({
    "BUSINESS", "IND", "TRADING", "RETAIL", "ENTERPRISE", "SCIENCE", "TECHNOLOGY", "OFFICE",
    "COMMERCIAL", "INNOVATION",
})
_SITE_ENDINGS = frozenset({"PK", "EST", "CTR"})

# Secondary designators and how to label them for people.
_UNIT_WORDS = {
    "UNIT": "Unit", "FLAT": "Flat", "APT": "Apt", "APARTMENT": "Apt", "APPT": "Apt", "SUITE": "Suite",
    "STE": "Suite", "ROOM": "Room", "RM": "Room", "OFFICE": "Office", "STUDIO": "Studio", "#": "#",
    "SPACE": "Space", "LOT": "Lot", "TRLR": "Trailer", "DEPT": "Dept", "BAY": "Bay",
}
_BLOCK_WORDS = {"BLOCK": "Block", "BLK": "Block"}
_FLOOR_WORDS = frozenset({"FLOOR", "FL", "FLR", "LEVEL", "LVL"})
_UNIT_ID = re.compile(r"^(?:[A-Z]{0,4}\d{1,8}[A-Z]?|[A-Z]{1,2}|\d+-\d+[A-Z]?)\Z")
_FLOOR_ORDINAL = re.compile(r"^(\d{1,3})(?:ST|ND|RD|TH)?\Z")
_NAMED_FLOORS = {"GROUND": "0", "GRND": "0", "BASEMENT": "B", "LOWER": "L", "UPPER": "U", "TOP": "T"}

_HOUSE_NUMBER = re.compile(r"^\d{1,6}(?:-\d{1,6})?[A-Z]?\Z")
_NUMBER_WITH_LETTER = re.compile(r"^(\d{1,6})([A-Z])\Z")
_UNIT_SLASH_NUMBER = re.compile(r"^([A-Z]?\d{1,4}[A-Z]?)/(\d{1,6}[A-Z]?)\Z")  # AU/NZ "3/12 Smith St"

_PO_BOX = re.compile(
    r"\b(?:P\s?O\s?BOX|POBOX|POST OFFICE BOX|POB|GPO BOX|LOCKED BAG|PRIVATE MAIL ?BOX|PMB)\s*#?\s*([A-Z0-9-]+)\b"
)
_ORGANISATION_ENDINGS = frozenset({
    "LTD", "LIMITED", "PLC", "LLC", "LLP", "INC", "CORP", "CORPORATION", "GMBH", "COMPANY",
})
_RECIPIENT_STARTS = frozenset({"CAREOF", "ATTN", "FAO", "ATTENTION"})
# Countries that write the house number after the street ("Hauptstrasse 12").
_NUMBER_FIRST_COUNTRIES = frozenset({"GB", "US", "CA", "AU", "NZ", "IE", "JE", "GG", "IM", "IN"})

_US_STATES = {
    "ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA",
    "COLORADO": "CO", "CONNECTICUT": "CT", "DELAWARE": "DE", "DISTRICT OF COLUMBIA": "DC",
    "FLORIDA": "FL", "GEORGIA": "GA", "HAWAII": "HI", "IDAHO": "ID", "ILLINOIS": "IL", "INDIANA": "IN",
    "IOWA": "IA", "KANSAS": "KS", "KENTUCKY": "KY", "LOUISIANA": "LA", "MAINE": "ME", "MARYLAND": "MD",
    "MASSACHUSETTS": "MA", "MICHIGAN": "MI", "MINNESOTA": "MN", "MISSISSIPPI": "MS", "MISSOURI": "MO",
    "MONTANA": "MT", "NEBRASKA": "NE", "NEVADA": "NV", "NEW HAMPSHIRE": "NH", "NEW JERSEY": "NJ",
    "NEW MEXICO": "NM", "NEW YORK": "NY", "NORTH CAROLINA": "NC", "NORTH DAKOTA": "ND", "OHIO": "OH",
    "OKLAHOMA": "OK", "OREGON": "OR", "PENNSYLVANIA": "PA", "RHODE ISLAND": "RI",
    "SOUTH CAROLINA": "SC", "SOUTH DAKOTA": "SD", "TENNESSEE": "TN", "TEXAS": "TX", "UTAH": "UT",
    "VERMONT": "VT", "VIRGINIA": "VA", "WASHINGTON": "WA", "WEST VIRGINIA": "WV", "WISCONSIN": "WI",
    "WYOMING": "WY", "PUERTO RICO": "PR", "GUAM": "GU", "VIRGIN ISLANDS": "VI",
    "AMERICAN SAMOA": "AS", "NORTHERN MARIANA ISLANDS": "MP",
}
_COUNTRY_ALIASES = {"UK": "GB"}


# --- normalisation ----------------------------------------------------------------------------

def normalise_address(address: Mapping[str, Any]) -> NormalisedAddress:
    """Normalise the checkout's address JSON.

    ``line1``, ``city`` and ``country`` (ISO 3166-1 alpha-2; "UK" is read as GB) are required;
    ``line2``, ``region`` and ``postcode`` are optional. An invalid or missing postcode is kept as
    typed and flagged in ``postcode_status``: judging it is the caller's business, not an error.
    Raises ``AddressInvalid`` naming the field when a required one is absent or not text.
    """
    line1 = _text_field(address, "line1", required=True)
    line2 = _text_field(address, "line2")
    city = _text_field(address, "city", required=True)
    region = _text_field(address, "region")
    postcode_raw = _text_field(address, "postcode")
    country = _text_field(address, "country", required=True).strip().upper()
    country = _COUNTRY_ALIASES.get(country, country)
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise AddressInvalid("country", f"{country!r} is not an ISO 3166-1 alpha-2 country code")

    postcode = check_postcode(postcode_raw, country)
    parts = _parse_lines([line1, line2], country)
    locality = " ".join(_canon_tokens(_tokens(city)))
    region_key = _region_key(region, country)
    pc_key = comparison_key(postcode)
    if pc_key:
        where = f"P:{pc_key}"
    else:
        where = f"L:{locality}|{region_key or ''}"
    identity = "|".join([country, where, parts.number or "", parts.name or "", parts.street or "",
                         parts.po_box or ""])
    text = " ".join(t for t in (parts.text, locality, postcode.canonical) if t)
    return NormalisedAddress(
        country=country,
        postcode=postcode.canonical,
        postcode_status=postcode.status,
        unit=parts.unit,
        unit_label=parts.unit_label,
        building_number=parts.number,
        building_name=parts.name,
        street=parts.street,
        locality=locality,
        region=region_key,
        po_box=parts.po_box,
        text=text,
        fingerprint=_hash(f"{identity}|{parts.unit or ''}"),
        building_key=_hash(identity),
    )


def canonical_text(text: str) -> str:
    """Free text in the canonical vocabulary of ``NormalisedAddress.text`` (for keyword lists)."""
    return " ".join(_canon_tokens(_tokens(text)))


def _text_field(address: Mapping[str, Any], name: str, required: bool = False) -> str:
    value = address.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise AddressInvalid(name, "is required")
        return ""
    if not isinstance(value, str):
        raise AddressInvalid(name, "must be a string")
    return value


def _hash(identity: str) -> str:
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]


def _region_key(region: str, country: str) -> Optional[str]:
    if not region.strip():
        return None
    key = " ".join(_tokens(region))
    if country == "US":
        return _US_STATES.get(key, key)
    return key


def _ascii_upper(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


_CARE_OF = re.compile(r"\bC\s*/\s*O\b")
_APOSTROPHES = re.compile(r"['\u2019`]")
_DIGIT_RANGE = re.compile(r"(?<=\d)\s*-\s*(?=\d)")
_INNER_SLASH = re.compile(r"(?<=[A-Z0-9])/(?=[A-Z0-9])")
_PUNCTUATION = re.compile(r"[^A-Z0-9#\x00\x01]+")
_SEGMENT_BREAKS = re.compile(r"[,;\n]+")


def _tokens(text: str) -> List[str]:
    """Upper-case words with punctuation removed; digit ranges (12-14), AU-style unit/number
    (3/12) and '#' survive."""
    text = _APOSTROPHES.sub("", _CARE_OF.sub(" CAREOF ", _ascii_upper(text)))
    text = text.replace("&", " AND ").replace("#", " # ")
    # Placeholders keep the hyphen of "12-14" and the slash of "3/12" through the punctuation sweep.
    text = _INNER_SLASH.sub("\x01", _DIGIT_RANGE.sub("\x00", text))
    return _PUNCTUATION.sub(" ", text).replace("\x00", "-").replace("\x01", "/").split()


def _canon_tokens(tokens: Sequence[str]) -> List[str]:
    """Map words to canonical abbreviations; a leading ST followed by more words is SAINT; a
    mistyped street type at the end ("Raod", "Stret") is read as the type it is one edit from."""
    out = [_CANON.get(t, t) for t in tokens]
    last = len(out) - 1
    if last > 0 and out[last] in _DIRECTION_TOKENS:
        last -= 1
    if last > 0 and out[last] not in _STREET_TYPES:
        out[last] = _mistyped_street_type(out[last]) or out[last]
    if len(out) > 1 and out[0] == "ST":
        out[0] = "SAINT"
    merged: List[str] = []
    for token in out:
        # "NORTH WEST" and "N W" both become NW.
        if merged and merged[-1] in ("N", "S") and token in ("E", "W"):
            merged[-1] += token
        else:
            merged.append(token)
    return merged


_TYPE_WORDS = {word: short for word, short in _THOROUGHFARES.items() if len(word) >= 4 and short in _STREET_TYPES}


def _mistyped_street_type(token: str) -> Optional[str]:
    if len(token) < 4 or not token.isalpha():
        return None
    for word, short in _TYPE_WORDS.items():
        if _within_edits(token, word, 1):
            return short
    return None


@dataclass
class _Parts:
    unit: Optional[str] = None
    unit_label: Optional[str] = None
    number: Optional[str] = None
    name: Optional[str] = None
    street: Optional[str] = None
    po_box: Optional[str] = None
    text: str = ""


def _parse_lines(lines: Sequence[str], country: str) -> _Parts:
    parts = _Parts()
    segments = [seg for line in lines for seg in _SEGMENT_BREAKS.split(line)]
    block = floor = None
    texts: List[str] = []
    parsed: List[List[str]] = []
    for raw in segments:
        tokens = _tokens(raw)
        if not tokens:
            continue
        texts.append(" ".join(_canon_tokens(tokens)))
        if tokens[0] in _RECIPIENT_STARTS or tokens[-1] in _ORGANISATION_ENDINGS:
            continue
        joined = " ".join(tokens)
        box = _PO_BOX.search(joined)
        if box and parts.po_box is None:
            kind = "PMB" if box.group(0).startswith(("PMB", "PRIVATE")) else "PO BOX"
            parts.po_box = f"{kind} {box.group(1)}"
            tokens = (joined[:box.start()] + " " + joined[box.end():]).split()
            if not tokens:
                continue
        tokens, found_unit, found_block, found_floor = _take_designators(tokens)
        if found_unit and parts.unit is None:
            parts.unit, parts.unit_label = found_unit
        block = block or found_block
        floor = floor or found_floor
        if tokens:
            parsed.append(tokens)
    parts.text = " ".join(texts)
    _assign_premises(parts, parsed, country)
    if parts.unit is None and block:
        parts.unit, parts.unit_label = block
    elif parts.unit is None and floor:
        parts.unit, parts.unit_label = floor
    return parts


_Label = Tuple[str, str]  # (unit identifier, how people write it)


def _take_designators(tokens: List[str]) -> Tuple[List[str], Optional[_Label], Optional[_Label], Optional[_Label]]:
    """Remove unit, block and floor designators from a segment's tokens and return them."""
    rest: List[str] = []
    unit = block = floor = None
    i = 0
    slash = _UNIT_SLASH_NUMBER.match(tokens[0])
    if slash:
        unit = (slash.group(1), f"Unit {slash.group(1)}")
        tokens = [slash.group(2)] + tokens[1:]
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if token in _UNIT_WORDS and token != "#" and following == "#" and i + 2 < len(tokens):
            # "Suite # 200": the hash adds nothing to the designator before it.
            tokens = tokens[:i + 1] + tokens[i + 2:]
            following = tokens[i + 1]
        if (token in _UNIT_WORDS or token in _BLOCK_WORDS) and following and _UNIT_ID.match(following):
            ident = following.replace("-", "")
            label = _UNIT_WORDS.get(token) or _BLOCK_WORDS[token]
            entry = (ident, f"#{ident}" if label == "#" else f"{label} {ident}")
            if token in _BLOCK_WORDS:
                block = block or entry
            elif unit is None:
                unit = entry
            i += 2
            continue
        if token in _FLOOR_WORDS:
            level = _floor_level(tokens[i - 1] if i else None) if rest else None
            if level is not None:
                rest.pop()
            elif following is not None:
                level = _floor_level(following)
                if level is not None:
                    i += 1
            if level is not None:
                floor = floor or (f"FL{level}", "Ground floor" if level == "0" else f"Floor {level}")
                i += 1
                continue
        rest.append(token)
        i += 1
    return rest, unit, block, floor


def _floor_level(token: Optional[str]) -> Optional[str]:
    if token is None:
        return None
    if token in _NAMED_FLOORS:
        return _NAMED_FLOORS[token]
    ordinal = _FLOOR_ORDINAL.match(_ORDINALS.get(token, token))
    return ordinal.group(1) if ordinal else None


def _assign_premises(parts: _Parts, segments: List[List[str]], country: str) -> None:
    """Decide which segment is the numbered street, which the building name, which the locality."""
    numbered: Optional[int] = None
    pending_number: Optional[str] = None
    names: List[Tuple[int, List[str]]] = []
    for index, tokens in enumerate(segments):
        if pending_number is not None:
            tokens = [pending_number] + tokens
            pending_number = None
        if len(tokens) == 1 and _HOUSE_NUMBER.match(tokens[0]):
            pending_number = tokens[0]
            continue
        number, words = _split_number(tokens, country)
        if number is not None and words and numbered is None:
            parts.number = number
            parts.street = " ".join(_canon_tokens(words))
            numbered = index
        elif numbered is None:
            names.append((index, _canon_tokens(tokens)))
    if pending_number is not None and parts.number is None:
        parts.number = pending_number
    # Named segments before the numbered street are building names; after it, districts.
    for index, words in names:
        if numbered is not None and index > numbered:
            continue
        if parts.street is None and words[-1] in _STREET_TYPES and not _is_premises(words):
            parts.street = " ".join(words)
        elif parts.name is None:
            parts.name = " ".join(words)
    _unit_from_number_suffix(parts)
    _numbered_site_is_a_unit(parts)


def _split_number(tokens: List[str], country: str) -> Tuple[Optional[str], List[str]]:
    first = tokens[0]
    if _HOUSE_NUMBER.match(first):
        # "12 A High St" -> 12A
        if len(tokens) > 2 and len(tokens[1]) == 1 and tokens[1].isalpha() and tokens[1] not in "NSEW":
            return first + tokens[1], tokens[2:]
        return first, tokens[1:]
    if country not in _NUMBER_FIRST_COUNTRIES and len(tokens) > 1 and _HOUSE_NUMBER.match(tokens[-1]):
        return tokens[-1], tokens[:-1]
    return None, tokens


def _unit_from_number_suffix(parts: _Parts) -> None:
    """"15B High St" is unit B of number 15, as "Flat B, 15 High St" is."""
    if parts.number and parts.unit is None:
        match = _NUMBER_WITH_LETTER.match(parts.number)
        if match:
            parts.number, letter = match.groups()
            parts.unit, parts.unit_label = letter, f"Flat {letter}"


def _is_premises(words: Sequence[str]) -> bool:
    last = words[-1]
    if last in _PREMISES_ENDINGS:
        return True
    return last in _SITE_ENDINGS and any(w in _PREMISES_QUALIFIERS for w in words[:-1])


def _numbered_site_is_a_unit(parts: _Parts) -> None:
    """"4 Acacia Business Park" is unit 4 of the park, like "Unit 4, Acacia Business Park"."""
    if parts.street and _is_premises(parts.street.split()):
        if parts.number and parts.unit is None:
            parts.unit, parts.unit_label = parts.number, f"Unit {parts.number}"
            parts.number = None
        if parts.number is None and parts.name is None:
            parts.name, parts.street = parts.street, None


# --- comparison -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Comparison:
    """The level at which two addresses match, and the distance when it was measured."""

    level: MatchLevel
    distance_km: Optional[float] = None


def compare_addresses(new: NormalisedAddress, known: NormalisedAddress,
                      near_km: float = DEFAULT_NEAR_KM) -> Comparison:
    """How ``new`` relates to ``known``: EXACT, SAME_BUILDING_OTHER_UNIT, SAME_STREET, SAME_POSTCODE,
    NEAR (within ``near_km``), FAR, DISTANCE_UNKNOWN or OTHER_COUNTRY.

    Fingerprints settle most pairs at once; otherwise the parts are compared, forgiving one or two
    typed characters in names and streets (more for longer names) and a missing street type.
    """
    if new.country != known.country:
        return Comparison(MatchLevel.OTHER_COUNTRY)
    if new.fingerprint == known.fingerprint:
        return Comparison(MatchLevel.EXACT)
    if new.building_key == known.building_key:
        return Comparison(MatchLevel.SAME_BUILDING_OTHER_UNIT)

    relation = _postcode_relation(new, known)
    same_locality = None
    if relation in ("typo", "unknown"):
        same_locality = _similar(new.locality, known.locality)
    area_ok = relation == "same" or (relation in ("typo", "unknown") and same_locality)
    if area_ok or relation == "district":
        building = _same_building(new, known)
        if building is not None and area_ok:
            return Comparison(MatchLevel.EXACT if building else MatchLevel.SAME_BUILDING_OTHER_UNIT)
        if new.street and known.street and _streets_similar(new.street, known.street):
            return Comparison(MatchLevel.SAME_STREET)
    if relation == "same":
        return Comparison(MatchLevel.SAME_POSTCODE)

    km = None
    if new.postcode_status != INVALID and known.postcode_status != INVALID:
        km = geo.distance_km(new.country, new.postcode, known.postcode) if new.postcode else None
    if km is not None:
        return Comparison(MatchLevel.NEAR if km <= near_km else MatchLevel.FAR, round(km, 1))
    if same_locality is None:
        same_locality = _similar(new.locality, known.locality)
    if same_locality:
        return Comparison(MatchLevel.NEAR)
    return Comparison(MatchLevel.DISTANCE_UNKNOWN)


def _postcode_relation(a: NormalisedAddress, b: NormalisedAddress) -> str:
    """'same', 'typo' (one character off in the same sector), 'district', 'different' or 'unknown'."""
    if a.postcode_status in (INVALID, MISSING) or b.postcode_status in (INVALID, MISSING):
        return "unknown"
    if a.postcode == b.postcode or (a.country == "US" and a.postcode[:5] == b.postcode[:5]):
        return "same"
    if a.country in GB_FORMAT_COUNTRIES:
        if sector_of(a.country, a.postcode) == sector_of(b.country, b.postcode) and _within_edits(
                a.postcode, b.postcode, 1):
            return "typo"
        if district_of(a.country, a.postcode) == district_of(b.country, b.postcode):
            return "district"
        return "different"
    if a.country == "US" and _within_edits(a.postcode[:5], b.postcode[:5], 1):
        return "typo"
    return "different"


def _same_building(a: NormalisedAddress, b: NormalisedAddress) -> Optional[bool]:
    """None if the addresses are different buildings; else whether the units agree too."""
    if a.building_number and b.building_number and a.street and b.street and _streets_similar(
            a.street, b.street):
        return a.unit == b.unit if a.building_number == b.building_number else None
    names_a, names_b = a.site_names, b.site_names
    if names_a and names_b and any(_similar(x, y) for x in names_a for y in names_b):
        if a.building_number and b.building_number and a.building_number != b.building_number:
            return None
        return a.unit == b.unit
    # "4 Rose Court" against "Flat 4, Rose Court": the number of one is the unit of the other.
    for x, y in ((a, b), (b, a)):
        if x.building_number and x.street and not x.unit and y.unit and (
                not y.building_number or not y.street or not _streets_similar(x.street, y.street)):
            if any(_streets_similar(x.street, name) for name in y.site_names):
                return x.building_number == y.unit
    return None


def _street_parts(street: str) -> Tuple[str, Optional[str], Optional[str]]:
    """(core, type, direction): ``"W 57TH ST"`` -> ``("57TH", "ST", "W")``."""
    words = street.split()
    direction = None
    if len(words) > 1 and words[0] in _DIRECTION_TOKENS:
        direction = words.pop(0)
    elif len(words) > 1 and words[-1] in _DIRECTION_TOKENS:
        direction = words.pop()
    kind = None
    if len(words) > 1 and words[-1] in _STREET_TYPES:
        kind = words.pop()
    return " ".join(words), kind, direction


def _streets_similar(a: str, b: str) -> bool:
    """Same street despite a typo, a missing type ("Baker" / "Baker St") or a missing direction;
    never when both give a type or a direction and they differ (High St is not High Rd)."""
    if a == b:
        return True
    core_a, kind_a, dir_a = _street_parts(a)
    core_b, kind_b, dir_b = _street_parts(b)
    if kind_a and kind_b and kind_a != kind_b:
        return False
    if dir_a and dir_b and dir_a != dir_b:
        return False
    return _similar(core_a, core_b)


def _similar(a: str, b: str) -> bool:
    """Equal after dropping spaces, or within 1 edit (names of 4-8 letters) or 2 (longer names)."""
    if a == b:
        return True
    if not a or not b:
        return False
    a, b = a.replace(" ", ""), b.replace(" ", "")
    if a == b:
        return True
    longest = max(len(a), len(b))
    if longest < 4:
        return False
    return _within_edits(a, b, 1 if longest <= 8 else 2)


def _within_edits(a: str, b: str, limit: int) -> bool:
    """Optimal-string-alignment distance (edits and adjacent swaps) of ``a`` and ``b`` <= ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous2: List[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return False
        previous2, previous = previous, current
    return previous[-1] <= limit


_KEEP_UPPER = _DIRECTION_TOKENS | {"PO", "PMB", "GPO", "BFPO", "#"}


def _display(text: str) -> str:
    """Canonical upper-case text in a form people read: ``"W 57TH ST"`` -> ``"W 57th St"``."""
    return " ".join(w if w in _KEEP_UPPER or w[:1].isdigit() and w[-1:].isdigit() else
                    w.lower() if w[:1].isdigit() else w.capitalize() for w in text.split())
