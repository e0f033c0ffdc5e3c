"""The ``rules replay --html`` page: one self-contained file (inline CSS and SVG, no script, no
network) with the tier movement and the discount cost by tier and by week, baseline against
candidate. Built from the replay report (``services/replay.py``), nothing else.
"""
from __future__ import annotations

from html import escape
from typing import Dict, List, Sequence, Tuple

from .domain.money import format_money

BASELINE_COLOUR = "#7a869a"
CANDIDATE_COLOUR = "#d9480f"
WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 90, 20, 20, 60


def replay_page(report: dict) -> str:
    """The whole HTML page for ``report``."""
    tiers, orders = report["tiers_today"], report["orders"]
    currency = orders["currency"]
    names = tiers["tiers"]
    money = lambda amount: format_money(amount, currency)  # noqa: E731
    tier_names = sorted(set(orders["baseline"]["by_tier"]) | set(orders["candidate"]["by_tier"]),
                        key=lambda name: names.index(name) if name in names else len(names))
    weeks = orders["weeks"]
    exact = orders["exactness"]
    differ = "" if exact["exact"] else f"; {len(exact['differences'])} differ"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>Rules replay</title>',
        f"<style>{_CSS}</style></head><body>",
        "<h1>Rules replay: candidate against baseline</h1>",
        f"<p>Period {escape(report['period']['since'])} to {escape(report['period']['until'])}; baseline: "
        f"{escape(report['baseline_source'])} (version {report['baseline_version']}); "
        f"{tiers['customers']} customers, {orders['orders']} orders.</p>",
        _legend(),
        "<h2>Tiers today</h2>",
        _figure("tier-movement", "Customers per tier, baseline and candidate",
                _bars(names, [tiers["baseline"][n] for n in names], [tiers["candidate"][n] for n in names], str)),
        f"<p>{tiers['moved_down']} customers would move down, {tiers['moved_up']} up.</p>",
        _matrix(tiers),
        "<h2>Discount cost of the period's orders</h2>",
        f"<p>Baseline {money(orders['baseline']['discount'])}, candidate {money(orders['candidate']['discount'])} "
        f"(difference {money(orders['difference'])}).</p>",
        _figure("discount-by-tier", "Discount by the customer's tier at the order",
                _bars(tier_names, [orders["baseline"]["by_tier"].get(n, 0) for n in tier_names],
                      [orders["candidate"]["by_tier"].get(n, 0) for n in tier_names], money)),
        _figure("discount-by-week", "Discount by week (weeks start on Monday, UTC)",
                _bars(weeks, [orders["baseline"]["by_week"][w] for w in weeks],
                      [orders["candidate"]["by_week"][w] for w in weeks], money)),
        "<h2>Exactness check</h2>",
        f'<p class="{"ok" if exact["exact"] else "bad"}">{exact["orders_matching"]} of {exact["orders_checked"]} '
        f'orders quoted under version {exact["rules_version"]} replay to exactly the discounts they got{differ}.</p>',
        "</body></html>",
    ]
    return "\n".join(parts)


def _legend() -> str:
    return (f'<p class="legend"><span style="background:{BASELINE_COLOUR}"></span>baseline '
            f'<span style="background:{CANDIDATE_COLOUR}"></span>candidate</p>')


def _figure(identifier: str, caption: str, svg: str) -> str:
    return f'<figure id="{identifier}">{svg}<figcaption>{escape(caption)}</figcaption></figure>'


def _bars(labels: Sequence[str], baseline: Sequence[int], candidate: Sequence[int], text) -> str:
    """A grouped bar chart: for each label, the baseline bar and the candidate bar."""
    top = max([*baseline, *candidate, 1])
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group = plot_width / max(len(labels), 1)
    bar = min(40.0, group * 0.38)
    shapes: List[str] = [
        f'<line x1="{LEFT}" y1="{TOP + plot_height}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_height}" stroke="#333"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{escape(text(top))}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_height}" text-anchor="end">{escape(text(0))}</text>',
    ]
    for number, label in enumerate(labels):
        centre = LEFT + group * (number + 0.5)
        for offset, value, colour, side in ((-bar, baseline[number], BASELINE_COLOUR, "baseline"),
                                            (0.0, candidate[number], CANDIDATE_COLOUR, "candidate")):
            height = plot_height * value / top
            shapes.append(
                f'<rect class="{side}" x="{centre + offset:.1f}" y="{TOP + plot_height - height:.1f}" '
                f'width="{bar:.1f}" height="{height:.1f}" fill="{colour}">'
                f'<title>{escape(label)} {side}: {escape(text(value))}</title></rect>')
        shapes.append(f'<text x="{centre:.1f}" y="{TOP + plot_height + 18}" text-anchor="middle">'
                      f'{escape(_short(label))}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img">{"".join(shapes)}</svg>')


def _short(label: str) -> str:
    return label[5:] if len(label) == 10 and label[4] == "-" else label  # a week: "11-16"


def _matrix(tiers: dict) -> str:
    names = tiers["tiers"]
    rows: List[Tuple[str, Dict[str, int]]] = [(name, tiers["movement"].get(name, {})) for name in names]
    head = "".join(f"<th>{escape(name)}</th>" for name in names)
    body = "".join(
        f"<tr><th>{escape(name)}</th>" + "".join(
            f'<td class="{"same" if other == name else ("move" if row.get(other) else "")}">{row.get(other, 0)}</td>'
            for other in names) + "</tr>"
        for name, row in rows)
    return (f'<table id="movement"><caption>From (rows, baseline) to (columns, candidate)</caption>'
            f"<tr><th></th>{head}</tr>{body}</table>")


_CSS = """
body { font: 14px/1.4 sans-serif; margin: 24px; color: #222; background: #fff; }
figure { margin: 12px 0; } figcaption { font-weight: bold; }
svg text { font: 11px sans-serif; fill: #333; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
td.move { background: #ffe8cc; } td.same { color: #888; }
.legend span { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; }
.ok { color: #2b8a3e; } .bad { color: #c92a2a; font-weight: bold; }
"""
