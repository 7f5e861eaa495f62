"""Delivery: send what is ready in the outbox through notifications/, a batch of messages at a time.

Delivery claims the ready rows of up to BATCH_MESSAGES messages, sends them
through notifications/, records each target's result and marks the rows sent, all
in the claim's transaction, committed once per batch, so a crash loses
nothing and re-sends at most the batch in flight (at least once, never
lost). A failed send is retried with backoff up to the policy's limit, then
stays visible as failed. flows/reminders/reminder_flows.py runs it as a
Prefect flow and flows/reminders/scheduler.py on a timetable.
"""

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.reminders.policy import reminder_policy
from models.db import unit_of_work
from models.reminders.delivery import claim_batch, delivered_targets, mark_failed_attempt, mark_sent, record_attempts
from notifications.base import Notifier, TargetResult
from notifications.templates import ReminderItem, render_digest
from policies.dates import local_date
from policies.reminders.ladders import Lead, ReminderPolicy

# Messages sent per transaction: the claim, the attempts and the marks of a batch are committed once. A
# crash mid-batch sends the batch's messages again, so this is also the most a crash can duplicate.
BATCH_MESSAGES = 50
# A batch starts no new message after this long, so a slow target does not hold SQLite's write lock for long.
BATCH_SECONDS = 2.0


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
    batch: int = BATCH_MESSAGES,
) -> DeliveryReport:
    """Send every reminder that is ready (``as_of``, else the clock at each batch), ``batch`` messages at a time.

    Each batch is one transaction: claim (lock) the rows of up to ``batch`` messages, send them one after
    another, record each target's result, mark the rows sent or schedule the retry. A batch stops starting
    new messages after BATCH_SECONDS (a slow target must not hold SQLite's write lock for long); the rows
    it did not start stay pending for the next batch. Bounded by the number of rows ready at the start:
    each batch consumes at least one.
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
            groups, cancelled = claim_batch(
                session=session, now=now, today=today, digest=policy.digest, messages=max(1, batch)
            )
            report.cancelled += cancelled
            if not groups and not cancelled:
                break
            reached = delivered_targets(session=session, reminder_ids=[g["id"] for group in groups for g in group])
            groups = _readings(session, groups)
            started = time.monotonic()
            sent: list[tuple[list[dict[str, Any]], list[TargetResult]]] = []
            for group in groups:
                if sent and time.monotonic() - started > BATCH_SECONDS:
                    break  # the rest stay pending, unlocked at commit, for the next batch
                done = set.intersection(*(reached.get(g["id"], set()) for g in group))
                sent.append((group, _send(notifier, group, now, today, policy, done)))
            record_attempts(
                session=session,
                at=now,
                messages=[
                    ([g["id"] for g in group], [(r.target, r.ok, r.error) for r in results]) for group, results in sent
                ],
            )
            _settle(session, sent, now, policy, report)
    return report


def _send(
    notifier: Notifier,
    group: list[dict[str, Any]],
    now: dt.datetime,
    today: dt.date,
    policy: ReminderPolicy,
    done: set[str],
) -> list[TargetResult]:
    """Send one message to every target of its tag that has not had it; one result per target tried."""
    tag = group[0]["tag"]
    try:
        message = render_digest(tag, [_item(g, now, today, policy) for g in group])
        results = notifier.send(tag, message, skip=frozenset(done))
    except Exception as exc:  # a bug or a broken plugin must not block the rest of the outbox
        results = [TargetResult("notifier", False, f"could not send: {type(exc).__name__}")]
    if not results and not done:
        results = [TargetResult("apprise", False, f"no target in the apprise configuration has the tag {tag!r}")]
    return results


def _settle(
    session: Any,
    sent: list[tuple[list[dict[str, Any]], list[TargetResult]]],
    now: dt.datetime,
    policy: ReminderPolicy,
    report: DeliveryReport,
) -> None:
    """Mark each message's rows sent (all in one statement) or schedule their retry, and count them."""
    delivered: list[int] = []
    late: set[int] = set()
    for group, results in sent:
        ids = [g["id"] for g in group]
        report.messages += 1
        report.attempts += [{"tag": group[0]["tag"], "target": r.target, "ok": r.ok, "error": r.error} for r in results]
        # No results: every target already had it, so an earlier attempt succeeded for all.
        if all(r.ok for r in results):
            delivered += ids
            if results:
                late |= {g["id"] for g in group if policy.is_late(g["send_at"], now)}
            continue
        attempts = max(g["attempts"] for g in group) + 1
        errors = "; ".join(f"{r.target}: {r.error or 'failed'}" for r in results if not r.ok)
        if attempts >= policy.max_attempts:
            reason = f"gave up after {attempts} attempts: {errors}"
            mark_failed_attempt(session=session, reminder_ids=ids, retry_at=None, reason=reason)
            report.failed += len(ids)
        else:
            retry_at = now + policy.retry_delay(attempts)
            mark_failed_attempt(session=session, reminder_ids=ids, retry_at=retry_at, reason=errors)
            report.retrying += len(ids)
    if delivered:
        mark_sent(session=session, reminder_ids=delivered, at=now, late_ids=late)
        report.sent += len(delivered)
        report.late += len(late)


def _readings(session: Any, groups: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """with_missing_readings for a whole batch, in one look-up."""
    rows = with_missing_readings(session, [g for group in groups for g in group])
    out, at = [], 0
    for group in groups:
        out.append(rows[at : at + len(group)])
        at += len(group)
    return out


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
        retry=bool(row["attempts"]),  # an earlier send failed: its lateness is the retry's, not downtime's
    )
