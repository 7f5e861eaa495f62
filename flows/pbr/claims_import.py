"""Payment by results, step one: rate cards, participants and claims files into the database.

Every import is one transaction and idempotent. A file with a malformed row
(a missing or unknown value, a bad date or amount, an unknown contract or
outcome code) is refused whole, naming each row's line, field and reason:
nothing of it is kept. A well-formed claims file is validated by the pure
rules in policies/pbr/claims.py; accepted, partly accepted and rejected claims
are all stored, with their reasons, and the report lists the rejections by
line. Importing the same file again adds nothing and records nothing.

A big file on SQLite is decided on every core: when no contract or outcome
cap is in reach, no participant's claims depend on another's, so forked
workers each decide a share of whole participants and write their rows to a
side file, which the import's one transaction then moves in (``_shares``).
"""

import contextlib
import datetime as dt
import functools
import gc
import hashlib
import json
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from types import MappingProxyType
from typing import Any

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.common.tabular import Table, open_table
from flows.common.workers import can_fork, cores, in_parallel
from flows.contracts.register import load_yaml_with_lines
from models.contracts import Contract, get_contract
from models.db import unit_of_work
from models.events import append_event
from models.pbr.bulk import attach_staged, bulk_insert, can_stage, driver_date, import_cache, insert_staged, stage_rows
from models.pbr.claims import (
    CLAIM_COLUMNS,
    ClaimImport,
    accepted_claims,
    claim_fingerprints,
    latest_achieved,
    participant_facts,
    participants_of,
)
from models.pbr.ledger import clawed_back_claims
from models.pbr.ratecards import RateCardVersion, rate_cards_of
from policies.contracts.terms import PaymentModel
from policies.dates import parse_iso_date
from policies.money import PENNY, parse_money
from policies.pbr.book import Book
from policies.pbr.claims import Claim, Decision, Verdict, fingerprint, pence, pounds
from policies.pbr.participants import Participant
from policies.pbr.ratecard import RateCard
from policies.pbr.ratecard_reading import read_rate_card
from policies.pbr.validation import ClaimPlan, decide, decide_in_file_order, plan_claims

SHOWN = 20  # problems named one by one; the rest are counted
PBR_MODELS = (PaymentModel.PAYMENT_BY_RESULTS.value, PaymentModel.HYBRID.value)


class Problems:
    """Malformed rows: the first few named in full, all counted by field."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.first: list[str] = []
        self.count = 0
        self.rows: set[int] = set()
        self.by_field: Counter[str] = Counter()

    def add(self, where: str, line: int, name: str, reason: str) -> None:
        self.count += 1
        self.rows.add(line)
        self.by_field[name] += 1
        if len(self.first) < SHOWN:
            self.first.append(f"{where}: {name}: {reason}")

    def raise_if_any(self, what: str) -> None:
        if not self.count:
            return
        lines = [f"{self.path}: {len(self.rows):,} malformed row(s); no {what} from this file were imported:"]
        lines += [f"  {p}" for p in self.first]
        if self.count > len(self.first):
            fields = ", ".join(f"{name} {n:,}" for name, n in self.by_field.most_common())
            lines.append(f"  ... and {self.count - len(self.first):,} more problem(s); by field: {fields}")
        raise UserError("\n".join(lines))


def pbr_contract(session: Any, ref: str) -> Contract:
    contract = get_contract(session=session, ref=ref)
    if contract is None:
        raise UserError(f"no contract with reference {ref!r}")
    if contract.payment_model not in PBR_MODELS:
        raise UserError(
            f"contract {ref} is paid as {contract.payment_model}; payment by results needs a "
            "payment_by_results or hybrid contract"
        )
    return contract


def contract_id(contract: Contract) -> int:
    assert contract.id is not None
    return contract.id


def cards_for(session: Any, contract: Contract) -> list[RateCard]:
    return [stored_card(v) for v in rate_cards_of(session=session, contract_id=contract_id(contract))]


def stored_card(version: RateCardVersion) -> RateCard:
    card, problems = read_rate_card(version.terms)
    if card is None:  # stored only after it read cleanly, so this is a damaged database
        raise UserError(f"rate card {version.id} no longer reads: {problems[0].field}: {problems[0].reason}")
    return card


# --------------------------------------------------------------------------- rate cards

CARD_FIELDS = (
    "contract",
    "card_name",
    "effective_from",
    "referral_from",
    "referral_to",
    "eligibility",
    "frequency",
    "cohort",
    "participant_cap",
    "contract_cap",
    "payers",
    "attachment_fee",
    "service_fee_percent",
    "currency",
)
OUTCOME_FIELDS = ("code", "name", "price", "times_payable", "evidence", "requires", "group", "cap")


@dataclass
class CardResult:
    contract: str
    effective_from: str
    outcomes: int
    status: str  # added or unchanged

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def import_rate_card(settings: Settings, path: Path, *, as_of: dt.datetime, actor: str) -> CardResult:
    """Store a rate card version; the same file again is a no-op."""
    fields = _card_fields(path)
    card, problems = read_rate_card(fields, line=None)
    if card is None:
        named = [f"{path}{f':{p.line}' if p.line else ''}: {p.field}: {p.reason}" for p in problems]
        raise UserError("the rate card was not imported:\n" + "\n".join(f"  {n}" for n in named))
    terms = _json_safe(fields)
    fingerprint = hashlib.sha256(json.dumps(terms, sort_keys=True).encode()).hexdigest()
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, card.contract)
        versions = rate_cards_of(session=session, contract_id=contract_id(contract))
        for version in versions:
            if version.effective_from == card.effective_from:
                if version.fingerprint == fingerprint:
                    return CardResult(card.contract, card.effective_from.isoformat(), len(card.outcomes), "unchanged")
                raise UserError(
                    f"{path}: effective_from: contract {card.contract} already has a rate card from "
                    f"{card.effective_from} with other terms; a change takes its own, later effective_from"
                )
        if versions and card.effective_from < versions[-1].effective_from:
            raise UserError(
                f"{path}: effective_from: {card.effective_from} is before the latest version "
                f"({versions[-1].effective_from}); versions go forward in time"
            )
        priced = latest_achieved(session=session, contract_id=contract_id(contract))
        if versions and priced is not None and card.effective_from <= priced:
            raise UserError(
                f"{path}: effective_from: claims for outcomes up to {priced} are already priced on the card in "
                f"force; a new version must start after {priced}, so that nothing priced is repriced"
            )
        session.add(
            RateCardVersion(
                contract_id=contract_id(contract),
                effective_from=card.effective_from,
                terms=terms,
                fingerprint=fingerprint,
                source=str(path)[:300],
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
            after={"effective_from": card.effective_from.isoformat(), "outcomes": sorted(card.outcomes)},
        )
    return CardResult(card.contract, card.effective_from.isoformat(), len(card.outcomes), "added")


def _card_fields(path: Path) -> dict[str, Any]:
    if path.suffix.lower() in (".yaml", ".yml"):
        return _yaml_card(path)
    table = open_table(path, required=("contract", "effective_from", "code", "name", "price"), optional=CARD_FIELDS)
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


# --------------------------------------------------------------------------- participants


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


def import_participants(settings: Settings, path: Path, *, as_of: dt.datetime, actor: str) -> ParticipantsResult:
    """Store participants with their referral date and attributes; eligibility is reported, and checked per claim."""
    table = open_table(path, required=PARTICIPANT_COLUMNS, optional=("date_of_birth",))
    problems = Problems(path)
    extra = [(n, i) for n, i in table.columns.items() if n not in (*PARTICIPANT_COLUMNS, "date_of_birth")]
    rows: dict[tuple[str, str], tuple[int, Participant]] = {}
    for line, cells in table.rows():
        where = table.where(line)
        contract, ref = _cell(cells, table, "contract"), _cell(cells, table, "participant")
        if not contract:
            problems.add(where, line, "contract", "is empty")
        if not ref or len(ref) > 60:
            problems.add(where, line, "participant", "is empty" if not ref else "is longer than 60 characters")
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
        rows[(contract, ref)] = (line, Participant(ref, referral, born, attributes))
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
                    after={"added": len(new), "source": str(path)},
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


def _participant_fingerprint(p: Participant) -> str:
    text = json.dumps([p.ref, str(p.referral_date), str(p.born), sorted(p.attributes.items())])
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _cell(cells: list[str], table: Table, name: str) -> str:
    i = table.columns.get(name)
    return cells[i] if i is not None and i < len(cells) else ""


# --------------------------------------------------------------------------- claims

CLAIM_REQUIRED = ("contract", "claim_ref", "participant", "outcome", "achieved_on")
CLAIM_OPTIONAL = ("amount", "evidence")


@dataclass
class Rejection:
    line: int
    claim_ref: str
    contract: str
    participant: str
    outcome: str
    verdict: str
    claimed: str
    payable: str
    reasons: list[str]
    sentences: list[str]

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class ClaimsReport:
    source: str
    rows: int = 0
    added: int = 0
    unchanged: int = 0
    accepted: int = 0
    partly_accepted: int = 0
    rejected: int = 0
    claimed: Decimal = Decimal(0)
    payable: Decimal = Decimal(0)
    capped: Decimal = Decimal(0)
    by_reason: Counter[str] = field(default_factory=Counter)
    rejections: list[Rejection] = field(default_factory=list)  # rejected or partly accepted, by line
    workers: int = 1  # the most processes that decided one contract's claims at once

    def add(self, part: "ClaimsReport") -> None:
        """Count in the claims another process decided (its rows, added and unchanged are counted here)."""
        self.accepted += part.accepted
        self.partly_accepted += part.partly_accepted
        self.rejected += part.rejected
        self.claimed += part.claimed
        self.payable += part.payable
        self.capped += part.capped
        self.by_reason.update(part.by_reason)
        self.rejections.extend(part.rejections)

    def __getstate__(self) -> dict[str, Any]:
        # A worker sends its report back pickled: its rejections as plain tuples pickle and load in a third
        # of the time (a second, at a million claims, while the other process waits).
        state = self.__dict__.copy()
        state["rejections"] = [tuple(r.__dict__.values()) for r in self.rejections]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state["rejections"] = [Rejection(*r) for r in state["rejections"]]
        self.__dict__.update(state)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows": self.rows,
            "added": self.added,
            "unchanged": self.unchanged,
            "accepted": self.accepted,
            "partly_accepted": self.partly_accepted,
            "rejected": self.rejected,
            "claimed": f"{self.claimed:.2f}",
            "payable": f"{self.payable:.2f}",
            "capped": f"{self.capped:.2f}",
            "by_reason": dict(sorted(self.by_reason.items())),
            "rejections": [r.as_dict() for r in self.rejections],
            "workers": self.workers,
        }


def import_claims(
    settings: Settings, path: Path, *, as_of: dt.datetime, actor: str, workers: int | None = None
) -> ClaimsReport:
    """Check every row, validate the claims by the rate card, and store them all, or nothing.

    ``workers``: how many processes decide the claims (see ``_shares``); None for one per core."""
    with _no_cycle_collection():
        return _import_claims(settings, path, as_of=as_of, actor=actor, workers=workers)


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A million claims are millions of small objects and no reference cycles: the cycle collector would
    walk them again and again as they are made (a quarter of the import's time), and find nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import_claims(
    settings: Settings, path: Path, *, as_of: dt.datetime, actor: str, workers: int | None
) -> ClaimsReport:
    raw_digest = _sha256(path)
    by_contract, problems, rows = _read_claims(path)
    problems.raise_if_any("claims")
    report = ClaimsReport(str(path), rows=rows)
    # Side files of rows decided in other processes live until the transaction that moved them in is over.
    with contextlib.ExitStack() as scratch, unit_of_work(database(settings)) as session:
        checked: list[tuple[Contract, list[RateCard], list[Claim]]] = []
        for contract_ref, claims in by_contract.items():
            first = min(c.line for c in claims)
            try:
                contract = pbr_contract(session, contract_ref)
            except UserError as exc:
                problems.add(f"{path}:{first}", first, "contract", str(exc))
                continue
            cards = cards_for(session, contract)
            if not cards:
                problems.add(f"{path}:{first}", first, "contract", f"{contract_ref} has no rate card; import one first")
                continue
            known = {code for card in cards for code in card.outcomes}
            for claim in claims:
                if claim.outcome not in known:
                    problems.add(
                        f"{path}:{claim.line}",
                        claim.line,
                        "outcome",
                        f"{claim.outcome!r} is not an outcome code on {contract_ref}'s rate card",
                    )
            checked.append((contract, cards, claims))
        problems.raise_if_any("claims")
        by_contract.clear()  # each contract's claims are held once, in checked, and let go once stored
        import_row: ClaimImport | None = None
        while checked:
            contract, cards, claims = checked.pop(0)
            participants, book = _known(session, contract)
            plan = plan_claims(cards, book, claims)
            del claims
            fresh = len(plan.fresh)
            report.unchanged += len(plan.unchanged)
            if not fresh:
                continue
            if import_row is None:
                import_row = ClaimImport(
                    source=str(path)[:300],
                    sha256=raw_digest,
                    imported_at=as_of,
                    actor=actor,
                    rows=rows,
                    added=0,
                    unchanged=0,
                    accepted=0,
                    partly_accepted=0,
                    rejected=0,
                )
                session.add(import_row)
                session.flush()
            assert import_row.id is not None
            card_ids = {
                v.effective_from: v.id for v in rate_cards_of(session=session, contract_id=contract_id(contract))
            }
            payable_before = report.payable
            rows_of = functools.partial(
                _claim_rows,
                contract=contract,
                import_id=import_row.id,
                card_ids=card_ids,
                as_date=driver_date(session),
            )
            owner = _shares(session, plan, workers)
            if owner is None:
                decisions = decide_in_file_order(plan, participants, book)
                if fresh >= PARALLEL_FROM:
                    import_cache(session)
                bulk_insert(session, "pbr_claim", CLAIM_COLUMNS, rows_of(report, decisions), prepared=True)
            else:
                folder = Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="commissioning-claims-")))
                staged = _decide_in_parallel(report, folder, owner, rows_of, plan, participants, book)
                # Decided: the claims and what they were checked against go before their rows go in, so that
                # the page cache the rows need takes the room they leave.
                del plan, participants, book
                _move_in(session, staged, fresh)
            append_event(
                session=session,
                effective_at=as_of,
                actor=actor,
                entity="contract",
                entity_ref=contract.ref,
                action="claims_imported",
                after={
                    "source": str(path),
                    "claims": fresh,
                    "payable": f"{report.payable - payable_before:.2f}",
                },
            )
        report.added = report.accepted + report.partly_accepted + report.rejected
        if import_row is not None:
            import_row.added = report.added
            import_row.unchanged = report.unchanged
            import_row.accepted = report.accepted
            import_row.partly_accepted = report.partly_accepted
            import_row.rejected = report.rejected
            session.add(import_row)
    report.rejections.sort(key=lambda r: r.line)
    return report


NO_ATTRIBUTES: Mapping[str, str] = MappingProxyType({})  # one for every participant with none


def _known(session: Any, contract: Contract) -> tuple[dict[str, Participant], Book]:
    """The contract's participants, and a book of what it has accepted (net of clawbacks) and every
    reference it has seen: what the rules check new claims against."""
    cid = contract_id(contract)
    participants = {
        ref: Participant(ref, referral, born, attributes or NO_ATTRIBUTES)
        for ref, referral, born, attributes in participant_facts(session=session, contract_id=cid)
    }
    book = Book()
    for ref, printed in claim_fingerprints(session=session, contract_id=cid):
        book.remember(ref, printed)
    clawed = clawed_back_claims(session=session, contract_id=cid)
    for claim_id, ref, participant, outcome, achieved_on, payable_pence in accepted_claims(
        session=session, contract_id=cid
    ):
        if claim_id not in clawed:
            book.hold(ref, participant, outcome, achieved_on, payable_pence)
    return participants, book


# From this many claims to decide, a file is big: decided on every core when it can be (forking costs more
# than it saves below), and stored with a bigger page cache on SQLite (models.pbr.import_cache).
PARALLEL_FROM = 50_000


def _shares(session: Any, plan: ClaimPlan, workers: int | None) -> dict[str, int] | None:
    """Each participant's share, one share per worker process (see ``ClaimPlan.share_out``), or None to
    decide all the claims here, in one process.

    Shared out only when it pays and is safe: on SQLite (the other processes write side files that
    SQLite moves in), with enough claims, and when no contract or outcome cap is in reach (then no
    participant's decisions depend on another's, and each share is whole participants)."""
    count = cores() if workers is None else workers
    if count < 2 or not can_fork() or not can_stage(session) or not plan.independent:
        return None
    if workers is None and len(plan.fresh) < PARALLEL_FROM:
        return None
    return plan.share_out(count)


def _decide_in_parallel(
    report: ClaimsReport,
    folder: Path,
    owner: Mapping[str, int],
    rows_of: Callable[[ClaimsReport, Iterable[Decision]], Iterator[tuple[Any, ...]]],
    plan: ClaimPlan,
    participants: Mapping[str, Participant],
    book: Book,
) -> list[Path]:
    """Decide each share of the claims in a process of its own, at once, each writing its rows to a side
    file in ``folder`` as it decides them, keyed by line; count them into ``report``; return the files.

    Each process decides against its own copy of ``book``: the shares are whole participants, and no
    cap that joins participants is in reach, so the decisions are those of one process."""

    def decide_share(share: int, _: None) -> tuple[ClaimsReport, Path]:
        part, staged = ClaimsReport(report.source), folder / f"claims-{share}.db"
        decisions = decide(plan, participants, book, plan.part(owner, share), forget=True)
        stage_rows(staged, CLAIM_COLUMNS, rows_of(part, decisions), key="line")
        return part, staged

    # The references were needed only to sort the claims out: freed now, neither process keeps a copy.
    book.refs.clear()
    shares = len(set(owner.values()))
    parts = in_parallel([None] * shares, decide_share, folder)
    report.workers = max(report.workers, shares)
    for part, _ in parts:
        report.add(part)
    return [staged for _, staged in parts]


def _move_in(session: Any, staged: Sequence[Path], claims: int) -> None:
    """Move the rows of the side files into pbr_claim, in file order, in this session's transaction."""
    # Only now, in this process alone: a cache filled before the fork would be in every worker too.
    import_cache(session)
    names = attach_staged(session, staged)
    moved = insert_staged(session, "pbr_claim", CLAIM_COLUMNS, names, key="line")
    if moved != claims:
        raise RuntimeError(f"{moved} claim rows staged for {claims} claims")


_VERDICT_TEXT = {verdict: verdict.value for verdict in Verdict}


def _claim_rows(
    report: ClaimsReport,
    decisions: Iterable[Decision],
    *,
    contract: Contract,
    import_id: int,
    card_ids: Mapping[dt.date, int | None],
    as_date: Callable[[dt.date], Any],
) -> Iterator[tuple[Any, ...]]:
    """Rows in the driver's form, counted into ``report`` as they go. A million claims share a few
    hundred days and amounts, so each is converted (and written for the fingerprint) once."""
    cid = contract_id(contract)
    days: dict[dt.date, tuple[Any, str]] = {}
    amounts: dict[Decimal | None, tuple[int | None, str]] = {None: (None, "None")}
    claimed = payable = capped = rows = 0
    counts = Counter[Verdict]()  # of the claims with findings; the rest are accepted in full
    verdicts = _VERDICT_TEXT
    for d in decisions:
        rows += 1
        line, ref, participant, outcome, achieved_on, amount_of, evidence = d.claim
        day = days.get(achieved_on)
        if day is None:
            day = days[achieved_on] = (as_date(achieved_on), achieved_on.isoformat())
        amount = amounts.get(amount_of)
        if amount is None and amount_of is not None:
            amount = amounts[amount_of] = (pence(amount_of), str(amount_of))
        assert amount is not None
        claimed += d.claimed_pence
        payable += d.payable_pence
        findings = d.findings
        if findings:
            capped += d.capped_pence
            counts[d.verdict] += 1
            codes = [f.code.value for f in findings]
            sentences = [f.sentence for f in findings]
            report.by_reason.update(codes)
            report.rejections.append(
                Rejection(
                    line,
                    ref,
                    contract.ref,
                    participant,
                    outcome,
                    d.verdict.value,
                    f"{d.claimed:.2f}",
                    f"{d.payable:.2f}",
                    codes,
                    sentences,
                )
            )
            reasons, notes = ",".join(codes), " | ".join(sentences)
        else:
            reasons = notes = ""
        yield (
            cid,
            import_id,
            line,
            ref,
            fingerprint(ref, participant, outcome, day[1], amount[1], evidence),
            participant,
            outcome,
            day[0],
            evidence,
            amount[0],
            d.claimed_pence,
            d.price_pence,
            d.payable_pence,
            d.capped_pence,
            verdicts[d.verdict],
            reasons,
            notes,
            card_ids.get(d.card.effective_from) if d.card else None,
        )
    report.accepted += rows - counts[Verdict.PARTLY_ACCEPTED] - counts[Verdict.REJECTED]  # accepted: no findings
    report.partly_accepted += counts[Verdict.PARTLY_ACCEPTED]
    report.rejected += counts[Verdict.REJECTED]
    report.claimed += pounds(claimed)
    report.payable += pounds(payable)
    report.capped += pounds(capped)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise UserError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    return digest.hexdigest()


def _read_claims(path: Path) -> tuple[dict[str, list[Claim]], Problems, int]:
    """Every row parsed, or named as malformed; values repeated across rows are parsed once."""
    table = open_table(path, required=CLAIM_REQUIRED, optional=CLAIM_OPTIONAL)
    problems = Problems(path)
    columns = table.columns
    has_amount, has_evidence = "amount" in columns, "evidence" in columns
    # One C call takes a row's cells apart; a column the file lacks reads the contract's cell, unused.
    cells_of = itemgetter(
        *(columns[name] for name in CLAIM_REQUIRED),
        *(columns.get(name, columns["contract"]) for name in CLAIM_OPTIONAL),
    )
    dates: dict[str, dt.date | str] = {}
    amounts: dict[str, Decimal | str] = {}
    outcomes: dict[str, str] = {}
    people: dict[str, str] = {}  # one string for each participant, however many claims
    evidences: dict[str, str] = {"": ""}
    by_contract: dict[str, list[Claim]] = {}
    rows = 0
    claim = tuple.__new__  # Claim(...) without a Python call: a million are made here
    for line, cells in table.rows():
        rows += 1
        contract, ref, participant, code, day, amount_text, evidence_text = cells_of(cells)
        participant = people.setdefault(participant, participant)
        outcome = outcomes.get(code)
        if outcome is None:
            outcome = outcomes[code] = code.upper()
        achieved = dates.get(day)
        if achieved is None:
            achieved = dates[day] = _date_or_reason(day)
        amount: Decimal | str | None = None
        if has_amount and amount_text:
            amount = amounts.get(amount_text)
            if amount is None:
                amount = amounts[amount_text] = _amount_or_reason(amount_text)
        evidence: str | None = ""
        if has_evidence:
            evidence = evidences.get(evidence_text)
            if evidence is None and len(evidence_text) <= 200:
                evidence = evidences[evidence_text] = ",".join(
                    e.strip().lower() for e in evidence_text.split(",") if e.strip()
                )
        if (
            not contract
            or not ref
            or len(ref) > 60
            or not participant
            or len(participant) > 60
            or not outcome
            or isinstance(achieved, str)
            or isinstance(amount, str)
            or evidence is None
        ):
            _claim_row_problems(
                problems, table.where(line), line, contract, ref, participant, outcome, achieved, amount
            )
            continue
        claims = by_contract.get(contract)
        if claims is None:
            claims = by_contract[contract] = []
        claims.append(claim(Claim, (line, ref, participant, outcome, achieved, amount, evidence)))
    if not rows:
        raise UserError(f"{path}: has a header but no claims")
    return by_contract, problems, rows


def _claim_row_problems(
    problems: Problems,
    where: str,
    line: int,
    contract: str,
    ref: str,
    participant: str,
    outcome: str,
    achieved: dt.date | str,
    amount: Decimal | str | None,
) -> None:
    """Name what is wrong with one row; the evidence only when nothing else is."""
    bad = False
    if not contract:
        problems.add(where, line, "contract", "is empty")
        bad = True
    if not ref or len(ref) > 60:
        problems.add(where, line, "claim_ref", "is empty" if not ref else "is over 60 characters")
        bad = True
    if not participant or len(participant) > 60:
        problems.add(where, line, "participant", "is empty" if not participant else "is over 60 characters")
        bad = True
    if not outcome:
        problems.add(where, line, "outcome", "is empty")
        bad = True
    if isinstance(achieved, str):
        problems.add(where, line, "achieved_on", achieved)
        bad = True
    if isinstance(amount, str):
        problems.add(where, line, "amount", amount)
        bad = True
    if not bad:
        problems.add(where, line, "evidence", "is over 200 characters")


def _date_or_reason(text: str) -> dt.date | str:
    if not text:
        return "is empty (the date the outcome was achieved, e.g. 2026-03-31)"
    day, why = parse_iso_date(text)
    return day if day is not None else (why or "is not a date")


def _amount_or_reason(text: str) -> Decimal | str:
    money, _ = parse_money(text)
    if money is None:
        return f"{text!r} is not an amount of money (e.g. 1500.00)"
    if money.amount < 0:
        return f"{text} is negative; claim a positive amount (a correction is a clawback, not a negative claim)"
    return money.amount.quantize(PENNY)


def rejection_rows(report: ClaimsReport) -> Sequence[Sequence[Any]]:
    return [
        (
            r.line,
            r.claim_ref,
            r.contract,
            r.participant,
            r.outcome,
            r.verdict,
            r.claimed,
            r.payable,
            ";".join(r.reasons),
            " | ".join(r.sentences),
        )
        for r in report.rejections
    ]
