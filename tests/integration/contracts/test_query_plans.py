"""Every read behind `show` and `contracts show` looks its rows up through an index, in the index's
own order where the table grows with the portfolio (contracts, key dates, events): SQLite's plan for
each query names an index, and for those no sort (USE TEMP B-TREE) either."""

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from flows.common.runtime import database, gate_policy
from flows.common.settings import Settings
from flows.contracts.detail import contract_detail
from flows.contracts.files import Row
from flows.contracts.importing import add_contracts
from flows.cycle.detail import project_detail
from flows.cycle.projects import create_project


def test_show_and_contracts_show_read_through_indexes_without_sorting(settings: Settings) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite's EXPLAIN QUERY PLAN")
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    create_project(
        settings, ref="HOM-2024-03", title="t", service_area="a", owner="o", description="", stage="do",
        as_of=when, actor="t",
    )  # fmt: skip
    fields = {"title": "t", "provider": "p", "project": "HOM-2024-03", "value": "100", "start": "2026-04-01"}
    rows = [Row("test", {**fields, "ref": f"C-{i}", "term": "3+1", "break_on": "2027-03-31"}) for i in range(8)]
    add_contracts(settings, rows[:7], as_of=when, actor="t")  # folded into one line of the history
    add_contracts(settings, rows[7:], as_of=when, actor="t")  # shown as it is
    statements: list[tuple[str, Any]] = []
    engine = database(settings)

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "alembic_version" not in statement:
            statements.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        project_detail(settings, gate_policy(settings), "HOM-2024-03")
        contract_detail(settings, "C-1")
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert len(statements) >= 5
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as db:
        for statement, params in statements:
            plan = [step[-1] for step in db.execute("EXPLAIN QUERY PLAN " + statement, params)]
            searches = [step for step in plan if not step.startswith("USE TEMP B-TREE")]
            # A look-up by an integer primary key (the rowid) is the table's own index.
            by_index = ("INDEX", "INTEGER PRIMARY KEY")
            assert all(step.startswith("SEARCH") and any(i in step for i in by_index) for step in searches), (
                statement,
                plan,
            )
            grows = any(f"FROM {table} " in statement for table in ("contract", "contract_key_date", "event"))
            assert not (grows and len(searches) < len(plan)), (statement, plan)  # a portfolio-sized sort
