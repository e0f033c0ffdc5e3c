"""Where a postcode is, roughly, and how far apart two postcodes are.

Centroids come from the compact tables in ``chalicelib/data`` (see ``ATTRIBUTION.md`` there):
GB postcode sectors and districts, US ZCTAs and 3-digit ZIP prefixes. A country's table is read on
the first lookup for that country, never at import, so a cold start that never needs a distance
never pays for it. A postcode that is not in the table gives ``None``: callers turn that into a
reason, never an error.
"""
from __future__ import annotations

import gzip
import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional

from .postcodes import district_of, sector_of

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
_FILES = {"GB": "gb_postcode_centroids.csv.gz", "US": "us_zip_centroids.csv.gz"}
EARTH_RADIUS_KM = 6371.0088

_tables: Dict[str, Dict[str, str]] = {}
_load_lock = threading.Lock()


@dataclass(frozen=True)
class Centroid:
    """A point standing for a postcode area; ``precision`` names the area it is the centre of."""

    lat: float
    lon: float
    precision: str  # "sector" | "district" (GB), "zip5" | "zip3" (US)


def has_centroids(country: str) -> bool:
    """Whether distances can be computed for postcodes of ``country`` at all."""
    return country in _FILES


def _table(country: str) -> Dict[str, str]:
    table = _tables.get(country)
    if table is None:
        with _load_lock:
            table = _tables.get(country)
            if table is None:
                table = _read_table(DATA_DIR / _FILES[country])
                _tables[country] = table
    return table


def _read_table(path: Path) -> Dict[str, str]:
    """Key -> ``"lat,lon"`` text; numbers are parsed on lookup, which keeps a cold load cheap."""
    text = gzip.decompress(path.read_bytes()).decode("ascii")
    return dict(line.split(",", 1) for line in text.splitlines() if line and line[0] != "#")


@lru_cache(maxsize=8192)
def centroid_for(country: str, canonical_postcode: str) -> Optional[Centroid]:
    """Centroid of a canonical postcode (as ``postcodes.check_postcode`` spells it), or None.

    GB looks up the sector (``SW1A 1``) and falls back to the district (``SW1A``); the US looks up
    the ZIP5 and falls back to the ZIP3. Other countries have no table and always give None.
    """
    if country not in _FILES or not canonical_postcode:
        return None
    table = _table(country)
    fine, coarse = sector_of(country, canonical_postcode), district_of(country, canonical_postcode)
    names = ("sector", "district") if country == "GB" else ("zip5", "zip3")
    for key, precision in ((fine, names[0]), (coarse, names[1])):
        point = table.get(key) if key else None
        if point is not None:
            lat, lon = point.split(",")
            return Centroid(float(lat), float(lon), precision)
    return None


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two WGS84 points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlam = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def distance_km(country: str, postcode_a: str, postcode_b: str) -> Optional[float]:
    """Distance between the centroids of two canonical postcodes of one country, or None if either
    is not in the table."""
    a = centroid_for(country, postcode_a)
    if a is None:
        return None
    b = centroid_for(country, postcode_b)
    if b is None:
        return None
    return haversine_km(a.lat, a.lon, b.lat, b.lon)
