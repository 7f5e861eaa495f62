"""``commission deploy``: register prefect.yaml's deployments with a Prefect server, on a process work pool.

The list of deployments (names, entrypoints, schedules) lives in one place, ``prefect.yaml`` at the root of the
project's code, so ``prefect deploy --all`` and this command agree. This command adds what the YAML cannot say
portably: the directory the workers load the code from (``--source``, the same checkout path on every worker),
and a pool it creates if missing. A cron schedule carries its time zone (Europe/London): Prefect's plain
``cron=`` is UTC and would move an hour at each clock change (shared/PITFALLS.md).

Example::

    PREFECT_API_URL=http://127.0.0.1:4200/api commission deploy --source /srv/commissioning
"""

import os
from pathlib import Path
from typing import Any

from flows.common.errors import UserError
from flows.common.prefect_check import check_prefect_api
from flows.common.runtime import configure_prefect
from flows.common.settings import Settings

MANIFEST = "prefect.yaml"
POOL_TYPE = "process"
# A flow run whose machine dies stays Running on the server: nothing is left to say otherwise. So each run
# sends a heartbeat every HEARTBEAT_SECONDS (Prefect's minimum is 30), and an automation marks a run that has
# been silent for SILENT_SECONDS Crashed: Prefect's documented zombie detection ("Detect zombie flows").
HEARTBEAT_SECONDS = 30
SILENT_SECONDS = 90
ZOMBIES = "commissioning: mark silent flow runs crashed"


def read_manifest(source: Path) -> list[dict[str, Any]]:
    """prefect.yaml's deployments, each checked for a name and an entrypoint."""
    import yaml

    path = source / MANIFEST
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{path}: cannot be read: {exc.strerror or exc}; --source names the project's code") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: is not valid YAML: {str(exc).splitlines()[0]}") from None
    deployments = document.get("deployments") if isinstance(document, dict) else None
    if not isinstance(deployments, list) or not deployments:
        raise UserError(f"{path}: has no deployments list")
    for n, item in enumerate(deployments, 1):
        if not isinstance(item, dict) or not item.get("name") or not item.get("entrypoint"):
            raise UserError(f"{path}: deployment {n} needs a name and an entrypoint")
    return deployments


def deploy_all(settings: Settings, *, source: Path, pool: str) -> list[str]:
    """Create the pool if missing and every deployment; return one line per thing done."""
    url = os.environ.get("PREFECT_API_URL")
    if not url:
        raise UserError(
            "PREFECT_API_URL is not set: name the Prefect server to deploy to, e.g. http://127.0.0.1:4200/api"
        )
    manifest = read_manifest(source)
    configure_prefect(settings)
    check_prefect_api(url)  # before the pool is made: a server that is down is one line, not a traceback
    from prefect import Flow
    from prefect.schedules import Cron

    lines = [_ensure_pool(pool), _ensure_zombie_automation()]
    for item in manifest:
        schedules = [Cron(s["cron"], timezone=s.get("timezone", "UTC")) for s in item.get("schedules") or []]
        flow: Any = Flow.from_source(source=str(source), entrypoint=item["entrypoint"])
        # to_deployment + apply, not flow.deploy: 3.8.8's deploy asks the server for the pool's workers with
        # limit=None, which its own server refuses (422).
        deployment = flow.to_deployment(
            name=item["name"],
            schedules=schedules,
            parameters=item.get("parameters") or {},
            description=item.get("description"),
            job_variables={"env": {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_SECONDS)}},
        )
        deployment.apply(work_pool_name=pool)
        when = "; ".join(f"{s['cron']} {s.get('timezone', 'UTC')}" for s in item.get("schedules") or []) or "on demand"
        lines.append(f"Deployment {flow.name}/{item['name']} on pool {pool}: {when}.")
    return lines + _contract_schedules(settings)


def _contract_schedules(settings: Settings) -> list[str]:
    """What the daily scheduled-payment-runs deployment will find in payment-runs.toml: each contract's next run
    day, or why it will be reported instead (flows/pbr/run_schedules.py). Nothing is planned ahead."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from flows.pbr.run_schedules import FILE, planned_runs, read_run_schedules

    lines = []
    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    for ref, schedule in sorted(read_run_schedules(settings).items()):
        try:
            [next_run] = planned_runs(settings, ref, schedule, after=today, count=1)
        except (UserError, ValueError) as exc:  # ValueError: a run day past the bank holidays known (DaysUnknown)
            lines.append(f"Warning: {FILE}: {ref}: {exc}; its runs will be reported, not proposed.")
            continue
        lines.append(
            f"Payment runs of {ref} ({schedule.frequency.value}, working day {schedule.working_day}): next on "
            f"{next_run.day.isoformat()} for {next_run.period.label}, proposed by scheduled-payment-runs."
        )
    return lines


def _ensure_pool(pool: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            existing = client.read_work_pool(pool)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=pool, type=POOL_TYPE))
            return f"Work pool {pool} ({POOL_TYPE}) created."
    if existing.type != POOL_TYPE:
        raise UserError(f"work pool {pool} exists but is a {existing.type} pool; use a {POOL_TYPE} pool (--pool)")
    return f"Work pool {pool} ({POOL_TYPE}) already there."


def _ensure_zombie_automation() -> str:
    """The automation that marks a flow run Crashed once its heartbeats stop (a worker killed, a machine lost)."""
    from datetime import timedelta

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    with get_client(sync_client=True) as client:
        if client.read_automations_by_name(name=ZOMBIES):
            return f"Automation '{ZOMBIES}' already there."
    ended = {f"prefect.flow-run.{s}" for s in ("Completed", "Failed", "Cancelled", "Crashed")}
    automation = AutomationCore(
        name=ZOMBIES,
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", *ended},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=SILENT_SECONDS),
        ),
        actions=[
            ChangeFlowRunState(
                name=None,
                state=StateType.CRASHED,
                message=f"No heartbeat for {SILENT_SECONDS} s: its worker or machine stopped.",
                force=False,
            )
        ],
    )
    with get_client(sync_client=True) as client:
        client.create_automation(automation)
    return f"Automation '{ZOMBIES}' created: a flow run silent for {SILENT_SECONDS} s is marked Crashed."
