"""Payment by results as Prefect flows: import-claims, payment-run, sample-validation and reconcile.

Inputs are small and serialisable (paths, references, an ``as_of`` instant),
so the flows run the same in-process or as deployments. Each flow does its
work in one task and one transaction. A refusal (bad input, a period not yet
ended) is the flow's result, ``{"refused": "..."}``: the run completes, and
the CLI turns it into a one-line error and a non-zero exit. Import this
module only after ``configure_prefect``.
"""

import datetime as dt
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task

from flows.common.deployment_runs import DEPLOYMENTS, published, refused_in_deployment, run_mode, submit
from flows.common.prefect_runs import local_run_settings, raise_refusal, refusable
from flows.common.settings import load_settings


@task(name="validate-and-store-claims")
def claims_task(path: str, as_of: str, actor: str, report: str | None, contract: str | None) -> dict[str, Any]:
    from flows.pbr.claims_import import import_claims
    from flows.pbr.claims_report import write_rejections

    when = dt.datetime.fromisoformat(as_of)

    def work() -> dict[str, Any]:
        written = None if report is None else Path(report)  # every problem, when the file is refused as malformed
        done = import_claims(load_settings(), Path(path), as_of=when, actor=actor, problems=written, only=contract)
        if report is not None:  # every rejection, by line: the result lists only the first (claims_report.LISTED)
            write_rejections(done, Path(report))
        return done.as_dict()

    return refusable(work)


@flow(name="import-claims")
def import_claims_flow(
    path: str, as_of: str, actor: str, report: str | None = None, contract: str | None = None
) -> dict[str, Any]:
    """Validate a claims file against the rate card and store every claim with its verdict, or nothing; with
    ``report``, write every rejected or partly accepted claim, by line, to that CSV; with ``contract``, refuse
    a file holding any other contract's claims (an upload on that contract's page)."""
    result = claims_task(path, as_of, actor, report, contract)
    if "refused" in result:
        return refused_in_deployment(result)  # type: ignore[no-any-return]
    get_run_logger().info(
        "%d row(s): %d accepted, %d partly, %d rejected, %d unchanged",
        result["rows"],
        result["accepted"],
        result["partly_accepted"],
        result["rejected"],
        result["unchanged"],
    )
    return published(result)  # type: ignore[no-any-return]


@task(name="price-and-propose")
def pay_task(contract: str, period: str, as_of: str, actor: str) -> dict[str, Any]:
    from flows.pbr.payment_runs import propose_payment_run

    when = dt.datetime.fromisoformat(as_of)
    return refusable(lambda: propose_payment_run(load_settings(), contract, period, as_of=when, actor=actor))


@flow(name="payment-run")
def payment_run_flow(contract: str, period: str, as_of: str, actor: str) -> dict[str, Any]:
    """Propose paying a contract's period in arrears (its preview and DRAFT schedules); approval pays it."""
    result = pay_task(contract, period, as_of, actor)
    if "refused" in result:
        return refused_in_deployment(result)  # type: ignore[no-any-return]
    if result["proposal"] is not None:
        p = result["proposal"]
        get_run_logger().info("%s %s: proposal %s would pay %s", contract, period, p["id"], p["amount"])
    return published(result)  # type: ignore[no-any-return]


@task(name="propose-runs-due-today")
def scheduled_pay_task(day: str, now: str) -> dict[str, Any]:
    from flows.pbr.run_schedules import run_day, scheduled_payment_runs

    when = dt.datetime.fromisoformat(now)
    return refusable(lambda: scheduled_payment_runs(load_settings(), day=run_day(day), now=when))


@flow(name="scheduled-payment-runs")
def scheduled_payment_runs_flow(day: str | None = None) -> Any:
    """Each day (the cron in prefect.yaml): propose the payment run of every contract in payment-runs.toml whose
    run day it is; a second finance user approves each. A contract not known, or a run refused, ends the run
    Failed, naming each, after the others are proposed.

    ``day`` (YYYY-MM-DD) defaults to the day the run was scheduled for, in the organisation's zone, so a run
    a worker starts late still does that day's work."""
    from zoneinfo import ZoneInfo

    from prefect.runtime import flow_run
    from prefect.states import Failed

    from flows.pbr.run_schedules import result_lines

    now = dt.datetime.now(dt.UTC)  # read once, at the edge of the run
    scheduled = flow_run.scheduled_start_time or now
    when = day or scheduled.astimezone(ZoneInfo(load_settings().timezone)).date().isoformat()
    result = scheduled_pay_task(when, now.isoformat())
    if "refused" in result:
        return refused_in_deployment(result)
    logger = get_run_logger()
    for line in result_lines(result):
        logger.info("%s", line)
    if result["problems"]:
        return Failed(message="; ".join(f"not proposed: {p}" for p in result["problems"]), data=result)
    return result


@task(name="sample-and-recover")
def sample_task(
    contract: str, period: str, size: int, seed: int, results: str | None, as_of: str, actor: str, reason: str | None
) -> dict[str, Any]:
    from flows.pbr.sampling import sample_validation

    return refusable(
        lambda: sample_validation(
            load_settings(),
            contract,
            period,
            size=size,
            seed=seed,
            results=Path(results) if results else None,
            as_of=dt.datetime.fromisoformat(as_of),
            actor=actor,
            reason=reason,
        ).as_dict()
    )


@flow(name="sample-validation")
def sample_validation_flow(
    contract: str,
    period: str,
    size: int,
    seed: int,
    results: str | None,
    as_of: str,
    actor: str,
    reason: str | None = None,
) -> dict[str, Any]:
    """Draw a seeded sample of a run's paid claims, record checks, and propose the clawbacks and the recovery."""
    return published(sample_task(contract, period, size, seed, results, as_of, actor, reason))  # type: ignore[no-any-return]


@task(name="reconcile-contract")
def reconcile_task(contract: str) -> dict[str, Any]:
    from flows.pbr.reconcile import reconcile

    return refusable(lambda: reconcile(load_settings(), contract).as_dict())


@flow(name="reconcile")
def reconcile_flow(contract: str) -> dict[str, Any]:
    """Claimed, accepted, rejected by reason, capped, paid, clawed back, outstanding and headroom."""
    return published(reconcile_task(contract))  # type: ignore[no-any-return]


def run(
    flow_name: str, *, progress: Any = None, here: bool = False, wait: bool = True, **kwargs: Any
) -> dict[str, Any]:
    """Run one of these flows on the Prefect engine; a refusal becomes a UserError again.

    With COMMISSIONING_RUN_MODE=deployments (and not ``here``, which the demo asks for), the run is submitted
    to the Prefect server's workers instead (waiting for it unless not ``wait``): the result is then the flow
    run's id and state, with the flow's own ``result`` once it completed (flows/common/deployment_runs.py),
    each deployment named as its flow in prefect.yaml."""
    if not here and run_mode() == DEPLOYMENTS:
        return submit(f"{flow_name}/{flow_name}", kwargs, progress=progress or (lambda stage: None), wait=wait)
    flows: dict[str, Any] = {
        "import-claims": import_claims_flow,
        "payment-run": payment_run_flow,
        "sample-validation": sample_validation_flow,
        "reconcile": reconcile_flow,
    }
    with local_run_settings():
        result: dict[str, Any] = flows[flow_name](**kwargs)
    return raise_refusal(result)
