"""Importing KPI readings: a CSV or XLSX of contract, kpi, period and value; all of them, or none.

Rule: every row is checked and rated as it is read, a batch at a time, in one
transaction: one bad row anywhere stores nothing, and every bad row is named
(file:line: field: reason, the first ``SHOWN_PROBLEMS``, the rest counted). A
row is bad when its contract or KPI is unknown, its period is not the KPI's
kind (a quarter for a quarterly KPI, a month for a monthly one) or lies
outside the contract's life or ahead of today, its value is not an exact
number, is negative, or is a percentage over 100, or it gives a reading
already held (in the database or earlier in the file) with another value:
corrections go through `commission kpis correct`. The same reading again is
no change, so importing the same file twice stores it once.

Worked example: ``HF-2026-01,Tenancies sustained,2026-Q2,83.5`` for a
quarterly percentage KPI with target 85 and the default bands is stored with
the rating Approaching target; ``...,2026-Q2,101`` is refused with
"value: 101 is over 100, and this KPI is a percentage".
"""

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.common.tabular import Table, open_table, refuse_unknown_columns
from models.db import unit_of_work
from models.events import append_events
from models.pbr.bulk import import_cache
from models.performance.repository import ReadingRow, existing_values, insert_readings, kpi_catalogue
from models.reminders.tables import as_date
from policies.dates import local_date
from policies.performance.kpis import Direction, Frequency, Unit, check_reading
from policies.performance.periods import Period, check_in_life, parse_period
from policies.performance.ratings import rate_value

COLUMNS = ("contract", "kpi", "period", "value")
BATCH = 20_000  # rows checked against the database and stored at a time, inside the one transaction
SHOWN_PROBLEMS = 100


@dataclass(frozen=True)
class _Kpi:
    id: int
    name: str
    contract: str
    unit: Unit
    direction: Direction
    target: Decimal
    approaching: Decimal
    requires: Decimal
    frequency: Frequency
    start: dt.date
    last_day: dt.date


@dataclass
class ReadingsResult:
    file: str
    added: int = 0
    unchanged: int = 0
    contracts: int = 0
    ratings: dict[str, int] = field(default_factory=dict)


def import_readings(settings: Settings, path: Path, *, as_of: dt.datetime, actor: str) -> ReadingsResult:
    """Check every reading of the file and store them all, rated, in one transaction; or nothing."""
    table = open_table(path, required=COLUMNS)
    refuse_unknown_columns(table, COLUMNS)
    run = _Run(table, local_date(as_of, settings.timezone), str(path))
    with unit_of_work(database(settings)) as session:
        import_cache(session)
        run.read(session, as_of)
        if run.collided:
            run.find_changed_duplicates()
        if run.problems:
            raise run.rejection()
        events = [
            {"effective_at": as_of, "actor": actor, "entity": "contract", "entity_ref": ref,
             "action": "KpiReadingsRecorded", "reason": f"from {path.name}", "before": None,
             "after": {"readings": count, "file": path.name}}
            for ref, count in sorted(run.per_contract.items())
        ]  # fmt: skip
        append_events(session=session, rows=events)
    run.result.contracts = len(run.per_contract)
    return run.result


class _Run:
    def __init__(self, table: Table, today: dt.date, name: str) -> None:
        self.table, self.today = table, today
        self.result = ReadingsResult(name)
        self.kpis: dict[tuple[str, str], _Kpi] = {}
        self.contracts: dict[str, bool] = {}  # ref -> known (has been looked up)
        self.periods: dict[str, tuple[Period | None, str | None]] = {}
        self.seen: set[int] = set()  # kpi id << 20 | period code: a reading given earlier in the file
        self.collided: set[int] = set()
        self.per_contract: dict[str, int] = {}
        self.problems = 0
        self.shown: list[tuple[int, str]] = []

    def problem(self, line: int, name: str, reason: str) -> None:
        self.problems += 1
        if len(self.shown) < SHOWN_PROBLEMS:
            self.shown.append((line, f"{self.table.where(line)}: {name}: {reason}"))

    def rejection(self) -> UserError:
        lines = [f"nothing imported: {self.problems:,} problem(s)", *(f"  {p}" for _, p in sorted(self.shown))]
        if self.problems > len(self.shown):
            lines.append(f"  ... and {self.problems - len(self.shown):,} more")
        return UserError("\n".join(lines))

    def read(self, session: Any, as_of: dt.datetime) -> None:
        batch: list[tuple[int, list[str]]] = []
        for line, cells in self.table.rows():
            batch.append((line, cells))
            if len(batch) >= BATCH:
                self._batch(session, batch, as_of)
                batch = []
        self._batch(session, batch, as_of)
        if self.result.added + self.result.unchanged + self.problems == 0:
            raise UserError(f"{self.table.path}: has no readings")

    def _batch(self, session: Any, batch: list[tuple[int, list[str]]], as_of: dt.datetime) -> None:
        c = self.table.columns
        ci, ki, pi, vi = c["contract"], c["kpi"], c["period"], c["value"]
        wanted = sorted({cells[ci].upper() for _, cells in batch} - self.contracts.keys())
        if wanted:
            self._load(session, wanted)
        checked: list[tuple[int, _Kpi, Period, str, str, int]] = []
        for line, cells in batch:
            ref, name = cells[ci].upper(), cells[ki]
            if not self.contracts.get(ref):
                self.problem(line, "contract", f"no contract {ref!r}" if ref else "is missing")
                continue
            kpi = self.kpis.get((ref, name.casefold()))
            if kpi is None:
                known = sorted(k.name for (r, _), k in self.kpis.items() if r == ref)
                self.problem(
                    line,
                    "kpi",
                    f"{name!r} is not a KPI of {ref}"
                    + (f" (its KPIs: {', '.join(known)})" if known else " (it has none defined)"),
                )
                continue
            period, why = self._period(cells[pi])
            if period is None:
                self.problem(line, "period", why or "")
                continue
            if period.frequency is not kpi.frequency:
                self.problem(
                    line,
                    "period",
                    f"{name} is measured {kpi.frequency.value}: write "
                    + ("a quarter, e.g. 2026-Q2" if kpi.frequency is Frequency.QUARTERLY else "a month, e.g. 2026-04"),
                )
                continue
            outside = check_in_life(period, kpi.start, kpi.last_day, self.today)
            if outside:
                self.problem(line, "period", outside)
                continue
            text = cells[vi].replace(",", "")
            try:
                value = Decimal(text)
            except InvalidOperation:
                self.problem(line, "value", f"{cells[vi]!r} is not a number" if cells[vi] else "is missing")
                continue
            bad = check_reading(kpi.unit, value) if value.is_finite() else f"{cells[vi]!r} is not a number"
            if bad:
                self.problem(line, "value", bad)
                continue
            key = kpi.id << 20 | _code(period)
            if key in self.seen:
                self.collided.add(key)  # the same again, or another value: named after the pass, with both lines
                continue
            self.seen.add(key)
            rating = rate_value(kpi.direction, kpi.target, kpi.approaching, kpi.requires, value).value
            checked.append((line, kpi, period, str(value), rating, key))
        held = existing_values(session=session, kpi_ids=[k.id for _, k, *_ in checked])
        rows: list[ReadingRow] = []
        for line, kpi, period, written, rating, _key in checked:
            before = held.get((kpi.id, period.label))
            if before is not None:
                if Decimal(before) == Decimal(written):
                    self.result.unchanged += 1
                else:
                    self.problem(
                        line,
                        "value",
                        f"{kpi.contract} {kpi_label(kpi)} {period.label} already reads {before}; "
                        "change it with `commission kpis correct`",
                    )
                continue
            rows.append((kpi.id, period.label, period.start, period.end, written, rating))
            self.result.ratings[rating] = self.result.ratings.get(rating, 0) + 1
            self.per_contract[kpi.contract] = self.per_contract.get(kpi.contract, 0) + 1
        self.result.added += len(rows)
        if rows and not self.problems:
            insert_readings(session=session, rows=rows, recorded_at=as_of)

    def _period(self, text: str) -> tuple[Period | None, str | None]:
        found = self.periods.get(text)
        if found is None:
            found = self.periods[text] = parse_period(text)
        return found

    def _load(self, session: Any, refs: list[str]) -> None:
        for ref in refs:
            self.contracts[ref] = False
        for ref, _cid, start, ends_on, kpi_id, name, definition in kpi_catalogue(session=session, refs=refs):
            self.contracts[ref] = True
            if kpi_id is None:
                continue
            d = json.loads(definition) if isinstance(definition, str) else definition
            self.kpis[(ref, str(name).casefold())] = _Kpi(
                int(kpi_id), str(name), ref, Unit(d["unit"]), Direction(d["direction"]), Decimal(d["target"]),
                Decimal(d["bands"]["approaching"]), Decimal(d["bands"]["requires_improvement"]),
                Frequency(d["frequency"]), as_date(start), as_date(ends_on),
            )  # fmt: skip

    def find_changed_duplicates(self) -> None:
        """Read the file again for the readings given twice: another value the second time is a problem."""
        first: dict[int, tuple[int, str]] = {}
        for line, kpi, period, value in self._again():
            key = kpi.id << 20 | _code(period)
            if key not in self.collided:
                continue
            if key not in first:
                first[key] = (line, value)
            elif Decimal(first[key][1]) != Decimal(value):
                earlier, was = first[key]
                self.problem(
                    line,
                    "value",
                    f"{kpi.contract} {kpi_label(kpi)} {period.label} is given at line {earlier} as {was} "
                    f"and here as {value}; give it once",
                )
            else:
                self.result.unchanged += 1

    def _again(self) -> Iterator[tuple[int, _Kpi, Period, str]]:
        c = self.table.columns
        for line, cells in self.table.rows():
            kpi = self.kpis.get((cells[c["contract"]].upper(), cells[c["kpi"]].casefold()))
            period, _ = self._period(cells[c["period"]])
            if kpi is not None and period is not None:
                yield line, kpi, period, cells[c["value"]].replace(",", "")


def kpi_label(kpi: _Kpi) -> str:
    return repr(kpi.name)


def _code(period: Period) -> int:
    """A small number unique to the period (month or quarter) for the in-file duplicate check."""
    quarter = period.frequency is Frequency.QUARTERLY
    return (period.start.year * 13 + (0 if quarter else period.start.month)) * 5 + (
        period.start.month + 2
    ) // 3 * quarter
