"""A command's long work submitted as a run of a deployment on the Prefect server's workers
(COMMISSIONING_RUN_MODE=deployments), for work that otherwise runs in the command without Prefect.

Example: ``submitted(cfg, "import-kpi-readings/import-kpi-readings", {...}, as_json=False, wait=True)`` says
"Flow run 3f1c... of import-kpi-readings/import-kpi-readings on the Prefect server: Completed." and returns the
run's published result, the same dict as the work returns in-process.
"""

import contextlib
import sys
from typing import Any

from flows.common.settings import Settings


def submitted(
    cfg: Settings, deployment: str, parameters: dict[str, Any], *, as_json: bool, wait: bool
) -> dict[str, Any]:
    """Submit a run of ``deployment`` and wait for it (unless not ``wait``): its result once it completed, its
    sentence said first (on stderr with --json); a run not waited for, or still going, ends the command with its
    id and state (flows/cli/pbr.said_submitted); a refusal in the run is a UserError in the flow's words."""
    from flows.cli.pbr import said_submitted
    from flows.common.deployment_runs import submit
    from flows.common.runtime import start_prefect

    start_prefect(cfg)
    with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
        result = submit(deployment, parameters, wait=wait)
    return said_submitted(result, as_json=as_json)
