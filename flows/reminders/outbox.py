"""Reminders: sweep the key dates into the outbox, deliver the outbox, acknowledge and snooze.

The sweep plans (policies/reminders/ladders.py) what is due from the key-date table
and inserts it idempotently. Delivery claims ready rows one message at a
time, sends through notifications/, records each target's result and marks
the rows sent, all in the claim's transaction, so a crash loses nothing. A
failed send is retried with backoff up to the policy's limit, then stays
visible as failed. These are plain functions; flows/reminders/reminder_flows.py runs
them as Prefect flows and flows/reminders/scheduler.py on a timetable.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, text

from flows.common.calendars import working_day_calendar
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from models.db import unit_of_work
from models.events import append_event
from models.reminders import (
    ACKED,
    CANCELLED,
    FAILED,
    PENDING,
    SENT,
    STATUSES,
    Reminder,
    ReminderSweep,
    cancel_escalation,
    cancel_other_steps,
    claim_group,
    delivered_targets,
    insert_planned,
    key_dates_in_ranges,
    key_dates_to_replan,
    last_swept_through,
    mark_failed_attempt,
    mark_sent,
    recipient_states,
    record_attempts,
)
from notifications.base import Notifier, TargetResult
from notifications.templates import ReminderItem, render_digest
from policies.calendars import Nation, WorkingDayCalendar
from policies.dates import add_months, local_date
from policies.reminders.ladders import (
    KeyDateFact,
    Lead,
    LeadUnit,
    PlannedReminder,
    ReminderPolicy,
    build_reminder_policy,
    due_on_ranges,
    has_step_between,
    parse_policy_text,
    plan_reminders,
    send_instant,
)

DEFAULT_POLICY_NAME = "shipped reminders.toml"


def reminder_policy(settings: Settings) -> ReminderPolicy:
    """The shipped reminder policy, overridden key by key by the user's file, if any."""
    documents = []
    doc, problems = parse_policy_text(
        files("policies").joinpath("reminders.toml").read_text(encoding="utf-8"), DEFAULT_POLICY_NAME
    )
    if doc is not None:
        documents.append((DEFAULT_POLICY_NAME, doc))
    path = settings.reminder_policy_file
    if path is not None:
        try:
            user_text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UserError(f"reminder policy file {path} does not exist (COMMISSIONING_REMINDER_POLICY)") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"reminder policy file {path} cannot be read: {exc}") from None
        user_doc, more = parse_policy_text(user_text, str(path))
        problems += more
        if user_doc is not None:
            documents.append((str(path), user_doc))
    policy, more = build_reminder_policy(documents) if not problems else (None, [])
    problems += more
    if policy is None:
        raise UserError("the reminder policy is not valid: " + "; ".join(str(p) for p in problems))
    return policy


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


# --------------------------------------------------------------------------- sweep


@dataclass
class SweepReport:
    as_of: dt.datetime
    today: dt.date
    window_start: dt.date | None
    planned: int = 0  # new rows in the outbox
    replanned_contracts: int = 0
    dry_run: bool = False
    would_plan: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "day": self.today.isoformat(),
            "window_start": self.window_start.isoformat() if self.window_start else None,
            "planned": self.planned,
            "replanned_contracts": self.replanned_contracts,
            "dry_run": self.dry_run,
            **({"would_plan": self.would_plan} if self.dry_run else {}),
        }


def _calendar_for(nation: str) -> WorkingDayCalendar:
    return working_day_calendar(Nation(nation))


def _furthest_due(policy: ReminderPolicy, today: dt.date) -> dt.date:
    """The latest key date that can have a step due by ``today``."""
    latest = today
    for lead in policy.leads:
        ahead = today + dt.timedelta(days=lead.amount) if lead.unit is LeadUnit.DAYS else add_months(today, lead.amount)
        latest = max(latest, ahead)
    return latest + dt.timedelta(days=17)


def sweep(
    settings: Settings, *, as_of: dt.datetime, dry_run: bool = False, policy: ReminderPolicy | None = None
) -> SweepReport:
    """Plan every reminder due by the end of ``as_of``'s day (in the organisation's zone) into the outbox.

    Reads the key dates whose steps fall since the last sweep (index range
    scans) and every key date of contracts changed since then; the cost
    follows what is due and what changed, not the size of the portfolio.
    """
    policy = policy or reminder_policy(settings)
    zone = settings.timezone
    today = local_date(as_of, zone)
    with unit_of_work(database(settings)) as session:
        last = last_swept_through(session=session)
        window_start = min(last, today) if last is not None else None
        facts: dict[tuple[int, str, dt.date], KeyDateFact] = {}
        calendar_for = _calendar_for
        if window_start is not None:
            ranges = due_on_ranges(policy, after=window_start, through=today)
            for fact in key_dates_in_ranges(session=session, ranges=ranges, today=today):
                if has_step_between(fact, policy, after=window_start, through=today, calendar_for=calendar_for):
                    facts[(fact.contract_id, fact.key, fact.due_on)] = fact
        oldest = today - dt.timedelta(days=policy.catch_up_days)
        changed, replan_ids = key_dates_to_replan(
            session=session, oldest=oldest, latest=_furthest_due(policy, today), today=today
        )
        for fact in changed:
            facts[(fact.contract_id, fact.key, fact.due_on)] = fact
        states = recipient_states(session=session, contract_ids={k[0] for k in facts})
        planned = plan_reminders(
            facts.values(),
            policy,
            zone=zone,
            today=today,
            window_start=window_start,
            states=states,
            calendar_for=calendar_for,
            now=as_of,
        )
        report = SweepReport(as_of, today, window_start, replanned_contracts=len(replan_ids), dry_run=dry_run)
        if dry_run:
            refs = _refs(session, {p.contract_id for p in planned})
            report.would_plan = [
                _planned_public(p, refs) for p in sorted(planned, key=lambda p: (p.send_at, p.due_on, p.tag))
            ]
            report.planned = len(planned)
            session.rollback()
            return report
        report.planned = insert_planned(session=session, planned=planned, now=as_of)
        session.add(
            ReminderSweep(
                as_of=as_of,
                window_start=window_start,
                through=max(today, last) if last is not None else today,
                planned=report.planned,
                replanned_contracts=len(replan_ids),
            )
        )
    return report


def _refs(session: Any, contract_ids: set[int]) -> dict[int, str]:
    if not contract_ids:
        return {}
    rows = session.execute(
        text("SELECT id, ref FROM contract WHERE id IN :ids").bindparams(bindparam("ids", expanding=True)),
        {"ids": sorted(contract_ids)},
    )
    return {int(i): str(r) for i, r in rows}


def _planned_public(p: PlannedReminder, refs: dict[int, str]) -> dict[str, Any]:
    return {
        "contract": refs.get(p.contract_id, str(p.contract_id)),
        "key": p.key,
        "kind": p.kind,
        "due_on": p.due_on.isoformat(),
        "lead": p.lead.code,
        "tag": p.tag,
        "send_at": p.send_at.isoformat(),
        "escalation": p.escalation,
    }


# --------------------------------------------------------------------------- delivery


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


# --------------------------------------------------------------------------- acknowledge, snooze, list


def _reminder_for_update(session: Any, reminder_id: int) -> Reminder:
    from sqlmodel import select

    row: Reminder | None = session.exec(select(Reminder).where(Reminder.id == reminder_id).with_for_update()).first()
    if row is None:
        raise UserError(f"there is no reminder #{reminder_id}; see `commission reminders list`")
    return row


def _contract_ref(session: Any, contract_id: int) -> str:
    return str(session.execute(text("SELECT ref FROM contract WHERE id = :i"), {"i": contract_id}).scalar_one())


def acknowledge(settings: Settings, reminder_id: int, *, as_of: dt.datetime, actor: str) -> dict[str, Any]:
    """Stop the rest of the ladder for this key date and this recipient; a second ack changes nothing."""
    with unit_of_work(database(settings)) as session:
        row = _reminder_for_update(session, reminder_id)
        if row.status == ACKED:
            return {**_public(row, _contract_ref(session, row.contract_id)), "changed": False}
        if row.status == CANCELLED:
            raise UserError(
                f"reminder #{reminder_id} was cancelled ({row.closed_reason}); there is nothing to acknowledge"
            )
        before = row.status
        row.status, row.acked_at, row.acked_by = ACKED, as_of, actor
        session.add(row)
        session.flush()
        stopped = cancel_other_steps(session=session, reminder=row, reason=f"acknowledged with reminder #{row.id}")
        stopped += cancel_escalation(session=session, reminder=row, reason=f"acknowledged with reminder #{row.id}")
        ref = _contract_ref(session, row.contract_id)
        append_event(
            session=session,
            effective_at=as_of,
            actor=actor,
            entity="contract",
            entity_ref=ref,
            action="ReminderAcknowledged",
            before={"reminder": row.id, "status": before},
            after={
                "reminder": row.id,
                "status": ACKED,
                "key": row.key_date_key,
                "due_on": row.due_on.isoformat(),
                "tag": row.tag,
                "steps_stopped": stopped,
            },
        )
        return {**_public(row, ref), "changed": True, "steps_stopped": stopped}


def snooze(settings: Settings, reminder_id: int, *, until: dt.date, as_of: dt.datetime, actor: str) -> dict[str, Any]:
    """Send this reminder again on ``until`` (at the send time), and no earlier step of its ladder before then."""
    policy = reminder_policy(settings)
    today = local_date(as_of, settings.timezone)
    with unit_of_work(database(settings)) as session:
        row = _reminder_for_update(session, reminder_id)
        if row.status not in (PENDING, SENT, FAILED):
            raise UserError(
                f"reminder #{reminder_id} is {row.status}; only a pending, sent or failed one can be snoozed"
            )
        if until <= today:
            raise UserError(f"--until {until} is not after today ({today}); snooze to a later day")
        if until > row.due_on:
            raise UserError(
                f"--until {until} is after the key date itself ({row.due_on}); snooze to {row.due_on} at the latest, "
                "or acknowledge the reminder"
            )
        before = {"reminder": row.id, "status": row.status, "send_at": row.send_at.isoformat()}
        at = send_instant(until, policy, settings.timezone)
        row.status, row.snoozed_until, row.send_at, row.next_attempt_at = PENDING, until, at, at
        row.attempts, row.late, row.closed_reason = 0, False, None
        session.add(row)
        session.flush()
        cancel_other_steps(session=session, reminder=row, reason=f"snoozed with reminder #{row.id}", before=at)
        ref = _contract_ref(session, row.contract_id)
        append_event(
            session=session,
            effective_at=as_of,
            actor=actor,
            entity="contract",
            entity_ref=ref,
            action="ReminderSnoozed",
            before=before,
            after={"reminder": row.id, "status": PENDING, "until": until.isoformat(), "send_at": at.isoformat()},
        )
        return _public(row, ref)


def list_reminders(
    settings: Settings, *, status: str | None = None, limit: int = 1000, reminder_id: int | None = None
) -> list[dict[str, Any]]:
    if status is not None and status not in STATUSES:
        raise UserError(f"--status {status!r} is not a status; use {', '.join(STATUSES)}")
    from sqlmodel import col, select

    with unit_of_work(database(settings)) as session:
        stmt = select(Reminder)
        if status is not None:
            stmt = stmt.where(Reminder.status == status)
        if reminder_id is not None:
            stmt = stmt.where(Reminder.id == reminder_id)
        rows = list(session.exec(stmt.order_by(col(Reminder.send_at), col(Reminder.id)).limit(limit)))
        refs = _refs(session, {r.contract_id for r in rows})
        errors: dict[int, str] = {}
        failing = [r.id for r in rows if r.status in (PENDING, FAILED) and r.attempts and r.id is not None]
        for i in range(0, len(failing), 5000):
            for reminder_id, error in session.execute(
                text(
                    "SELECT reminder_id, error FROM reminder_attempt WHERE NOT ok AND reminder_id IN :ids ORDER BY id"
                ).bindparams(bindparam("ids", expanding=True)),
                {"ids": failing[i : i + 5000]},
            ):
                errors[reminder_id] = error
        return [{**_public(r, refs.get(r.contract_id, "?")), "last_error": errors.get(r.id or 0)} for r in rows]


def attempts_of(settings: Settings, reminder_id: int) -> list[dict[str, Any]]:
    with unit_of_work(database(settings)) as session:
        rows = session.execute(
            text("SELECT attempted_at, target, ok, error FROM reminder_attempt WHERE reminder_id = :i ORDER BY id"),
            {"i": reminder_id},
        )
        return [{"attempted_at": str(a), "target": t, "ok": bool(ok), "error": e} for a, t, ok, e in rows]


def _public(row: Reminder, ref: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "contract": ref,
        "key": row.key_date_key,
        "kind": row.kind,
        "due_on": row.due_on.isoformat(),
        "lead": row.lead,
        "tag": row.tag,
        "escalation": row.escalation,
        "status": row.status,
        "send_at": row.send_at.isoformat(),
        "attempts": row.attempts,
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        "late": row.late,
        "snoozed_until": row.snoozed_until.isoformat() if row.snoozed_until else None,
        "acked_by": row.acked_by,
        "reason": row.closed_reason,
    }
