"""Importing contracts: check every row, store them all in one transaction, or nothing with every problem named.

Rule: rows are read, checked and stored a batch at a time (``BATCH``), so
memory stays bounded at any size of file; the batches share one transaction,
so one bad row anywhere rolls every batch back. Once a problem is found nothing
more is stored, but every row is still checked, so that every problem is
counted. The refusal names the first ``SHOWN_PROBLEMS`` (file:line: field:
reason) and counts the rest; ``report`` gets every one, as a CSV of line,
field and reason.

Worked example: a file of 150 rows whose start dates are all written
01/04/2026 is refused with "nothing imported: 150 problem(s)", the first 100
problems, then "... and 50 more; --report FILE writes them all".
"""

import csv
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.common.calendars import working_day_calendar
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.contracts.files import Row
from flows.performance.definitions import ContractKpis, kpis_changed, read_contract_kpis, store_contract_kpis
from flows.performance.policy import performance_policy
from models.contracts import (
    Contract,
    KeyDateRow,
    contracts_by_ref,
    insert_contracts,
    insert_key_dates,
    key_date_rows,
    terms_columns,
)
from models.cycle import projects_by_ref, saved_id
from models.db import unit_of_work
from models.events import append_events
from models.pbr.bulk import import_cache
from models.performance.repository import exemptions_of_contracts, kpis_of_contracts
from models.reminders.replanning import mark_for_replanning
from policies.calendars import DaysUnknown, Nation, WorkingDayCalendar
from policies.contracts.key_dates import KeyDate, derive_key_dates
from policies.contracts.status import ContractStatus
from policies.contracts.terms import ContractDraft, read_contract
from policies.dates import local_date
from policies.money import Money


def calendars() -> dict[Nation, WorkingDayCalendar]:
    return {n: working_day_calendar(n) for n in Nation}


def key_dates_for(draft_terms: Any, nation: Nation) -> list[KeyDate]:
    return derive_key_dates(draft_terms, working_day_calendar(nation), working_day_calendar(Nation.UNITED_KINGDOM))


BATCH = 2000  # contracts checked against the database and stored at a time, inside the import's one transaction
SHOWN_PROBLEMS = 100  # problems named in the refusal; the rest are counted (and all written by --report)
KEPT_WARNINGS = 100  # missed-at-entry warnings kept by name; the rest are counted
# SQLite's page cache for an import (2 MB by default): the key dates' due_on index takes entries all over its
# range, and once it outgrows the cache its pages go back and forth to the WAL file. 256 MiB holds it for a
# portfolio of 500,000 contracts (about 7.4 million key dates) and keeps the import well under 1 GB.
IMPORT_CACHE_KIB = 262_144


@dataclass
class ImportResult:
    added: list[str]
    unchanged: list[str]
    warnings: list[str]  # the first KEPT_WARNINGS of them
    warnings_total: int = 0


class _Problems:
    """Every problem of an import, counted; the first SHOWN_PROBLEMS kept for the screen, and every one
    written as it is found to the report file (line, field, reason) when one is asked for."""

    def __init__(self, report: Path | None) -> None:
        self.count = 0
        self.shown: list[str] = []
        self.report = report
        self._file: Any = None
        self._writer: Any = None
        if report is not None:
            self._partial = report.with_name(report.name + ".part")
            try:
                self._file = self._partial.open("w", encoding="utf-8", newline="")
            except OSError as exc:
                raise UserError(f"{report}: cannot be written: {exc.strerror or exc}") from None
            self._writer = csv.writer(self._file)
            self._writer.writerow(["line", "field", "reason"])

    def add(self, row: Row, field: str, reason: str) -> None:
        self.count += 1
        if len(self.shown) < SHOWN_PROBLEMS:
            self.shown.append(f"{row.where}: {field}: {reason}")
        if self._writer is not None:
            line = row.line if row.line is not None else row.where
            self._writer.writerow([line, _cell(field), _cell(reason)])

    def close(self, *, keep: bool) -> None:
        """Finish the report: it replaces ``report`` whole, or (when the file could not be read to its end) goes."""
        if self._file is None or self.report is None:
            return
        self._file.close()
        if keep:
            self._partial.replace(self.report)
        else:
            self._partial.unlink(missing_ok=True)

    def rejection(self) -> UserError:
        lines = [f"nothing imported: {self.count:,} problem(s)", *(f"  {p}" for p in self.shown)]
        if self.count > len(self.shown):
            written = f" (written to {self.report})" if self.report is not None else ""
            lines.append(f"  ... and {self.count - len(self.shown):,} more; --report FILE writes them all{written}")
        return UserError("\n".join(lines))


def _cell(text: str) -> str:
    """Text a spreadsheet would read as a formula, with a leading apostrophe."""
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def add_contracts(
    settings: Settings, rows: Iterable[Row], *, as_of: dt.datetime, actor: str, report: Path | None = None
) -> ImportResult:
    """Check every row and store them all in one transaction, or nothing with every problem named.

    ``report`` gets every problem (line, field, reason) as a CSV, written whether or not there are any.
    """
    run = _Import(settings, as_of, actor, _Problems(report))
    try:
        with unit_of_work(database(settings)) as session:
            import_cache(session, IMPORT_CACHE_KIB)
            run.read(session, rows)
            if run.problems.count:
                raise run.problems.rejection()
    except UserError:
        run.problems.close(keep=run.read_whole)
        raise
    except BaseException:
        run.problems.close(keep=False)
        raise
    run.problems.close(keep=True)
    return run.result


class _Import:
    def __init__(self, settings: Settings, as_of: dt.datetime, actor: str, problems: _Problems) -> None:
        self.cals = calendars()
        self.today = local_date(as_of, settings.timezone)
        self.as_of, self.actor, self.problems = as_of, actor, problems
        self.result = ImportResult([], [], [])
        self.seen: dict[str, str] = {}  # ref -> where it was first given
        self.projects: dict[str, Any] = {}  # project ref -> its id (None: there is no such project)
        self.read_whole = False
        self.dated: set[str] = set()  # projects already checked to exist by the import's date (once per import)
        self.entered_at = dt.datetime.now(dt.UTC)  # one import, one entry: every batch's events carry this
        self.performance = performance_policy(settings)
        self.kpi_sets: dict[str, ContractKpis] = {}  # ref -> its KPI definitions or exemption, where it gives any

    def read(self, session: Any, rows: Iterable[Row]) -> None:
        batch: list[tuple[Row, ContractDraft]] = []
        for row in rows:
            draft, row_problems = read_contract(row.fields, self.cals)
            for p in row_problems:
                self.problems.add(row, p.field, p.reason)
            kpis, kpi_problems = read_contract_kpis(row.fields, self.performance)
            for field, reason in kpi_problems:
                self.problems.add(row, field, reason)
            if draft is None or kpi_problems:
                continue
            if kpis.definitions or kpis.exemption:
                self.kpi_sets[draft.ref] = kpis
            if draft.ref in self.seen:
                self.problems.add(row, "ref", f"{draft.ref} is already given at {self.seen[draft.ref]}")
                continue
            self.seen[draft.ref] = row.where
            batch.append((row, draft))
            if len(batch) >= BATCH:
                self._check(session, batch)
                batch = []
        self._check(session, batch)
        self.read_whole = True

    def _check(self, session: Any, drafts: list[tuple[Row, ContractDraft]]) -> None:
        """Check a batch against the database; store it if the import has no problem so far."""
        wanted = sorted({d.project for _, d in drafts} - self.projects.keys())
        if wanted:
            found = projects_by_ref(session=session, refs=wanted)
            self.projects |= {ref: saved_id(found[ref]) if ref in found else None for ref in wanted}
        existing = contracts_by_ref(session=session, refs=[d.ref for _, d in drafts]) if drafts else {}
        new: list[tuple[Row, ContractDraft, ContractStatus, dict[str, Any]]] = []
        same: list[tuple[Row, ContractDraft, Contract]] = []
        for row, draft in drafts:
            project_id = self.projects[draft.project]
            if project_id is None:
                self.problems.add(row, "project", f"no commissioning project {draft.project!r}")
                continue
            columns = {
                **terms_columns(draft.terms),
                "title": draft.title,
                "provider": draft.provider,
                "project_id": project_id,
                "nation": draft.nation.value,
                "payment_model": draft.payment_model.value,
            }  # the KPIs are compared apart (_same_kpis): a change to them is a variation by `kpis set`
            if draft.ref in existing:
                if _same(existing[draft.ref], columns):
                    same.append((row, draft, existing[draft.ref]))
                else:
                    reason = f"contract {draft.ref} already exists with other terms; record a variation to change it"
                    self.problems.add(row, "ref", reason)
                continue
            status = ContractStatus.PENDING if draft.terms.start > self.today else ContractStatus.ACTIVE
            stored = {**columns, "ref": draft.ref, "kpis": list(draft.kpis), "status": status.value}
            new.append((row, draft, status, {**stored, "created_at": self.as_of}))
        self._same_kpis(session, same)
        session.expunge_all()  # the stored contracts compared above: none is kept from batch to batch
        if new and not self.problems.count:
            self._store(session, new)  # otherwise nothing will be kept: the rest of the file is only checked

    def _same_kpis(self, session: Any, same: list[tuple[Row, ContractDraft, Contract]]) -> None:
        """A contract given again with the same terms is unchanged if its KPIs are the same too; otherwise
        the row is refused, pointing at `commission kpis set` (a variation, with its reason)."""
        ids = [c.id for *_, c in same if c.id is not None]
        kpis = kpis_of_contracts(session=session, contract_ids=ids) if ids else {}
        exemptions = exemptions_of_contracts(session=session, contract_ids=ids) if ids else {}
        for row, draft, stored in same:
            i = stored.id or 0
            given = self.kpi_sets.pop(draft.ref, None)
            changed = kpis_changed(draft.ref, draft.kpis, given, kpis.get(i, []), stored.kpis, exemptions.get(i))
            if changed is None:
                self.result.unchanged.append(draft.ref)
            else:
                self.problems.add(row, *changed)

    def _store(self, session: Any, new: list[tuple[Row, ContractDraft, ContractStatus, dict[str, Any]]]) -> None:
        as_of, today, result = self.as_of, self.today, self.result
        ids = insert_contracts(session=session, rows=[columns for *_, columns in new])
        key_rows: list[KeyDateRow] = []
        events: list[dict[str, Any]] = []
        for (row, draft, status, columns), contract_id in zip(new, ids, strict=True):
            try:
                key_dates = key_dates_for(draft.terms, draft.nation)
            except DaysUnknown as exc:  # validate_terms names most; this is the last word, with the row
                raise UserError(f"{row.where}: {exc}") from None
            key_rows += key_date_rows(contract_id, key_dates)
            event = {"effective_at": as_of, "actor": self.actor, "reason": f"from {row.where}", "before": None}
            events.append(
                {**event, "entity": "contract", "entity_ref": draft.ref, "action": "ContractAdded"}
                | {"after": public_terms(columns)}
            )
            linked = {
                "contract": draft.ref,
                "provider": draft.provider,
                "status": status.value,
                "start": draft.terms.start.isoformat(),
            }
            events.append(
                {**event, "entity": "project", "entity_ref": draft.project, "action": "ContractLinked", "after": linked}
            )
            for k in key_dates:
                if k.guards is not None and k.on < today <= k.guards:
                    result.warnings_total += 1
                    if len(result.warnings) < KEPT_WARNINGS:
                        kind = k.kind.value.replace("_", " ")
                        result.warnings.append(f"{draft.ref}: MISSED at entry: {kind} was due {k.on} - {k.action}")
            result.added.append(draft.ref)
            kpis = self.kpi_sets.pop(draft.ref, None)
            if kpis is not None:
                store_contract_kpis(session=session, contract_id=contract_id, kpis=kpis, as_of=as_of)
        # In due-date order (stable: the same date keeps contract order, so `due` lists ties as before), so the
        # entries go into the due_on index in one sweep, a page at a time, rather than all over it.
        key_rows.sort(key=_due_on)
        insert_key_dates(session=session, rows=key_rows)
        mark_for_replanning(session=session, contract_ids=ids)
        # A new contract has no history to precede; its project has, and its link must not be dated before it.
        unchecked = {draft.project for _, draft, _, _ in new} - self.dated
        self.dated |= unchecked
        existing = [("project", ref) for ref in unchecked]
        append_events(session=session, rows=events, entered_at=self.entered_at, existing=existing)


def _due_on(row: KeyDateRow) -> dt.date:
    return row[3]


def _same(existing: Contract, columns: Mapping[str, Any]) -> bool:
    return all(getattr(existing, name) == value for name, value in columns.items())


def public_terms(contract: Contract | Mapping[str, Any]) -> dict[str, Any]:
    """The terms as plain data, from a stored contract or from the columns about to be stored."""
    c = contract.model_dump() if isinstance(contract, Contract) else dict(contract)
    value = Money.from_pence(c["value_pence"], c["currency"])
    names = (
        "ref",
        "title",
        "provider",
        "currency",
        "initial_term_months",
        "extensions",
        "extensions_used",
        "breaks",
        "reviews",
        "kpis",
        "nation",
        "payment_model",
        "status",
    )
    return {**{n: c[n] for n in names}, "value": str(value.amount), "start": c["start"].isoformat()}
