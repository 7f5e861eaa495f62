"""The performance policy: default rating bands by unit, the KPI rule for large contracts, and its exemptions.

Rule: the shipped performance.toml comes first, and the user's file overrides
it key by key. A contract worth more than the threshold (£5m, Procurement Act
2023 s.52) needs at least the minimum number of KPIs (3) unless an exemption
from the policy's list applies and its reason is recorded: frameworks,
concessions, light-touch contracts, and performance that KPIs cannot
appropriately assess.

Worked example: a £6,000,000 contract with 2 KPIs is refused ("a contract over
£5m needs at least 3 KPIs ... 2 given"); the same with exemption
``light_touch`` and reason "Schedule 1 light-touch social care services" is
accepted; with exemption ``light_touch`` and no reason it is refused.
"""

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from policies.performance.kpis import BandBasis, BandDefault, Unit, parse_decimal


@dataclass(frozen=True)
class PerformancePolicy:
    bands: Mapping[Unit, BandDefault]
    threshold: Decimal
    minimum: int
    exemptions: tuple[str, ...]
    breach_notice_days: int
    sources: tuple[str, ...] = ()


def parse_policy_text(text: str, source: str) -> tuple[dict[str, Any] | None, list[str]]:
    try:
        return tomllib.loads(text), []
    except tomllib.TOMLDecodeError as exc:
        return None, [f"{source}: is not valid TOML: {exc}"]


def build_performance_policy(
    documents: Sequence[tuple[str, Mapping[str, Any]]],
) -> tuple[PerformancePolicy | None, list[str]]:
    """Merge documents in order (later ones override key by key) and validate."""
    merged: dict[str, dict[str, Any]] = {"bands": {}, "kpis": {}, "notices": {}}
    problems: list[str] = []
    for source, doc in documents:
        for section, body in doc.items():
            if section not in merged or not isinstance(body, Mapping):
                problems.append(f"{source}: {section}: is not a section; use bands, kpis, notices")
                continue
            for key, value in body.items():
                if section == "bands" and isinstance(value, Mapping):
                    merged["bands"][key] = {**merged["bands"].get(key, {}), **value}
                else:
                    merged[section][key] = value
    bands: dict[Unit, BandDefault] = {}
    for key, body in merged["bands"].items():
        try:
            unit = Unit(key)
        except ValueError:
            problems.append(f"bands.{key}: is not a unit; use {', '.join(u.value for u in Unit)}")
            continue
        default, why = _band_default(body)
        if default is None:
            problems.append(f"bands.{key}: {why}")
        else:
            bands[unit] = default
    kpis, notices = merged["kpis"], merged["notices"]
    threshold, why = parse_decimal(kpis.get("threshold", "5000000"))
    if threshold is None:
        problems.append(f"kpis.threshold: {why}")
    minimum = kpis.get("minimum", 3)
    if not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 0:
        problems.append("kpis.minimum: must be a whole number")
    exemptions = kpis.get("exemptions", [])
    if not isinstance(exemptions, list) or not all(isinstance(e, str) for e in exemptions):
        problems.append("kpis.exemptions: must be a list of names")
    days = notices.get("breach_notice_days", 30)
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        problems.append("notices.breach_notice_days: must be a whole number of days")
    if notices.get("rating_over_period", "latest") != "latest":
        problems.append("notices.rating_over_period: only 'latest' is known (ratings are never averaged)")
    if problems or threshold is None:
        return None, problems
    return PerformancePolicy(bands, threshold, minimum, tuple(exemptions), days, tuple(s for s, _ in documents)), []


def _band_default(body: Any) -> tuple[BandDefault | None, str | None]:
    if not isinstance(body, Mapping):
        return None, "must be a table with basis, approaching and requires_improvement"
    try:
        basis = BandBasis(str(body.get("basis", "")))
    except ValueError:
        return None, "basis must be points or percent"
    approaching, why = parse_decimal(body.get("approaching"))
    if approaching is None:
        return None, f"approaching {why}"
    requires, why = parse_decimal(body.get("requires_improvement"))
    if requires is None:
        return None, f"requires_improvement {why}"
    if not 0 < approaching < requires:
        return None, f"approaching ({approaching}) must be above 0 and below requires_improvement ({requires})"
    return BandDefault(basis, approaching, requires), None


def check_kpi_count(
    policy: PerformancePolicy, value: Decimal, kpis: int, exemption: str | None, reason: str | None
) -> tuple[str, str] | None:
    """(field, reason) when a contract of this value cannot have this many KPIs, or None."""
    if exemption:
        if exemption not in policy.exemptions:
            return "kpi_exemption", f"{exemption!r} is not an exemption; use one of {', '.join(policy.exemptions)}"
        if not (reason or "").strip():
            return "kpi_exemption_reason", f"the {exemption} exemption needs its reason, for the record"
        return None
    if value > policy.threshold and kpis < policy.minimum:
        return (
            "kpis",
            f"a contract over £{policy.threshold:,.0f} needs at least {policy.minimum} KPIs (Procurement Act 2023 "
            f"s.52), or an exemption ({', '.join(policy.exemptions)}) with its reason; {kpis} given",
        )
    return None
