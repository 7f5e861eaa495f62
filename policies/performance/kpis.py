"""KPI definitions: what a contract measures, its target, which way is better, and its rating bands.

Rule: a KPI has a name, a measure (what is counted, in words), a unit (count,
percentage, days or money), an exact target, a direction (higher or lower is
better), a frequency (monthly or quarterly) and its rating bands. The bands
are two readings: the edge of Approaching target and the edge of Requires
improvement; beyond the second is Inadequate. For a higher-is-better KPI they
fall below the target, each lower than the last; for a lower-is-better KPI
above it, each higher. A band that points the wrong way, or that is empty
(its edge equal to the one before), is refused. A percentage, as target,
reading or band edge, lies between 0 and 100. When a KPI gives no bands, the
policy's default for its unit applies (policies/performance.toml): a distance
in the KPI's own units ("points") or a percentage of the target.

Worked examples (the shipped defaults): "% of tenancies sustained at 12
months", percentage, target 85, higher is better: 5 and 15 points give edges
80 and 70. "Days from referral to first appointment", days, target 10, lower
is better: 20% and 50% of the target give edges 12 and 15.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from policies.cycle.evidence import FieldProblem
from policies.text import CONTROL, has_control

HUNDRED = Decimal(100)
LONGEST_READING = 40  # characters of a reading (or target) as written: the database keeps it so
# A number as a person writes one: digits, or thousands grouped by commas (12,000), and decimals after a point.
# "12,5" (a decimal comma), "1,2,3", "1_000" and "1e3" are refused rather than read as 125, 123 or 1000.
_NUMBER_RE = re.compile(r"^[-+]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?$|^[-+]?\.[0-9]+$")


class Unit(StrEnum):
    COUNT = "count"
    PERCENTAGE = "percentage"
    DAYS = "days"
    MONEY = "money"


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class BandBasis(StrEnum):
    POINTS = "points"  # the KPI's own units
    PERCENT = "percent"  # a percentage of the target


@dataclass(frozen=True)
class BandDefault:
    """How far short of the target each band reaches, as the policy file gives it for a unit."""

    basis: BandBasis
    approaching: Decimal
    requires_improvement: Decimal

    def edges(self, target: Decimal, direction: Direction) -> "Bands":
        def distance(amount: Decimal) -> Decimal:
            return amount if self.basis is BandBasis.POINTS else target * amount / HUNDRED

        sign = Decimal(-1) if direction is Direction.HIGHER else Decimal(1)
        return Bands(target + sign * distance(self.approaching), target + sign * distance(self.requires_improvement))


@dataclass(frozen=True)
class Bands:
    """The band edges, as readings: up to ``approaching`` is Approaching target, up to
    ``requires_improvement`` is Requires improvement, beyond it Inadequate."""

    approaching: Decimal
    requires_improvement: Decimal


@dataclass(frozen=True)
class KpiDefinition:
    name: str
    measure: str
    unit: Unit
    target: Decimal
    direction: Direction
    frequency: Frequency
    bands: Bands
    own_bands: bool  # given in the definition, not the policy's default

    def public(self) -> dict[str, Any]:
        """The definition as plain data (for events, JSON and the before/after of a variation)."""
        return {
            "name": self.name,
            "measure": self.measure,
            "unit": self.unit.value,
            "target": str(self.target),
            "direction": self.direction.value,
            "frequency": self.frequency.value,
            "bands": {
                "approaching": str(self.bands.approaching),
                "requires_improvement": str(self.bands.requires_improvement),
            },
            "own_bands": self.own_bands,
        }


def parse_decimal(value: Any) -> tuple[Decimal | None, str | None]:
    """An exact number from text or an int; a float (YAML 85.5) is refused: it is not exact."""
    if isinstance(value, bool):
        return None, f"{value!r} is not a number"
    if isinstance(value, float):
        return None, f"{value!r} was read as a floating-point number; write it in quotes"
    if isinstance(value, int | Decimal):
        return Decimal(value), None
    text = str(value or "").strip().lstrip("£")
    if not text:
        return None, "is missing"
    number = written_number(text)
    return (None, f"{str(value)!r} is not a number") if number is None else (number, None)


def written_number(text: str) -> Decimal | None:
    """The number ``text`` writes (``_NUMBER_RE``: 85.5, 12,000, -3), or None: a decimal comma, commas out of
    their thousands, underscores, exponents, NaN and Infinity are not numbers here."""
    if not _NUMBER_RE.match(text):
        return None
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:  # the pattern admits none: kept for safety
        return None


def check_reading(unit: Unit, value: Decimal) -> str | None:
    """Why a reading cannot be one of this unit, or None."""
    if len(str(value)) > LONGEST_READING:  # kept as written, in a column of that many characters
        return f"too large: a reading is at most {LONGEST_READING} characters written out; {len(str(value))} given"
    if value < 0:
        return f"{value} is negative; a {unit.value} cannot be"
    if unit is Unit.PERCENTAGE and value > HUNDRED:
        return f"{value} is over 100, and this KPI is a percentage"
    if unit is Unit.COUNT and value != value.to_integral_value():
        return f"{value} is not a whole number, and this KPI is a count"
    return None


def check_bands(direction: Direction, target: Decimal, bands: Bands) -> str | None:
    """Why these band edges cannot stand for a KPI of this direction and target, or None."""
    a, r = bands.approaching, bands.requires_improvement
    if direction is Direction.HIGHER:
        if not r < a < target:
            return (
                f"for a KPI where higher is better the edges must fall below the target, each lower than the last "
                f"(requires_improvement < approaching < target); got {r} < {a} < {target}"
            )
    elif not target < a < r:
        return (
            f"for a KPI where lower is better the edges must rise above the target, each higher than the last "
            f"(target < approaching < requires_improvement); got {target} < {a} < {r}"
        )
    return None


def _choice(fields: Mapping[str, Any], name: str, kind: type[StrEnum], problems: list[FieldProblem]) -> Any:
    text = str(fields.get(name) or "").strip().lower()
    try:
        return kind(text)
    except ValueError:
        allowed = ", ".join(k.value for k in kind)
        problems.append(FieldProblem(name, f"{text!r} is not one of {allowed}" if text else f"is missing ({allowed})"))
        return None


def read_kpi(
    fields: Mapping[str, Any], defaults: Mapping[Unit, BandDefault]
) -> tuple[KpiDefinition | None, list[FieldProblem]]:
    """Check one KPI's fields (from YAML, a CSV row or options) and build its definition."""
    problems: list[FieldProblem] = []
    name = str(fields.get("name") or "").strip()
    if not name:
        problems.append(FieldProblem("name", "is missing"))
    elif len(name) > 120:
        problems.append(FieldProblem("name", "is longer than 120 characters"))
    elif has_control(name):
        problems.append(FieldProblem("name", CONTROL))
    measure = str(fields.get("measure") or "").strip() or name
    unit = _choice(fields, "unit", Unit, problems)
    direction = _choice(fields, "direction", Direction, problems)
    frequency = _choice(fields, "frequency", Frequency, problems) if fields.get("frequency") else Frequency.QUARTERLY
    target, why = parse_decimal(fields.get("target"))
    if target is None:
        problems.append(FieldProblem("target", why or "is missing"))
    elif unit is not None and (bad := check_reading(unit, target)):
        problems.append(FieldProblem("target", bad))
        target = None
    raw = fields.get("bands")
    flat = {k: fields.get(f"band_{k}") for k in ("approaching", "requires_improvement") if fields.get(f"band_{k}")}
    if raw is None and flat:
        raw = flat
    bands: Bands | None = None
    own = raw is not None and raw != {}
    if own:
        bands = _own_bands(raw, unit, problems)
    elif unit is not None and target is not None and direction is not None:
        default = defaults.get(unit)
        if default is None:
            problems.append(FieldProblem("bands", f"the policy has no default bands for a {unit.value}; give bands"))
        elif default.basis is BandBasis.PERCENT and target == 0:
            problems.append(
                FieldProblem("bands", "the target is 0, so bands as a percentage of it are empty; give bands")
            )
        else:
            bands = default.edges(target, direction)
    if bands is not None and target is not None and direction is not None and own:
        bad = check_bands(direction, target, bands)
        if bad:
            problems.append(FieldProblem("bands", bad))
    if problems or unit is None or direction is None or target is None or bands is None or frequency is None:
        return None, problems
    return KpiDefinition(name, measure, unit, target, direction, frequency, bands, own), []


def _own_bands(raw: Any, unit: Unit | None, problems: list[FieldProblem]) -> Bands | None:
    if not isinstance(raw, Mapping):
        problems.append(FieldProblem("bands", "must give approaching and requires_improvement, as readings"))
        return None
    unknown = sorted(set(raw) - {"approaching", "requires_improvement"})
    if unknown:
        problems.append(
            FieldProblem("bands", f"{', '.join(unknown)}: not a band; use approaching, requires_improvement")
        )
        return None
    edges = []
    for key in ("approaching", "requires_improvement"):
        number, why = parse_decimal(raw.get(key))
        if number is None:
            problems.append(FieldProblem(f"bands.{key}", why or "is missing"))
            return None
        if unit is Unit.PERCENTAGE and not 0 <= number <= HUNDRED:
            problems.append(FieldProblem(f"bands.{key}", f"{number} is outside 0 to 100, and this KPI is a percentage"))
            return None
        edges.append(number)
    return Bands(edges[0], edges[1])


def kpi_from_public(data: Mapping[str, Any]) -> KpiDefinition:
    """A stored definition (``KpiDefinition.public``) back as a value."""
    return KpiDefinition(
        name=data["name"],
        measure=data["measure"],
        unit=Unit(data["unit"]),
        target=Decimal(data["target"]),
        direction=Direction(data["direction"]),
        frequency=Frequency(data["frequency"]),
        bands=Bands(Decimal(data["bands"]["approaching"]), Decimal(data["bands"]["requires_improvement"])),
        own_bands=bool(data.get("own_bands")),
    )
