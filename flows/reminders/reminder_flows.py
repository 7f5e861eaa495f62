"""The reminder sweep and delivery as a Prefect flow.

``sweep-reminders`` plans what is due into the outbox (task ``plan-reminders``),
delivers what is ready (task ``deliver-reminders``) and closes the pending
proposals whose time ran out (task ``expire-proposals``, each with its "expired"
event; reads and decisions do so too, so none waits for a reader). Inputs are
small and serialisable (an ``as_of`` instant, flags), so the flow runs the
same in-process, under ``commission serve``, or as a deployment on a Prefect
server. Import this module only after ``configure_prefect``.
"""

import datetime as dt
from typing import Any

from prefect import flow, get_run_logger, task

from flows.approvals.service import expire_stale
from flows.common.deployment_runs import published, refused_in_deployment
from flows.common.prefect_runs import local_run_settings, raise_refusal, refusable
from flows.common.settings import load_settings
from flows.reminders.delivery import deliver
from flows.reminders.sweep import sweep


@task(name="plan-reminders")
def plan_task(as_of: str, dry_run: bool) -> dict[str, Any]:
    return refusable(lambda: sweep(load_settings(), as_of=dt.datetime.fromisoformat(as_of), dry_run=dry_run).as_dict())


@task(name="deliver-reminders")
def deliver_task(as_of: str | None) -> dict[str, Any]:
    when = dt.datetime.fromisoformat(as_of) if as_of else None
    return refusable(lambda: deliver(load_settings(), as_of=when).as_dict())


@task(name="expire-proposals")
def expire_task() -> dict[str, Any]:
    # by the real clock, as at every read: expiry is never back-dated
    return refusable(lambda: {"expired": expire_stale(load_settings())})


@flow(name="sweep-reminders")
def sweep_reminders(
    as_of: str | None = None, dry_run: bool = False, send: bool = True, plan: bool = True
) -> dict[str, Any]:
    """Plan the reminders due by the end of ``as_of``'s day, then deliver every one that is ready.

    ``as_of`` None means now: a Prefect schedule (prefect.yaml) starts the flow with no inputs, so the clock
    is read here, once, at the edge of the run."""
    as_of = as_of or dt.datetime.now(dt.UTC).isoformat()
    logger = get_run_logger()
    result: dict[str, Any] = {}
    if plan:
        result["sweep"] = plan_task(as_of, dry_run)
        if "refused" in result["sweep"]:
            return refused_in_deployment(result["sweep"])  # type: ignore[no-any-return]
        logger.info("planned %d new reminder(s)", result["sweep"]["planned"])
    if send and not dry_run:
        # A sweep "as of" a past or future instant delivers as of it too; the live schedule passes the clock.
        result["delivery"] = deliver_task(as_of)
        if "refused" in result["delivery"]:
            return refused_in_deployment(result["delivery"])  # type: ignore[no-any-return]
        delivery = result["delivery"]
        logger.info(
            "%d message(s); %d reminder(s) sent (%d late), %d to retry, %d failed",
            delivery["messages"],
            delivery["sent"],
            delivery["late"],
            delivery["retrying"],
            delivery["failed"],
        )
    if not dry_run:
        expired = expire_task()
        if "refused" in expired:
            return refused_in_deployment(expired)  # type: ignore[no-any-return]
        result["expired"] = expired["expired"]
        logger.info("%d pending proposal(s) expired", result["expired"])
    return published(result)  # type: ignore[no-any-return]


def run_sweep(*, as_of: dt.datetime, dry_run: bool = False, send: bool = True, plan: bool = True) -> dict[str, Any]:
    """Run the sweep-reminders flow here; a refusal, or a failure from outside (the database, the disk), is raised
    as a UserError in one line."""
    with local_run_settings():
        return raise_refusal(sweep_reminders(as_of=as_of.isoformat(), dry_run=dry_run, send=send, plan=plan))
