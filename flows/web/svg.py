"""A contract's key dates as an SVG timeline, drawn on the server (no JavaScript), with today marked.

Each date is a tick with its label underneath in words, so the picture never relies on colour alone; the
same dates are listed in a table beside it for screen readers (the SVG has a title and description).
"""

import datetime as dt
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
