"""Reading what the product knows about projects and contracts, a chunk of contracts at a time, for the export.

Each chunk is a handful of queries (contracts, key dates, variations, ledger, latest events), never one per
contract, so a portfolio of 100,000 contracts exports in bounded memory and time.
"""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, text
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from flows.ocds.jsontext import loads
from flows.ocds.performance_facts import exemptions, kpi_facts, notice_facts
from models.contracts import Contract, ContractKeyDate, ContractVariation
from models.cycle import Project
from models.events import Event
from models.ocds import OcdsProcess
from models.pbr.ledger import NOT_ACCRUALS, PAYMENT, REVERSAL, LedgerEntry
from policies.contracts.clauses import option_end
from policies.contracts.status import ContractStatus, status_on
from policies.money import Money
from policies.ocds.publishing import ContractFacts, Payment, ProjectFacts, Variation

CHUNK = 1000


def projects(session: Session, refs: list[str] | None) -> list[Project]:
    stmt = select(Project).order_by(col(Project.ref))
    if refs is not None:
        stmt = stmt.where(col(Project.ref).in_(refs))
    return list(session.exec(stmt))


def project_facts(session: Session, project: Project, prefix: str) -> tuple[ProjectFacts, dict[str, Any]]:
    """The project as a process (its ocid: the one it was imported with, else prefix and reference), and the
    contact points of the suppliers it was imported with, by name."""
    process = session.exec(select(OcdsProcess).where(OcdsProcess.project_id == project.id)).first()
    ocid = process.ocid if process is not None else f"{prefix}-{project.ref}"
    contacts: dict[str, Any] = {}
    if process is not None and '"contactPoint"' in process.compiled:
        for party in loads(process.compiled).get("parties") or []:
            if isinstance(party, dict) and party.get("name") and isinstance(party.get("contactPoint"), dict):
                point = {k: v for k, v in party["contactPoint"].items() if v not in (None, "")}
                if point:
                    contacts[str(party["name"])] = point
    facts = ProjectFacts(ocid, project.ref, project.title, project.description, project.service_area, project.stage)
    return facts, contacts


def latest_event(session: Session, entity: str, refs: list[str]) -> dict[str, dt.datetime]:
    """When each thing last changed, from the audit log."""
    stmt = (
        core_select(col(Event.entity_ref), func.max(col(Event.effective_at)))
        .where(col(Event.entity) == entity, col(Event.entity_ref).in_(refs))
        .group_by(col(Event.entity_ref))
    )
    found: dict[str, dt.datetime] = {}
    for ref, at in session.execute(stmt):
        if isinstance(at, str):  # SQLite's max() of the stored text
            at = dt.datetime.fromisoformat(at)
        found[str(ref)] = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return found


def _description(variation: ContractVariation) -> str:
    if isinstance(variation.after, dict) and isinstance(variation.after.get("description"), str):
        return str(variation.after["description"])
    before, after = variation.before or {}, variation.after or {}
    changed = [f"{k}: {before.get(k)} -> {after.get(k)}" for k in sorted(after) if before.get(k) != after.get(k)]
    return "; ".join(changed) or "terms varied"


def contract_chunks(
    session: Session, project_id: int, today: dt.date, contacts: dict[str, Any], *, performance: bool = False
) -> Iterator[list[tuple[ContractFacts, dt.datetime | None]]]:
    """The project's contracts as facts, with when each last changed, a chunk at a time, in reference order;
    with ``performance`` (the UK profile), their KPIs, readings, notices published and KPI exemptions too."""
    last_ref = ""
    while True:  # bounded: each pass moves past CHUNK contracts, in reference order
        stmt = select(Contract).where(Contract.project_id == project_id, col(Contract.ref) > last_ref)
        rows = list(session.exec(stmt.order_by(col(Contract.ref)).limit(CHUNK)))
        if not rows:
            return
        last_ref = rows[-1].ref
        ids = [c.id for c in rows if c.id is not None]
        keys: dict[int, list[tuple[str, str, dt.date]]] = {}
        k = ContractKeyDate.__table__.c  # type: ignore[attr-defined]
        plain = core_select(k.contract_id, k.key, k.kind, k.due_on).where(k.contract_id.in_(ids))
        for contract_id, key, kind, due_on in session.execute(plain.order_by(k.contract_id, k.due_on, k.key)):
            keys.setdefault(contract_id, []).append((key, kind, due_on))  # plain rows: far cheaper than objects
        variations: dict[int, list[Variation]] = {}
        for v in session.exec(
            select(ContractVariation)
            .where(col(ContractVariation.contract_id).in_(ids))
            .order_by(col(ContractVariation.contract_id), col(ContractVariation.varied_at), col(ContractVariation.id))
        ):
            variations.setdefault(v.contract_id, []).append(Variation(v.varied_at, v.reason, _description(v)))
        payments = _payments(session, ids)
        dated = latest_event(session, "contract", [c.ref for c in rows])
        kpis = kpi_facts(session, ids) if performance else {}
        notices = notice_facts(session, ids) if performance else {}
        exempt = exemptions(session, ids) if performance else {}
        chunk = []
        for c in rows:
            terms = c.to_terms()
            cid = c.id or 0
            status = status_on(terms, ContractStatus(c.status), today).value
            providers = tuple(dict.fromkeys(p.strip() for p in c.provider.split(";") if p.strip()))
            ends = tuple(option_end(terms, i) for i in range(len(terms.extensions) + 1))
            standstill = next((due for _, kind, due in keys.get(cid, []) if kind == "standstill_end"), None)
            facts = ContractFacts(
                ref=c.ref,
                title=c.title,
                providers=providers,
                value=c.value,
                status=status,
                start=c.start,
                end=c.ends_on,
                max_extent=ends[-1],
                term_ends=ends,
                award_on=c.award_notice_on,
                signed_on=c.signed_on,
                standstill_end=standstill,
                key_dates=tuple(keys.get(cid, [])),
                variations=tuple(variations.get(cid, [])),
                payments=tuple(payments.get(cid, [])),
                contacts={p: contacts[p] for p in providers if p in contacts},
                kpis=kpis.get(cid, ()),
                notices=notices.get(cid, ()),
                no_kpis_because=exempt.get(cid),
            )
            chunk.append((facts, dated.get(c.ref)))
        session.expunge_all()
        yield chunk


def _payments(session: Session, ids: list[int]) -> dict[int, list[Payment]]:
    """Each payment the ledger made (per payer), and each reversal of one, in the order they were entered."""
    entries = list(
        session.exec(
            select(LedgerEntry)
            .where(col(LedgerEntry.contract_id).in_(ids), col(LedgerEntry.kind).in_((PAYMENT, REVERSAL)))
            .where(text(NOT_ACCRUALS))  # the ledger's payer index holds no accruals: named, it is read
            .order_by(col(LedgerEntry.contract_id), col(LedgerEntry.entry_on), col(LedgerEntry.id))
        )
    )
    paid = {e.id for e in entries if e.kind == PAYMENT}
    found: dict[int, list[Payment]] = {}
    for e in entries:
        if e.kind == REVERSAL and e.reverses_id not in paid:
            continue  # the reversal of an accrual or a clawback: not a payment
        amount = Money.from_pence(-e.amount_pence)
        found.setdefault(e.contract_id, []).append(Payment(e.kind, e.entry_on, e.payer, amount))
    return found
