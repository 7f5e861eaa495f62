"""Payment runs, the ledger, validation samples, and the sums the payment, sample and reconciliation flows read.

The ledger is append-only. Amounts are whole pence. Keys make every write idempotent: a payment run per
(contract, period), a sample per (contract, period).

Ledger kinds and signs (the balance is what the commissioner owes the provider):
  accrual   + an outcome or fee earned, per claim (or fee) and payer, written by a run
  payment   - what a run paid a payer (one entry per payer per run)
  clawback  - a paid claim found invalid, or an extrapolated recovery
  reversal  the opposite of an earlier entry it names, to undo it
"""

import datetime as dt
from collections.abc import Iterator
from typing import Any, NamedTuple

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint, event, text
from sqlmodel import Field, Session, SQLModel, col, select

import models.contracts  # noqa: F401  (the contract table)
from models.db import UTCDateTime
from models.pbr.bulk import date_from_driver, driver_rows
from models.pbr.claims import PbrClaim
from models.pbr.totals import add_entries, payers_with

ACCRUAL, PAYMENT, CLAWBACK, REVERSAL = "accrual", "payment", "clawback", "reversal"
LEDGER_KINDS = (ACCRUAL, PAYMENT, CLAWBACK, REVERSAL)
OUTCOME, ATTACHMENT_FEE, SERVICE_FEE, RECOVERY = "outcome", "attachment_fee", "service_fee", "extrapolated_recovery"
# The entries ``ix_pbr_ledger_fees`` holds; a read by it names this too, as neither planner can tell that an item
# given as a parameter is not an outcome.
NOT_OUTCOMES = f"item <> '{OUTCOME}'"
# The entries ``ix_pbr_ledger_contract_payer`` holds: all but the accruals, two a claim, which no read by it wants
# (migration 0027). A read by it names this too: SQLite uses a partial index only for a WHERE that contains its
# condition, and does not infer it from ``kind = 'payment'``.
NOT_ACCRUALS = f"kind <> '{ACCRUAL}'"
# A reversal undoes one entry, once; most entries reverse nothing (migration 0027).
REVERSES_ONE = "reverses_id IS NOT NULL"


class PaymentRun(SQLModel, table=True):
    __tablename__ = "payment_run"
    __table_args__ = (UniqueConstraint("contract_id", "period", name="uq_payment_run_period"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id")
    period: str = Field(max_length=10)
    period_start: dt.date
    period_end: dt.date
    run_on: dt.date
    summary: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(max_length=120)


class LedgerEntry(SQLModel, table=True):
    __tablename__ = "pbr_ledger"
    __table_args__ = (
        # Reconciliation's sums by payer and by claim read these alone, not the entries (migration 0020). The run
        # comes before the claim so that a run's entries go in at the end of each payer's part, as they did. Its
        # readers want payments, clawbacks and reversals, never accruals: without them (0027) a run's approval
        # writes a few entries into it, not two a claim (410,146 at a million claims).
        Index(
            "ix_pbr_ledger_contract_payer",
            "contract_id",
            "payer",
            "kind",
            "item",
            "run_id",
            "claim_id",
            "amount_pence",
            sqlite_where=text(NOT_ACCRUALS),
            postgresql_where=text(NOT_ACCRUALS),
        ),
        Index("ix_pbr_ledger_claim", "claim_id", "kind", "amount_pence"),
        # The fees accrued (``accrued_fees``), from the entries of every item but claims' outcomes: few, and none of
        # the two a claim a run writes (migration 0025). What each participant and outcome has been paid is read
        # from the running totals (models/pbr/totals.py), not summed here (migration 0021).
        Index(
            "ix_pbr_ledger_fees",
            "contract_id",
            "item",
            "kind",
            "participant",
            "month",
            sqlite_where=text(NOT_OUTCOMES),
            postgresql_where=text(NOT_OUTCOMES),
        ),
        # An entry is reversed at most once. Unique over the entries that reverse one only (0027): a UNIQUE column
        # indexes every NULL too, on SQLite an index entry for each of a run's entries.
        Index(
            "uq_pbr_ledger_reverses",
            "reverses_id",
            unique=True,
            sqlite_where=text(REVERSES_ONE),
            postgresql_where=text(REVERSES_ONE),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id")
    payer: str = Field(max_length=120)
    kind: str = Field(max_length=10)
    item: str = Field(max_length=24)
    amount_pence: int = Field(sa_type=BigInteger)  # a run's payment to a payer: £21.5m is past 32 bits
    entry_on: dt.date
    run_id: int | None = Field(default=None, foreign_key="payment_run.id", index=True)
    claim_id: int | None = Field(default=None, foreign_key="pbr_claim.id")
    participant: str | None = Field(default=None, max_length=60)
    outcome: str | None = Field(default=None, max_length=30)  # the claim's outcome, for an entry for a claim
    month: str | None = Field(default=None, max_length=7)
    sample_id: int | None = Field(default=None, foreign_key="validation_sample.id")
    reverses_id: int | None = Field(default=None, foreign_key="pbr_ledger.id")
    memo: str = Field(default="")
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(max_length=120)


class ValidationSample(SQLModel, table=True):
    __tablename__ = "validation_sample"
    __table_args__ = (UniqueConstraint("contract_id", "period", name="uq_validation_sample_period"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id")
    period: str = Field(max_length=10)
    run_id: int = Field(foreign_key="payment_run.id")
    seed: int
    size: int
    population: int
    population_pence: int = Field(sa_type=BigInteger)
    drawn_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(max_length=120)
    minimum_size: int | None = None  # what the sampling policy asked for when it was drawn
    size_reason: str | None = None  # why fewer were drawn, when they were
    # the recovery as it stands: rate, interval, basis and amount (rewritten when it is withdrawn or recomputed;
    # the ledger's reversing entries and the events keep every earlier one)
    conclusion: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class SampleItem(SQLModel, table=True):
    """One sampled claim; its result is recorded once (valid or invalid), never changed."""

    __tablename__ = "validation_sample_item"
    __table_args__ = (UniqueConstraint("sample_id", "claim_id", name="uq_validation_sample_item"),)

    id: int | None = Field(default=None, primary_key=True)
    sample_id: int = Field(foreign_key="validation_sample.id")
    claim_id: int = Field(foreign_key="pbr_claim.id")
    paid_pence: int
    result: str | None = Field(default=None, max_length=8)
    note: str | None = None
    checked_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    checked_by: str | None = Field(default=None, max_length=120)


LEDGER_COLUMNS = (
    "contract_id",
    "payer",
    "kind",
    "item",
    "amount_pence",
    "entry_on",
    "run_id",
    "claim_id",
    "participant",
    "outcome",
    "month",
    "sample_id",
    "reverses_id",
    "memo",
    "created_at",
    "actor",
)


@event.listens_for(LedgerEntry, "before_insert")
def _claims_outcome(mapper: Any, connection: Any, entry: LedgerEntry) -> None:
    """An entry for a claim carries the claim's outcome, whoever writes it (a clawback, a reversal, a
    re-decision), so that the sums per outcome need not read the claims; a payment run's bulk rows carry it."""
    if entry.claim_id is not None and entry.outcome is None:
        entry.outcome = connection.execute(
            text("SELECT outcome FROM pbr_claim WHERE id = :k"), {"k": entry.claim_id}
        ).scalar()


@event.listens_for(LedgerEntry, "after_insert")
def _counted(mapper: Any, connection: Any, entry: LedgerEntry) -> None:
    """Every entry the ORM writes is added to the running totals in its own transaction (a run's bulk rows are
    added by its approval: ``models.pbr.totals.add_run``)."""
    add_entries(connection, entry.contract_id, "id = :i", {"i": entry.id})


def mark_accrued(session: Session, run_id: int) -> int:
    """Mark the claims run ``run_id`` has just accrued (``PbrClaim.accrued_run_id``), in its approval's
    transaction, so that no run reads them as due again; the number marked. Read from the run's own entries."""
    sql = (
        "UPDATE pbr_claim SET accrued_run_id = :r WHERE accrued_run_id IS NULL AND id IN "
        f"(SELECT claim_id FROM pbr_ledger WHERE run_id = :r AND kind = '{ACCRUAL}' AND claim_id IS NOT NULL)"
    )
    return int(session.connection().execute(text(sql), {"r": run_id}).rowcount)


def claims_accrued_by(session: Session, run_id: int) -> int:
    """How many claims run ``run_id`` accrued (each once, whatever its payers)."""
    sql = f"SELECT COUNT(DISTINCT claim_id) FROM pbr_ledger WHERE run_id = :r AND kind = '{ACCRUAL}'"
    return int(session.connection().execute(text(sql), {"r": run_id}).scalar() or 0)


def clawed_back_claims(*, session: Session, contract_id: int) -> set[int]:
    """Claims with a clawback that has not been reversed."""
    rows = session.connection().execute(
        text(f"""
        SELECT DISTINCT l.claim_id FROM pbr_ledger l
        WHERE l.contract_id = :c AND l.kind = 'clawback' AND l.claim_id IS NOT NULL AND l.{NOT_ACCRUALS}
          AND NOT EXISTS (SELECT 1 FROM pbr_ledger r WHERE r.reverses_id = l.id)
        """),
        {"c": contract_id},
    )
    return {r[0] for r in rows}


def accrued_fees(*, session: Session, contract_id: int, item: str, column: str) -> set[str]:
    """The participants (``column`` participant) or months (``column`` month) a fee ``item`` was accrued for."""
    assert column in ("participant", "month") and item != OUTCOME
    rows = session.connection().execute(
        text(
            f"SELECT DISTINCT {column} FROM pbr_ledger WHERE contract_id = :c AND item = :i AND {NOT_OUTCOMES} "
            f"AND kind = 'accrual' AND {column} IS NOT NULL"
        ),
        {"c": contract_id, "i": item},
    )
    return {r[0] for r in rows}


class LedgerRow(NamedTuple):
    """A ledger entry as the payment, sample and reconciliation flows read it: plain values, no ORM object
    (a contract paid by results for a million claims has two million entries)."""

    id: int
    payer: str
    kind: str
    item: str
    amount_pence: int
    entry_on: dt.date
    run_id: int | None
    claim_id: int | None
    participant: str | None
    month: str | None
    sample_id: int | None
    reverses_id: int | None


def ledger_of(
    *, session: Session, contract_id: int, run_id: int | None = None, claim_id: int | None = None
) -> list[LedgerRow]:
    """A contract's ledger in the order written; only one run's entries, or one claim's, when given.

    The whole ledger of a contract is read in two parts, each by an index, so that other contracts' entries are
    not read: every entry but the accruals by the payer index (which leaves the accruals out, migration 0027),
    and the accruals by the run index, of the contract's runs (a run writes every accrual) or of none."""
    columns = (
        "id, payer, kind, item, amount_pence, entry_on, run_id, claim_id, participant, month, sample_id, reverses_id"
    )
    if run_id is None and claim_id is None:
        sql = (
            f"SELECT {columns} FROM pbr_ledger WHERE contract_id = :c AND {NOT_ACCRUALS} UNION ALL "
            f"SELECT {columns} FROM pbr_ledger WHERE kind = '{ACCRUAL}' AND contract_id = :c AND (run_id IS NULL "
            "OR run_id IN (SELECT id FROM payment_run WHERE contract_id = :c)) ORDER BY id"
        )
    else:
        where = "contract_id = :c"
        if run_id is not None:
            where += " AND run_id = :r"
        if claim_id is not None:
            where += " AND claim_id = :k"
        sql = f"SELECT {columns} FROM pbr_ledger WHERE {where} ORDER BY id"
    rows = session.connection().execute(text(sql), {"c": contract_id, "r": run_id, "k": claim_id})
    days: dict[Any, dt.date] = {}
    out = []
    for row in rows:
        day = days.get(row[5])
        if day is None:
            day = days[row[5]] = date_from_driver(row[5])
        out.append(LedgerRow(row[0], row[1], row[2], row[3], row[4], day, *row[6:]))
    return out


def run_accruals(*, session: Session, run_id: int | None) -> Iterator[tuple[Any, ...]]:
    """(payer, item, claim ref, participant, outcome, achieved on, pence) of each accrual a run wrote, in the
    order written, read a batch at a time (the claim's columns None for a fee; dates in the driver's form)."""
    return driver_rows(
        session,
        "SELECT l.payer, l.item, c.ref, l.participant, c.outcome, c.achieved_on, l.amount_pence "
        f"FROM pbr_ledger l LEFT JOIN pbr_claim c ON c.id = l.claim_id WHERE l.run_id = :r AND l.kind = '{ACCRUAL}' "
        "ORDER BY l.id",
        r=run_id,
        server_side=True,
    )


# A run's outcome accruals, for the claims it paid.
RUN_OUTCOMES = f"l.run_id = :r AND l.kind = '{ACCRUAL}' AND l.item = '{OUTCOME}' AND l.claim_id IS NOT NULL"


def run_paid(*, session: Session, run_id: int) -> tuple[int, int, int]:
    """(claims, their distinct references, pence) a run paid for outcomes: the population a sample of that run
    draws from, and its value."""
    row = (
        session.connection()
        .execute(
            text(
                "SELECT COUNT(DISTINCT l.claim_id), COUNT(DISTINCT c.ref), SUM(l.amount_pence) "
                f"FROM pbr_ledger l JOIN pbr_claim c ON c.id = l.claim_id WHERE {RUN_OUTCOMES}"
            ),
            {"r": run_id},
        )
        .one()
    )
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


def run_paid_claims(*, session: Session, run_id: int) -> Iterator[tuple[str, int, int]]:
    """(ref, claim id, pence paid) of each claim a run paid for, by ref as Python orders text (then id), read a
    batch at a time."""
    by_ref = 'c.ref COLLATE "C"' if session.connection().dialect.name == "postgresql" else "c.ref"
    return driver_rows(
        session,
        "SELECT c.ref, c.id, SUM(l.amount_pence) FROM pbr_ledger l JOIN pbr_claim c ON c.id = l.claim_id "
        f"WHERE {RUN_OUTCOMES} GROUP BY c.id, c.ref ORDER BY {by_ref}, c.id",
        r=run_id,
        server_side=True,
    )


def sample_written(*, session: Session, sample_id: int) -> bool:
    """Whether any ledger entry names the sample (its clawbacks or its recovery)."""
    sql = "SELECT 1 FROM pbr_ledger WHERE sample_id = :s LIMIT 1"
    return session.connection().execute(text(sql), {"s": sample_id}).first() is not None


def clawed_by_day(*, session: Session, contract_id: int) -> list[tuple[Any, str, int]]:
    """(achieved on, outcome, clawed back) of the clawbacks of claims, summed by the claims' achieved day and
    outcome, in pence, positive, leaving out clawbacks later reversed (what runs accrued for claims is summed in
    reconciliation's one pass over the claims). Dates in the driver's form (ISO text on SQLite)."""
    rows = driver_rows(
        session,
        f"""
            SELECT c.achieved_on, c.outcome, SUM(-l.amount_pence)
            FROM pbr_ledger l JOIN pbr_claim c ON c.id = l.claim_id
            WHERE l.contract_id = :c AND l.payer IN ({payers_with(CLAWBACK, OUTCOME)})
              AND l.item = '{OUTCOME}' AND l.kind = '{CLAWBACK}' AND l.{NOT_ACCRUALS}
              AND NOT EXISTS (SELECT 1 FROM pbr_ledger r WHERE r.reverses_id = l.id)
            GROUP BY c.achieved_on, c.outcome
            """,
        c=contract_id,
    )
    return [(day, outcome, int(clawed)) for day, outcome, clawed in rows]


def payments_by_run(*, session: Session, contract_id: int) -> dict[int, dict[str, int]]:
    """What each payment run paid each payer, in pence (positive)."""
    out: dict[int, dict[str, int]] = {}
    for run_id, payer, total in driver_rows(
        session,
        f"""
        SELECT run_id, payer, SUM(amount_pence) FROM pbr_ledger
        WHERE contract_id = :c AND payer IN ({payers_with(PAYMENT)}) AND kind = '{PAYMENT}' AND {NOT_ACCRUALS}
          AND run_id IS NOT NULL
        GROUP BY run_id, payer
        """,
        c=contract_id,
    ):
        out.setdefault(run_id, {})[payer] = -int(total)
    return out


def run_for(*, session: Session, contract_id: int, period: str) -> PaymentRun | None:
    stmt = select(PaymentRun).where(PaymentRun.contract_id == contract_id, PaymentRun.period == period)
    return session.exec(stmt).first()


def runs_of(*, session: Session, contract_id: int) -> list[PaymentRun]:
    stmt = select(PaymentRun).where(PaymentRun.contract_id == contract_id).order_by(col(PaymentRun.period_end))
    return list(session.exec(stmt))


def sample_for(*, session: Session, contract_id: int, period: str) -> ValidationSample | None:
    stmt = select(ValidationSample).where(
        ValidationSample.contract_id == contract_id, ValidationSample.period == period
    )
    return session.exec(stmt).first()


def sample_items(*, session: Session, sample_id: int) -> list[tuple[SampleItem, PbrClaim]]:
    stmt = (
        select(SampleItem, PbrClaim)
        .join(PbrClaim, col(PbrClaim.id) == col(SampleItem.claim_id))
        .where(SampleItem.sample_id == sample_id)
        .order_by(col(PbrClaim.ref))
    )
    return [(item, claim) for item, claim in session.exec(stmt)]
