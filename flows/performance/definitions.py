"""Setting a contract's KPIs: with the contract (its file or `contracts add`), or later with `commission kpis set`.

A later change is a variation of the contract: its reason and the KPIs
before and after are logged (contract_variation and an event), and the
ratings of the readings already taken are computed again against the new
definition, in the same transaction. A KPI that has readings cannot be taken
off the contract (its readings are the record); one without can. Setting the
same KPIs again changes nothing.
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session

from flows.common.calendars import working_day_calendar
from flows.common.columns import refuse_unknown_columns
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.common.tabular import open_table
from flows.common.yaml_lines import load_yaml_with_lines
from flows.performance.policy import performance_policy
from models.contracts import Contract, ContractVariation, get_contract, replace_key_dates
from models.db import unit_of_work
from models.events import append_event
from models.performance.repository import exemption_of, kpis_of, readings_of
from models.performance.tables import Kpi, KpiExemption
from models.reminders.replanning import key_dates_changed
from policies.calendars import Nation
from policies.contracts.key_dates import derive_key_dates
from policies.performance.kpis import KpiDefinition, kpi_from_public, read_kpi, written_number
from policies.performance.policy_file import PerformancePolicy, check_kpi_count
from policies.performance.ratings import rate
from policies.performance.written import kpi_fields, kpi_items, kpi_name

KPI_FIELDS = ("name", "measure", "unit", "target", "direction", "frequency", "bands")
KPI_COLUMNS = (
    "name",
    "measure",
    "unit",
    "target",
    "direction",
    "frequency",
    "band_approaching",
    "band_requires_improvement",
)


@dataclass(frozen=True)
class ContractKpis:
    """The KPIs a contract's fields give: defined ones, bare names, and any exemption from the £5m rule."""

    definitions: tuple[KpiDefinition, ...]
    exemption: tuple[str, str] | None


def read_contract_kpis(
    fields: Mapping[str, Any], policy: PerformancePolicy
) -> tuple[ContractKpis, list[tuple[str, str]]]:
    """The KPIs of one contract as its file or the command line gives them; problems as (field, reason)."""
    problems: list[tuple[str, str]] = []
    definitions: list[KpiDefinition] = []
    items = kpi_items(fields.get("kpis"))
    for i, item in enumerate(items, start=1):
        given, found = kpi_fields(item)
        problems += [(p.field, p.reason) for p in found]
        if given is None:
            continue
        unknown = sorted(str(k) for k in given if k not in KPI_FIELDS)
        if unknown:
            problems.append((f"kpis[{i}]", f"{', '.join(unknown)}: not a KPI field; use {', '.join(KPI_FIELDS)}"))
            continue
        definition, found = read_kpi(given, policy.bands)
        problems += [(f"kpis[{i}].{p.field}", p.reason) for p in found]
        if definition is not None:
            definitions.append(definition)
    repeated = _repeated(kpi_name(k) for k in items)
    if repeated:
        problems.append(("kpis", f"{', '.join(n + also for n, also in repeated)}: each KPI is named once"))
    exemption = str(fields.get("kpi_exemption") or "").strip().lower() or None
    reason = str(fields.get("kpi_exemption_reason") or "").strip()
    value = _value(fields.get("value"))
    if exemption is not None or value is not None:
        refused = check_kpi_count(policy, value or Decimal(0), len(items), exemption, reason)
        if refused is not None and refused[0] != "kpis":  # the count itself is named by the contract's reader
            problems.append(refused)
    return ContractKpis(tuple(definitions), (exemption, reason) if exemption else None), problems


def _repeated(names: Iterable[str]) -> list[tuple[str, str]]:
    """The names given more than once, in any case (readings find a KPI by its name in any case, so two that
    differ only in case could never both be read): (each as first given, its other spellings in words or '')."""
    spellings: dict[str, list[str]] = {}
    for name in names:
        spellings.setdefault(name.casefold(), []).append(name)
    repeated = []
    for first, *others in (list(dict.fromkeys(v)) for v in spellings.values() if len(v) > 1):
        also = ", ".join(repr(o) for o in others)
        repeated.append((first, f" (also as {also}: names are matched in any case)" if others else ""))
    return sorted(repeated)


def _value(raw: Any) -> Decimal | None:
    return written_number(str(raw).replace("£", "").strip())


def store_contract_kpis(*, session: Session, contract_id: int, kpis: ContractKpis, as_of: dt.datetime) -> None:
    """Store a new contract's KPI definitions and exemption (in the caller's transaction)."""
    for definition in kpis.definitions:
        session.add(
            Kpi(contract_id=contract_id, name=definition.name, definition=definition.public(), created_at=as_of)
        )
    if kpis.exemption is not None:
        session.add(KpiExemption(contract_id=contract_id, exemption=kpis.exemption[0], reason=kpis.exemption[1]))


def kpis_changed(
    ref: str,
    names: Sequence[str],
    given: ContractKpis | None,
    stored: Sequence[Kpi],
    stored_names: Sequence[str],
    exemption: KpiExemption | None,
) -> tuple[str, str] | None:
    """How a contract file's KPIs differ from the stored contract's, as (field, reason); None if they do not.

    Bare names are compared by name; a definition (unit, target, bands...) with the stored one, field by
    field; an exemption with the stored one. The order they are listed in does not matter. A difference
    is a variation, which the import does not make: the reason says to use ``commission kpis set``.
    """
    how = f"a change to a contract's KPIs is a variation: use `commission kpis set {ref} --reason ...`"
    if sorted(names) != sorted(stored_names):
        said = ", ".join(sorted(stored_names)) or "none"
        return "kpis", f"contract {ref} already exists with other KPIs ({said}); {how}"
    defined = {k.name: k.definition for k in stored}
    for definition in given.definitions if given is not None else ():
        now, was = definition.public(), defined.get(definition.name)
        if now == was:
            continue
        i = list(names).index(definition.name) + 1
        if was is None:
            return f"kpis[{i}]", f"{definition.name} has no definition on contract {ref}; {how}"
        key = next(k for k in now if now[k] != was.get(k))
        said = f"{definition.name}: {key} is {_shown(was.get(key))} on contract {ref}, {_shown(now[key])} here"
        return f"kpis[{i}].{key}", f"{said}; {how}"
    old = None if exemption is None else (exemption.exemption, exemption.reason)
    new = given.exemption if given is not None else None
    if old != new:
        field = "kpi_exemption" if old is None or new is None or old[0] != new[0] else "kpi_exemption_reason"
        return field, f"contract {ref} has {_exemption(old)}; this file gives {_exemption(new)}; {how}"
    return None


def _exemption(exemption: tuple[str, str] | None) -> str:
    return "no KPI exemption" if exemption is None else f"the {exemption[0]} exemption ({exemption[1]})"


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)


def read_kpi_file(path: Path) -> tuple[list[tuple[str, Any]], dict[str, str]]:
    """The KPIs of a YAML, CSV or XLSX file, each with where it is; and, from YAML, any exemption given."""
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{path}: cannot be read: {exc}") from None
        document = load_yaml_with_lines(path, text)
        extra: dict[str, str] = {}
        if isinstance(document, dict):
            extra = {k: str(document[k]) for k in ("kpi_exemption", "kpi_exemption_reason") if document.get(k)}
            document = document.get("kpis", [])
        if not isinstance(document, list):
            raise UserError(f"{path}: expected a list of KPIs under 'kpis:'")
        items = []
        for i, item in enumerate(document, start=1):
            line = item.pop("__line__", None) if isinstance(item, dict) else None
            items.append((f"{path}:{line}" if line else f"{path}: kpis[{i}]", _without_lines(item)))
        return items, extra
    table = open_table(path, required=("name", "unit", "target", "direction"))
    refuse_unknown_columns(table, KPI_COLUMNS)
    names = sorted(table.columns, key=table.columns.__getitem__)
    rows = [(table.where(line), {n: cells[table.columns[n]] for n in names}) for line, cells in table.rows()]
    return rows, {}


def _without_lines(value: Any) -> Any:
    """A YAML value without the ``__line__`` keys the reader adds to every mapping."""
    if isinstance(value, dict):
        return {k: _without_lines(v) for k, v in value.items() if k != "__line__"}
    return value


def set_kpis(
    settings: Settings,
    *,
    ref: str,
    items: Sequence[tuple[str, Any]],
    exemption: str | None,
    exemption_reason: str | None,
    reason: str,
    as_of: dt.datetime,
    actor: str,
) -> dict[str, Any]:
    """Replace a contract's KPIs with these (a variation, with its reason); return what changed."""
    policy = performance_policy(settings)
    problems: list[str] = []
    wanted: list[KpiDefinition] = []
    for where, item in items:
        given, found = kpi_fields(item)
        if given is None and not found:
            problems.append(f"{where}: kpis: {kpi_name(item)!r} needs its unit, target and direction")
        problems += [f"{where}: {p}" for p in found]
        if given is not None:
            definition, found = read_kpi(given, policy.bands)
            problems += [f"{where}: {p}" for p in found]
            if definition is not None:
                wanted.append(definition)
    names = [d.name for d in wanted]
    problems += [f"{name}: is given more than once{also}" for name, also in _repeated(names)]
    if problems:
        raise UserError(
            "nothing changed: " + "; ".join(problems)
            if len(problems) == 1
            else "nothing changed:\n  " + "\n  ".join(problems)
        )
    if not reason.strip():
        raise UserError("a change to a contract's KPIs is a variation: give its --reason")
    with unit_of_work(database(settings)) as session:
        contract = get_contract(session=session, ref=ref, for_update=True)
        if contract is None:
            raise UserError(f"no contract with reference {ref!r}")
        contract_id = _id(contract)
        old_exemption = exemption_of(session=session, contract_id=contract_id)
        new_exemption = (exemption.strip().lower(), (exemption_reason or "").strip()) if exemption else None
        if new_exemption is None and old_exemption is not None:
            new_exemption = (old_exemption.exemption, old_exemption.reason)  # kept unless replaced
        refused = check_kpi_count(policy, contract.value.amount, len(wanted), *(new_exemption or (None, None)))
        if refused is not None:
            raise UserError(f"nothing changed: {refused[0]}: {refused[1]}")
        existing = {k.name: k for k in kpis_of(session=session, contract_id=contract_id)}
        before = {"kpis": [existing[n].definition for n in sorted(existing)], "kpi_exemption": _said(old_exemption)}
        after = {
            "kpis": [d.public() for d in sorted(wanted, key=lambda d: d.name)],
            "kpi_exemption": _said_pair(new_exemption),
        }
        if before == after:
            return {"contract": ref, "changed": False, "kpis": after["kpis"]}
        gone = [existing[n] for n in existing if n not in names]
        with_readings = {r.kpi_id for r in readings_of(session=session, kpi_ids=[_id(k) for k in gone])}
        kept = [k.name for k in gone if k.id in with_readings]
        if kept:
            raise UserError(
                f"nothing changed: {', '.join(kept)} has readings, so it stays on the contract; give it too"
            )
        for kpi in gone:
            session.delete(kpi)
        rerated = 0
        for definition in wanted:
            row = existing.get(definition.name)
            if row is None:
                session.add(
                    Kpi(contract_id=contract_id, name=definition.name, definition=definition.public(), created_at=as_of)
                )
            elif row.definition != definition.public():
                row.definition = definition.public()
                session.add(row)
                rerated += _rerate(session, _id(row), definition)
        _set_exemption(session, contract_id, old_exemption, new_exemption)
        contract.kpis = sorted(names)
        session.add(contract)
        key_dates_again(session, contract, kpi_exempt=new_exemption is not None)
        at: dict[str, Any] = {"before": before, "after": after}
        session.add(ContractVariation(contract_id=contract_id, varied_at=as_of, actor=actor, reason=reason, **at))
        append_event(session=session, effective_at=as_of, actor=actor, entity="contract", entity_ref=ref,
                     action="KpisVaried", reason=reason, **at)  # fmt: skip
        return {"contract": ref, "changed": True, "kpis": after["kpis"], "rerated": rerated}


def key_dates_again(session: Session, contract: Contract, *, kpi_exempt: bool) -> None:
    """Derive the key dates again: which UK9 notices are due follows the KPIs (policies.contracts.key_dates).
    Reminders for dates that went are cancelled and the contract queued for the sweep to plan the rest."""
    terms = contract.to_terms(kpi_exempt=kpi_exempt)
    statutory = working_day_calendar(Nation.UNITED_KINGDOM)
    dates = derive_key_dates(terms, working_day_calendar(contract.nation_enum), statutory)
    replace_key_dates(session=session, contract_id=_id(contract), key_dates=dates)
    key_dates_changed(session=session, contract_id=_id(contract))


def _rerate(session: Session, kpi_id: int, definition: KpiDefinition) -> int:
    """Rate a KPI's readings again against its new definition; return how many ratings changed."""
    changed = 0
    for reading in readings_of(session=session, kpi_ids=[kpi_id]):
        rating = rate(definition, Decimal(reading.value)).value
        if rating != reading.rating:
            reading.rating = rating
            session.add(reading)
            changed += 1
    return changed


def _set_exemption(session: Session, contract_id: int, old: KpiExemption | None, new: tuple[str, str] | None) -> None:
    if old is not None and (new is None or (old.exemption, old.reason) != new):
        session.delete(old)
        session.flush()
    if new is not None and (old is None or (old.exemption, old.reason) != new):
        session.add(KpiExemption(contract_id=contract_id, exemption=new[0], reason=new[1]))


def _said(exemption: KpiExemption | None) -> dict[str, str] | None:
    return None if exemption is None else {"exemption": exemption.exemption, "reason": exemption.reason}


def _said_pair(exemption: tuple[str, str] | None) -> dict[str, str] | None:
    return None if exemption is None else {"exemption": exemption[0], "reason": exemption[1]}


def definitions_of(session: Session, contract: Contract) -> list[tuple[Kpi, KpiDefinition]]:
    return [(k, kpi_from_public(k.definition)) for k in kpis_of(session=session, contract_id=_id(contract))]


def _id(row: Any) -> int:
    if row.id is None:
        raise ValueError("not saved")
    return int(row.id)
