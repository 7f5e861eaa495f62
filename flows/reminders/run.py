"""Running the sweep flow on demand, from the CLI (`commission sweep`, `deliver`) or the reminders page, and the
sentences both say about its result.

Example: ``sweep_sentence(result["sweep"])`` is "Sweep for 2026-12-07 (send days after 2026-12-06): would plan
3 new reminder(s); 0 changed contract(s) re-planned."
"""

from typing import Any

from flows.common.settings import Settings


def run_reminder_flow(settings: Settings, *, here: bool = False, wait: bool = True, **kwargs: Any) -> dict[str, Any]:
    """Refuse a bad reminder policy or apprise file before Prefect starts, then run the sweep-reminders flow.

    With COMMISSIONING_RUN_MODE=deployments a sweep or delivery that writes is submitted to the Prefect server's
    workers (the sweep deployment), waited for unless not ``wait``, and the result is the flow run's id and state
    with the flow's own ``result`` once it completed; a dry run, which only
    shows what would be planned, still runs here, and so does the demo's (``here``)."""
    from flows.common.deployment_runs import DEPLOYMENTS, run_mode, submit
    from flows.common.runtime import start_prefect
    from flows.reminders.delivery import notifier_for
    from flows.reminders.policy import reminder_policy

    reminder_policy(settings)
    if not kwargs.get("dry_run"):  # a dry run sends nothing: it shows what would be planned whatever the targets
        refuse_lost_tags(notifier_for(settings), settings)
    submitting = not here and run_mode() == DEPLOYMENTS and not kwargs.get("dry_run")  # refused before Prefect
    start_prefect(settings)
    if submitting:
        parameters = {**kwargs, "as_of": kwargs["as_of"].isoformat()}
        return submit("sweep-reminders/sweep", parameters, wait=wait)
    from flows.reminders.reminder_flows import run_sweep

    return run_sweep(**kwargs)


def refuse_lost_tags(notifier: Any, settings: Settings) -> None:
    """Refuse to run when an apprise entry apprise could not use carried a tag no other entry carries: the
    reminders for that tag would be retried and then fail. Nothing is lost by not running (the outbox keeps
    them) until the file is fixed. A bad entry whose tags other entries carry is only warned of. The file is named
    without its folder: the web's sweep page shows this sentence, and the server's paths are not for its users."""
    lost = notifier.lost_tags() if hasattr(notifier, "lost_tags") else []
    if lost:
        from flows.common.errors import UserError

        config = settings.apprise_config.name if settings.apprise_config is not None else "the apprise config"
        entries = "; ".join(str(e) for e in notifier.bad_entries if set(e.tags) & set(lost))
        raise UserError(
            f"apprise config {config}: {entries}. No entry apprise can use carries the tag(s) "
            f"{', '.join(lost)}, so their reminders could not be sent: fix the entry, or tag a working one"
        )


def sweep_sentence(sweep: dict[str, Any]) -> str:
    """What a sweep (or its dry run) planned, in one sentence."""
    window = f"send days after {sweep['window_start']}" if sweep["window_start"] else "first sweep"
    verb = "would plan" if sweep["dry_run"] else "planned"
    return (
        f"Sweep for {sweep['day']} ({window}): {verb} {sweep['planned']} new reminder(s); "
        f"{sweep['replanned_contracts']} changed contract(s) re-planned."
    )


def planned_line(p: dict[str, Any]) -> str:
    """One reminder a sweep plans (or would plan)."""
    return (
        f"{p['send_at'][:16]}Z  {p['contract']}  {p['kind'].replace('_', ' ')} {p['due_on']}  "
        f"{p['lead']} before -> {p['tag']}{'  (escalation)' if p['escalation'] else ''}"
    )
