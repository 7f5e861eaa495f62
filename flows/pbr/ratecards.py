"""Payment by results, step one: a rate card file into the database, as a new version of the contract's card.

A card is a YAML file, or a CSV file with one row per outcome (the card's own
fields repeated, or given once, on its rows). It is read by the pure rules in
policies/pbr/ratecard.py; a card with a problem is refused whole, naming each
problem. Versions go forward in time, and a new version starts after every
claim already priced, so that nothing priced is repriced. Importing the same
file again adds nothing and records nothing. From the command line and the web
a new version is proposed (kind ``rate_card``) and stored when a second finance
user approves it, checked again then; ``import_rate_card`` stores at once, for
setting up (the demo, tests).
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from flows.approvals.kinds import Inputs, Kind, digest, register
from flows.approvals.service import propose, public
from flows.common.columns import refuse_unknown_columns
from flows.common.errors import UserError
from flows.common.files import source_name
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.common.tabular import open_table
from flows.common.yaml_lines import load_yaml_with_lines
from flows.pbr.contract import contract_id, pbr_contract, stored_card_terms
from flows.pbr.problems import Problems
from models.approvals import Proposal
from models.contracts import contract_by_id
from models.db import unit_of_work
from models.events import append_event
from models.pbr.claims import latest_priced
from models.pbr.ratecards import RateCardVersion, rate_cards_of
from policies.pbr.ratecard import cap_over_value
from policies.pbr.ratecard_reading import CARD_KEYS, OUTCOME_KEYS, read_rate_card

# The CSV form of the card's fields: the card's name in a column of its own, outcomes as rows.
CARD_FIELDS = tuple("card_name" if key == "name" else key for key in CARD_KEYS if key != "outcomes")
OUTCOME_FIELDS = OUTCOME_KEYS
KIND = "rate_card"


@dataclass
class CardResult:
    contract: str
    effective_from: str
    outcomes: int
    status: str  # added or unchanged

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def import_rate_card(
    settings: Settings,
    path: Path,
    *,
    as_of: dt.datetime,
    actor: str,
    allow_cap_over_value: bool = False,
    reason: str | None = None,
    contract_only: str | None = None,
) -> CardResult:
    """Store a rate card version at once, with no approval: for setting up (the demo, tests). The command line
    and the web propose instead (``propose_rate_card``). The same file again is a no-op."""
    card, terms, fingerprint, reason = _read(path, allow_cap_over_value, reason, contract_only)
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, card.contract)
        over = _checked(session, contract, card, fingerprint, str(path), allow_cap_over_value)
        if over is None:
            return CardResult(card.contract, card.effective_from.isoformat(), len(card.outcomes), "unchanged")
        _store(session, contract, card, terms, fingerprint, str(path), reason, over, as_of=as_of, actor=actor)
    return CardResult(card.contract, card.effective_from.isoformat(), len(card.outcomes), "added")


def propose_rate_card(
    settings: Settings,
    path: Path,
    *,
    as_of: dt.datetime,
    actor: str,
    allow_cap_over_value: bool = False,
    reason: str | None = None,
    contract_only: str | None = None,
) -> dict[str, Any]:
    """Propose a new rate card version (checked now, and again at approval); a second finance user approves it.
    The same file as a stored version is "unchanged"; proposed again while pending, the pending proposal."""
    card, terms, fingerprint, reason = _read(path, allow_cap_over_value, reason, contract_only)
    shown = CardResult(card.contract, card.effective_from.isoformat(), len(card.outcomes), "proposed")
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, card.contract)
        over = _checked(session, contract, card, fingerprint, str(path), allow_cap_over_value)
        if over is None:
            return {**shown.as_dict(), "status": "unchanged", "proposal": None, "pending": False}
        proposal, pending = propose(
            settings,
            session,
            kind=KIND,
            contract=contract,
            key=f"{KIND}:{card.effective_from.isoformat()}",
            subject=f"rate card from {card.effective_from.isoformat()}",
            payload={
                "contract": contract.ref,
                "terms": terms,
                "fingerprint": fingerprint,
                "source": source_name(path, settings.data_dir)[:300],
                "reason": reason,
                "over": over,
                "allow": allow_cap_over_value,
            },
            preview={
                "effective_from": card.effective_from.isoformat(),
                "outcomes": sorted(card.outcomes),
                "contract_cap": f"{card.contract_cap}" if card.contract_cap is not None else None,
                "paid_by": [p.name for p in card.payers],
                **({"cap_over_value": over} if over else {}),
            },
            inputs=_inputs_of(session, contract),
            amount_pence=0,
            actor=actor,
            as_of=as_of,
        )
        return {**shown.as_dict(), "proposal": public(session, proposal), "pending": pending}


def _read(
    path: Path, allow_cap_over_value: bool, reason: str | None, contract_only: str | None
) -> tuple[Any, dict[str, Any], str, str | None]:
    """The card read from the file (refused whole, naming each problem), its terms as stored, and its digest."""
    reason = (reason or "").strip() or None
    if allow_cap_over_value and reason is None:
        raise UserError("--allow-cap-over-value needs --reason TEXT: why the cap may exceed the contract's value")
    fields = _card_fields(path)
    card, problems = read_rate_card(fields, line=None)
    if card is None:
        named = [f"{path}{f':{p.line}' if p.line else ''}: {p.field}: {p.reason}" for p in problems]
        raise UserError("the rate card was not imported:\n" + "\n".join(f"  {n}" for n in named))
    if contract_only is not None and card.contract != contract_only:
        raise UserError(f"the rate card is for {card.contract}; this page imports {contract_only}'s card only")
    terms = _json_safe(fields)
    return card, terms, hashlib.sha256(json.dumps(terms, sort_keys=True).encode()).hexdigest(), reason


def _checked(
    session: Any, contract: Any, card: Any, fingerprint: str, source: str, allow_cap_over_value: bool
) -> dict[str, str] | None:
    """None when this exact version is stored already; else what a cap over the contract's value records
    (empty when none). A version that cannot follow the stored ones is refused, saying why."""
    versions = rate_cards_of(session=session, contract_id=contract_id(contract))
    for version in versions:
        if version.effective_from == card.effective_from:
            if version.fingerprint == fingerprint:
                return None
            raise UserError(
                f"{source}: effective_from: contract {card.contract} already has a rate card from "
                f"{card.effective_from} with other terms; a change takes its own, later effective_from"
            )
    if versions and card.effective_from < versions[-1].effective_from:
        raise UserError(
            f"{source}: effective_from: {card.effective_from} is before the latest version "
            f"({versions[-1].effective_from}); versions go forward in time"
        )
    value = Decimal(contract.value_pence) / 100
    over = cap_over_value(card, value)
    if over and not allow_cap_over_value:
        raise UserError(
            f"{source}: contract_cap: {over}; correct the card, or import it with --allow-cap-over-value --reason TEXT"
        )
    priced = latest_priced(session=session, contract_id=contract_id(contract))
    if versions and priced is not None and card.effective_from <= priced:
        raise UserError(
            f"{source}: effective_from: claims for outcomes up to {priced} are already priced on the card in "
            f"force; a new version must start after {priced}, so that nothing priced is repriced"
        )
    return {"contract_cap": f"{card.contract_cap}", "contract_value": f"{value:.2f}"} if over else {}


def _store(
    session: Any,
    contract: Any,
    card: Any,
    terms: dict[str, Any],
    fingerprint: str,
    source: str,
    reason: str | None,
    over: dict[str, str],
    *,
    as_of: dt.datetime,
    actor: str,
    proposal: int | None = None,
) -> None:
    session.add(
        RateCardVersion(
            contract_id=contract_id(contract),
            effective_from=card.effective_from,
            terms=terms,
            fingerprint=fingerprint,
            source=source[:300],
            imported_at=as_of,
            actor=actor,
        )
    )
    append_event(
        session=session,
        effective_at=as_of,
        actor=actor,
        entity="contract",
        entity_ref=card.contract,
        action="rate_card_imported",
        reason=reason,
        after={
            "effective_from": card.effective_from.isoformat(),
            "outcomes": sorted(card.outcomes),
            **({"cap_over_value": over} if over else {}),
            **({"proposal": proposal} if proposal is not None else {}),
        },
    )


def _inputs_of(session: Any, contract: Any) -> Inputs:
    cid = contract_id(contract)
    return {
        "the contract's rate card versions": digest([(v.id, v.fingerprint) for v in rate_cards_of(session=session,
                                                                                                    contract_id=cid)]),
        "the claims already priced": str(latest_priced(session=session, contract_id=cid)),
    }  # fmt: skip


def _apply(
    settings: Settings, session: Any, proposal: Proposal, as_of: dt.datetime, actor: str, now: dt.datetime | None
) -> dict[str, Any]:
    """At approval: checked again, then the version and its event, in the approval's transaction."""
    contract = contract_by_id(session=session, contract_id=proposal.contract_id)
    p = proposal.payload
    card = stored_card_terms(p["terms"], proposal=proposal.id)
    over = _checked(session, contract, card, p["fingerprint"], p["source"], p["allow"])
    if over is None:
        raise UserError(f"the rate card from {card.effective_from} is already stored")
    _store(session, contract, card, p["terms"], p["fingerprint"], p["source"], p["reason"], over, as_of=as_of,
           actor=actor, proposal=proposal.id)  # fmt: skip
    return CardResult(card.contract, card.effective_from.isoformat(), len(card.outcomes), "added").as_dict()


def _proposal_inputs(session: Any, proposal: Proposal) -> Inputs:
    return _inputs_of(session, contract_by_id(session=session, contract_id=proposal.contract_id))


register(Kind(KIND, "rate card", _proposal_inputs, _apply))


def _card_fields(path: Path) -> dict[str, Any]:
    if path.suffix.lower() in (".yaml", ".yml"):
        return _yaml_card(path)
    table = open_table(path, required=("contract", "effective_from", "code", "name", "price"), optional=CARD_FIELDS)
    refuse_unknown_columns(table, (*CARD_FIELDS, *OUTCOME_FIELDS))  # a misspelt cap would be dropped unsaid
    fields: dict[str, Any] = {}
    first_seen: dict[str, int] = {}
    outcomes: list[dict[str, Any]] = []
    problems = Problems(path)
    for line, cells in table.rows():
        row = {name: cells[i] for name, i in table.columns.items() if i < len(cells)}
        for name in CARD_FIELDS:
            value = row.get(name, "")
            if not value:
                continue
            if name in fields and fields[name] != value:
                problems.add(
                    table.where(line), line, name, f"{value!r} differs from {fields[name]!r} on line {first_seen[name]}"
                )
            elif name not in fields:
                fields[name], first_seen[name] = value, line
        outcomes.append({"__line__": line, **{n: row.get(n, "") for n in OUTCOME_FIELDS}})
    problems.raise_if_any("rate card")
    if not outcomes:
        raise UserError(f"{path}: has no outcome rows")
    fields["outcomes"] = outcomes
    if "card_name" in fields:  # in a CSV card, "name" is each outcome's
        fields["name"] = fields.pop("card_name")
    return fields


def _yaml_card(path: Path) -> dict[str, Any]:
    document = load_yaml_with_lines(path, _utf8(path))
    if not isinstance(document, dict):
        raise UserError(f"{path}: expected a rate card (contract:, effective_from:, outcomes: ...)")
    document.pop("__line__", None)
    return document


def _utf8(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UserError(f"{path}: is UTF-16 text; save it as UTF-8")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UserError(f"{path}:{line}: is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    if not text.strip():
        raise UserError(f"{path}: is empty")
    return text


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | Decimal):
        return str(value)
    return value
