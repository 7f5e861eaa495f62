"""Contract performance notices (UK9) and breach notices: prepared, published, then kept as published.

UK9 (Procurement Act 2023 s.71(2), Procurement Regulations 2024 reg. 39):
`prepare` assembles the supplier, the contract, the period and, for each KPI,
the rating of its latest reading in the period (never an average), with the
readings behind it. Preparing again before publication brings it up to date.
`publish` records the date and the Find a Tender id; the notice then
satisfies the contract's next UK9 key date, whose reminders stop, and the
database refuses any change to it.

Breach (s.71(4)-(5)): `record_breach` logs the breach or the poor performance
not put right, prepares its notice and adds a key date ``breach_notice_days``
(30) later to publish it, which `publish` satisfies likewise.
"""

import datetime as dt
import re
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.performance.assessment import contract_performance
from flows.performance.policy import performance_policy
from models.contracts import Contract, ContractKeyDate, get_contract, key_dates_of
from models.db import unit_of_work
from models.events import append_event
from models.performance.repository import notices_of
from models.performance.tables import BREACH, PREPARED, PUBLISHED, UK9, ContractNotice
from models.reminders.replanning import mark_for_replanning
from policies.dates import local_date
from policies.performance.periods import Period, breach_notice_due, parse_notice_period
from policies.performance.ratings import Rating

STOP_REMINDERS = text(
    "UPDATE reminder SET status = 'cancelled', closed_reason = :why "
    "WHERE contract_id = :c AND key_date_key = :k AND status = 'pending'"
)
FTS_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-/_.]{2,59}$")
BREACH_KINDS = {
    "breach": "a breach leading to termination or damages",
    "poor_performance": "poor performance not put right after notice",
}


def _contract(session: Session, ref: str) -> tuple[Contract, int]:
    contract = get_contract(session=session, ref=ref, for_update=True)
    if contract is None or contract.id is None:
        raise UserError(f"no contract with reference {ref!r}")
    return contract, contract.id


def _uk9_content(contract: Contract, performance: dict[str, Any], period: Period) -> dict[str, Any]:
    kpis = []
    for kpi in performance["kpis"]:
        within = [
            r
            for r in kpi["readings"]
            if r["period_end"] >= period.start.isoformat() and r["period_start"] <= period.end.isoformat()
        ]
        latest = within[-1] if within else None
        kpis.append({
            "name": kpi["name"], "measure": kpi["measure"], "unit": kpi["unit"], "target": kpi["target"],
            "direction": kpi["direction"],
            "rating": latest["rating_label"] if latest else None,
            "rated_on": latest["period"] if latest else None,
            "reason": latest["override_reason"] if latest else "no reading in the period",
            "readings": [{"period": r["period"], "value": r["value"], "rating": r["rating_label"]} for r in within],
        })  # fmt: skip
    return {
        "notice": "UK9 contract performance notice",
        "contract": contract.ref,
        "title": contract.title,
        "supplier": contract.provider,
        "period": {"label": period.label, "start": period.start.isoformat(), "end": period.end.isoformat()},
        "kpis": kpis,
    }


def prepare_uk9(settings: Settings, *, ref: str, period: str, as_of: dt.datetime, actor: str) -> dict[str, Any]:
    """Assemble (or bring up to date) the UK9 notice of a contract for a period; return its content."""
    covered, why = parse_notice_period(period)
    if covered is None:
        raise UserError(f"--period: {why}")
    with unit_of_work(database(settings)) as session:
        contract, contract_id = _contract(session, ref)
        performance = contract_performance(session, contract_id)
        if not performance["kpis"]:
            raise UserError(f"{ref} has no KPIs defined; set them with `commission kpis set {ref}`")
        today = local_date(as_of, settings.timezone)
        if covered.end > today:  # a notice rates the performance in a period that is over, as a reading does
            when = "has not begun yet" if covered.start > today else f"is not over until {covered.end}"
            raise UserError(f"--period: {covered.label} {when}; a notice assesses a period that is over")
        if covered.end < contract.start or covered.start > contract.ends_on:
            raise UserError(
                f"--period: {covered.label} is outside the contract ({contract.start} to {contract.ends_on})"
            )
        content = _uk9_content(contract, performance, covered)
        notices = notices_of(session=session, contract_id=contract_id, kind=UK9)
        same = [n for n in notices if n.period == covered.label]
        if same and same[0].status == PUBLISHED:
            n = same[0]
            raise UserError(
                f"the UK9 notice of {ref} for {covered.label} was published on {n.published_on} as {n.reference}; "
                "it is kept as published"
            )
        if same:
            notice = same[0]
            notice.content, notice.prepared_at = content, as_of
        else:
            seq = max((n.seq for n in notices), default=0) + 1
            notice = ContractNotice(contract_id=contract_id, kind=UK9, seq=seq, period=covered.label,
                                    period_start=covered.start, period_end=covered.end, status=PREPARED,
                                    content=content, prepared_at=as_of)  # fmt: skip
        session.add(notice)
        said = {"period": covered.label, "kpis": len(content["kpis"])}
        append_event(session=session, effective_at=as_of, actor=actor, entity="contract", entity_ref=ref,
                     action="Uk9NoticePrepared", after=said)  # fmt: skip
        return {**content, "status": PREPARED, "missing": [k["name"] for k in content["kpis"] if k["rating"] is None]}


def record_breach(
    settings: Settings, *, ref: str, on: dt.date, kind: str, reason: str, as_of: dt.datetime, actor: str
) -> dict[str, Any]:
    """Record a breach (or poor performance not put right): an event, its notice prepared, a key date to publish it."""
    if kind not in BREACH_KINDS:
        raise UserError(f"--kind: {kind!r} is not breach or poor_performance")
    if not reason.strip():
        raise UserError("a breach needs a --reason: what happened, for the record and the notice")
    days = performance_policy(settings).breach_notice_days
    with unit_of_work(database(settings)) as session:
        contract, contract_id = _contract(session, ref)
        if on < contract.start:
            raise UserError(f"--on: {on} is before the contract starts ({contract.start})")
        if on > local_date(as_of, settings.timezone):
            raise UserError(f"--on: {on} is in the future")
        seq = max((n.seq for n in notices_of(session=session, contract_id=contract_id, kind=BREACH)), default=0) + 1
        due = breach_notice_due(on, days)
        content = {
            "notice": "Contract breach notice" if kind == "breach" else "Poor performance notice",
            "contract": contract.ref, "title": contract.title, "supplier": contract.provider,
            "kind": kind, "what": BREACH_KINDS[kind], "occurred_on": on.isoformat(), "description": reason.strip(),
        }  # fmt: skip
        session.add(ContractNotice(contract_id=contract_id, kind=BREACH, seq=seq, status=PREPARED, content=content,
                                   prepared_at=as_of, due_on=due))  # fmt: skip
        key = f"breach_notice:{seq}"
        action = f"Publish the {kind.replace('_', ' ')} notice within {days} days of {on} (Procurement Act 2023 s.71)"
        session.add(
            ContractKeyDate(
                contract_id=contract_id,
                key=key,
                kind="breach_notice",
                due_on=due,
                action=action,
                who="procurement lead",
            )
        )
        mark_for_replanning(session=session, contract_ids=[contract_id])
        append_event(session=session, effective_at=as_of, actor=actor, entity="contract", entity_ref=ref,
                     action="BreachRecorded", reason=reason,
                     after={"kind": kind, "on": on.isoformat(), "seq": seq, "notice_due": due.isoformat()})  # fmt: skip
        return {"contract": ref, "breach": seq, "kind": kind, "on": on.isoformat(), "notice_due": due.isoformat()}


def publish_notice(
    settings: Settings,
    *,
    ref: str,
    on: dt.date,
    reference: str,
    period: str | None,
    breach: int | None,
    as_of: dt.datetime,
    actor: str,
) -> dict[str, Any]:
    """Record that a prepared notice was published: it satisfies its key date and is kept as published."""
    if not FTS_ID.match(reference.strip()):
        raise UserError(f"--reference: {reference!r} is not a Find a Tender notice id (e.g. 012345-2026)")
    if on > local_date(as_of, settings.timezone):
        raise UserError(f"--on: {on} is in the future")
    with unit_of_work(database(settings)) as session:
        _, contract_id = _contract(session, ref)
        notice = _chosen(notices_of(session=session, contract_id=contract_id), ref, period, breach)
        if on < notice.prepared_at.date():
            raise UserError(f"--on: {on} is before the notice was prepared ({notice.prepared_at.date()})")
        if notice.period_end is not None and on < notice.period_end:
            raise UserError(
                f"--on: {on} is within the period the notice assesses ({notice.period}, to {notice.period_end})"
            )
        key = f"breach_notice:{notice.seq}" if notice.kind == BREACH else _uk9_key(session, contract_id, notice)
        notice.content = {**notice.content, "published_on": on.isoformat(), "reference": reference.strip()}
        notice.status, notice.published_on, notice.reference, notice.satisfies_key = (
            PUBLISHED,
            on,
            reference.strip(),
            key,
        )
        session.add(notice)
        session.flush()
        stopped = 0
        if key is not None:
            result = session.execute(
                STOP_REMINDERS,
                {"why": f"the notice was published on {on} ({reference.strip()})", "c": contract_id, "k": key},
            )  # fmt: skip
            stopped = int(getattr(result, "rowcount", 0) or 0)
        action = "BreachNoticePublished" if notice.kind == BREACH else "Uk9NoticePublished"
        append_event(session=session, effective_at=as_of, actor=actor, entity="contract", entity_ref=ref, action=action,
                     after={"notice": notice.kind, "period": notice.period, "published_on": on.isoformat(),
                            "reference": reference.strip(), "satisfies": key})  # fmt: skip
        return {"contract": ref, "notice": notice.kind, "seq": notice.seq, "period": notice.period,
                "published_on": on.isoformat(), "reference": reference.strip(), "satisfies": key,
                "reminders_stopped": stopped}  # fmt: skip


def _chosen(notices: list[ContractNotice], ref: str, period: str | None, breach: int | None) -> ContractNotice:
    prepared = [n for n in notices if n.status == PREPARED]
    if period is not None:
        covered, why = parse_notice_period(period)
        if covered is None:
            raise UserError(f"--period: {why}")
        found = [n for n in notices if n.kind == UK9 and n.period == covered.label]
    elif breach is not None:
        found = [n for n in notices if n.kind == BREACH and n.seq == breach]
    else:
        found = prepared
    if not found:
        raise UserError(
            f"{ref} has no such prepared notice; prepare it first with `commission notices prepare {ref} --period P`"
        )
    if len(found) > 1:
        said = ", ".join(f"UK9 --period {n.period}" if n.kind == UK9 else f"breach --breach {n.seq}" for n in found)
        raise UserError(f"{ref} has {len(found)} prepared notices; say which: {said}")
    if found[0].status == PUBLISHED:
        n = found[0]
        raise UserError(
            f"that notice of {ref} was published on {n.published_on} as {n.reference}; it is kept as published"
        )
    return found[0]


def _uk9_key(session: Session, contract_id: int, notice: ContractNotice) -> str | None:
    """The UK9 key date this notice satisfies: the first one due after its period began that no notice has."""
    taken = {n.satisfies_key for n in notices_of(session=session, contract_id=contract_id) if n.status == PUBLISHED}
    start = notice.period_start or dt.date.min
    for k in key_dates_of(session=session, contract_id=contract_id):
        if k.kind == "performance_notice" and k.due_on > start and k.key not in taken:
            return k.key
    return None


def overall(content: dict[str, Any]) -> list[str]:
    """The notice's ratings, one line a KPI (for the screen)."""
    return [
        f"{k['name']}: {k['rating'] or Rating.OTHER.label + ' (no reading in the period)'}" for k in content["kpis"]
    ]
