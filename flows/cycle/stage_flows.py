"""The commissioning cycle as Prefect flows: one flow per stage.

Each flow looks at what the project has for its stage, asks the gate policy
whether it may move on, and saves the decision (and the move, if any) with
its events, all in one transaction with the project row locked, so the facts
cannot change between the look and the decision. Flows take only small, serialisable inputs
(the project reference, one ``as_of`` instant, who is acting), so they run the
same in-process or as deployments on a Prefect server.
"""

import datetime as dt
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.runtime import flow_run

from flows.common.deployment_runs import refused_in_deployment
from flows.common.prefect_runs import local_run_settings, raise_refusal, refusable
from flows.common.runtime import database, gate_policy
from flows.common.settings import load_settings
from flows.cycle.gates import AdvanceRequest, decide_gate
from policies.cycle.stages import Stage


@task(name="decide-gate")
def decide_gate_task(
    ref: str, stage: Stage, as_of: str, actor: str, to: str | None, reason: str | None
) -> dict[str, Any]:
    """Look at the project's evidence and records, try the gate, save the decision: one transaction."""
    settings = load_settings()
    return refusable(
        lambda: decide_gate(
            database(settings),
            gate_policy(settings),
            ref=ref,
            expected_stage=stage,
            target=Stage(to) if to else None,
            reason=reason,
            as_of=dt.datetime.fromisoformat(as_of),
            actor=actor,
            flow_run_id=str(flow_run.get_id() or "") or None,
        )
    )


def _run_stage(stage: Stage, ref: str, as_of: str, actor: str, to: str | None, reason: str | None) -> dict[str, Any]:
    logger = get_run_logger()
    result = decide_gate_task(ref, stage, as_of, actor, to, reason)
    if "refused" in result:  # not the gate's refusal (that is an outcome) but the task's: bad input, a failure
        return refused_in_deployment(result)  # type: ignore[no-any-return]
    for finding in result.get("findings", []):
        logger.info("%s: %s", ref, finding)
    logger.info("%s: %s gate %s; %d unmet", ref, stage.label, result["outcome"], len(result.get("unmet", [])))
    return result


@flow(name="analyse-stage", log_prints=False)
def analyse_stage(ref: str, as_of: str, actor: str, to: str | None = None, reason: str | None = None) -> dict[str, Any]:
    """Analyse: is there evidence of local need and of what works, strong enough to plan on?"""
    return _run_stage(Stage.ANALYSE, ref, as_of, actor, to, reason)


@flow(name="plan-stage")
def plan_stage(ref: str, as_of: str, actor: str, to: str | None = None, reason: str | None = None) -> dict[str, Any]:
    """Plan: is the business case approved, the specification final, the outcomes agreed, the route chosen?"""
    return _run_stage(Stage.PLAN, ref, as_of, actor, to, reason)


@flow(name="do-stage")
def do_stage(ref: str, as_of: str, actor: str, to: str | None = None, reason: str | None = None) -> dict[str, Any]:
    """Do: has the procurement ended in an award (later: an active contract)?"""
    return _run_stage(Stage.DO, ref, as_of, actor, to, reason)


@flow(name="review-stage")
def review_stage(ref: str, as_of: str, actor: str, to: str | None = None, reason: str | None = None) -> dict[str, Any]:
    """Review: what did the review decide: continue, or recommission, or decommission?"""
    return _run_stage(Stage.REVIEW, ref, as_of, actor, to, reason)


STAGE_FLOWS = {
    Stage.ANALYSE: analyse_stage,
    Stage.PLAN: plan_stage,
    Stage.DO: do_stage,
    Stage.REVIEW: review_stage,
}


def run_stage_flow(request: AdvanceRequest, *, as_of: dt.datetime, actor: str) -> dict[str, Any]:
    """Run the flow for the project's current stage on the Prefect engine; a failure from outside the program
    (the database, the disk) is raised as a UserError in one line."""
    stage_flow = STAGE_FLOWS[request.stage]
    with local_run_settings():
        return raise_refusal(
            stage_flow(
                ref=request.ref,
                as_of=as_of.isoformat(),
                actor=actor,
                to=request.target.value if request.target else None,
                reason=request.reason,
            )
        )
