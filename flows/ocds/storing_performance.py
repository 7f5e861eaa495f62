"""Storing the performance an imported contract publishes: its KPIs (from ``agreedMetrics``), their readings
(from ``implementation.metrics``) and its UK9 notices (documents), in the import's transaction.

A reading is rated by the product from its KPI's target and bands; where the published ``measureClassification``
says otherwise, the published rating is kept as an override, its reason the observation's notes (or, with none,
the notice it came from). A KPI whose bands point the wrong way, a reading that cannot be one of its unit, a
reading of a period not over by the import's as-of date, and a second reading of a period are skipped and listed
in the import report, never a reason to fail.
"""

import datetime as dt
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from flows.performance.definitions import key_dates_again
from models.contracts import RECORDED_KIND, Contract, ContractKeyDate, key_dates_of
from models.performance.tables import PUBLISHED, ContractNotice, Kpi, KpiReading
from policies.ocds.mapping import ContractPlan
from policies.ocds.metrics import NoticeFacts
from policies.performance.kpis import Bands, Direction, Frequency, KpiDefinition, Unit, check_bands, check_reading
from policies.performance.periods import Period, check_over
from policies.performance.ratings import Rating, rate


def _definition(kpi: Any) -> tuple[KpiDefinition | None, str | None]:
    definition = KpiDefinition(
        kpi.name,
        kpi.measure,
        Unit(kpi.unit),
        kpi.target,
        Direction(kpi.direction),
        Frequency(kpi.frequency),
        Bands(kpi.approaching, kpi.requires_improvement),
        kpi.own_bands,
    )
    why = check_reading(definition.unit, kpi.target) or check_bands(definition.direction, kpi.target, definition.bands)
    return (None, why) if why else (definition, None)


def store_performance(
    session: Session,
    made: list[tuple[ContractPlan, str, int, str]],
    *,
    as_of: dt.datetime,
    today: dt.date,
    actor: str,
    skipped: list[str],
) -> list[dict[str, Any]]:
    """Store the KPIs, readings and notices of these new contracts (plan, reference, id, the notice they came
    from); list what was skipped, why; return the events that say what was stored."""
    events: list[dict[str, Any]] = []
    for plan, ref, contract_id, notice in made:
        skipped += [f"{ref}: {why}" for why in plan.kpis_not_read]
        breach_keys = _breach_key_dates(session, plan, contract_id)
        if not plan.kpis and not plan.notices:
            continue
        names, readings = [], 0
        for kpi in plan.kpis:
            definition, why = _definition(kpi)
            if definition is None or kpi.name in names:
                skipped.append(f"{ref}: KPI {kpi.name!r}: {why or 'given twice'}, so not stored")
                continue
            names.append(kpi.name)
            table = Kpi.__table__  # type: ignore[attr-defined]
            row = {"contract_id": contract_id, "name": kpi.name, "definition": definition.public(), "created_at": as_of}
            kpi_id = session.execute(insert(table).returning(table.c.id), row).scalar_one()
            rows, periods = [], set()
            for r in kpi.readings:
                bad = check_reading(definition.unit, r.value) or check_over(Period(r.start, r.end, r.period), today)
                if bad or r.period in periods:
                    skipped.append(f"{ref}: KPI {kpi.name!r} reading {r.period}: {bad or 'given twice'}, so not stored")
                    continue
                periods.add(r.period)
                computed = rate(definition, r.value)
                published = Rating(r.rating)
                rows.append(
                    {
                        "kpi_id": kpi_id,
                        "period": r.period,
                        "period_start": r.start,
                        "period_end": r.end,
                        "value": str(r.value),
                        "rating": computed.value,
                        "override_rating": None if published is computed else published.value,
                        "override_reason": None if published is computed else (r.reason or f"as published: {notice}"),
                        "recorded_at": as_of,
                    }
                )
            if rows:
                session.execute(insert(KpiReading.__table__), rows)  # type: ignore[attr-defined]
            readings += len(rows)
        if names:  # a contract with KPIs has its UK9 notices due (policies.contracts.key_dates): derive again
            contract = session.get(Contract, contract_id)
            assert contract is not None  # made in this transaction
            contract.kpis = sorted(names)
            session.add(contract)
            session.flush()
            key_dates_again(session, contract, kpi_exempt=False)
        keys = key_dates_of(session=session, contract_id=contract_id) if plan.notices else []
        performance_keys = [k for k in keys if k.kind == "performance_notice"]
        taken: set[str] = set()
        seqs: dict[str, int] = {}
        for n in plan.notices:
            seqs[n.kind] = seqs.get(n.kind, 0) + 1
            satisfies = _satisfied(n, seqs[n.kind], breach_keys, performance_keys, taken)
            content = {
                "notice": n.title,
                "contract": ref,
                "published_on": n.published_on.isoformat(),
                "reference": n.reference,
                "ocds_document": {"title": n.title, "description": n.description},
            }
            start, end = n.covers or (None, None)
            period = f"{start}..{end}" if n.covers else None  # as `notices prepare --period` labels it
            session.add(
                ContractNotice(contract_id=contract_id, kind=n.kind, seq=seqs[n.kind], status=PUBLISHED,
                               content=content, prepared_at=as_of, published_on=n.published_on,
                               reference=n.reference[:60], period=period, period_start=start, period_end=end,
                               satisfies_key=satisfies)
            )  # fmt: skip
        said = {"kpis": names, "readings": readings, "notices": [n.reference for n in plan.notices]}
        events.append(
            {"effective_at": as_of, "actor": actor, "entity": "contract", "entity_ref": ref,
             "action": "PerformanceImported", "reason": f"from {notice}", "before": None, "after": said}
        )  # fmt: skip
    session.flush()
    return events


def _breach_key_dates(session: Session, plan: ContractPlan, contract_id: int) -> set[str]:
    """The breach notice key dates the contract's milestones publish (recorded with a breach, so not derived from
    its terms): added as they were, so the contract exports as it was imported."""
    keys = set()
    for key, due in plan.milestones:
        if key.startswith(f"{RECORDED_KIND}:") and key not in keys:
            keys.add(key)
            action = "Publish the breach or poor performance notice (Procurement Act 2023 s.71)"
            session.add(ContractKeyDate(contract_id=contract_id, key=key[:40], kind=RECORDED_KIND, due_on=due,
                                        action=action, who="procurement lead"))  # fmt: skip
    return keys


def _satisfied(
    notice: NoticeFacts, seq: int, breach_keys: set[str], performance_keys: list[Any], taken: set[str]
) -> str | None:
    """The key date an imported notice satisfies, as `notices publish` would choose it: a breach notice its own;
    a UK9 the first contract performance notice date due after its period began that no notice has taken."""
    if notice.kind == "breach":
        key = f"{RECORDED_KIND}:{seq}"
        return key if key in breach_keys else None
    if notice.covers is None:
        return None
    for k in sorted(performance_keys, key=lambda k: k.due_on):
        if k.due_on > notice.covers[0] and k.key not in taken:
            taken.add(k.key)
            return str(k.key)
    return None
