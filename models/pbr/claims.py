"""Participants, claims files and the claims in them, and the reads of claims the import and the runs make.

What a claim says never changes. Its decision (verdict, reasons, pence) changes only when a participant
correction re-decides it (``claim_redecided`` event); a run marks what it accrued. What was paid or clawed back
is in the append-only ledger (``models.pbr.ledger``). Amounts are whole pence. Keys make every write idempotent:
a participant per (contract, ref), a claim per (contract, ref, fingerprint of its content).
"""

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, false, text
from sqlmodel import Field, Session, SQLModel, col, select

import models.contracts  # the contract table
import models.pbr.ratecards  # noqa: F401  (the rate_card table a claim was priced by)
from models.db import UTCDateTime
from models.pbr.bulk import date_from_driver, driver_rows, driver_value, planned_rows


class PbrParticipant(SQLModel, table=True):
    __tablename__ = "pbr_participant"
    __table_args__ = (
        UniqueConstraint("contract_id", "ref", name="uq_pbr_participant_ref"),
        # the participants corrected since the last run, which every run and its proposal look for: a handful,
        # not a read of every participant (migration 0021); ``redecide`` among its columns, so that SQLite takes it
        # for "contract_id = ? AND redecide = 1" over the index below, which has the other two (migration 0029)
        Index(
            "ix_pbr_participant_redecide",
            "contract_id",
            "redecide",
            "id",
            sqlite_where=text("redecide = 1"),
            postgresql_where=text("redecide"),
        ),
        # a contract's latest participant, which every run and its proposal name among their inputs, from one
        # descent of it rather than a count of every participant (``latest_participant``, migration 0028)
        Index("ix_pbr_participant_latest", "contract_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id")
    ref: str = Field(max_length=60)
    referral_date: dt.date
    born: dt.date | None = None
    attributes: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    fingerprint: str = Field(max_length=16)
    imported_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    redecide: bool = False  # corrected since the last run: its claims are re-decided at the next


class ClaimImport(SQLModel, table=True):
    """One claims file as imported: who, when, its digest, and what came of its rows."""

    __tablename__ = "claim_import"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=300)
    sha256: str = Field(max_length=64, index=True)
    imported_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(max_length=120)
    rows: int
    added: int
    unchanged: int
    accepted: int
    partly_accepted: int
    rejected: int


# An accepted claim no run has accrued yet: what every run reads (``DUE_WHERE``), and the condition of the index
# it reads them from. The same words in the index and the queries: SQLite uses a partial index only for a query
# whose WHERE contains its condition's terms.
ACCEPTED = "verdict IN ('accepted', 'partly_accepted')"
UNPAID = f"accrued_run_id IS NULL AND {ACCEPTED}"
WITH_REASONS = "reasons <> ''"  # a claim with reasons (reconcile's index of them: ``ix_pbr_claim_reasons``)
DIFFERS = "accrued_differs"  # a claim maybe accrued at other than it is accepted for (``ix_pbr_claim_differs``)


class PbrClaim(SQLModel, table=True):
    __tablename__ = "pbr_claim"
    __table_args__ = (
        # It also serves every read of one contract's claims. None on verdict (nine claims in ten are accepted).
        UniqueConstraint("contract_id", "ref", "fingerprint", name="uq_pbr_claim_content"),
        # The claims still to pay, in the order a run pays them (achieved, ref; SQLite adds the row id): a run
        # reads only these, from here, without reading the claims runs have paid (migration 0019); on SQLite in
        # pay order, on PostgreSQL by day with each day's refs sorted (its runs order them in the C collation).
        # Claims leave it as runs pay them, so it stays the size of what is unpaid.
        # It holds what a run reads of each claim in the order it pays them (day, ref, id: ``due_claim_rows``),
        # so that the run reads it alone, in its order, on SQLite (migration 0023), and the payable pence, so that
        # the sum of the due claims each approval checks (``due_fingerprint``) does too (migration 0022).
        Index(
            "ix_pbr_claim_due",
            "contract_id",
            "achieved_on",
            "ref",
            "id",
            "participant",
            "outcome",
            "payable_pence",
            sqlite_where=text(UNPAID),
            postgresql_where=text(UNPAID),
        ),
        # Reconcile's sums of a contract's claims by day and outcome, read in that order from the index alone
        # on SQLite, without sorting every claim (models/pbr/reconcile_sums.py, migration 0024). SQLite only:
        # PostgreSQL's reconcile sums them in one statement that does not read it, and there it would only be
        # one more index for every claims import to write.
        Index(
            "ix_pbr_claim_sums",
            "contract_id",
            "achieved_on",
            "outcome",
            "verdict",
            "claimed_pence",
            "payable_pence",
            "capped_pence",
        ).ddl_if(dialect="sqlite"),
        # Reconcile's sums of a contract's claims by their reasons and of its accepted claims by participant, each
        # read from its index alone, already grouped, on SQLite (models/pbr/reconcile_sums.py, migration 0026);
        # partial, so that each holds only the claims it sums. SQLite only, as the index above.
        Index(
            "ix_pbr_claim_reasons",
            "contract_id",
            "reasons",
            "claimed_pence",
            "payable_pence",
            "capped_pence",
            sqlite_where=text(WITH_REASONS),
        ).ddl_if(dialect="sqlite"),
        Index(
            "ix_pbr_claim_participant",
            "contract_id",
            "participant",
            "verdict",
            "payable_pence",
            sqlite_where=text(ACCEPTED),
        ).ddl_if(dialect="sqlite"),
        # The claims reconcile looks up in the ledger (models/pbr/reconcile_sums.py, migration 0030): a few.
        Index("ix_pbr_claim_differs", "contract_id", sqlite_where=text(DIFFERS), postgresql_where=text(DIFFERS)),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The contract, the import and the rate card a claim names are not foreign keys: PostgreSQL would look
    # each up again for every claim stored (half the server's work in a big import), and the import that
    # alone writes claims has locked the contract, made the import row and read the cards (migration 0017).
    contract_id: int
    import_id: int
    line: int
    ref: str = Field(max_length=60)
    fingerprint: str = Field(max_length=16)
    participant: str = Field(max_length=60)
    outcome: str = Field(max_length=30)
    achieved_on: dt.date
    evidence: str = Field(default="", max_length=200)
    amount_pence: int | None = None  # as claimed; None when the row left it to the card
    claimed_pence: int
    price_pence: int
    payable_pence: int
    capped_pence: int
    verdict: str = Field(max_length=16)
    reasons: str = Field(default="", max_length=300)  # reason codes, comma-separated
    notes: str = Field(default="")  # one sentence per reason, " | "-separated
    rate_card_id: int | None = None
    # The payment run whose approval accrued the claim, set in that approval's transaction (``mark_accrued``);
    # None until then. A marker for the reads, kept beside the ledger, which stays the truth: a claim is accrued
    # when the ledger has an accrual for it, and the ledger is append-only, so once set it is never cleared.
    accrued_run_id: int | None = None
    # Set where a claim can come to be accrued at other than its payable pence (or accrued and not accepted): a run
    # that cut it at a cap, a re-decision. Never cleared: a claim set may also be like the rest (migration 0030).
    accrued_differs: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


CLAIM_COLUMNS = (
    "contract_id",
    "import_id",
    "line",
    "ref",
    "fingerprint",
    "participant",
    "outcome",
    "achieved_on",
    "evidence",
    "amount_pence",
    "claimed_pence",
    "price_pence",
    "payable_pence",
    "capped_pence",
    "verdict",
    "reasons",
    "notes",
    "rate_card_id",
)


def participant_facts(*, session: Session, contract_id: int) -> list[tuple[str, dt.date, dt.date | None, Any]]:
    """(ref, referral date, date of birth, attributes) of every participant: plain rows, no ORM objects.

    Read as the driver gives them (ISO text and JSON text on SQLite) and converted here: a quarter of a
    million participants share a few thousand days and few distinct attribute sets, each converted once
    and shared (treat them as read-only).
    """
    sql = "SELECT ref, referral_date, born, attributes FROM pbr_participant WHERE contract_id = :c"
    return facts_of(driver_rows(session, sql, c=contract_id))


def facts_of(rows: Iterable[tuple[Any, ...]]) -> list[tuple[str, dt.date, dt.date | None, Any]]:
    """Participants' rows as the driver gives them, converted (see ``participant_facts``)."""
    parsed: dict[Any, Any] = {}
    days: dict[Any, dt.date | None] = {None: None}
    out = []
    for ref, referral, born, attributes in rows:
        if isinstance(attributes, str):
            known = parsed.get(attributes)
            if known is None:
                known = parsed[attributes] = json.loads(attributes)
            attributes = known
        referred = days.get(referral)
        if referred is None:
            referred = days[referral] = date_from_driver(referral)
        birthday = days[born] if born in days else days.setdefault(born, date_from_driver(born))
        out.append((ref, referred, birthday, attributes))
    return out


def participants_of(*, session: Session, contract_id: int) -> list[PbrParticipant]:
    return list(session.exec(select(PbrParticipant).where(PbrParticipant.contract_id == contract_id)))


def corrected_participants(*, session: Session, contract_id: int) -> list[PbrParticipant]:
    """The participants corrected since the last run (``redecide``), whose claims the next run re-decides."""
    stmt = select(PbrParticipant).where(PbrParticipant.contract_id == contract_id, col(PbrParticipant.redecide))
    return list(session.exec(stmt.order_by(col(PbrParticipant.id))))


def latest_participant(*, session: Session, contract_id: int) -> int:
    """The id of a contract's latest participant (0 for none). Participants are never deleted, so it changes
    exactly when one is added, as their count does; it is read from one end of ``ix_pbr_participant_latest``,
    the count from every participant (0.13 s at 250,000 on PostgreSQL)."""
    sql = "SELECT MAX(id) FROM pbr_participant WHERE contract_id = :c"
    return int(session.connection().execute(text(sql), {"c": contract_id}).scalar() or 0)


def claim_fingerprints(*, session: Session, contract_id: int) -> Iterator[tuple[str, str]]:
    return driver_rows(session, "SELECT ref, fingerprint FROM pbr_claim WHERE contract_id = :c", c=contract_id)


def accepted_claims(*, session: Session, contract_id: int) -> list[tuple[Any, ...]]:
    """(id, ref, participant, outcome, achieved_on, payable_pence) of every accepted claim, in achieved order."""
    rows = driver_rows(
        session,
        "SELECT c.id, c.ref, c.participant, c.outcome, c.achieved_on, c.payable_pence FROM pbr_claim c "
        "WHERE c.contract_id = :c AND c.verdict IN ('accepted', 'partly_accepted')",
        c=contract_id,
    )
    found = [(r[0], r[1], r[2], r[3], date_from_driver(r[4]), r[5]) for r in rows]
    found.sort(key=lambda r: (r[4], r[0]))
    return found


# The accepted claims achieved by :by that no run has accrued yet (``due_claim_rows``), read from the index of
# the unpaid (``ix_pbr_claim_due``) alone: not the claims runs have paid, however many.
# On SQLite by name: with no statistics its planner may take reconcile's ``ix_pbr_claim_sums`` (the same first
# two columns) and read every claim (2.7 s at a million claims, for a run paying none).
DUE_WHERE = f"c.contract_id = :c AND {UNPAID} AND c.achieved_on <= :by"
DUE_FROM = "FROM pbr_claim c {} WHERE " + DUE_WHERE


def _due_index(session: Session) -> str:
    """How the due claims' FROM names their index: by name on SQLite (above), not at all on PostgreSQL."""
    return "" if session.connection().dialect.name == "postgresql" else "INDEXED BY ix_pbr_claim_due"


def _due_from(session: Session) -> str:
    """The due claims' FROM and WHERE."""
    return DUE_FROM.format(_due_index(session))


# PostgreSQL's counterpart of INDEXED BY: for the due claims' statements alone, no scan of the table (nor a bitmap
# from another index of the contract's claims) and no JIT, whose cost comes from the same estimate. Its statistics of
# pbr_claim are not refreshed by a run's approval, and take every claim no run has accrued (the rejected among them)
# for a possible due one: at 1,000,000 claims, after the runs to 2023-Q4, 213,771 expected for 2024-Q1's 1,806, and
# every claim of the table read for each of a run's reads of them (0.25 s each).
_BY_INDEX = ("enable_seqscan", "enable_bitmapscan", "jit")
# ``due_claim_rows`` of under a tenth as many claims as participants paid also reads each one's paid so far by key,
# not hashing every participant's (0.2 s at 250,000); a look-up costs about 14 participants hashed (2022-Q3's 205,072
# claims at 1,000,000: 4.2 to 5.2 s by key, 1.0 to 1.4 s hashing 250,000).
_BY_KEY = (*_BY_INDEX, "enable_hashjoin", "enable_mergejoin")


def _due_rows(
    session: Session, sql: str, *, plan: tuple[str, ...] = _BY_INDEX, server_side: bool = False, **params: Any
) -> Iterator[tuple[Any, ...]]:
    """``driver_rows`` of a statement over the due claims, read from their index (``ix_pbr_claim_due``) on both
    backends: on PostgreSQL with the planner's settings ``plan`` names off (``planned_rows``)."""
    return planned_rows(session, sql, off=plan, server_side=server_side, **params)


def _due_plan(session: Session, contract_id: int, unpaid_by: Any) -> tuple[str, ...]:
    """How ``due_claim_rows`` reads the paid so far on PostgreSQL (``_BY_KEY``): the claims due counted from their
    index, the participants paid by the planner."""
    sql = (
        f"SELECT COUNT(*), (SELECT reltuples FROM pg_class WHERE oid = CAST('pbr_participant_paid' AS regclass)) "
        f"{_due_from(session)}"
    )
    [(due, paid)] = list(_due_rows(session, sql, c=contract_id, by=unpaid_by))
    return _BY_KEY if due * 10 < (paid or 0) else _BY_INDEX


def unpaid_days(*, session: Session, contract_id: int, by: dt.date) -> list[dt.date]:
    """The days on which accepted claims no run has paid yet were achieved, up to ``by``: counted in SQL, a
    day once however many claims it has."""
    rows = _due_rows(
        session, f"SELECT DISTINCT c.achieved_on {_due_from(session)}", c=contract_id, by=driver_value(session, by)
    )
    return sorted(date_from_driver(day) for (day,) in rows)


def due_fingerprint(*, session: Session, contract_id: int, unpaid_by: dt.date) -> str:
    """What the claims ``due_claim_rows`` gives add up to: their number, the sum of their ids and of their
    payable pence, read in one SQL sum. A staleness check, beside a proposal's other inputs: a claim leaves the
    set only when a run pays it (the ledger changes) or a correction re-decides it (the participants corrected
    change); with those unchanged, claims can only join it, by import (each with a higher id than any before),
    which changes the number."""
    sql = f"SELECT COUNT(*), SUM(c.id), SUM(c.payable_pence) {_due_from(session)}"
    ((count, ids, pence),) = list(_due_rows(session, sql, c=contract_id, by=driver_value(session, unpaid_by)))
    return f"{count} {ids or 0} {pence or 0}"


def due_claim_rows(*, session: Session, contract_id: int, unpaid_by: dt.date) -> Iterator[tuple[Any, ...]]:
    """(id, ref, participant, outcome, achieved_on, payable_pence, participant_paid_pence) of the accepted claims
    achieved by ``unpaid_by`` that no run has accrued yet, in the order a run pays them (achieved, then ref as
    Python orders text, then id), read a batch at a time; dates in the driver's form. The last is what the
    claim's participant has been paid net before the run (models/pbr/totals.py, 0 for none), read with the claim
    by its key: at a million claims, reading it for the participants due in a query of its own (an IN over the
    claims due) took more than a second of a 205,072-claim run's CPU."""
    postgres = session.connection().dialect.name == "postgresql"
    then = 'c.ref COLLATE "C", c.id' if postgres else "c.ref, c.id"
    by = driver_value(session, unpaid_by)
    return _due_rows(
        session,
        "SELECT c.id, c.ref, c.participant, c.outcome, c.achieved_on, c.payable_pence, COALESCE(p.pence, 0) "
        f"FROM pbr_claim c {_due_index(session)} LEFT JOIN pbr_participant_paid p "
        f"ON p.contract_id = c.contract_id AND p.participant = c.participant WHERE {DUE_WHERE} "
        f"ORDER BY c.achieved_on, {then}",
        plan=_due_plan(session, contract_id, by) if postgres else _BY_INDEX,
        c=contract_id,
        by=by,
        server_side=True,
    )


def capped_out_claims(*, session: Session, contract_id: int) -> list[tuple[str, str, str, str]]:
    """(ref, participant, outcome, reasons) of every claim a cap cut to nothing, in achieved order."""
    rows = driver_rows(
        session,
        "SELECT c.ref, c.participant, c.outcome, c.reasons, c.achieved_on, c.id FROM pbr_claim c "
        "WHERE c.contract_id = :c AND c.verdict = 'rejected' AND c.capped_pence > 0",
        c=contract_id,
    )
    found = sorted(rows, key=lambda r: (date_from_driver(r[4]), r[5]))
    return [(r[0], r[1], r[2], r[3]) for r in found]


def latest_priced(*, session: Session, contract_id: int) -> dt.date | None:
    """The latest day achieved of a claim priced on the card in force then: accepted (whole or in part), paid once
    (re-decided since, it may be re-opened at that price) or cut at a cap. Other rejected claims hold nothing."""
    where = f"contract_id = :c AND ({ACCEPTED} OR accrued_run_id IS NOT NULL OR capped_pence > 0)"
    value = (
        session.connection()
        .execute(text(f"SELECT MAX(achieved_on) FROM pbr_claim WHERE {where}"), {"c": contract_id})
        .scalar()
    )
    return None if value is None else date_from_driver(value)


def claim_facts(*, session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str, str, dt.date]]:
    """(ref, participant, outcome, achieved_on) of each claim id given: plain rows, in batches."""
    out: dict[int, tuple[str, str, str, dt.date]] = {}
    listed = list(ids)
    for i in range(0, len(listed), 5000):
        batch = listed[i : i + 5000]
        marks = ", ".join(f":i{n}" for n in range(len(batch)))
        rows = session.connection().execute(
            text(f"SELECT id, ref, participant, outcome, achieved_on FROM pbr_claim WHERE id IN ({marks})"),
            {f"i{n}": claim_id for n, claim_id in enumerate(batch)},
        )
        for claim_id, ref, participant, outcome, achieved_on in rows:
            out[claim_id] = (ref, participant, outcome, date_from_driver(achieved_on))
    return out


def claims_by_ref(*, session: Session, contract_id: int, refs: Sequence[str]) -> dict[str, PbrClaim]:
    """The accepted claim for each reference (a rejected duplicate never is)."""
    stmt = select(PbrClaim).where(
        PbrClaim.contract_id == contract_id,
        col(PbrClaim.ref).in_(list(refs)),
        col(PbrClaim.verdict).in_(["accepted", "partly_accepted"]),
    )
    return {c.ref: c for c in session.exec(stmt)}
