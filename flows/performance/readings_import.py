"""Importing KPI readings: a CSV or XLSX of contract, kpi, period and value; all of them, or none.

Rule: every row is checked and rated as it is read, a batch at a time, in one
transaction: one bad row anywhere stores nothing, and every bad row is named
(file:line: field: reason, the first ``SHOWN_PROBLEMS``, the rest counted). A
row is bad when its contract or KPI is unknown, its period is not the KPI's
kind (a quarter for a quarterly KPI, a month for a monthly one) or lies
outside the contract's life, its period is not over by the as-of date (today
by default: a 2026-Q4 reading is refused on 7 December 2026), its value is not an exact
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
import gc
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from flows.common.columns import refuse_unknown_columns
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.common.tabular import Table, open_table
from models.db import unit_of_work
from models.events import append_events
from models.pbr.bulk import driver_date, driver_value, import_cache
from models.performance.repository import existing_values, insert_readings, kpi_catalogue
from models.reminders.tables import as_date
from policies.dates import local_date
from policies.performance.kpis import Direction, Frequency, Unit, check_reading, written_number
from policies.performance.periods import Period, check_in_life, check_over, parse_period
from policies.performance.ratings import Rating, rate_value

COLUMNS = ("contract", "kpi", "period", "value")
RATED = {rating: rating.value for rating in Rating}  # the stored words, without an enum look-up per row
JUDGED = 200_000  # distinct (definition, value) pairs remembered
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
    life_id: int  # the same for KPIs of the same (start, last day, frequency): a key for cached checks
    kind: int  # the same for KPIs of the same definition: a key for judged values


@dataclass
class ReadingsResult:
    file: str
    added: int = 0
    unchanged: int = 0
    contracts: int = 0
    ratings: dict[str, int] = field(default_factory=dict)


def import_readings(settings: Settings, path: Path, *, as_of: dt.datetime, actor: str) -> ReadingsResult:
    """Check every reading of the file and store them all, rated, in one transaction; or nothing."""
    # Millions of small objects and no reference cycles: the cycle collector would walk them again and again
    # as they are made, and find nothing (as for the claims import).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _import_readings(settings, path, as_of=as_of, actor=actor)
    finally:
        if was_enabled:
            gc.enable()


def _import_readings(settings: Settings, path: Path, *, as_of: dt.datetime, actor: str) -> ReadingsResult:
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
        append_events(session=session, rows=events, existing=())  # each contract's start was checked on loading
    run.result.contracts = len(run.per_contract)
    return run.result


class _Run:
    def __init__(self, table: Table, today: dt.date, name: str) -> None:
        self.table, self.today = table, today
        self.result = ReadingsResult(name)
        self.kpis: dict[tuple[str, str], _Kpi] = {}
        self.contracts: dict[str, bool] = {}  # ref -> known (has been looked up)
        self.periods: dict[str, tuple[Period | None, str | None]] = {}
        self.slots: dict[int, dict[str, Any]] = {}  # per contract life: a period as written, checked
        self.lives: dict[tuple[dt.date, dt.date, Frequency], int] = {}
        self.definitions: dict[str, tuple[Any, ...]] = {}  # stored text -> its parts and a number for it
        self.judged: dict[int, dict[str, tuple[str, str, str | None]]] = {}  # per definition: values judged
        self.kpi_ids: dict[str, list[int]] = {}  # contract ref -> its KPIs' ids
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
        refs = {cells[ci].upper() for _, cells in batch}
        wanted = sorted(refs - self.contracts.keys())
        if wanted:
            self._load(session, wanted, as_of)
        held = existing_values(session=session, kpi_ids=[i for r in refs for i in self.kpi_ids.get(r, ())])
        kpis, seen, collided = self.kpis, self.seen, self.collided
        ratings, per_contract = self.result.ratings, self.per_contract
        at, date = driver_value(session, as_of), driver_date(session)
        rows: list[tuple[Any, ...]] = []
        # A KPI's rows usually come together: it, its periods' checks and its values' verdicts are looked up once.
        given_ref = given_name = ref = ""
        kpi: _Kpi | None = None
        slots: dict[str, Any] = {}
        verdicts: dict[str, tuple[str, str, str | None]] = {}
        for line, cells in batch:  # the hot loop: 2.4 million rows in the benchmark
            if cells[ci] != given_ref or cells[ki] != given_name:
                given_ref, given_name = cells[ci], cells[ki]
                ref = given_ref.upper()
                kpi = kpis.get((ref, given_name.casefold()))
                if kpi is not None:
                    slots = self.slots.setdefault(kpi.life_id, {})
                    verdicts = self.judged.setdefault(kpi.kind, {})
            if kpi is None:
                self._unknown(line, ref, cells[ki])
                continue
            slot = slots.get(cells[pi])
            if slot is None:
                slot = slots[cells[pi]] = self._slot(kpi, cells[pi], date)
            period, code, start, end, why = slot
            if why is not None or period is None:
                self.problem(line, "period", f"KPI {kpi_label(kpi)}: {why}" if period else why or "")
                continue
            raw = cells[vi]
            verdict = verdicts.get(raw)
            if verdict is None:
                verdict = self._judge(kpi, raw, verdicts)
            written, rating, bad = verdict
            if bad is not None:
                self.problem(line, "value", bad)
                continue
            key = kpi.id << 20 | code
            if key in seen:
                collided.add(key)  # the same again, or another value: named after the pass, with both lines
                continue
            seen.add(key)
            if held:
                before = held.get((kpi.id, period.label))
                if before is not None:
                    self._held(line, kpi, period, before, written)
                    continue
            rows.append((kpi.id, period.label, start, end, written, rating, at))
            ratings[rating] = ratings.get(rating, 0) + 1
            per_contract[ref] = per_contract.get(ref, 0) + 1
        self.result.added += len(rows)
        if rows and not self.problems:
            insert_readings(session=session, rows=rows)

    def _judge(
        self, kpi: "_Kpi", raw: str, verdicts: dict[str, tuple[str, str, str | None]]
    ) -> tuple[str, str, str | None]:
        """A value as written, for KPIs of this definition: (exact text, rating, problem). Values repeat (85.5,
        12), so each is judged once per definition and remembered (up to JUDGED values, then afresh)."""
        verdict: tuple[str, str, str | None]
        value = written_number(raw)
        if value is None:
            verdict = ("", "", f"{raw!r} is not a number" if raw else "is missing")
        else:
            bad = check_reading(kpi.unit, value)
            rating = "" if bad else RATED[rate_value(kpi.direction, kpi.target, kpi.approaching, kpi.requires, value)]
            verdict = (str(value), rating, bad)
        if len(verdicts) >= JUDGED:
            verdicts.clear()
        verdicts[raw] = verdict
        return verdict

    def _held(self, line: int, kpi: "_Kpi", period: Period, before: str, written: str) -> None:
        if Decimal(before) == Decimal(written):
            self.result.unchanged += 1
        else:
            self.problem(
                line,
                "value",
                f"{kpi.contract} {kpi_label(kpi)} {period.label} already reads {before}; "
                "change it with `commission kpis correct`",
            )

    def _unknown(self, line: int, ref: str, name: str) -> None:
        if not self.contracts.get(ref):
            self.problem(line, "contract", f"no contract {ref!r}" if ref else "is missing")
            return
        known = sorted(k.name for (r, _), k in self.kpis.items() if r == ref)
        its = f" (its KPIs: {', '.join(known)})" if known else " (it has none defined)"
        self.problem(line, "kpi", f"{name!r} is not a KPI of {ref}{its}")

    def _slot(self, kpi: "_Kpi", text: str, date: Any) -> tuple[Period | None, int, Any, Any, str | None]:
        """A period as written, checked for a KPI of this frequency and contract life (the same for many rows):
        (period, its code, its first and last days as the database takes them, and the problem if any)."""
        period, why = self._period(text)
        if period is None:
            return None, 0, None, None, why
        if period.frequency is not kpi.frequency:
            example = "a quarter, e.g. 2026-Q2" if kpi.frequency is Frequency.QUARTERLY else "a month, e.g. 2026-04"
            return None, 0, None, None, f"the KPI is measured {kpi.frequency.value}: write {example}"
        outside = check_in_life(period, kpi.start, kpi.last_day)
        if outside:
            return None, 0, None, None, outside
        # Not over yet: the period is kept, to name the KPI (many KPIs share this check) with the problem.
        return period, _code(period), date(period.start), date(period.end), check_over(period, self.today)

    def _period(self, text: str) -> tuple[Period | None, str | None]:
        found = self.periods.get(text)
        if found is None:
            found = self.periods[text] = parse_period(text)
        return found

    def _load(self, session: Any, refs: list[str], as_of: dt.datetime) -> None:
        for ref in refs:
            self.contracts[ref] = False
        for ref, added, start, ends_on, kpi_id, name, definition in kpi_catalogue(session=session, refs=refs):
            if not self.contracts[ref]:
                self.contracts[ref] = True
                if as_of < _instant(added):  # its history begins when it was added: nothing is dated before
                    raise UserError(f"--as-of {as_of.isoformat()} is before contract {ref} was added ({added})")
            if kpi_id is None:
                continue
            d = self.definitions.get(definition if isinstance(definition, str) else json.dumps(definition))
            if d is None:
                d = self._definition(definition)
            unit, direction, target, approaching, requires, frequency, kind = d
            life = (as_date(start), as_date(ends_on), frequency)
            self.kpis[(ref, str(name).casefold())] = _Kpi(
                int(kpi_id), str(name), ref, unit, direction, target, approaching, requires, frequency,
                life[0], life[1], self.lives.setdefault(life, len(self.lives)), kind,
            )  # fmt: skip
            self.kpi_ids.setdefault(ref, []).append(int(kpi_id))

    def _definition(self, definition: Any) -> tuple[Any, ...]:
        """A stored definition's parts, parsed once for all the KPIs that share its text."""
        d = json.loads(definition) if isinstance(definition, str) else definition
        bands = d["bands"]
        parts = (
            Unit(d["unit"]), Direction(d["direction"]), Decimal(d["target"]), Decimal(bands["approaching"]),
            Decimal(bands["requires_improvement"]), Frequency(d["frequency"]), len(self.definitions),
        )  # fmt: skip
        self.definitions[definition if isinstance(definition, str) else json.dumps(definition)] = parts
        return parts

    def find_changed_duplicates(self) -> None:
        """Read the file again for the readings given twice: another value the second time is a problem."""
        first: dict[int, tuple[int, str]] = {}
        for line, kpi, period, value in self._again():
            key = kpi.id << 20 | _code(period)
            if key not in self.collided:
                continue
            if key not in first:
                first[key] = (line, value)
            elif written_number(first[key][1]) != written_number(value):  # a value not a number: refused already
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
                yield line, kpi, period, cells[c["value"]]


def _instant(value: Any) -> dt.datetime:
    """A stored instant as either database gives it back (UTC text from SQLite)."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)


def kpi_label(kpi: _Kpi) -> str:
    return repr(kpi.name)


def _code(period: Period) -> int:
    """A small number unique to the period (month or quarter) for the in-file duplicate check."""
    quarter = period.frequency is Frequency.QUARTERLY
    return (period.start.year * 13 + (0 if quarter else period.start.month)) * 5 + (
        period.start.month + 2
    ) // 3 * quarter
