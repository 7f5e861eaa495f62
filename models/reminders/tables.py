"""The reminder outbox's tables: planned reminders, every delivery attempt, sweeps, and contracts to re-plan.

A reminder row is unique by its idempotency key (key date, lead, recipient
tag), so planning the same reminder twice inserts it once.

Statuses: pending -> sent | failed | cancelled; pending or sent -> acked.
"""

import datetime as dt
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

import models.contracts  # noqa: F401  (the contract table, which reminders refer to)
from models.db import UTCDateTime

PENDING, SENT, FAILED, CANCELLED, ACKED = "pending", "sent", "failed", "cancelled", "acked"
MOVED = "the key date moved or no longer applies"  # a cancelled row that comes back if its date does
STATUSES = (PENDING, SENT, FAILED, ACKED, CANCELLED)
CHUNK = 5000


class Reminder(SQLModel, table=True):
    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_reminder_idempotency_key"),
        Index("ix_reminder_ready", "status", "next_attempt_at"),
        Index("ix_reminder_key_date", "contract_id", "key_date_key", "due_on", "tag"),
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200)
    contract_id: int = Field(foreign_key="contract.id")
    key_date_key: str = Field(max_length=40)
    kind: str = Field(max_length=30)
    due_on: dt.date
    lead: str = Field(max_length=8)
    step: int
    last_step: bool
    tag: str = Field(max_length=60)
    escalation: bool = False
    send_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    status: str = Field(max_length=10)
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    late: bool = False
    snoozed_until: dt.date | None = None
    acked_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    acked_by: str | None = Field(default=None, max_length=120)
    closed_reason: str | None = None
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ReminderAttempt(SQLModel, table=True):
    """One try at one target: what was tried, when, and what came back (no secrets)."""

    __tablename__ = "reminder_attempt"

    id: int | None = Field(default=None, primary_key=True)
    reminder_id: int = Field(foreign_key="reminder.id", index=True)
    attempted_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    target: str = Field(max_length=300)
    ok: bool
    error: str | None = None


class ReminderSweep(SQLModel, table=True):
    """A finished sweep: the send days it covered, so the next one starts where it stopped."""

    __tablename__ = "reminder_sweep"

    id: int | None = Field(default=None, primary_key=True)
    as_of: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    window_start: dt.date | None = None
    through: dt.date = Field(index=True)
    planned: int
    replanned_contracts: int


class ReminderReplan(SQLModel, table=True):
    """Contracts whose key dates changed since the last sweep (a new contract, a variation)."""

    __tablename__ = "reminder_replan"

    contract_id: int = Field(foreign_key="contract.id", primary_key=True)


def as_date(value: Any) -> dt.date:
    """A date column as read back from either database."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def as_instant(value: Any) -> dt.datetime:
    """An instant column (UTCDateTime) as read back by a text query from either database: aware, in UTC."""
    instant = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return instant.replace(tzinfo=dt.UTC) if instant.tzinfo is None else instant.astimezone(dt.UTC)
