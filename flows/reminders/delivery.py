"""Delivery: send what is ready in the outbox through notifications/, one message at a time.

Delivery claims ready rows one message at a time, sends through
notifications/, records each target's result and marks the rows sent, all in
the claim's transaction, so a crash loses nothing. A failed send is retried
with backoff up to the policy's limit, then stays visible as failed.
flows/reminders/reminder_flows.py runs it as a Prefect flow and
flows/reminders/scheduler.py on a timetable.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.reminders.policy import reminder_policy
from models.db import unit_of_work
from models.reminders.delivery import claim_group, delivered_targets, mark_failed_attempt, mark_sent, record_attempts
from notifications.base import Notifier, TargetResult
from notifications.templates import ReminderItem, render_digest
from policies.dates import local_date
from policies.reminders.ladders import Lead, ReminderPolicy


def notifier_for(settings: Settings) -> Notifier:
    """apprise, configured from the settings' file, or the console when there is none."""
    if settings.apprise_config is None:
        from notifications.console import ConsoleNotifier

        return ConsoleNotifier()
    from notifications.apprise_notifier import AppriseNotifier
    from notifications.base import NotifierConfigError

    try:
        return AppriseNotifier.from_config(settings.apprise_config)
    except NotifierConfigError as exc:
        raise UserError(str(exc)) from None


@dataclass
class DeliveryReport:
    messages: int = 0
    sent: int = 0  # reminders marked sent
    late: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0  # claimed but stale: the key date went, or the contract ended
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "sent": self.sent,
            "late": self.late,
            "retrying": self.retrying,
            "failed": self.failed,
            "cancelled": self.cancelled,
            "attempts": self.attempts,
        }


def deliver(
    settings: Settings,
    *,
    as_of: dt.datetime | None = None,
    notifier: Notifier | None = None,
    policy: ReminderPolicy | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> DeliveryReport:
    """Send every reminder that is ready (``as_of``, else the clock at each message), one message at a time.

    Each message is one transaction: claim (lock) its rows, send, record each
    target's result, mark the rows sent or schedule the retry. Bounded by the
    number of rows ready at the start: each message consumes at least one.
    """
    policy = policy or reminder_policy(settings)
    notifier = notifier or notifier_for(settings)
    engine = database(settings)

    def now_of() -> dt.datetime:
        if as_of is not None:
            return as_of
        return clock() if clock is not None else dt.datetime.now(dt.UTC)

    today = local_date(now_of(), settings.timezone)
    report = DeliveryReport()
    with engine.connect() as connection:
        bound = connection.execute(
            text("SELECT COUNT(*) FROM reminder WHERE status = 'pending'"),
        ).scalar_one()
    for _ in range(int(bound) + 1):
        with unit_of_work(engine) as session:
            now = now_of()
            group = claim_group(session=session, now=now, today=today, digest=policy.digest)
            if not group:
                break
            if group[0].get("stale"):
                report.cancelled += len(group)
                continue
            ids = [g["id"] for g in group]
            tag = group[0]["tag"]
            done = delivered_targets(session=session, reminder_ids=ids)
            try:
                group = with_missing_readings(session, group)
                message = render_digest(tag, [_item(g, now, today, policy) for g in group])
                results = notifier.send(tag, message, skip=frozenset(done))
            except Exception as exc:  # a bug or a broken plugin must not block the rest of the outbox
                results = [TargetResult("notifier", False, f"could not send: {type(exc).__name__}")]
            if not results and not done:
                results = [
                    TargetResult("apprise", False, f"no target in the apprise configuration has the tag {tag!r}")
                ]
            record_attempts(
                session=session, reminder_ids=ids, at=now, results=[(r.target, r.ok, r.error) for r in results]
            )
            report.messages += 1
            report.attempts += [{"tag": tag, "target": r.target, "ok": r.ok, "error": r.error} for r in results]
            if results and all(r.ok for r in results):
                late = {g["id"] for g in group if policy.is_late(g["send_at"], now)}
                mark_sent(session=session, reminder_ids=ids, at=now, late_ids=late)
                report.sent += len(ids)
                report.late += len(late)
                continue
            if not results:  # every target already has it: an earlier attempt succeeded for all
                mark_sent(session=session, reminder_ids=ids, at=now, late_ids=set())
                report.sent += len(ids)
                continue
            attempts = max(g["attempts"] for g in group) + 1
            errors = "; ".join(f"{r.target}: {r.error or 'failed'}" for r in results if not r.ok)
            if attempts >= policy.max_attempts:
                mark_failed_attempt(
                    session=session,
                    reminder_ids=ids,
                    retry_at=None,
                    reason=f"gave up after {attempts} attempts: {errors}",
                )
                report.failed += len(ids)
            else:
                retry_at = now + policy.retry_delay(attempts)
                mark_failed_attempt(session=session, reminder_ids=ids, retry_at=retry_at, reason=errors)
                report.retrying += len(ids)
    return report


def with_missing_readings(session: Any, group: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A quarterly monitoring reminder says which KPI readings are not in yet (flows/performance/monitoring.py)."""
    from flows.performance.monitoring import MONITORING, missing_readings, session_runner

    dates = [(g["ref"], g["due_on"]) for g in group if g["kind"] == MONITORING]
    said = missing_readings(session_runner(session), dates) if dates else {}
    return [
        {**g, "action": f"{g['action']} - {said[(g['ref'], g['due_on'])]}"}
        if g["kind"] == MONITORING and (g["ref"], g["due_on"]) in said
        else g
        for g in group
    ]


def _item(row: dict[str, Any], now: dt.datetime, today: dt.date, policy: ReminderPolicy) -> ReminderItem:
    return ReminderItem(
        reminder_id=row["id"],
        contract_ref=row["ref"],
        contract_title=row["title"],
        provider=row["provider"],
        kind=row["kind"],
        due_on=row["due_on"],
        days_left=(row["due_on"] - today).days,
        action=row["action"],
        who=row["who"],
        lead=str(Lead.parse(row["lead"])),
        late=policy.is_late(row["send_at"], now),
        escalation=row["escalation"],
    )
