"""Contracts, their materialised key dates, and their variations.

Key dates are derived from the terms (policies/contracts/key_dates.py) and stored in an
indexed table, rewritten in the same transaction as any change to the
contract, so "what is due between two dates" is one range query on
``contract_key_date.due_on``.
"""

import datetime as dt
import json
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint, delete, insert
from sqlmodel import Field, Session, SQLModel, col, select

from models.db import UTCDateTime
from models.pbr.bulk import bulk_insert, driver_value
from policies.calendars import Nation
from policies.contracts.clauses import BreakClause, ContractTerms, ExtensionOption, Party, ReviewSchedule, expiry
from policies.contracts.key_dates import KeyDate
from policies.contracts.notice import NoticePeriod, NoticeUnit
from policies.money import Money


class Contract(SQLModel, table=True):
    __tablename__ = "contract"
    __table_args__ = (Index("ix_contract_project_ref", "project_id", "ref"),)  # a project's contracts, in order

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=40, unique=True, index=True)
    title: str = Field(max_length=200)
    provider: str = Field(max_length=200)
    project_id: int = Field(foreign_key="project.id")
    value_pence: int = Field(sa_type=BigInteger)  # pence: a £21.5m contract is past a 32-bit integer
    currency: str = Field(default="GBP", max_length=3)
    start: dt.date
    initial_term_months: int
    extensions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    extensions_used: int = 0
    breaks: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reviews: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    kpis: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    nation: str = Field(max_length=20)
    payment_model: str = Field(max_length=20)
    status: str = Field(max_length=12, index=True)
    award_notice_on: dt.date | None = None
    signed_on: dt.date | None = None
    ended_on: dt.date | None = None
    published_end: dt.date | None = None  # an OCDS contract period's end, kept to the day (see ContractTerms)
    published_max_extent: dt.date | None = None
    ends_on: dt.date  # the current last day (derived from the terms, stored for the due query)
    recommissioning_lead_months: int = 18
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))

    def to_terms(self, *, kpi_exempt: bool = False) -> ContractTerms:
        """The contract's terms; ``kpi_exempt``: whether a KPI exemption is recorded (in the performance
        tables, so the caller says: ``models.performance.repository.terms_of`` asks them)."""
        return ContractTerms(
            ref=self.ref,
            start=self.start,
            initial_term_months=self.initial_term_months,
            value=Money.from_pence(self.value_pence, self.currency),
            extensions=tuple(
                ExtensionOption(e["months"], NoticePeriod(e["notice"]["amount"], NoticeUnit(e["notice"]["unit"])))
                for e in self.extensions
            ),
            extensions_used=self.extensions_used,
            breaks=tuple(
                BreakClause(
                    NoticePeriod(b["notice"]["amount"], NoticeUnit(b["notice"]["unit"])),
                    Party(b["party"]),
                    on=dt.date.fromisoformat(b["on"]) if b.get("on") else None,
                    rolling_from=dt.date.fromisoformat(b["rolling_from"]) if b.get("rolling_from") else None,
                )
                for b in self.breaks
            ),
            reviews=ReviewSchedule(**self.reviews),
            award_notice_on=self.award_notice_on,
            signed_on=self.signed_on,
            ended_on=self.ended_on,
            recommissioning_lead_months=self.recommissioning_lead_months,
            published_end=self.published_end,
            published_max_extent=self.published_max_extent,
            kpis=len(self.kpis),
            kpi_exempt=kpi_exempt,
        )

    @property
    def value(self) -> Money:
        return Money.from_pence(self.value_pence, self.currency)

    @property
    def nation_enum(self) -> Nation:
        return Nation(self.nation)


def terms_columns(terms: ContractTerms) -> dict[str, Any]:
    """The contract columns that hold ``terms`` (JSON for the lists)."""

    def notice(n: NoticePeriod) -> dict[str, Any]:
        return {"amount": n.amount, "unit": n.unit.value}

    return {
        "start": terms.start,
        "initial_term_months": terms.initial_term_months,
        "value_pence": terms.value.pence,
        "currency": terms.value.currency,
        "extensions": [{"months": e.months, "notice": notice(e.notice)} for e in terms.extensions],
        "extensions_used": terms.extensions_used,
        "breaks": [
            {
                "notice": notice(b.notice),
                "party": b.party.value,
                "on": b.on.isoformat() if b.on else None,
                "rolling_from": b.rolling_from.isoformat() if b.rolling_from else None,
            }
            for b in terms.breaks
        ],
        "reviews": {
            "quarterly": terms.reviews.quarterly,
            "annual": terms.reviews.annual,
            "mid_term": terms.reviews.mid_term,
            "pre_expiry_months": terms.reviews.pre_expiry_months,
        },
        "award_notice_on": terms.award_notice_on,
        "signed_on": terms.signed_on,
        "ended_on": terms.ended_on,
        "ends_on": expiry(terms),
        "recommissioning_lead_months": terms.recommissioning_lead_months,
        "published_end": terms.published_end,
        "published_max_extent": terms.published_max_extent,
    }


class ContractKeyDate(SQLModel, table=True):
    __tablename__ = "contract_key_date"
    __table_args__ = (
        UniqueConstraint("contract_id", "key", name="uq_contract_key_date"),
        Index("ix_contract_key_date_timeline", "contract_id", "due_on", "key"),  # a contract's dates, in order
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id")
    key: str = Field(max_length=40)
    kind: str = Field(max_length=30)
    due_on: dt.date = Field(index=True)
    guards: dt.date | None = None
    action: str
    who: str = Field(max_length=60)


class KeyDateHandled(SQLModel, table=True):
    """A key date marked handled (notice served, a decision not to break, an option declined): while it is due on
    the day it was handled for, `due` and the calendar show it handled, not missed, and the sweep plans no more
    reminders for it. Kept apart from the key dates, which are derived again whenever the terms change."""

    __tablename__ = "key_date_handled"
    __table_args__ = (UniqueConstraint("contract_id", "key", "due_on", name="uq_key_date_handled"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id")
    key: str = Field(max_length=40)
    due_on: dt.date
    handled_as: str = Field(max_length=30)
    handled_on: dt.date
    note: str
    recorded_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(max_length=120)


class ContractVariation(SQLModel, table=True):
    __tablename__ = "contract_variation"

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    varied_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(max_length=120)
    reason: str
    before: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    after: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# --------------------------------------------------------------------------- repositories


def get_contract(*, session: Session, ref: str, for_update: bool = False) -> Contract | None:
    stmt = select(Contract).where(Contract.ref == ref)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


CHUNK = 5000  # rows per statement, and refs per IN (...): well inside SQLite's variable limit


KEY_DATE_COLUMNS = ("contract_id", "key", "kind", "due_on", "guards", "action", "who")
KeyDateRow = tuple[int, str, str, dt.date, dt.date | None, str, str]


def contract_by_id(*, session: Session, contract_id: int) -> Contract:
    """A stored contract by its id (one a row refers to, so it exists)."""
    return session.exec(select(Contract).where(Contract.id == contract_id)).one()


def key_date_rows(contract_id: int, key_dates: list[KeyDate]) -> list[KeyDateRow]:
    """Rows for ``insert_key_dates``, in KEY_DATE_COLUMNS order."""
    return [(contract_id, k.key, k.kind, k.on, k.guards, k.action, k.who) for k in key_dates]


def insert_key_dates(*, session: Session, rows: list[KeyDateRow]) -> None:
    """Insert many key-date rows at once, in the caller's transaction.

    A portfolio import writes millions of these; SQLAlchemy's per-row parameter
    handling cost more than the inserts, so this goes to the driver's
    executemany directly. Dates are ISO text on SQLite (as SQLAlchemy's Date
    stores them) and native dates on PostgreSQL.
    """
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO contract_key_date ({', '.join(KEY_DATE_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(KEY_DATE_COLUMNS))})"
    )
    if connection.dialect.name == "sqlite":
        rows = [
            (c, k, kind, on.isoformat(), g.isoformat() if g else None, a, w)  # type: ignore[misc]
            for c, k, kind, on, g, a, w in rows
        ]
    for i in range(0, len(rows), CHUNK):
        connection.exec_driver_sql(sql, rows[i : i + CHUNK])


def replace_key_dates(*, session: Session, contract_id: int, key_dates: list[KeyDate]) -> None:
    """Rewrite a contract's materialised key dates (in the caller's transaction). The caller then tells the
    reminders (models.reminders.replanning.key_dates_changed), in the same transaction, so reminders for dates
    that moved or went are cancelled and the new ones planned by the next sweep."""
    session.exec(
        delete(ContractKeyDate).where(
            col(ContractKeyDate.contract_id) == contract_id,
            col(ContractKeyDate.kind) != RECORDED_KIND,  # a breach's notice date is not derived from the terms
        )
    )
    insert_key_dates(session=session, rows=key_date_rows(contract_id, key_dates))


RECORDED_KIND = "breach_notice"


JSON_COLUMNS = ("extensions", "breaks", "reviews", "kpis")


def insert_contracts(*, session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert many contracts at once; return their ids in the order given.

    On SQLite the rows go through the driver's executemany with their ids given: the transaction holds the
    write lock from its start (models.db._sqlite_begin), so the next ids are max(id) + 1 onwards, as SQLite
    would choose them. SQLAlchemy's per-row handling of RETURNING cost more than the insert."""
    if rows and session.connection().dialect.name == "sqlite":
        table = SQLModel.metadata.tables["contract"]
        last = session.connection().exec_driver_sql("SELECT coalesce(max(id), 0) FROM contract").scalar_one()
        ids = list(range(int(last) + 1, int(last) + 1 + len(rows)))
        names = [c.name for c in table.columns if c.name != "id"]
        instants: dict[dt.datetime, Any] = {}  # an import's rows share one created_at: converted once

        def plain(name: str, value: Any) -> Any:
            if name in JSON_COLUMNS:
                return json.dumps(value)
            if type(value) is dt.date:
                return value.isoformat()
            if isinstance(value, dt.datetime):
                return instants.get(value) or instants.setdefault(value, driver_value(session, value))
            return value

        prepared = [(i, *(plain(n, r.get(n, _DEFAULTS.get(n))) for n in names)) for i, r in zip(ids, rows, strict=True)]
        bulk_insert(session, "contract", ["id", *names], prepared, prepared=True)
        return ids
    ids = []
    for i in range(0, len(rows), CHUNK):
        table = SQLModel.metadata.tables["contract"]
        result = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows[i : i + CHUNK])
        ids += [int(row_id) for row_id in result.scalars()]
    return ids


_DEFAULTS: dict[str, Any] = {"currency": "GBP", "extensions_used": 0, "recommissioning_lead_months": 18}


def contracts_by_ref(*, session: Session, refs: list[str]) -> dict[str, Contract]:
    found: dict[str, Contract] = {}
    for i in range(0, len(refs), CHUNK):
        found |= {c.ref: c for c in session.exec(select(Contract).where(col(Contract.ref).in_(refs[i : i + CHUNK])))}
    return found


def key_dates_of(*, session: Session, contract_id: int) -> list[ContractKeyDate]:
    stmt = select(ContractKeyDate).where(ContractKeyDate.contract_id == contract_id)
    return list(session.exec(stmt.order_by(col(ContractKeyDate.due_on), col(ContractKeyDate.key))))


class ProcurementMilestone(SQLModel, table=True):
    """A procurement milestone of a project's current cycle: its planned and actual dates."""

    __tablename__ = "procurement_milestone"
    __table_args__ = (UniqueConstraint("project_id", "cycle", "milestone", name="uq_procurement_milestone"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    cycle: int
    milestone: str = Field(max_length=40)
    planned_on: dt.date | None = None
    actual_on: dt.date | None = None


def milestones_of(*, session: Session, project_id: int, cycle: int) -> list[ProcurementMilestone]:
    stmt = select(ProcurementMilestone).where(
        ProcurementMilestone.project_id == project_id, ProcurementMilestone.cycle == cycle
    )
    return list(session.exec(stmt))
