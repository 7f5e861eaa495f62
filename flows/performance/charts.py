"""A KPI's trend as a chart: its readings against the target, over its bands, to an SVG or PNG file.

The bands are shaded from the target outwards (Approaching target, Requires
improvement, then Inadequate), so a reading's rating is seen at a glance; the
target is a dashed line. Readings stay Decimal everywhere but as plotting
coordinates.
"""

import re
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

from flows.common.errors import UserError
from flows.common.files import replacing
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.performance.assessment import contract_performance
from models.contracts import get_contract
from models.db import unit_of_work

BAND_COLOURS = ("#d9f0d3", "#fff2b2", "#fdd0a2", "#f4a6a6")  # Good, Approaching, Requires improvement, Inadequate


def write_trend(path: Path, contract: str, kpi: dict[str, Any]) -> None:
    """Draw one KPI's readings against its target and bands; ``path`` ends .svg or .png."""
    suffix = path.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise UserError(f"{path}: a chart is written as .svg or .png")
    from flows.pbr.exports import _quiet_matplotlib_config

    _quiet_matplotlib_config()
    from matplotlib.figure import Figure

    target = float(Decimal(kpi["target"]))
    a, r = float(Decimal(kpi["bands"]["approaching"])), float(Decimal(kpi["bands"]["requires_improvement"]))
    values = [float(Decimal(x["value"])) for x in kpi["readings"]]
    labels = [x["period"] for x in kpi["readings"]]
    figure = Figure(figsize=(8, 4.2), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    spread = max([abs(target - r), *(abs(v - target) for v in values)], default=1) or 1
    higher = kpi["direction"] == "higher"
    far = (r - spread * 0.6) if higher else (r + spread * 0.6)
    top = (max([target, *values]) + spread * 0.2) if higher else target - spread * 0.3
    edges = [top, target, a, r, far] if higher else [min([top, *values]), target, a, r, max([far, *values])]
    for colour, (low, high) in zip(BAND_COLOURS, pairwise(edges), strict=False):
        axes.axhspan(min(low, high), max(low, high), color=colour, zorder=0)
    axes.axhline(target, linestyle="--", color="0.2", linewidth=1.2, label=f"target {kpi['target']}")
    if values:
        axes.plot(range(len(values)), values, marker="o", color="#1f4e79", label="reading")
        axes.set_xticks(range(len(values)), labels, rotation=45 if len(values) > 6 else 0)
    else:
        axes.text(0.5, 0.5, "no readings yet", transform=axes.transAxes, ha="center", va="center", color="0.4")
    axes.set_title(f"{contract}: {kpi['name']} ({'higher' if higher else 'lower'} is better)")
    axes.set_ylabel(kpi["unit"])
    axes.legend(loc="best")
    with replacing(path) as temporary:
        figure.savefig(temporary, format=suffix[1:])


def write_trends(settings: Settings, ref: str, folder: Path, fmt: str = "svg") -> list[Path]:
    """One chart per KPI of the contract, written into ``folder`` as REF-kpi-name.svg (or .png)."""
    with unit_of_work(database(settings)) as session:
        contract = get_contract(session=session, ref=ref)
        if contract is None or contract.id is None:
            raise UserError(f"no contract with reference {ref!r}")
        kpis = contract_performance(session, contract.id)["kpis"]
    if not kpis:
        raise UserError(f"{ref} has no KPIs defined; set them with `commission kpis set {ref}`")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{folder}: cannot be made: {exc.strerror or exc}") from None
    written = []
    for kpi in kpis:
        slug = re.sub(r"[^a-z0-9]+", "-", kpi["name"].lower()).strip("-")[:60] or "kpi"
        path = folder / f"{re.sub(r'[^A-Za-z0-9]+', '-', ref)}-{slug}.{fmt}"
        write_trend(path, ref, kpi)
        written.append(path)
    return written
