"""Contract commands and queries: add or import many at once, show one, list what is due.

An import is one transaction: every row is checked first, and one bad row
rejects the file with every problem named by file, line, field and reason.
Importing the same file again changes nothing: a contract whose terms are
unchanged is skipped, and one whose terms differ is refused (change it with a
variation instead). Key dates are derived and stored in the same transaction
as the contract.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.common.calendars import working_day_calendar
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from models.contracts import (
    Contract,
    ContractKeyDate,
    KeyDateRow,
    contracts_by_ref,
    get_contract,
    insert_contracts,
    insert_key_dates,
    key_date_rows,
    key_dates_of,
    terms_columns,
)
from models.cycle import projects_by_ref, saved_id
from models.db import unit_of_work
from models.events import append_events, events_for
from models.reminders.replanning import mark_for_replanning
from policies.calendars import Nation, WorkingDayCalendar
from policies.contracts.key_dates import KeyDate, derive_key_dates, expiry, max_extent, status_on
from policies.contracts.status import ContractStatus
from policies.contracts.terms import ContractDraft, read_contract
from policies.dates import local_date
from policies.money import Money


def calendars() -> dict[Nation, WorkingDayCalendar]:
    return {n: working_day_calendar(n) for n in Nation}


def key_dates_for(draft_terms: Any, nation: Nation) -> list[KeyDate]:
    return derive_key_dates(draft_terms, working_day_calendar(nation), working_day_calendar(Nation.UNITED_KINGDOM))


@dataclass(frozen=True)
class Row:
    """One contract as read from a file or the command line, with where it came from."""

    where: str  # "contracts.csv:3" or "command line"
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class ImportResult:
    added: list[str]
    unchanged: list[str]
    warnings: list[str]


def add_contracts(settings: Settings, rows: Iterable[Row], *, as_of: dt.datetime, actor: str) -> ImportResult:
    """Check every row, then store them all in one transaction, or nothing with every problem named."""
    cals = calendars()
    drafts: list[tuple[Row, ContractDraft]] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for row in rows:
        draft, row_problems = read_contract(row.fields, cals)
        problems += [f"{row.where}: {p}" for p in row_problems]
        if draft is not None:
            if draft.ref in seen:
                problems.append(f"{row.where}: ref: {draft.ref} is already given at {seen[draft.ref]}")
            seen[draft.ref] = row.where
            drafts.append((row, draft))
    if problems:
        raise UserError(_rejection(problems))
    today = local_date(as_of, settings.timezone)
    added, unchanged, warnings = [], [], []
    with unit_of_work(database(settings)) as session:
        projects = projects_by_ref(session=session, refs=sorted({d.project for _, d in drafts}))
        existing = contracts_by_ref(session=session, refs=[d.ref for _, d in drafts])
        new: list[tuple[Row, ContractDraft, ContractStatus, dict[str, Any]]] = []
        for row, draft in drafts:
            project = projects.get(draft.project)
            if project is None:
                problems.append(f"{row.where}: project: no commissioning project {draft.project!r}")
                continue
            columns = {
                **terms_columns(draft.terms),
                "title": draft.title,
                "provider": draft.provider,
                "project_id": saved_id(project),
                "nation": draft.nation.value,
                "payment_model": draft.payment_model.value,
                "kpis": list(draft.kpis),
            }
            if draft.ref in existing:
                if _same(existing[draft.ref], columns):
                    unchanged.append(draft.ref)
                else:
                    problems.append(
                        f"{row.where}: ref: contract {draft.ref} already exists with other terms; "
                        "record a variation to change it"
                    )
                continue
            status = ContractStatus.PENDING if draft.terms.start > today else ContractStatus.ACTIVE
            new.append((row, draft, status, {**columns, "ref": draft.ref, "status": status.value, "created_at": as_of}))
        if problems:
            raise UserError(_rejection(problems))
        ids = insert_contracts(session=session, rows=[columns for *_, columns in new])
        key_rows: list[KeyDateRow] = []
        events: list[dict[str, Any]] = []
        for (row, draft, status, columns), contract_id in zip(new, ids, strict=True):
            key_dates = key_dates_for(draft.terms, draft.nation)
            key_rows += key_date_rows(contract_id, key_dates)
            event = {"effective_at": as_of, "actor": actor, "reason": f"from {row.where}", "before": None}
            events.append(
                {
                    **event,
                    "entity": "contract",
                    "entity_ref": draft.ref,
                    "action": "ContractAdded",
                    "after": _public_terms(columns),
                }
            )
            events.append(
                {
                    **event,
                    "entity": "project",
                    "entity_ref": draft.project,
                    "action": "ContractLinked",
                    "after": {
                        "contract": draft.ref,
                        "provider": draft.provider,
                        "status": status.value,
                        "start": draft.terms.start.isoformat(),
                    },
                }
            )
            warnings += [
                f"{draft.ref}: MISSED at entry: {k.kind.value.replace('_', ' ')} was due {k.on} - {k.action}"
                for k in key_dates
                if k.guards is not None and k.on < today <= k.guards
            ]
            added.append(draft.ref)
        insert_key_dates(session=session, rows=key_rows)
        mark_for_replanning(session=session, contract_ids=ids)
        append_events(session=session, rows=events)
    return ImportResult(added, unchanged, warnings)


def _rejection(problems: list[str]) -> str:
    return f"nothing imported: {len(problems)} problem(s)\n" + "\n".join(f"  {p}" for p in problems)


def _same(existing: Contract, columns: Mapping[str, Any]) -> bool:
    return all(getattr(existing, name) == value for name, value in columns.items())


def _id(contract: Contract) -> int:
    if contract.id is None:
        raise ValueError("contract not saved")
    return contract.id


def _public_terms(contract: Contract | Mapping[str, Any]) -> dict[str, Any]:
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


# --------------------------------------------------------------------------- files


def read_rows(path: Path) -> list[Row]:
    """The rows of a YAML or CSV contracts file, each with its line number."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    if not text.strip():
        raise UserError(f"{path}: is empty")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(path, text)
    if suffix in (".yaml", ".yml"):
        return _yaml_rows(path, text)
    raise UserError(f"{path}: unknown file type {suffix!r}; use .csv, .yaml or .yml")


REQUIRED_COLUMNS = ("ref", "title", "provider", "project", "value", "start")


def _csv_rows(path: Path, text: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if "term" not in columns and "end" not in columns:
        missing.append("term (or end)")
    if missing:
        raise UserError(f"{path}:1: missing column(s): {', '.join(missing)}")
    rows = []
    for record in reader:
        if None in record:
            raise UserError(f"{path}:{reader.line_num}: has more cells than the header has columns")
        fields = {k.strip(): (v or "").strip() for k, v in record.items() if k is not None}
        if any(fields.values()):
            rows.append(Row(f"{path}:{reader.line_num}", fields))
    return rows


def load_yaml_with_lines(path: Path, text: str) -> Any:
    """A YAML document whose every mapping carries ``__line__``, the line it starts on, for error messages."""
    import yaml

    class LineLoader(yaml.SafeLoader):
        pass

    def mapping_with_line(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        # YAML 1.1 reads a bare `on:` key as True; in a break clause it means the break date.
        mapping = {
            ("on" if key is True else key): value for key, value in loader.construct_mapping(node, deep=True).items()
        }
        mapping["__line__"] = node.start_mark.line + 1
        return mapping

    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping_with_line)
    try:
        return yaml.load(text, Loader=LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise UserError(f"{path}{line}: is not valid YAML: {getattr(exc, 'problem', exc)}") from None


def _yaml_rows(path: Path, text: str) -> list[Row]:
    document = load_yaml_with_lines(path, text)
    items = document.get("contracts") if isinstance(document, dict) else document
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise UserError(f"{path}: expected a list of contracts under 'contracts:'")
    return [Row(f"{path}:{item.pop('__line__')}", _strip_lines(item)) for item in items]


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


# --------------------------------------------------------------------------- queries


def contract_detail(settings: Settings, ref: str) -> dict[str, Any]:
    with unit_of_work(database(settings)) as session:
        contract = get_contract(session=session, ref=ref)
        if contract is None:
            raise UserError(f"no contract with reference {ref!r}")
        terms = contract.to_terms()
        today = local_date(dt.datetime.now(dt.UTC), settings.timezone)
        return {
            **_public_terms(contract),
            "status": status_on(terms, ContractStatus(contract.status), today).value,
            "expiry": expiry(terms).isoformat(),
            "max_extent": max_extent(terms).isoformat(),
            "key_dates": [_key_date_public(k) for k in key_dates_of(session=session, contract_id=_id(contract))],
            "history": [
                {
                    "at": e.effective_at.isoformat(),
                    "recorded_at": e.recorded_at.isoformat(),
                    "actor": e.actor,
                    "action": e.action,
                    "reason": e.reason,
                    "before": e.before,
                    "after": e.after,
                }
                for e in events_for(session=session, entity="contract", entity_ref=contract.ref)
            ],
        }


def _key_date_public(k: ContractKeyDate) -> dict[str, Any]:
    return {
        "key": k.key,
        "kind": k.kind,
        "due_on": k.due_on.isoformat(),
        "action": k.action,
        "who": k.who,
        "guards": k.guards.isoformat() if k.guards else None,
    }
