"""The demo portfolio: every step is one event, and an interrupted build finishes on the next run."""

import datetime as dt
from typing import Any

import pytest

from flows.common.runtime import database
from flows.common.settings import Settings
from flows.cycle.projects import board
from flows.cycle.stage_flows import run_stage_flow
from flows.demo.build import build_portfolio, demo_progress, unfinished
from flows.demo.portfolio import PORTFOLIO

pytestmark = pytest.mark.usefixtures("prefect_engine")

FINAL_STAGES = {
    "FAM-2026-01": "plan",
    "YJP-2025-02": "do",
    "HOM-2024-03": "review",
    "DAS-2026-01": "analyse",
    "CAR-2023-01": "analyse",
    "DAY-2021-01": "decommissioned",
    "SMT-2025-01": "review",
}


class Interrupted(Exception):
    pass


def test_an_interrupted_demo_finishes_where_it_stopped(settings: Settings) -> None:
    engine = database(settings)
    runs: list[int] = []

    def flaky(*args: Any, **kwargs: Any) -> dict[str, Any]:
        if len(runs) == 3:  # the fourth flow run never happens: as if Ctrl-C
            raise Interrupted
        runs.append(1)
        return run_stage_flow(*args, **kwargs)

    with pytest.raises(Interrupted):
        build_portfolio(settings, flaky, engine)
    half = demo_progress(engine)
    assert 0 < sum(half.values()) < sum(len(p.steps) + 1 for p in PORTFOLIO)

    build_portfolio(settings, run_stage_flow, engine)
    assert demo_progress(engine) == {p.ref: len(p.steps) + 1 for p in PORTFOLIO}
    assert {r["ref"]: r["stage"] for r in board(settings)} == FINAL_STAGES
    assert unfinished(engine) == []
    assert build_portfolio(settings, run_stage_flow, engine) == []


def test_the_demo_has_a_contract_with_three_kpis_rated_over_two_years_and_a_published_uk9(settings: Settings) -> None:
    from flows.demo.performance import PERFORMANCE_CONTRACT, build_performance
    from flows.performance.portfolio import portfolio
    from models.db import unit_of_work
    from models.performance.tables import ContractNotice, KpiReading

    build_portfolio(settings, run_stage_flow, database(settings))
    first = build_performance(settings)
    # 3 KPIs x 8 quarters (2024-Q3 to 2026-Q2), by hand from examples/hf-kpi-readings.csv:
    # tenancies (85, edge 80): 82 84 A, 86 87 85 G, 83 A, 86 88 G -> 3 A, 5 G;
    # entries (40, edges 35 and 25): 36 38 A, 41 42 G, 37 A, 33 RI, 39 A, 41 G -> 4 A, 3 G, 1 RI;
    # days (10 lower, edge 12): 12 11 A, 10 9 9 G, 11 A, 10 8 G -> 3 A, 5 G.
    assert first == {
        "readings": 24,
        "ratings": {"approaching_target": 10, "good": 13, "requires_improvement": 1},
    }
    again = build_performance(settings)
    assert again["readings"] == 24 and again["ratings"] == {}  # already there: nothing added
    with unit_of_work(database(settings)) as session:
        from sqlmodel import select

        notices = session.exec(select(ContractNotice)).all()
        assert [(n.kind, n.period, n.reference) for n in notices] == [("uk9", "2025-06-01..2026-05-31", "031416-2026")]
        assert len(session.exec(select(KpiReading)).all()) == 24
    [entry] = portfolio(settings, as_of=dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    assert (entry["contract"], entry["worst"], entry["uk9_overdue"]) == (PERFORMANCE_CONTRACT, "good", False)


def test_the_demo_refuses_a_database_with_a_user_or_data_it_did_not_make(settings: Settings) -> None:
    from flows.accounts.users import add_user, users
    from flows.common.errors import UserError
    from flows.demo.build import refuse_a_database_in_use

    refuse_a_database_in_use(settings)  # empty: the demo may start
    add_user(settings, username="boss", display_name="B", roles=["admin"], password="pw-long-2026", organisation=None,
             actor="os:boss (unauthenticated)")  # fmt: skip
    with pytest.raises(UserError, match=r"^demo: this database already holds users or data .* \(user boss\);"):
        refuse_a_database_in_use(settings)
    assert [u["username"] for u in users(settings)] == ["boss"]


def test_the_demo_refuses_a_database_an_earlier_version_made_without_migrating_it(settings: Settings) -> None:
    # the demo migrated first and refused after, so a live database on an older schema was left migrated, which
    # its own (older) version then refused (review)
    from flows.common.errors import UserError
    from flows.demo.build import refuse_a_database_in_use
    from models.db import schema_revision
    from models.migrate import downgrade, upgrade
    from models.revision import SCHEMA_REVISION

    earlier = f"{int(SCHEMA_REVISION) - 1:04d}"
    downgrade(database(settings), earlier)
    try:
        with pytest.raises(UserError, match=rf"^demo: the database at .* is at schema {earlier}, so an earlier"):
            refuse_a_database_in_use(settings)
        assert schema_revision(database(settings, require_schema=False)) == earlier
    finally:  # the database is shared with the worker's later tests
        upgrade(database(settings, require_schema=False))
    assert schema_revision(database(settings)) == SCHEMA_REVISION


def test_the_demo_carries_on_in_a_database_it_began(settings: Settings) -> None:
    from flows.demo.build import refuse_a_database_in_use
    from flows.demo.users import ensure_demo_users

    build_portfolio(settings, run_stage_flow, database(settings))
    ensure_demo_users(settings)
    refuse_a_database_in_use(settings)  # its own users and data: a second run goes on
