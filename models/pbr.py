"""Payment by results: rate card versions, participants, claims, payment runs, the ledger, samples.

Claims are written once, with their verdict, price and reasons, and never
changed: what happened to them afterwards is in the ledger, which is
append-only. Amounts are whole pence. Keys make every write idempotent: a
rate card version per (contract, effective date), a participant per
(contract, ref), a claim per (contract, ref, fingerprint of its content), a
payment run per (contract, period), a sample per (contract, period).

Ledger kinds and signs (the balance is what the commissioner owes the provider):
  accrual   + an outcome or fee earned, per claim (or fee) and payer, written by a run
  payment   - what a run paid a payer (one entry per payer per run)
  clawback  - a paid claim found invalid, or an extrapolated recovery
  reversal  the opposite of an earlier entry it names, to undo it
"""

import datetime as dt
import itertools
import json
import re
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, Session, SQLModel, col, select

import models.contracts  # noqa: F401  (the contract table)
from models.db import CACHE_BEFORE, STAGED_PREFIX, UTCDateTime

ACCRUAL, PAYMENT, CLAWBACK, REVERSAL = "accrual", "payment", "clawback", "reversal"
LEDGER_KINDS = (ACCRUAL, PAYMENT, CLAWBACK, REVERSAL)
OUTCOME, ATTACHMENT_FEE, SERVICE_FEE, RECOVERY = "outcome", "attachment_fee", "service_fee", "extrapolated_recovery"


class RateCardVersion(SQLModel, table=True):
    __tablename__ = "rate_card"
    __table_args__ = (UniqueConstraint("contract_id", "effective_from", name="uq_rate_card_effective"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id")
    effective_from: dt.date
    terms: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # the card as read, normalised
    fingerprint: str = Field(max_length=64)
    source: str = Field(max_length=300)
    imported_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(max_length=120)


class PbrParticipant(SQLModel, table=True):
    __tablename__ = "pbr_participant"
    __table_args__ = (UniqueConstraint("contract_id", "ref", name="uq_pbr_participant_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id")
    ref: str = Field(max_length=60)
    referral_date: dt.date
    born: dt.date | None = None
    attributes: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    fingerprint: str = Field(max_length=16)
    imported_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


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


class PbrClaim(SQLModel, table=True):
    __tablename__ = "pbr_claim"
    __table_args__ = (
        # The only index: it also serves every read of one contract's claims. None on achieved_on (a claims
        # file arrives in no date order, and a million random-order index inserts cost more than sorting a
        # contract's claims when they are read), none on verdict (nine claims in ten are accepted).
        UniqueConstraint("contract_id", "ref", "fingerprint", name="uq_pbr_claim_content"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id")
    import_id: int = Field(foreign_key="claim_import.id")
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
    rate_card_id: int | None = Field(default=None, foreign_key="rate_card.id")


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
        Index("ix_pbr_ledger_contract_payer", "contract_id", "payer"),
        Index("ix_pbr_ledger_claim", "claim_id", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id")
    payer: str = Field(max_length=120)
    kind: str = Field(max_length=10)
    item: str = Field(max_length=24)
    amount_pence: int
    entry_on: dt.date
    run_id: int | None = Field(default=None, foreign_key="payment_run.id", index=True)
    claim_id: int | None = Field(default=None, foreign_key="pbr_claim.id")
    participant: str | None = Field(default=None, max_length=60)
    month: str | None = Field(default=None, max_length=7)
    sample_id: int | None = Field(default=None, foreign_key="validation_sample.id")
    reverses_id: int | None = Field(default=None, foreign_key="pbr_ledger.id", unique=True)
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
    population_pence: int
    drawn_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(max_length=120)


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


# --------------------------------------------------------------------------- queries and bulk writes

CHUNK = 20_000

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
    "month",
    "sample_id",
    "reverses_id",
    "memo",
    "created_at",
    "actor",
)


def _is_postgres(session: Session) -> bool:
    return session.connection().dialect.name == "postgresql"


def bulk_insert(
    session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, prepared: bool = False
) -> int:
    """Insert plain tuples through the driver's executemany, in chunks: the fast path for big imports.

    Dates and instants go in as the driver expects them: ISO text on SQLite
    (what SQLAlchemy's Date and our UTCDateTime store there), objects on PostgreSQL.
    ``prepared`` rows are already in the driver's form (see ``driver_date``).
    """
    postgres = _is_postgres(session)
    mark = "%s" if postgres else "?"
    as_is = postgres or prepared
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    connection = session.connection()
    if not as_is:
        rows = (tuple(_sqlite_value(v) for v in row) for row in rows)
    rows = iter(rows)
    count = 0
    while chunk := list(itertools.islice(rows, CHUNK)):
        connection.exec_driver_sql(sql, chunk)
        count += len(chunk)
    return count


def can_stage(session: Session) -> bool:
    """Whether rows staged in side files (``stage_rows``) can be moved in with ``insert_staged``: SQLite only."""
    return session.connection().dialect.name == "sqlite"


def stage_rows(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, key: str) -> int:
    """Write rows, in the driver's form, to a new side file of their own (a plain SQLite table ``staged``),
    kept in order of ``key``, an integer column unique among them.

    The file is scratch: no journal, no sync. Another process may write it while this one's transaction
    goes on; ``insert_staged`` then moves its rows in, in ``key`` order, inside that transaction. Rows
    given nearly in ``key`` order are written nearly as quickly as appended."""
    if key not in columns:
        raise ValueError(f"the key {key!r} is not one of the columns")
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        defined = ", ".join(f"{name} INTEGER PRIMARY KEY" if name == key else name for name in columns)
        connection.execute(f"CREATE TABLE staged ({defined})")
        connection.execute("BEGIN")
        sql = f"INSERT INTO staged VALUES ({', '.join('?' * len(columns))})"
        rows = iter(rows)
        count = 0
        while chunk := list(itertools.islice(rows, CHUNK)):
            connection.executemany(sql, chunk)
            count += len(chunk)
        connection.execute("COMMIT")
        return count
    finally:
        connection.close()


IMPORT_CACHE_KIB = 65_536  # 64 MiB


def import_cache(session: Session) -> None:
    """On SQLite, give the session's connection a page cache of 64 MiB (as it fills) for one big import,
    instead of SQLite's 2 MB; the engine gives it back its size when the connection returns to the pool.

    Storing a million claims adds a million entries to the claim-reference index. When the references do
    not come in file order, each lands on another page of it: with 2 MB the index no longer fits, and its
    pages go back and forth to the WAL file. Measured moving a million rows in: 10.8 s with 2 MB, 5 s with
    64 MB; references in file order take 2.8 s either way."""
    if _is_postgres(session):
        return
    pooled = session.connection().connection
    raw = pooled.dbapi_connection
    assert raw is not None
    if CACHE_BEFORE not in pooled.info:
        pooled.info[CACHE_BEFORE] = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")


def attach_staged(session: Session, paths: Sequence[Path]) -> list[str]:
    """Attach side files to the session's connection, for ``insert_staged``; returns their schema names.

    SQLite will not detach a file while the transaction that read it is open: the engine detaches
    them when the connection goes back to its pool (``models.db``), after the commit or rollback."""
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    names = []
    for path in paths:
        name = f"{STAGED_PREFIX}{uuid.uuid4().hex[:12]}"
        raw.execute(f"ATTACH DATABASE ? AS {name}", (str(path),))
        names.append(name)
    return names


def insert_staged(session: Session, table: str, columns: Sequence[str], names: Sequence[str], *, key: str) -> int:
    """Move every staged row into ``table`` inside the session's transaction, in order of ``key`` (the
    key the rows were staged by).

    One statement, run by SQLite itself: no row passes through Python. Each side file is already in key
    order, so SQLite merges them as it reads, with no sort; and the table's rows (and ids) follow that
    order."""
    listed = ", ".join(columns)
    union = " UNION ALL ".join(f"SELECT {listed} FROM {name}.staged" for name in names)
    result = session.connection().exec_driver_sql(
        f"INSERT INTO {table} ({listed}) SELECT {listed} FROM ({union}) ORDER BY {key}"
    )
    return int(result.rowcount)


_NAMED = re.compile(r"(?<![:\w]):(\w+)")


def driver_rows(session: Session, sql: str, **params: Any) -> Iterator[tuple[Any, ...]]:
    """The rows of a query, as plain tuples straight from the driver's cursor, in the session's transaction.

    For the big reads of an import or a payment run: several times quicker than through SQLAlchemy's
    results at a quarter of a million rows, and read as they are used, not all held at once. ``sql``
    names its parameters ``:name``; values go in in the driver's form (see ``driver_value``) and come
    out in it (ISO text for dates on SQLite)."""
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    if _is_postgres(session):
        sql = _NAMED.sub(r"%(\1)s", sql)
    cursor = raw.cursor()
    try:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(10_000):
            yield from batch
    finally:
        cursor.close()


def driver_value(session: Session, value: Any) -> Any:
    """A date or instant in the form ``bulk_insert(prepared=True)`` rows need on this database."""
    return value if _is_postgres(session) else _sqlite_value(value)


def driver_date(session: Session) -> Any:
    """How this database's driver takes a date in ``bulk_insert(prepared=True)`` rows: ISO text on SQLite."""
    return (lambda day: day) if _is_postgres(session) else dt.date.isoformat


def participant_facts(*, session: Session, contract_id: int) -> list[tuple[str, dt.date, dt.date | None, Any]]:
    """(ref, referral date, date of birth, attributes) of every participant: plain rows, no ORM objects.

    Read as the driver gives them (ISO text and JSON text on SQLite) and converted here: a quarter of a
    million participants share a few thousand days and few distinct attribute sets, each converted once
    and shared (treat them as read-only).
    """
    sql = "SELECT ref, referral_date, born, attributes FROM pbr_participant WHERE contract_id = :c"
    rows = driver_rows(session, sql, c=contract_id)
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
            referred = days[referral] = _date(referral)
        birthday = days[born] if born in days else days.setdefault(born, _date(born))
        out.append((ref, referred, birthday, attributes))
    return out


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy writes it
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def rate_cards_of(*, session: Session, contract_id: int) -> list[RateCardVersion]:
    stmt = select(RateCardVersion).where(RateCardVersion.contract_id == contract_id)
    return list(session.exec(stmt.order_by(col(RateCardVersion.effective_from))))


def participants_of(*, session: Session, contract_id: int) -> list[PbrParticipant]:
    return list(session.exec(select(PbrParticipant).where(PbrParticipant.contract_id == contract_id)))


def claim_fingerprints(*, session: Session, contract_id: int) -> Iterator[tuple[str, str]]:
    return driver_rows(session, "SELECT ref, fingerprint FROM pbr_claim WHERE contract_id = :c", c=contract_id)


def clawed_back_claims(*, session: Session, contract_id: int) -> set[int]:
    """Claims with a clawback that has not been reversed."""
    rows = session.connection().execute(
        text("""
        SELECT DISTINCT l.claim_id FROM pbr_ledger l
        WHERE l.contract_id = :c AND l.kind = 'clawback' AND l.claim_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM pbr_ledger r WHERE r.reverses_id = l.id)
        """),
        {"c": contract_id},
    )
    return {r[0] for r in rows}


def accepted_claims(*, session: Session, contract_id: int, unpaid_by: dt.date | None = None) -> list[tuple[Any, ...]]:
    """(id, ref, participant, outcome, achieved_on, payable_pence) of every accepted claim, in achieved order;
    with ``unpaid_by``, only those achieved by that day that no run has accrued yet."""
    unpaid = (
        " AND c.achieved_on <= :by AND NOT EXISTS "
        "(SELECT 1 FROM pbr_ledger l WHERE l.claim_id = c.id AND l.kind = 'accrual')"
        if unpaid_by is not None
        else ""
    )
    rows = driver_rows(
        session,
        "SELECT c.id, c.ref, c.participant, c.outcome, c.achieved_on, c.payable_pence FROM pbr_claim c "
        f"WHERE c.contract_id = :c AND c.verdict IN ('accepted', 'partly_accepted'){unpaid}",
        c=contract_id,
        **({} if unpaid_by is None else {"by": driver_value(session, unpaid_by)}),
    )
    found = [(r[0], r[1], r[2], r[3], _date(r[4]), r[5]) for r in rows]
    found.sort(key=lambda r: (r[4], r[0]))
    return found


def net_paid(*, session: Session, contract_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """What has been paid for outcomes, net of clawbacks and their reversals (pence): by participant, and by
    outcome."""
    # Every entry for an outcome names its participant; only the outcome needs the claim.
    by_participant = session.connection().execute(
        text("""
        SELECT participant, SUM(amount_pence) FROM pbr_ledger
        WHERE contract_id = :c AND item = 'outcome' AND kind IN ('accrual', 'clawback', 'reversal')
          AND claim_id IS NOT NULL
        GROUP BY participant
        """),
        {"c": contract_id},
    )
    by_outcome = session.connection().execute(
        text("""
        SELECT c.outcome, SUM(l.amount_pence) FROM pbr_ledger l JOIN pbr_claim c ON c.id = l.claim_id
        WHERE l.contract_id = :c AND l.item = 'outcome' AND l.kind IN ('accrual', 'clawback', 'reversal')
        GROUP BY c.outcome
        """),
        {"c": contract_id},
    )
    return {k: int(v) for k, v in by_participant}, {k: int(v) for k, v in by_outcome}


def ledger_balances(*, session: Session, contract_id: int) -> dict[str, int]:
    """Each payer's balance (pence): what the commissioner owes the provider, less what is owed back."""
    rows = session.connection().execute(
        text("SELECT payer, SUM(amount_pence) FROM pbr_ledger WHERE contract_id = :c GROUP BY payer"),
        {"c": contract_id},
    )
    return {payer: int(total) for payer, total in rows}


def accrued_fees(*, session: Session, contract_id: int, item: str, column: str) -> set[str]:
    """The participants (``column`` participant) or months (``column`` month) a fee ``item`` was accrued for."""
    assert column in ("participant", "month")
    rows = session.connection().execute(
        text(
            f"SELECT DISTINCT {column} FROM pbr_ledger WHERE contract_id = :c AND item = :i AND kind = 'accrual' "
            f"AND {column} IS NOT NULL"
        ),
        {"c": contract_id, "i": item},
    )
    return {r[0] for r in rows}


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def latest_achieved(*, session: Session, contract_id: int) -> dt.date | None:
    value = (
        session.connection()
        .execute(text("SELECT MAX(achieved_on) FROM pbr_claim WHERE contract_id = :c"), {"c": contract_id})
        .scalar()
    )
    return None if value is None else _date(value)


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
    """A contract's ledger in the order written; only one run's entries, or one claim's, when given."""
    where = "contract_id = :c"
    if run_id is not None:
        where += " AND run_id = :r"
    if claim_id is not None:
        where += " AND claim_id = :k"
    rows = session.connection().execute(
        text(
            "SELECT id, payer, kind, item, amount_pence, entry_on, run_id, claim_id, participant, month, sample_id, "
            f"reverses_id FROM pbr_ledger WHERE {where} ORDER BY id"
        ),
        {"c": contract_id, "r": run_id, "k": claim_id},
    )
    days: dict[Any, dt.date] = {}
    out = []
    for row in rows:
        day = days.get(row[5])
        if day is None:
            day = days[row[5]] = _date(row[5])
        out.append(LedgerRow(row[0], row[1], row[2], row[3], row[4], day, *row[6:]))
    return out


def ledger_by_claim_day(*, session: Session, contract_id: int) -> list[tuple[Any, str, int, int]]:
    """(achieved on, outcome, accrued, clawed back) of the outcome entries for claims, summed by the
    claims' achieved day and outcome, in pence; clawed back is positive and leaves out clawbacks later
    reversed. Dates in the driver's form (ISO text on SQLite)."""
    rows = driver_rows(
        session,
        f"""
            SELECT c.achieved_on, c.outcome,
                   SUM(CASE WHEN l.kind = '{ACCRUAL}' THEN l.amount_pence ELSE 0 END),
                   SUM(CASE WHEN l.kind = '{CLAWBACK}' AND l.id NOT IN (
                           SELECT reverses_id FROM pbr_ledger WHERE contract_id = :c AND reverses_id IS NOT NULL
                       ) THEN -l.amount_pence ELSE 0 END)
            FROM pbr_ledger l JOIN pbr_claim c ON c.id = l.claim_id
            WHERE l.contract_id = :c AND l.item = '{OUTCOME}' AND l.kind IN ('{ACCRUAL}', '{CLAWBACK}')
            GROUP BY c.achieved_on, c.outcome
            """,
        c=contract_id,
    )
    return [(day, outcome, int(accrued), int(clawed)) for day, outcome, accrued, clawed in rows]


def ledger_by_payer(*, session: Session, contract_id: int) -> list[tuple[str, str, str, bool, int]]:
    """(payer, kind, item, whether for a claim, sum in pence) of a contract's ledger."""
    return [
        (payer, kind, item, bool(for_claim), int(total))
        for payer, kind, item, for_claim, total in driver_rows(
            session,
            """
            SELECT payer, kind, item, CASE WHEN claim_id IS NULL THEN 0 ELSE 1 END, SUM(amount_pence)
            FROM pbr_ledger WHERE contract_id = :c
            GROUP BY payer, kind, item, CASE WHEN claim_id IS NULL THEN 0 ELSE 1 END
            """,
            c=contract_id,
        )
    ]


def payments_by_run(*, session: Session, contract_id: int) -> dict[int, dict[str, int]]:
    """What each payment run paid each payer, in pence (positive)."""
    out: dict[int, dict[str, int]] = {}
    for run_id, payer, total in driver_rows(
        session,
        f"""
        SELECT run_id, payer, SUM(amount_pence) FROM pbr_ledger
        WHERE contract_id = :c AND kind = '{PAYMENT}' AND run_id IS NOT NULL GROUP BY run_id, payer
        """,
        c=contract_id,
    ):
        out.setdefault(run_id, {})[payer] = -int(total)
    return out


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
            out[claim_id] = (ref, participant, outcome, _date(achieved_on))
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


def claims_by_ref(*, session: Session, contract_id: int, refs: Sequence[str]) -> dict[str, PbrClaim]:
    """The accepted claim for each reference (a rejected duplicate never is)."""
    stmt = select(PbrClaim).where(
        PbrClaim.contract_id == contract_id,
        col(PbrClaim.ref).in_(list(refs)),
        col(PbrClaim.verdict).in_(["accepted", "partly_accepted"]),
    )
    return {c.ref: c for c in session.exec(stmt)}
