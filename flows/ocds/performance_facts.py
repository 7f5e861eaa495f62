"""Reading a chunk of contracts' performance for the UK export: KPIs with their readings and ratings, the notices
published, and any KPI exemption; a few queries a chunk, never one per contract."""

from decimal import Decimal

from sqlmodel import Session, col, select

from models.performance.repository import kpis_of_contracts, readings_of
from models.performance.tables import BREACH, PUBLISHED, ContractNotice, KpiExemption, KpiReading
from policies.ocds.metrics import KpiFacts, NoticeFacts, ReadingFacts
from policies.performance.kpis import kpi_from_public

BREACH_TITLES = {"breach": "Contract breach notice", "poor_performance": "Poor performance notice"}


def kpi_facts(session: Session, ids: list[int]) -> dict[int, tuple[KpiFacts, ...]]:
    """Each contract's KPIs (by name), each with its readings in period order, the override in place of the
    computed rating."""
    kpis = kpis_of_contracts(session=session, contract_ids=ids)
    every = [k for found in kpis.values() for k in found]
    by_kpi: dict[int, list[KpiReading]] = {}
    for row in readings_of(session=session, kpi_ids=[k.id for k in every if k.id is not None]):
        by_kpi.setdefault(row.kpi_id, []).append(row)
    facts: dict[int, tuple[KpiFacts, ...]] = {}
    for contract_id, found in kpis.items():
        listed = []
        for kpi in sorted(found, key=lambda k: k.name):
            d = kpi_from_public(kpi.definition)
            readings = tuple(
                ReadingFacts(
                    r.period,
                    r.period_start,
                    r.period_end,
                    Decimal(r.value),
                    r.override_rating or r.rating,
                    r.override_reason if r.override_rating else None,
                )
                for r in by_kpi.get(kpi.id or 0, [])
            )
            listed.append(
                KpiFacts(
                    d.name,
                    d.measure,
                    d.unit.value,
                    d.target,
                    d.direction.value,
                    d.frequency.value,
                    d.bands.approaching,
                    d.bands.requires_improvement,
                    d.own_bands,
                    readings,
                )
            )
        facts[contract_id] = tuple(listed)
    return facts


def notice_facts(session: Session, ids: list[int]) -> dict[int, tuple[NoticeFacts, ...]]:
    """Each contract's published notices, in the order they were published."""
    stmt = (
        select(ContractNotice)
        .where(col(ContractNotice.contract_id).in_(ids), ContractNotice.status == PUBLISHED)
        .order_by(col(ContractNotice.contract_id), col(ContractNotice.published_on), col(ContractNotice.id))
    )
    found: dict[int, list[NoticeFacts]] = {}
    for n in session.exec(stmt):
        if n.published_on is None or not n.reference:
            continue
        document = n.content.get("ocds_document")
        if isinstance(document, dict):  # imported: the document as it was published
            title, description = str(document.get("title", "")), str(document.get("description", ""))
        elif n.kind == BREACH:
            title = BREACH_TITLES.get(str(n.content.get("kind")), "Contract breach notice")
            description = f"{n.content.get('what', '')} on {n.content.get('occurred_on', '')}: " + str(
                n.content.get("description", "")
            )
        else:
            title = "Contract performance notice"
            description = f"Performance against the KPIs from {n.period_start} to {n.period_end}"
        found.setdefault(n.contract_id, []).append(NoticeFacts(n.kind, title, description, n.published_on, n.reference))
    return {k: tuple(v) for k, v in found.items()}


def exemptions(session: Session, ids: list[int]) -> dict[int, str]:
    """Why a contract has fewer KPIs than the rule asks, where an exemption is recorded."""
    stmt = select(KpiExemption).where(col(KpiExemption.contract_id).in_(ids))
    return {e.contract_id: f"{e.exemption.replace('_', ' ')}: {e.reason}" for e in session.exec(stmt)}
