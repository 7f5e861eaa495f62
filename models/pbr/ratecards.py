"""Rate card versions: a contract's card as read and normalised, one per (contract, effective date).

A version is written once and never changed; a new version of a card is a new row.
"""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

import models.contracts  # noqa: F401  (the contract table)
from models.db import UTCDateTime


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


def rate_cards_of(*, session: Session, contract_id: int) -> list[RateCardVersion]:
    stmt = select(RateCardVersion).where(RateCardVersion.contract_id == contract_id)
    return list(session.exec(stmt.order_by(col(RateCardVersion.effective_from))))
