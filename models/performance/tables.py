"""Contract performance tables: KPI definitions, a contract's KPI exemption, readings with their ratings, and notices.

A reading carries the rating computed when it was stored (and recomputed when
it is corrected or its KPI's definition changes) and, apart from it, any
commissioner's override with its reason; the events hold every before and
after. A notice (UK9 contract performance, or breach) is prepared, then
published: from then its content is kept as published, and the database
refuses to change or delete it (a trigger, as for the event log).
"""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

import models.contracts  # (the contract table, which all of these refer to)
import models.cycle  # noqa: F401  (the project table, which a contract refers to: the ORM flush resolves it)
from models.db import UTCDateTime

PREPARED, PUBLISHED = "prepared", "published"
UK9, BREACH = "uk9", "breach"
FROZEN = "a published notice is kept as published: it is never changed or deleted"


class Kpi(SQLModel, table=True):
    """One KPI of one contract: its definition as plain data (policies.performance.kpis.KpiDefinition.public)."""

    __tablename__ = "kpi"
    __table_args__ = (UniqueConstraint("contract_id", "name", name="uq_kpi_contract_name"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id")
    name: str = Field(max_length=120)
    definition: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class KpiExemption(SQLModel, table=True):
    """Why a contract over the KPI threshold has fewer KPIs than the rule asks (a statutory exemption)."""

    __tablename__ = "kpi_exemption"

    contract_id: int = Field(foreign_key="contract.id", primary_key=True)
    exemption: str = Field(max_length=30)
    reason: str


class KpiReading(SQLModel, table=True):
    __tablename__ = "kpi_reading"
    __table_args__ = (UniqueConstraint("kpi_id", "period", name="uq_kpi_reading_period"),)

    id: int | None = Field(default=None, primary_key=True)
    kpi_id: int = Field(foreign_key="kpi.id")
    period: str = Field(max_length=10)
    period_start: dt.date
    period_end: dt.date
    value: str = Field(max_length=40)  # the exact decimal as written (no float, no rounding)
    rating: str = Field(max_length=24)  # as computed from the definition
    override_rating: str | None = Field(default=None, max_length=24)
    override_reason: str | None = None
    recorded_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ContractNotice(SQLModel, table=True):
    """A UK9 contract performance notice or a breach notice: prepared, then published with its Find a Tender id."""

    __tablename__ = "contract_notice"
    __table_args__ = (UniqueConstraint("contract_id", "kind", "seq", name="uq_contract_notice_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    kind: str = Field(max_length=10)
    seq: int
    period: str | None = Field(default=None, max_length=30)
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    status: str = Field(max_length=12)
    content: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prepared_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    due_on: dt.date | None = None
    published_on: dt.date | None = None
    reference: str | None = Field(default=None, max_length=60)
    satisfies_key: str | None = Field(default=None, max_length=40)  # the key date it satisfies, once published
