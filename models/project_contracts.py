"""A project's contracts and history as `show` needs them: counts and a few rows, found through indexes.

A project can have thousands of linked contracts (an import links each one,
with a ContractLinked event in the project's history). `show` and the gate
need only: whether any contract is in force (and which, the first few), how
many there are by status, and the history with each import's links folded
into one line. Each is one SQL query on the project's own index range
(contract: project_id, ref; event: entity, entity_ref, effective_at, id), so
the time does not grow with the number of loaded objects.

The status on a day is ``policies.contracts.status.status_on`` written as SQL
(``_status_on``); tests/integration/contracts/test_project_contracts.py checks
the two agree.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from models.contracts import Contract
from models.events import Event
from policies.contracts.status import ContractStatus

C = Contract.__table__.c  # type: ignore[attr-defined]


def _status_on(day: dt.date) -> Any:
    """policies.contracts.status.status_on, in SQL; ends_on is the stored expiry(terms)."""
    return case(
        (C.status == "terminated", "terminated"),
        (C.start > day, "pending"),
        (C.ends_on < day, case((C.ended_on.is_not(None), "terminated"), else_="expired")),
        (C.status.in_(("in_notice", "extended")), C.status),
        (C.extensions_used > 0, "extended"),
        else_="active",
    )


def _in_force(project_id: int, day: dt.date, as_of: dt.datetime | None) -> list[Any]:
    """Live on ``day`` (active, extended or in notice): the same rule, as a filter."""
    where = [C.project_id == project_id, C.status != "terminated", C.start <= day, C.ends_on >= day]
    return where if as_of is None else [*where, C.created_at <= as_of]


LINKED = "ContractLinked"
FOLD_ABOVE = 5  # more links than this from one entry (an import) are shown as one line


@dataclass(frozen=True)
class InForce:
    refs: tuple[str, ...]  # the first ``limit`` of them, by ref
    count: int


def contracts_in_force(
    *, session: Session, project_id: int, day: dt.date, as_of: dt.datetime | None = None, limit: int = 10
) -> InForce:
    """The project's contracts in force on ``day`` (those entered by ``as_of``, if given): how many, and the
    first ``limit`` refs. One pass over the project's range of the (project_id, ref) index."""
    where = _in_force(project_id, day, as_of)
    found = tuple(
        str(r) for r in session.execute(core_select(C.ref).where(*where).order_by(C.ref).limit(limit)).scalars()
    )
    if len(found) < limit:
        return InForce(found, len(found))
    return InForce(found, int(session.execute(core_select(func.count()).where(*where)).scalar_one()))


def status_counts(*, session: Session, project_id: int, day: dt.date) -> dict[str, int]:
    """How many of the project's contracts are in each status on ``day`` (the statuses with any).

    One row of sums rather than a GROUP BY, so SQLite needs no temporary b-tree."""
    status = _status_on(day)
    sums = [func.coalesce(func.sum(case((status == s.value, 1), else_=0)), 0) for s in ContractStatus]
    row = session.execute(core_select(*sums).where(C.project_id == project_id)).one()
    return {s.value: int(n) for s, n in zip(ContractStatus, row, strict=True) if n}


def project_history(*, session: Session, project_ref: str) -> list[dict[str, Any]]:
    """The project's history, oldest first, as Event.public lines; the links made by one entry (an import:
    one actor, one instant entered) are one line when there are more than FOLD_ABOVE of them.

    The history is first read narrow (no JSON) in the index's order, to find the entries to fold; then only
    the events shown are read whole."""
    mine = (col(Event.entity) == "project", col(Event.entity_ref) == project_ref)
    linked = col(Event.action) == LINKED
    order = (col(Event.effective_at), col(Event.id))
    narrow = core_select(col(Event.id), col(Event.effective_at), col(Event.recorded_at), col(Event.actor))
    links: dict[tuple[Any, ...], list[int]] = {}
    for event_id, at, entered, actor in session.execute(narrow.where(*mine, linked).order_by(*order)):
        links.setdefault((at, entered, actor), []).append(event_id)
    folded = {key: ids for key, ids in links.items() if len(ids) > FOLD_ABOVE}
    if not folded:
        events = list(session.exec(select(Event).where(*mine).order_by(*order)))
    else:
        events = list(session.exec(select(Event).where(*mine, ~linked).order_by(*order)))
        for at, entered, actor in links.keys() - folded.keys():
            same = (col(Event.effective_at) == at, col(Event.recorded_at) == entered, col(Event.actor) == actor)
            events += session.exec(select(Event).where(*mine, linked, *same).order_by(*order))
    lines = [(e.effective_at, e.id or 0, e.public()) for e in events]
    for (at, entered, actor), ids in folded.items():
        span = (*mine, col(Event.effective_at) == at, col(Event.id) >= ids[0], col(Event.id) <= ids[-1])
        first = _linked_ref(session, span, order)  # the first of the span, ids[0]; then the last, ids[-1]
        last = _linked_ref(session, span, (col(Event.effective_at).desc(), col(Event.id).desc()))
        line = {
            "at": at.isoformat(),
            "recorded_at": entered.isoformat(),
            "actor": actor,
            "action": LINKED,
            "reason": f"{len(ids):,} contracts linked by one import, {first} to {last}",
            "before": None,
            "after": {"contracts": len(ids), "first": first, "last": last},
        }
        lines.append((at, ids[0], line))
    return [line for *_, line in sorted(lines, key=lambda t: (t[0], t[1]))]


def _linked_ref(session: Session, where: tuple[Any, ...], order: tuple[Any, ...]) -> str | None:
    """The contract the first ContractLinked event in ``order`` names (read in the history index's order:
    a lookup by id alone would go by the primary key, through no index of the history's own)."""
    after = session.execute(core_select(col(Event.after)).where(*where).order_by(*order).limit(1)).scalar()
    return (after or {}).get("contract")
