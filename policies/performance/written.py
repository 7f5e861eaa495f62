"""KPIs as a contract file writes them: a YAML mapping, or one line "name: unit target direction [frequency]
[bands A/R]" (in a YAML list, or a CSV ``kpis`` cell separated by ";"), or a bare name.

A bare name is a KPI not yet defined (no target, so it is never rated): it
counts towards the £5m rule, as it always has, and ``commission kpis set``
defines it later.

Worked example: the CSV cell ``Tenancies sustained: percentage 85 higher;
Days to first appointment: days 10 lower monthly bands 12/15`` reads as two
KPIs: the first quarterly (the default) with the policy's bands, the second
monthly with edges 12 and 15.
"""

from collections.abc import Mapping
from typing import Any

from policies.cycle.evidence import FieldProblem


def kpi_items(raw: Any) -> list[Any]:
    """The KPIs given: a YAML list as it is, a text split on ";"."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, list):
        return [k for k in raw if not (isinstance(k, str) and not k.strip())]
    return [part for part in str(raw).split(";") if part.strip()]


def kpi_name(item: Any) -> str:
    """The KPI's name: a bare name, or the text before a line's last ":", as ``kpi_fields`` reads it."""
    if isinstance(item, Mapping):
        return str(item.get("name") or "").strip()
    return str(item).rsplit(":", 1)[0].strip()


def kpi_fields(item: Any) -> tuple[Mapping[str, Any] | None, list[FieldProblem]]:
    """The fields of a defined KPI; (None, []) for a bare name."""
    if isinstance(item, Mapping):
        return item, []
    text = str(item)
    if ":" not in text:
        return None, []
    name, rest = (part.strip() for part in text.rsplit(":", 1))
    words = rest.split()
    if len(words) < 3:
        return None, [
            FieldProblem("kpis", f"{text.strip()!r}: write name: unit target direction (e.g. ': percentage 85 higher')")
        ]
    fields: dict[str, Any] = {"name": name, "unit": words[0], "target": words[1], "direction": words[2]}
    more = words[3:]
    if more and more[0].lower() in ("monthly", "quarterly"):
        fields["frequency"] = more.pop(0)
    if len(more) == 2 and more[0].lower() == "bands" and more[1].count("/") == 1:
        approaching, requires = more[1].split("/")
        fields["bands"] = {"approaching": approaching, "requires_improvement": requires}
    elif more:
        return None, [FieldProblem("kpis", f"{text.strip()!r}: {' '.join(more)!r} is not a frequency or bands A/R")]
    return fields, []
