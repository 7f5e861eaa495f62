"""The import-kpi-readings flow (the deployment a worker runs for `commission kpis import` in deployments mode)
on the real Prefect engine: it stores and rates what the import does, and a bad file is its refusal, in the
import's words, with nothing stored. The deployment run itself: tests/e2e/test_worker_results.py."""

from pathlib import Path

import pytest

from flows.common.prefect_runs import local_run_settings
from flows.common.settings import Settings
from tests.integration.performance.conftest import REF

pytestmark = pytest.mark.usefixtures("prefect_engine")
AS_OF = "2026-01-05T10:00:00+00:00"


def test_the_flow_rates_and_stores_each_reading_once_and_refuses_a_bad_file_whole(
    contract: Settings, tmp_path: Path
) -> None:
    from flows.performance.performance_flows import import_kpi_readings_flow

    good = tmp_path / "readings.csv"
    good.write_text(
        "contract,kpi,period,value\n"
        f"{REF},Tenancies sustained,2025-Q2,86\n"  # target 85, higher is better: Good
        f"{REF},Days to first appointment,2025-Q2,13\n",  # target 10, edges 12 and 15: Requires improvement
        encoding="utf-8",
    )
    with local_run_settings():
        done = import_kpi_readings_flow(path=str(good), as_of=AS_OF, actor="kim")
        again = import_kpi_readings_flow(path=str(good), as_of=AS_OF, actor="kim")
    assert done == {"file": str(good), "added": 2, "unchanged": 0, "contracts": 1,
                    "ratings": {"good": 1, "requires_improvement": 1}}  # fmt: skip
    assert (again["added"], again["unchanged"]) == (0, 2)

    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"contract,kpi,period,value\n{REF},Cost per person,2025-Q2,11000\n{REF},Tenancies kept,2025-Q2,90\n",
        encoding="utf-8",
    )
    with local_run_settings():
        refused = import_kpi_readings_flow(path=str(bad), as_of=AS_OF, actor="kim")
    assert set(refused) == {"refused"} and f"{bad}:3: kpi:" in refused["refused"], refused
    cost = tmp_path / "cost.csv"  # the bad file's good row alone: not stored by the refused run, so new now
    cost.write_text(f"contract,kpi,period,value\n{REF},Cost per person,2025-Q2,11000\n", encoding="utf-8")
    with local_run_settings():
        after = import_kpi_readings_flow(path=str(cost), as_of=AS_OF, actor="kim")
    assert (after["added"], after["unchanged"], after["ratings"]) == (1, 0, {"good": 1})
