"""Reading and writing contract performance: KPIs, exemptions, readings (in bulk for an import) and notices.

Nothing here commits: the flow owns the transaction.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session, col, select

from models.contracts import Contract
from models.pbr.bulk import bulk_insert
from models.performance.tables import ContractNotice, Kpi, KpiExemption, KpiReading
from policies.contracts.clauses import ContractTerms

CHUNK = 5000


def kpis_of(*, session: Session, contract_id: int) -> list[Kpi]:
    stmt = select(Kpi).where(Kpi.contract_id == contract_id).order_by(col(Kpi.contract_id), col(Kpi.name))
    return list(session.exec(stmt))


def kpis_of_contracts(*, session: Session, contract_ids: Sequence[int]) -> dict[int, list[Kpi]]:
    """Every KPI of these contracts, by contract id."""
    found: dict[int, list[Kpi]] = {}
    ids = sorted(set(contract_ids))
    for i in range(0, len(ids), CHUNK):
        stmt = select(Kpi).where(col(Kpi.contract_id).in_(ids[i : i + CHUNK]))
        for kpi in session.exec(stmt):
            found.setdefault(kpi.contract_id, []).append(kpi)
    return found


def exemption_of(*, session: Session, contract_id: int) -> KpiExemption | None:
    return session.get(KpiExemption, contract_id)


def exemptions_of_contracts(*, session: Session, contract_ids: Sequence[int]) -> dict[int, KpiExemption]:
    """The KPI exemptions of these contracts, by contract id (those that have one)."""
    found: dict[int, KpiExemption] = {}
    ids = sorted(set(contract_ids))
    for i in range(0, len(ids), CHUNK):
        stmt = select(KpiExemption).where(col(KpiExemption.contract_id).in_(ids[i : i + CHUNK]))
        found |= {e.contract_id: e for e in session.exec(stmt)}
    return found


def terms_of(*, session: Session, contract: Contract) -> ContractTerms:
    """The contract's terms with its KPI exemption, as the key dates need them (which UK9s are due)."""
    exempt = contract.id is not None and exemption_of(session=session, contract_id=contract.id) is not None
    return contract.to_terms(kpi_exempt=exempt)


def readings_of(*, session: Session, kpi_ids: Sequence[int]) -> list[KpiReading]:
    """The readings of these KPIs, each KPI's in period order."""
    if not kpi_ids:
        return []
    stmt = select(KpiReading).where(col(KpiReading.kpi_id).in_(list(kpi_ids)))
    return list(session.exec(stmt.order_by(col(KpiReading.kpi_id), col(KpiReading.period_end))))


def reading(*, session: Session, kpi_id: int, period: str) -> KpiReading | None:
    stmt = select(KpiReading).where(KpiReading.kpi_id == kpi_id, KpiReading.period == period)
    return session.exec(stmt.with_for_update()).first()


def existing_values(*, session: Session, kpi_ids: Sequence[int]) -> dict[tuple[int, str], str]:
    """(kpi id, period) -> value stored, for the KPIs an import names (through the driver: it may be millions)."""
    found: dict[tuple[int, str], str] = {}
    ids = sorted(set(kpi_ids))
    stmt = text("SELECT kpi_id, period, value FROM kpi_reading WHERE kpi_id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    for i in range(0, len(ids), CHUNK):
        for kpi_id, period, value in session.execute(stmt, {"ids": ids[i : i + CHUNK]}):
            found[(int(kpi_id), str(period))] = str(value)
    return found


READING_COLUMNS = ("kpi_id", "period", "period_start", "period_end", "value", "rating", "recorded_at")


def insert_readings(*, session: Session, rows: Iterable[Sequence[Any]]) -> int:
    """Insert many readings through the driver (an import may bring millions), in the caller's transaction.

    The rows are in READING_COLUMNS order with dates and the instant as the driver takes them
    (models.pbr.bulk.driver_date and driver_value): an import converts each period's days once, not per row."""
    return bulk_insert(session, "kpi_reading", READING_COLUMNS, rows, prepared=True)


def notices_of(*, session: Session, contract_id: int, kind: str | None = None) -> list[ContractNotice]:
    stmt = select(ContractNotice).where(ContractNotice.contract_id == contract_id)
    if kind is not None:
        stmt = stmt.where(ContractNotice.kind == kind)
    return list(session.exec(stmt.order_by(col(ContractNotice.kind), col(ContractNotice.seq))))


def latest_readings(*, session: Session, project_id: int | None = None) -> list[tuple[Any, ...]]:
    """For every KPI with a reading (of one project's contracts, if given): contract ref, title, provider, KPI
    name, its latest period, value and rating (an override in place of the computed one), by contract."""
    sql = text(
        f"""
        SELECT c.ref, c.title, c.provider, k.name, r.period, r.value, COALESCE(r.override_rating, r.rating)
        FROM kpi k JOIN contract c ON c.id = k.contract_id
        JOIN kpi_reading r ON r.kpi_id = k.id
        WHERE r.period_end = (SELECT MAX(r2.period_end) FROM kpi_reading r2 WHERE r2.kpi_id = k.id)
        {"AND c.project_id = :project" if project_id is not None else ""}
        ORDER BY c.ref, k.name
        """
    )
    return [tuple(row) for row in session.execute(sql, {"project": project_id} if project_id is not None else {})]


def kpi_catalogue(*, session: Session, refs: Sequence[str]) -> list[tuple[Any, ...]]:
    """For these contracts: ref, when it was added, start, last day (ends_on), KPI id, name and definition; one with no
    KPI comes once with a KPI id of None (so the caller can tell "no such contract" from "no such KPI"). By
    contract and name: a readings file refused for an --as-of before two contracts were added names the first."""
    stmt = text(
        "SELECT c.ref, c.created_at, c.start, c.ends_on, k.id, k.name, k.definition FROM contract c "
        "LEFT JOIN kpi k ON k.contract_id = c.id WHERE c.ref IN :refs ORDER BY c.ref, k.name"
    ).bindparams(bindparam("refs", expanding=True))
    rows: list[tuple[Any, ...]] = []
    ordered = sorted(set(refs))
    for i in range(0, len(ordered), CHUNK):
        rows += [tuple(r) for r in session.execute(stmt, {"refs": ordered[i : i + CHUNK]})]
    return rows
