"""Where imported open contracting data came from: each process (ocid) with its releases, and each award's contract.

``ocds_process`` keeps a process's compiled release as JSON text, exactly as merged (money exact, every field
the product does not map kept as it came), the ids of the releases merged into it with a digest of each one's
contents, and the fields that were not mapped; ``ocds_award`` ties each award (or contract) of a process to the
contract it became, so that a re-import finds it again. Repository functions never commit.
"""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from models.db import UTCDateTime


class OcdsProcess(SQLModel, table=True):
    __tablename__ = "ocds_process"

    id: int | None = Field(default=None, primary_key=True)
    ocid: str = Field(max_length=200, unique=True, index=True)
    project_id: int = Field(foreign_key="project.id", unique=True)
    release_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Each release id's digest of its contents and when it was first imported ({id: {"digest", "imported_at"}}),
    # so that an id given again with other contents is refused; NULL, or an id missing, is unknown (imported before
    # migration 0032).
    release_digests: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    compiled: str = Field(sa_column=Column(Text, nullable=False))  # JSON text: Decimal amounts written exactly
    unmapped: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source: str = Field(max_length=500)
    imported_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class OcdsAward(SQLModel, table=True):
    __tablename__ = "ocds_award"
    __table_args__ = (UniqueConstraint("ocid", "award_key", name="uq_ocds_award"),)

    id: int | None = Field(default=None, primary_key=True)
    ocid: str = Field(max_length=200)
    award_key: str = Field(max_length=200)  # the award's id (or "contract:" and a contract's id with no award)
    contract_id: int = Field(foreign_key="contract.id", unique=True)
    release_id: str = Field(max_length=300)  # the release that last set its terms


def processes_by_ocid(*, session: Session, ocids: list[str]) -> dict[str, OcdsProcess]:
    found: dict[str, OcdsProcess] = {}
    for i in range(0, len(ocids), 5000):
        stmt = select(OcdsProcess).where(col(OcdsProcess.ocid).in_(ocids[i : i + 5000]))
        found |= {p.ocid: p for p in session.exec(stmt)}
    return found


def awards_of(*, session: Session, ocids: list[str]) -> dict[tuple[str, str], int]:
    """(ocid, award key) -> contract id, for the processes given."""
    found: dict[tuple[str, str], int] = {}
    for i in range(0, len(ocids), 5000):
        stmt = select(OcdsAward).where(col(OcdsAward.ocid).in_(ocids[i : i + 5000]))
        found |= {(a.ocid, a.award_key): a.contract_id for a in session.exec(stmt)}
    return found


def process_of_project(*, session: Session, project_id: int) -> OcdsProcess | None:
    return session.exec(select(OcdsProcess).where(OcdsProcess.project_id == project_id)).first()


def award_of_contract(*, session: Session, contract_id: int) -> OcdsAward | None:
    return session.exec(select(OcdsAward).where(OcdsAward.contract_id == contract_id)).first()


def record_payments(
    session: Session, entries: list[tuple[int, str, dt.date, Any, str]], *, as_of: dt.datetime, actor: str
) -> None:
    """Published payments (contract id, transaction id, date, Money paid, payer) as ledger entries, in order: a
    payment is a ``payment`` entry (negative: it reduces what is owed); a negative one reverses the earliest
    payment to the same payer of the same amount not yet reversed (or is a payment back, if there is none)."""
    from models.pbr.ledger import PAYMENT, REVERSAL, LedgerEntry

    open_payments: dict[tuple[int, str, int], list[LedgerEntry]] = {}
    for contract_id, transaction_id, on, paid, payer in entries:
        pence = paid.pence
        reversed_entry = None
        if pence < 0:
            waiting = open_payments.get((contract_id, payer, -pence), [])
            reversed_entry = waiting.pop(0) if waiting else None
        entry = LedgerEntry(
            contract_id=contract_id,
            payer=payer[:120],
            kind=REVERSAL if reversed_entry is not None else PAYMENT,
            item="ocds_transaction",
            amount_pence=-pence,
            entry_on=on,
            reverses_id=reversed_entry.id if reversed_entry is not None else None,
            memo=f"OCDS transaction {transaction_id}"[:500],
            created_at=as_of,
            actor=actor[:120],
        )
        session.add(entry)
        session.flush()
        if pence > 0:
            open_payments.setdefault((contract_id, payer, pence), []).append(entry)
