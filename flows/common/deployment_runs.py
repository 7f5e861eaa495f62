"""Long work run here, or submitted as a deployment run to a Prefect server's workers: the one switch.

``COMMISSIONING_RUN_MODE=deployments``, with ``PREFECT_API_URL`` naming a Prefect server where
``commission deploy`` registered prefect.yaml's deployments, makes the long work of the CLI (``claims import``,
``pay``, ``sample``, ``reconcile``, ``sweep``, ``deliver``, ``kpis import``) and of the web app (a claims upload,
a period paid, a sweep) a flow run of the matching deployment: a worker of the pool runs it, wherever it is, and
the user is told the flow run's id and its state. Unset, or ``in-process``, runs the flow in this process, as on
one machine (``kpis import`` does its import without Prefect). The mode is chosen by a setting, never guessed
from PREFECT_API_URL alone: serve's own loopback Prefect API also sets that, and has no workers.

A refusal (bad input, a period not yet ended) ends a deployment run FAILED with the refusal as its message
(``refused``), so the submitter says it in the same words as in-process. Files named in the parameters must be
at the same path on the workers (a shared disk); the web app's uploads are under the data dir.

Example::

    COMMISSIONING_RUN_MODE=deployments PREFECT_API_URL=http://127.0.0.1:4200/api commission reconcile FCF-2025-01
    # Flow run 5b0c... of reconcile/reconcile on the Prefect server: Completed.
    # (then the reconciliation's tables, as in-process)
"""

import json
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
RESULT = "commissioning-result"  # the type of the artifact a deployment run publishes its result in
LISTED = 50  # rows of a long list a published result keeps (the CLI shows 50): rejected claims, failed sends


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
    deployment: str,
    parameters: dict[str, Any],
    *,
    progress: Callable[[str], None] = lambda stage: None,
    wait: bool = True,
) -> dict[str, Any]:
    """Start a run of ``deployment`` ("flow/deployment") and wait, at most COMMISSIONING_RUN_WAIT_SECONDS (not
    at all unless ``wait``), for its final state. Returns the run's id, deployment, state and message, and, for
    a completed run that published one, its ``result``; a FAILED, CRASHED or CANCELLED run is a UserError saying
    why (a refusal in the flow's own words)."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    limit = wait_seconds() if wait else 0.0
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
        said = outcome(str(run.id), deployment, run.state)
        if said["state"] == "COMPLETED":
            result = _published(client, run.id)
            if result is not None:
                said["result"] = result
    return said


def _published(client: Any, run_id: Any) -> dict[str, Any] | None:
    """The result a run published (``published``), or None (a flow that publishes none)."""
    # Prefect's own API, not read_artifacts: 3.8.8's client sends null for the filters left out, which its
    # server refuses (422), and an empty task-run filter joins task runs, which a flow's artifact has none of.
    body = {
        "artifacts": {"flow_run_id": {"any_": [str(run_id)]}, "type": {"any_": [RESULT]}},
        "sort": "CREATED_DESC",
        "limit": 1,
        "offset": 0,
    }
    response = client.request("POST", "/artifacts/filter", json=body)
    response.raise_for_status()
    found = response.json()
    if not found:
        return None
    data = found[0]["data"]
    result: dict[str, Any] = json.loads(data) if isinstance(data, str) else data
    return result


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
    still = "" if result["state"] in FINAL else "; it goes on without this command: follow it on the Prefect server"
    run, deployment, state = result["flow_run"], result["deployment"], result["state_name"]
    return f"Flow run {run} of {deployment} on the Prefect server: {state}{still}."


def shown(result: dict[str, Any]) -> dict[str, Any]:
    """What a page shows of long work: in deployment mode, the run's own published result (as in-process, its
    long lists cut to LISTED), with the run's sentence as ``submitted``; a run not waited for, or still going,
    stays its id and state (``flow_run``); in-process, the result as it is."""
    if "flow_run" in result and isinstance(result.get("result"), dict):
        return {**result["result"], "submitted": sentence(result)}
    return result


def published(result: dict[str, Any]) -> Any:
    """A flow's result, as ``refused_in_deployment`` returns it; in a run of a deployment a result that is not
    a refusal is also published on the Prefect server, an artifact of the run, for its submitter to read back.

    The published copy is plain JSON (money and dates as text, as ``--json`` prints them), with the import's
    rejected claims and a delivery's attempts cut to LISTED (a delivery's failures only: the successes are
    counted), each with ``<list>_omitted`` counting the rest. A result carries no secret: no database URL, no
    target's credentials (the notifier scrubs them from its errors)."""
    if "refused" in result:
        return refused_in_deployment(result)
    from prefect.runtime import deployment

    if deployment.id is None:
        return result
    from prefect.artifacts import Artifact

    data = json.loads(json.dumps(shortened(result), default=str))
    Artifact(type=RESULT, data=data, description="The run's result, for `commission` to say").create()
    return result


def shortened(result: dict[str, Any]) -> dict[str, Any]:
    """``result`` with its long lists cut to LISTED rows, and ``<list>_omitted`` counting what was left out."""

    def cut(table: dict[str, Any], name: str, rows: list[Any]) -> dict[str, Any]:
        kept = rows[:LISTED]
        return {**table, name: kept, f"{name}_omitted": len(table[name]) - len(kept)}

    out = dict(result)
    if isinstance(out.get("rejections"), list):
        out = cut(out, "rejections", out["rejections"])
    delivery = out.get("delivery")
    if isinstance(delivery, dict) and isinstance(delivery.get("attempts"), list):
        out["delivery"] = cut(delivery, "attempts", [a for a in delivery["attempts"] if not a.get("ok")])
    return out


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
