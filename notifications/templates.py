"""Reminder messages as plain text: pure rendering, no I/O, no clock.

A digest is one message for one recipient tag listing all of that recipient's
key dates, soonest first. Every item carries the literal text ``reminder #<id>``
and the command that acknowledges it.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from notifications.base import Message

APP = "Commissioning"
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class ReminderItem:
    reminder_id: int
    contract_ref: str
    contract_title: str
    provider: str
    kind: str  # e.g. "break_notice_deadline"
    due_on: dt.date
    days_left: int  # negative when the date has passed
    action: str  # the sentence saying what to do
    who: str  # who must act
    lead: str  # e.g. "30 days" or "6 months"
    late: bool  # this reminder is going out later than planned
    escalation: bool = False  # sent to the escalation tag because nobody acknowledged the last step
    retry: bool = False  # an earlier send of it failed: late because of that, not because the system was down


def kind_words(kind: str) -> str:
    """``break_notice_deadline`` -> ``break notice deadline``."""
    return " ".join(kind.replace("_", " ").replace("-", " ").split())


def days_left_words(days_left: int) -> str:
    if days_left == 0:
        return "today"
    if days_left > 0:
        return f"in {_days(days_left)}"
    return f"{_days(-days_left)} ago, missed"


def digest_order(items: Sequence[ReminderItem]) -> list[ReminderItem]:
    """Soonest first; ties by contract reference, then reminder id."""
    return sorted(items, key=lambda item: (item.due_on, item.contract_ref, item.reminder_id))


def render_digest(tag: str, items: Sequence[ReminderItem]) -> Message:
    """One message for the recipient ``tag`` listing every item, soonest first.

    Raises ValueError for an empty list: there is nothing to tell anyone.
    """
    if not items:
        raise ValueError("render_digest needs at least one reminder item")
    ordered = digest_order(items)
    first = ordered[0]
    late = sum(1 for item in ordered if item.late)
    escalations = sum(1 for item in ordered if item.escalation)

    if len(ordered) == 1:
        title = f"{APP}: {first.contract_ref} {kind_words(first.kind)} on {first.due_on.isoformat()}"
        if first.late:
            title += " (LATE)"
    else:
        title = f"{APP}: {len(ordered)} key dates need action, the first on {first.due_on.isoformat()}"
        if late:
            title += f" ({late} LATE)"
    if escalations:
        title = f"ESCALATION: {title}"

    lines = [f"Key dates needing action, for {tag}, soonest first ({_count(len(ordered), 'item')})."]
    if escalations:
        lines.append(
            f"ESCALATION: nobody acknowledged the last reminder for {_count(escalations, 'item')} marked ESCALATION."
        )
    retried = sum(1 for item in ordered if item.late and item.retry)
    if late - retried:
        lines.append(
            f"LATE: {_count(late - retried, 'reminder')} marked LATE {_is(late - retried)} going out later than "
            "planned (the system was not running when it was due)."
        )
    if retried:
        lines.append(
            f"RETRY: {_count(retried, 'reminder')} marked RETRY {_is(retried)} going out later than planned because "
            "an earlier send failed: this is a retry of that failed send."
        )
    for number, item in enumerate(ordered, start=1):
        lines.append("")
        lines.extend(_block(number, item))
    lines.append("")
    lines.append("Acknowledging a reminder stops the rest of its ladder, and its escalation, for that key date.")
    return Message(title=title, body="\n".join(lines) + "\n")


def _block(number: int, item: ReminderItem) -> list[str]:
    late = " [RETRY]" if item.retry else " [LATE]"
    marks = "".join(mark for flag, mark in ((item.escalation, " [ESCALATION]"), (item.late, late)) if flag)
    return [
        f"{number}. reminder #{item.reminder_id}{marks}",
        f"   Date: {item.due_on.isoformat()} ({_WEEKDAYS[item.due_on.weekday()]}), {days_left_words(item.days_left)}",
        f"   Contract: {item.contract_ref} {item.contract_title}",
        f"   Provider: {item.provider}",
        f"   Key date: {kind_words(item.kind)} (reminder {item.lead} before)",
        f"   Action: {item.action}",
        f"   Who must act: {item.who}",
        f"   Acknowledge: commission reminders ack {item.reminder_id}",
    ]


def _days(n: int) -> str:
    return _count(n, "day")


def _is(n: int) -> str:
    return "is" if n == 1 else "are"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
