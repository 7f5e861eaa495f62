"""A contract's key dates as an SVG timeline, drawn on the server (no JavaScript), with today marked.

Each date is a tick with its label underneath in words, so the picture never relies on colour alone; the
same dates are listed in a table beside it for screen readers (the SVG has a title and description).
"""

import datetime as dt
from decimal import Decimal
from html import escape
from typing import Any

WIDTH, LEFT, RIGHT = 900, 20, 20
ROW = 18


def timeline_svg(key_dates: list[dict[str, Any]], *, start: dt.date, end: dt.date, today: dt.date, title: str) -> str:
    """The SVG markup: a line from ``start`` to ``end`` (widened to take in today), a tick per key date."""
    days = [dt.date.fromisoformat(k["due_on"]) for k in key_dates]
    first = min([start, today, *days])
    last = max([end, today, *days])
    span = max((last - first).days, 1)
    inner = WIDTH - LEFT - RIGHT

    def x(day: dt.date) -> float:
        return LEFT + inner * (day - first).days / span

    height = 60 + ROW * max(len(key_dates), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="tl-title tl-desc">',
        f'<title id="tl-title">{escape(title)}</title>',
        f'<desc id="tl-desc">Key dates from {first.isoformat()} to {last.isoformat()}; today is '
        f"{today.isoformat()}. The same dates are listed in the table below.</desc>",
        f'<line x1="{LEFT}" y1="30" x2="{WIDTH - RIGHT}" y2="30" class="axis"/>',
        f'<text x="{LEFT}" y="20" class="edge">{first.isoformat()}</text>',
        f'<text x="{WIDTH - RIGHT}" y="20" class="edge" text-anchor="end">{last.isoformat()}</text>',
    ]
    tx = x(today)
    parts.append(f'<line x1="{tx:.1f}" y1="5" x2="{tx:.1f}" y2="{height - 5}" class="today"/>')
    parts.append(f'<text x="{tx + 4:.1f}" y="{height - 8}" class="today-label">Today {today.isoformat()}</text>')
    for i, (k, day) in enumerate(zip(key_dates, days, strict=True)):
        kx, y = x(day), 50 + ROW * i
        past = "past" if day < today else "ahead"
        anchor = "end" if kx > WIDTH * 0.6 else "start"
        dx = -6 if anchor == "end" else 6
        label = f"{day.isoformat()} {k['kind'].replace('_', ' ')}" + (" (passed)" if day < today else "")
        parts.append(f'<line x1="{kx:.1f}" y1="26" x2="{kx:.1f}" y2="{y - 4}" class="tick {past}"/>')
        parts.append(f'<circle cx="{kx:.1f}" cy="{y - 4}" r="3" class="dot {past}"/>')
        parts.append(
            f'<text x="{kx + dx:.1f}" y="{y}" text-anchor="{anchor}" class="kd-label {past}">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def payments_chart_svg(timeline: list[dict[str, Any]], caps: list[dict[str, Any]], *, title: str) -> str:
    """Cumulative payments, run by run, as a stepped line, against the contract cap (a dashed line, labelled)."""
    width, height, left, bottom, top = 900, 320, 90, 40, 20
    totals = [Decimal(t["total"]) for t in timeline]
    contract_cap = next((Decimal(c["limit"]) for c in caps if c["cap"] == "contract"), None)
    peak = max([*totals, contract_cap or Decimal(0), Decimal(1)])
    inner_w, inner_h = width - left - 20, height - top - bottom

    def y(amount: Decimal) -> float:
        return top + inner_h - float(amount / peak) * inner_h

    def x(i: int) -> float:
        return left + inner_w * (i + 1) / max(len(timeline), 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="ch-title ch-desc"><title id="ch-title">{escape(title)}</title>',
        f'<desc id="ch-desc">Cumulative payments after each of {len(timeline)} payment run(s)'
        + (f", against the contract cap of £{contract_cap:,.2f}" if contract_cap is not None else "")
        + ". The same figures are in the tables below.</desc>",
        f'<line x1="{left}" y1="{top + inner_h}" x2="{width - 20}" y2="{top + inner_h}" class="axis"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + inner_h}" class="axis"/>',
        f'<text x="{left - 6}" y="{top + inner_h}" text-anchor="end" class="tick-label">£0</text>',
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" class="tick-label">£{peak:,.0f}</text>',
    ]
    if contract_cap is not None:
        cy = y(contract_cap)
        parts.append(f'<line x1="{left}" y1="{cy:.1f}" x2="{width - 20}" y2="{cy:.1f}" class="cap"/>')
        parts.append(f'<text x="{width - 24}" y="{cy - 5:.1f}" text-anchor="end" class="cap-label">'
                     f"Contract cap £{contract_cap:,.2f}</text>")  # fmt: skip
    points = [(float(left), y(Decimal(0)))]
    for i, total in enumerate(totals):
        points.append((x(i), points[-1][1]))
        points.append((x(i), y(total)))
    parts.append(
        '<polyline class="paid" fill="none" points="' + " ".join(f"{a:.1f},{b:.1f}" for a, b in points) + '"/>'
    )
    for i, (run, total) in enumerate(zip(timeline, totals, strict=True)):
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(total):.1f}" r="4" class="dot"/>')
        parts.append(f'<text x="{x(i):.1f}" y="{top + inner_h + 18}" text-anchor="middle" class="tick-label">'
                     f"{escape(run['period'])}</text>")  # fmt: skip
        parts.append(f'<text x="{x(i) - 6:.1f}" y="{y(total) - 8:.1f}" text-anchor="end" class="kd-label">'
                     f"£{total:,.2f}</text>")  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)
