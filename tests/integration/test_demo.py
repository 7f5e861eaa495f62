"""The demo portfolio: every step is one event, and an interrupted build finishes on the next run."""

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
