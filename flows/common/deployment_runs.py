"""Long work run here, or submitted as a deployment run to a Prefect server's workers: the one switch.

``COMMISSIONING_RUN_MODE=deployments``, with ``PREFECT_API_URL`` naming a Prefect server where
``commission deploy`` registered prefect.yaml's deployments, makes the long work of the CLI (``claims import``,
``pay``, ``sample``, ``reconcile``, ``sweep``, ``deliver``) and of the web app (a claims upload, a period paid,
a sweep) a flow run of the matching deployment: a worker of the pool runs it, wherever it is, and the user is
told the flow run's id and its state. Unset, or ``in-process``, runs the flow in this process, as on one machine.
The mode is chosen by a setting, never guessed from PREFECT_API_URL alone: serve's own loopback Prefect API also
sets that, and has no workers.

A refusal (bad input, a period not yet ended) ends a deployment run FAILED with the refusal as its message
(``refused``), so the submitter says it in the same words as in-process. Files named in the parameters must be
at the same path on the workers (a shared disk); the web app's uploads are under the data dir.

Example::

    COMMISSIONING_RUN_MODE=deployments PREFECT_API_URL=http://127.0.0.1:4200/api commission reconcile FCF-2025-01
    # Flow run 5b0c... of reconcile/reconcile on the Prefect server: Completed.
"""

import os
import time
from collections.abc import Callable
from typing import Any

from flows.common.errors import UserError

RUN_MODE = "COMMISSIONING_RUN_MODE"
IN_PROCESS, DEPLOYMENTS = "in-process", "deployments"
WAIT = "COMMISSIONING_RUN_WAIT_SECONDS"  # how long a submitter waits for the final state; the run goes on after
DEFAULT_WAIT_SECONDS = 3600.0
POLL_SECONDS = 1.0
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
REFUSED = "Refused: "  # a Failed state's message that is a refusal, not a failure


def run_mode() -> str:
    """``in-process`` (the default) or ``deployments``; a bad value, or deployments with no server, is refused."""
    mode = os.environ.get(RUN_MODE, "").strip().lower() or IN_PROCESS
    if mode not in (IN_PROCESS, DEPLOYMENTS):
        raise UserError(f"{RUN_MODE} {mode!r} is not a mode; use {IN_PROCESS} (the default) or {DEPLOYMENTS}")
    if mode == DEPLOYMENTS and not os.environ.get("PREFECT_API_URL"):
        raise UserError(
            f"{RUN_MODE}={DEPLOYMENTS} needs PREFECT_API_URL naming the Prefect server where `commission deploy` "
            "registered the deployments, e.g. http://127.0.0.1:4200/api"
        )
    return mode


def wait_seconds() -> float:
    raw = os.environ.get(WAIT, "").strip()
    try:
        seconds = float(raw) if raw else DEFAULT_WAIT_SECONDS
    except ValueError:
        raise UserError(f"{WAIT} {raw!r} is not a number of seconds") from None
    if seconds < 0:
        raise UserError(f"{WAIT} {raw!r} is negative; give the seconds to wait for a run, 0 not to wait")
    return seconds


def submit(
    deployment: str, parameters: dict[str, Any], *, progress: Callable[[str], None] = lambda stage: None
) -> dict[str, Any]:
    """Start a run of ``deployment`` ("flow/deployment") and wait, at most COMMISSIONING_RUN_WAIT_SECONDS, for
    its final state. Returns the run's id, deployment, state and message; a FAILED, CRASHED or CANCELLED run is
    a UserError saying why (a refusal in the flow's own words)."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    limit = wait_seconds()
    try:
        run: Any = run_deployment(name=deployment, parameters=parameters, timeout=0)
    except ObjectNotFound:
        raise UserError(
            f"the Prefect server at {os.environ.get('PREFECT_API_URL')} has no deployment {deployment}; "
            "run `commission deploy` first"
        ) from None
    progress(f"Submitted to the Prefect server's workers as flow run {run.id} ({deployment}); waiting for a worker")
    deadline = time.monotonic() + limit
    with get_client(sync_client=True) as client:
        while run.state is None or run.state.type.value not in FINAL:
            if time.monotonic() >= deadline:
                break
            time.sleep(POLL_SECONDS)
            run = client.read_flow_run(run.id)
            if run.state is not None:
                progress(f"Flow run {run.id} ({deployment}) on the Prefect server: {run.state.name}")
    return outcome(str(run.id), deployment, run.state)


def outcome(run_id: str, deployment: str, state: Any) -> dict[str, Any]:
    """What a submitter says of a run in ``state``; a run that ended badly is a UserError."""
    kind = state.type.value if state is not None else "SCHEDULED"
    name = state.name if state is not None else "Scheduled"
    message = (state.message or "").strip() if state is not None else ""
    if kind in ("FAILED", "CRASHED", "CANCELLED"):
        why = message or "no reason given; see the flow run's logs on the Prefect server"
        if kind == "FAILED" and message.startswith(REFUSED):
            raise UserError(message.removeprefix(REFUSED))  # in the flow's own words, as in-process
        raise UserError(f"flow run {run_id} of {deployment} ended {name}: {why}")
    return {"flow_run": run_id, "deployment": deployment, "state": kind, "state_name": name, "message": message}


def sentence(result: dict[str, Any]) -> str:
    """One line for a submitted run: its id and where it got to."""
    still = "" if result["state"] in FINAL else "; it goes on after the wait: follow it on the Prefect server"
    run, deployment, state = result["flow_run"], result["deployment"], result["state_name"]
    return f"Flow run {run} of {deployment} on the Prefect server: {state}{still}."


def refused_in_deployment(result: dict[str, Any]) -> Any:
    """A flow's result, or, for a refusal in a run of a deployment, a Failed state with the refusal as its
    message (its submitter elsewhere cannot read the result, only the state)."""
    if "refused" not in result:
        return result
    from prefect.runtime import deployment

    if deployment.id is None:
        return result
    from prefect.states import Failed

    return Failed(message=REFUSED + str(result["refused"]))
