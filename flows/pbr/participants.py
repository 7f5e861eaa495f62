"""Payment by results, step one: a participants file into the database.

Each row is a participant of a contract with a referral date, an optional
date of birth, and any other columns kept as attributes (what eligibility
rules read). A malformed row (among them one that cannot be true: referred after the
import's date, born after the referral, over 110 at referral), an unknown contract, or a participant already
stored with other details refuses the whole file, and so does an id that is another's of the same contract,
stored or in the file, once case, spaces, dashes, underscores and invisible characters are ignored and
look-alike letters made one (``P-010``, ``p 010`` and ``P-010`` written with a full-width P and the
hyphen U+2010 are one person: policies/pbr/participants.py); ids stored before this rule, such pairs among
them, stay as they are.
Eligibility is reported, by the card in force at referral, and checked again on every claim. Importing the
same file again adds nothing and records nothing.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.common.columns import refuse_near_misses
from flows.common.errors import UserError
from flows.common.files import source_name
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.common.tabular import Table, open_table
from flows.pbr.contract import cards_for, contract_id, pbr_contract
from flows.pbr.problems import Problems
from models.contracts import Contract
from models.db import unit_of_work
from models.events import append_event
from models.pbr.bulk import bulk_insert
from models.pbr.claims import participants_of
from policies.dates import local_date, parse_iso_date
from policies.pbr.participants import Participant, impossible, same_person, shown
from policies.text import CONTROL, has_control


@dataclass
class ParticipantsResult:
    added: int = 0
    unchanged: int = 0
    ineligible: list[str] = field(default_factory=list)  # "P-004: was 26 at referral ..."
    contracts: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


PARTICIPANT_COLUMNS = ("contract", "participant", "referral_date")
PARTICIPANT_TABLE_COLUMNS = ("contract_id", "ref", "referral_date", "born", "attributes", "fingerprint", "imported_at")


def import_participants(
    settings: Settings, path: Path, *, as_of: dt.datetime, actor: str, contract_only: str | None = None
) -> ParticipantsResult:
    """Store participants with their referral date and attributes; eligibility is reported, and checked per claim.
    ``contract_only`` (a contract's page on the web) refuses, by line, a row for any other contract."""
    table = open_table(path, required=PARTICIPANT_COLUMNS, optional=("date_of_birth",))
    refuse_near_misses(table, ("date_of_birth",))  # any other column is an attribute
    problems = Problems(path)
    today = local_date(as_of, settings.timezone)
    extra = [(n, i) for n, i in table.columns.items() if n not in (*PARTICIPANT_COLUMNS, "date_of_birth")]
    rows: dict[tuple[str, str], tuple[int, Participant]] = {}
    for line, cells in table.rows():
        where = table.where(line)
        contract, ref = _cell(cells, table, "contract"), _cell(cells, table, "participant")
        if not contract:
            problems.add(where, line, "contract", "is empty")
        elif has_control(contract):
            problems.add(where, line, "contract", CONTROL)
        elif contract_only is not None and contract != contract_only:
            problems.add(where, line, "contract", f"is {contract}; this page imports {contract_only}'s participants")
        if not ref or len(ref) > 60 or has_control(ref):
            reason = "is empty" if not ref else CONTROL if has_control(ref) else "is longer than 60 characters"
            problems.add(where, line, "participant", reason)
        referral, why = parse_iso_date(_cell(cells, table, "referral_date"))
        if referral is None:
            problems.add(where, line, "referral_date", why or "")
        born_text = _cell(cells, table, "date_of_birth")
        born, why = parse_iso_date(born_text) if born_text else (None, None)
        if born_text and born is None:
            problems.add(where, line, "date_of_birth", why or "")
        if (contract, ref) in rows:
            problems.add(where, line, "participant", f"{ref} is already given on line {rows[(contract, ref)][0]}")
        if referral is None or not ref or not contract:
            continue
        attributes = {n: cells[i] for n, i in extra if i < len(cells) and cells[i]}
        person = Participant(ref, referral, born, attributes)
        for name, why in impossible(person, today):
            problems.add(where, line, name, why)
        rows[(contract, ref)] = (line, person)
    problems.raise_if_any("participants")
    if not rows:
        raise UserError(f"{path}: has no participant rows")
    result = ParticipantsResult()
    with unit_of_work(database(settings)) as session:
        for contract_ref in sorted({c for c, _ in rows}):
            found = _contract_or_problem(session, contract_ref, problems, table, rows)
            if found is None:
                continue
            cid = contract_id(found)
            cards = cards_for(session, found)
            existing = {p.ref: p for p in participants_of(session=session, contract_id=cid)}
            # one person, one id: the ids already stored and those this file adds, as people are told apart
            # (read with the participants above, once a contract: no participant is looked up one by one)
            taken: dict[str, tuple[str, int | None]] = {same_person(stored): (stored, None) for stored in existing}
            new: list[tuple[Any, ...]] = []
            for (c, ref), (line, person) in rows.items():
                if c != contract_ref:
                    continue
                fingerprint = _participant_fingerprint(person)
                if ref in existing:
                    if existing[ref].fingerprint == fingerprint:
                        result.unchanged += 1
                    else:
                        problems.add(table.where(line), line, "participant", f"{ref} already exists with other details")
                    continue
                other, on = taken.setdefault(same_person(ref), (ref, line))
                if other != ref:
                    where = f"participant {other} on line {on}" if on else f"existing participant {other}"
                    why = f"{shown(ref)} is the same id as {where} {_IGNORING}"
                    problems.add(table.where(line), line, "participant", why + ": one person has one id")
                    continue
                new.append(
                    (
                        cid,
                        ref,
                        person.referral_date,
                        person.born,
                        json.dumps(dict(person.attributes)),
                        fingerprint,
                        as_of,
                    )
                )
                card = next((k for k in reversed(cards) if k.effective_from <= person.referral_date), None)
                card = card or (cards[0] if cards else None)
                if card is not None:
                    why_not = card.eligibility.problem(person.referral_date, person.born, person.attributes)
                    if not why_not and not card.referral_from <= person.referral_date <= card.referral_to:
                        why_not = f"was referred on {person.referral_date}, outside the referral window"
                    if why_not:
                        result.ineligible.append(f"{ref} {why_not}")
            bulk_insert(session, "pbr_participant", PARTICIPANT_TABLE_COLUMNS, new)
            result.added += len(new)
            result.contracts.append(contract_ref)
            if new:
                append_event(
                    session=session,
                    effective_at=as_of,
                    actor=actor,
                    entity="contract",
                    entity_ref=contract_ref,
                    action="participants_imported",
                    after={"added": len(new), "source": source_name(path, settings.data_dir)},
                )
        problems.raise_if_any("participants")
    return result


def _contract_or_problem(
    session: Any, ref: str, problems: Problems, table: Table, rows: Mapping[tuple[str, str], tuple[int, Any]]
) -> Contract | None:
    try:
        return pbr_contract(session, ref)
    except UserError as exc:
        line = min(line for (c, _), (line, _) in rows.items() if c == ref)
        problems.add(table.where(line), line, "contract", str(exc))
        return None


_IGNORING = "once case, spaces, dashes, underscores and invisible characters are ignored"


def _participant_fingerprint(p: Participant) -> str:
    text = json.dumps([p.ref, str(p.referral_date), str(p.born), sorted(p.attributes.items())])
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _cell(cells: list[str], table: Table, name: str) -> str:
    i = table.columns.get(name)
    return cells[i] if i is not None and i < len(cells) else ""
