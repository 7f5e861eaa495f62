"""Contract performance as a Prefect flow: import-kpi-readings, the assessment of a file of KPI readings (each
checked and rated as it is stored: flows/performance/readings_import.py), deployed like the claims import.

With COMMISSIONING_RUN_MODE=deployments, ``commission kpis import FILE`` submits a run of this flow's deployment
to the Prefect server's workers and says its result in the same words as on one machine; otherwise the command
does the import itself, in its own process (a readings file is one transaction, and needs no Prefect server).
A refusal (a bad row anywhere) ends the deployment run Failed with the refusal's words, and nothing is stored.
Import this module only after ``configure_prefect``.

Example::

    COMMISSIONING_RUN_MODE=deployments PREFECT_API_URL=http://127.0.0.1:4200/api commission kpis import r.csv
    # Flow run 3f1c... of import-kpi-readings/import-kpi-readings on the Prefect server: Completed.
    # Imported 2 reading(s) for 1 contract(s); 0 already there, unchanged.
"""

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task

from flows.common.deployment_runs import published
from flows.common.prefect_runs import refusable
from flows.common.settings import load_settings

DEPLOYMENT = "import-kpi-readings/import-kpi-readings"


@task(name="check-rate-and-store-readings")
def readings_task(path: str, as_of: str, actor: str) -> dict[str, Any]:
    from flows.performance.readings_import import import_readings

    when = dt.datetime.fromisoformat(as_of)

    def work() -> dict[str, Any]:
        return dataclasses.asdict(import_readings(load_settings(), Path(path), as_of=when, actor=actor))

    return refusable(work)


@flow(name="import-kpi-readings")
def import_kpi_readings_flow(path: str, as_of: str, actor: str) -> dict[str, Any]:
    """Check every KPI reading of a CSV or XLSX file and store them all, each rated, in one transaction; or, with
    every bad row named, nothing."""
    result = readings_task(path, as_of, actor)
    if "refused" not in result:
        get_run_logger().info(
            "%d reading(s) added for %d contract(s); %d unchanged", result["added"], result["contracts"],
            result["unchanged"],
        )  # fmt: skip
    return published(result)  # type: ignore[no-any-return]
