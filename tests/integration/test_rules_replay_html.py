"""``rules replay --html``: the page opens in a real browser (headless Chromium) without the
network and renders its three charts.

Chromium comes from Debian's packages (``apt-get install chromium``; ``.ci/run`` installs it).
Where it is missing the test is skipped with that message, except under CI, where it fails.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from chalicelib import clock
from chalicelib.cli import cli

from .helpers import post, put

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = "headless Chromium is not installed (apt-get install -y chromium)"
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{message}; CI is set, so this fails instead of skipping (.ci/run installs it)", pytrace=False)
    pytest.skip(message)


def browse(page: Path, tmp_path: Path, *extra) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)


def png_pixels(path: Path):
    """(width, height, distinct colours of a sample) of an 8-bit RGB(A) PNG, decoded by hand."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour_type = header[:4]
    assert depth == 8 and colour_type in (2, 6)
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, corner = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line))
        previous = line
    colours = {rows[y][x:x + 3] for y in range(0, height, 7) for x in range(0, stride, channels * 7)}
    return width, height, colours


def test_the_replay_page_renders_its_charts_in_a_real_browser(client, raw_client, tmp_path):
    chromium()
    rules = raw_client.http.get("/v1/admin/rules").json_body
    for number, amount in enumerate([30000, 9000, 3000]):
        customer_id = f"c-{number}"
        assert put(client, f"/v1/customers/{customer_id}", {"name": customer_id}).status_code in (200, 201)
        with clock.shifted(timedelta(days=-(20 + number * 9))):
            body = {"order_id": f"o-{number}", "placed_at": clock.now().isoformat(), "currency": "GBP",
                    "total_amount": amount, "lines": [{"sku": "S", "category": "running-shoes", "quantity": 1,
                                                        "unit_amount": amount}]}
            assert post(client, f"/v1/customers/{customer_id}/orders", body).status_code == 201
    candidate = json.loads(json.dumps(rules))
    candidate["tiers"][1]["qualify"][0]["net_spend"] = 40000
    (tmp_path / "candidate.json").write_text(json.dumps(candidate))
    page = tmp_path / "replay.html"
    result = CliRunner().invoke(cli, ["rules", "replay", str(tmp_path / "candidate.json"), "--html", str(page),
                                      "--segments", "1"])
    assert result.exit_code == 0, result.stderr
    html = page.read_text(encoding="utf-8")
    assert not re.search(r"(src|href)=\"(https?:)?//", html) and "<script" not in html  # nothing to fetch

    dom = browse(page, tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    figures = re.findall(r'<figure id="([a-z-]+)"><svg[^>]*>(.*?)</svg>', dom.stdout, re.S)
    assert [name for name, _ in figures] == ["tier-movement", "discount-by-tier", "discount-by-week"]
    movement = dict(figures)["tier-movement"]
    # Member, Silver and Gold, a baseline and a candidate bar each; Silver loses its one customer by spend
    assert len(re.findall(r'<rect class="(baseline|candidate)"', movement)) == 6
    assert re.search(r"<title>Silver baseline: 1</title>", movement)
    assert re.search(r"<title>Silver candidate: 0</title>", movement)

    shot = tmp_path / "replay.png"
    taken = browse(page, tmp_path, f"--screenshot={shot}", "--window-size=900,1400", "--hide-scrollbars")
    assert taken.returncode == 0 and shot.exists(), taken.stderr[-2000:]
    width, height, colours = png_pixels(shot)
    assert (width, height) == (900, 1400)
    assert len(colours) > 5  # text, axes and both bar colours: not a blank page
    assert any(abs(c[0] - 0xD9) < 8 and abs(c[1] - 0x48) < 8 and abs(c[2] - 0x0F) < 8 for c in colours)
