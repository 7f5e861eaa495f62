"""A project's contracts as `show` and the gate read them in SQL agree with the policy's rules, and an
import's links fold into one history line that still names who linked them and when."""

import datetime as dt

from sqlmodel import col, select

from flows.common.runtime import database, gate_policy
from flows.common.settings import Settings
from flows.contracts.files import Row
from flows.contracts.importing import add_contracts
from flows.cycle.detail import project_detail
from flows.cycle.projects import create_project
from models.contracts import Contract
from models.cycle import projects_by_ref, saved_id
from models.db import unit_of_work
from models.project_contracts import FOLD_ABOVE, contracts_in_force, status_counts
from policies.contracts.status import ContractStatus, status_on

WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _project(settings: Settings) -> None:
    create_project(
        settings, ref="HOM-2024-03", title="t", service_area="a", owner="o", description="", stage="do",
        as_of=WHEN, actor="t",
    )  # fmt: skip


def _row(i: int, start: str, term: str) -> Row:
    fields = {"title": "t", "provider": "p", "project": "HOM-2024-03", "value": "100", "start": start, "term": term}
    return Row(f"f.csv:{i + 2}", {**fields, "ref": f"C-{i:02d}"}, i + 2)


def test_status_and_in_force_in_sql_agree_with_the_policy(settings: Settings) -> None:
    _project(settings)
    starts = ["2020-01-31", "2024-02-29", "2025-06-01", "2026-03-01", "2027-01-01"]
    rows = [_row(i, start, term) for i, (start, term) in enumerate((s, t) for s in starts for t in ("1", "2+1"))]
    add_contracts(settings, rows, as_of=WHEN, actor="t")
    with unit_of_work(database(settings)) as session:
        stored = list(session.exec(select(Contract).order_by(col(Contract.ref))))  # C-00 terminated, C-01 in notice
        stored[0].status, stored[1].status = ContractStatus.TERMINATED.value, ContractStatus.IN_NOTICE.value
        stored[2].extensions_used = 1
        session.flush()
        pid = saved_id(projects_by_ref(session=session, refs=["HOM-2024-03"])["HOM-2024-03"])
        for day in (dt.date(2019, 1, 1), dt.date(2025, 1, 31), dt.date(2026, 3, 1), dt.date(2027, 2, 28)):
            expected = [status_on(c.to_terms(), ContractStatus(c.status), day) for c in stored]
            counts = {s.value: expected.count(s) for s in ContractStatus if expected.count(s)}
            assert status_counts(session=session, project_id=pid, day=day) == counts
            live = sorted(c.ref for c, s in zip(stored, expected, strict=True) if s.is_live)
            found = contracts_in_force(session=session, project_id=pid, day=day, limit=3)
            assert (found.refs, found.count) == (tuple(live[:3]), len(live))
        session.rollback()


def test_an_imports_links_are_one_history_line(settings: Settings) -> None:
    _project(settings)
    add_contracts(settings, [_row(i, "2025-06-01", "3") for i in range(FOLD_ABOVE + 3)], as_of=WHEN, actor="ann")
    add_contracts(settings, [_row(40, "2025-06-01", "3")], as_of=WHEN, actor="bob")
    detail = project_detail(settings, gate_policy(settings), "HOM-2024-03")
    links = [e for e in detail["history"] if e["action"] == "ContractLinked"]
    assert [(e["actor"], e["after"].get("contracts")) for e in links] == [("ann", FOLD_ABOVE + 3), ("bob", None)]
    assert links[0]["after"]["first"] == "C-00" and links[0]["after"]["last"] == f"C-{FOLD_ABOVE + 2:02d}"
    assert links[1]["after"]["contract"] == "C-40"
    assert detail["contracts"]["total"] == FOLD_ABOVE + 4
    assert any("Contract(s) in force: C-00" in f for f in detail["gate"]["findings"])
