"""Contract performance events as a history says them: KPIs varied, readings, corrections, overrides, notices."""

from collections.abc import Callable
from typing import Any

from flows.common.settings import Settings

Said = Callable[[dict[str, Any], dict[str, Any], Settings], str]


def _rating(value: Any) -> str:
    return str(value or "none").replace("_", " ")


def _kpis_varied(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    was = {k["name"]: k for k in before.get("kpis") or []}
    now = {k["name"]: k for k in after.get("kpis") or []}
    parts = [f"added {n} (target {now[n]['target']}, {now[n]['direction']} is better)" for n in now if n not in was]
    parts += [f"removed {n}" for n in was if n not in now]
    parts += [
        f"{n}: target {was[n]['target']} -> {now[n]['target']}"
        if was[n]["target"] != now[n]["target"]
        else f"{n} redefined"
        for n in now
        if n in was and was[n] != now[n]
    ]
    if before.get("kpi_exemption") != after.get("kpi_exemption"):
        exemption = after.get("kpi_exemption") or {}
        parts.append(f"KPI exemption: {exemption.get('exemption', 'none')}")
    return "KPIs varied: " + ("; ".join(parts) or "no change")


def _readings(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    return f"{after.get('readings')} KPI reading(s) recorded"  # the reason names the file


def _corrected(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    return (
        f"{after.get('kpi')} {after.get('period')} corrected: {before.get('value')} ({_rating(before.get('rating'))})"
        f" -> {after.get('value')} ({_rating(after.get('rating'))})"
    )


def _overridden(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    return (
        f"{after.get('kpi')} {after.get('period')} rated {_rating(after.get('override'))} "
        f"(computed: {_rating(after.get('rating'))})"
    )


def _withdrawn(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    return f"{after.get('kpi')} {after.get('period')}: override withdrawn, rated {_rating(after.get('rating'))} again"


def _prepared(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    return f"UK9 contract performance notice prepared for {after.get('period')} ({after.get('kpis')} KPIs)"


def _published(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    what = f"UK9 notice for {after.get('period')}" if after.get("notice") == "uk9" else "breach notice"
    met = f"; satisfies {str(after['satisfies']).replace('_', ' ')}" if after.get("satisfies") else ""
    return f"{what} published on {after.get('published_on')} as {after.get('reference')}{met}"


def _breach(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    what = f"{_rating(after.get('kind'))} #{after.get('seq')} on {after.get('on')}"
    return f"{what}; notice due by {after.get('notice_due')}"


PERFORMANCE_SAID: dict[str, Said] = {
    "KpisVaried": _kpis_varied,
    "KpiReadingsRecorded": _readings,
    "KpiReadingCorrected": _corrected,
    "KpiRatingOverridden": _overridden,
    "KpiRatingOverrideWithdrawn": _withdrawn,
    "Uk9NoticePrepared": _prepared,
    "Uk9NoticePublished": _published,
    "BreachNoticePublished": _published,
    "BreachRecorded": _breach,
}
