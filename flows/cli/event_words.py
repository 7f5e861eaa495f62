"""Events of the outbox, payment by results and procurement as a history says them: in words, with money as £,
days as days and instants in the organisation's zone, read from what each event stored (older events too)."""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from flows.cli.common import local
from flows.cli.performance_words import PERFORMANCE_SAID
from flows.common.settings import Settings
from policies.money import Money

Said = Callable[[dict[str, Any], dict[str, Any], Settings], str]


def _money(value: Any) -> str:
    try:
        return str(Money(Decimal(str(value))))
    except (InvalidOperation, ValueError):
        return str(value)


def _plural(n: Any, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _file(source: Any) -> str:
    return PurePath(str(source)).name if source else "a file"


def _kind(key: Any) -> str:
    """ "extension_decision:1" -> "extension decision" (the date beside it tells the instances apart)."""
    return str(key or "a key date").split(":")[0].replace("_", " ")


def _instant(iso: Any, cfg: Settings) -> str:
    try:
        return local(str(iso), cfg) if iso else ""
    except ValueError:
        return str(iso)


def _acknowledged(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    what = [_kind(after.get("key")), *([after["due_on"]] if after.get("due_on") else [])]
    if after.get("tag"):
        what.append(f"to {after['tag']}")
    stopped = after.get("steps_stopped") or 0
    tail = f"; {_plural(stopped, 'later step')} stopped" if stopped else ""
    return f"acknowledged reminder #{after.get('reminder')} ({', '.join(what)}){tail}"


def _snoozed(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    until = _instant(after.get("send_at"), cfg) or after.get("until", "")
    was = f" (was to go {_instant(before['send_at'], cfg)})" if before.get("send_at") else ""
    return f"snoozed reminder #{after.get('reminder')} until {until}{was}"


def _rate_card(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    outcomes = after.get("outcomes") or []
    said = f"rate card from {after.get('effective_from')}: {_plural(len(outcomes), 'outcome')}"
    if 0 < len(outcomes) <= 6:  # a long card is counted, not listed
        said += f" ({', '.join(str(o) for o in outcomes)})"
    over = after.get("cap_over_value")
    if over:
        cap, value = _money(over.get("contract_cap")), _money(over.get("contract_value"))
        said += f"; its cap {cap} is over the contract value {value}"
    return said


def _participants(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    return f"participants imported from {_file(after.get('source'))}: {after.get('added', 0)} added"


def _claims(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    parts = [f"{after['rows']} rows"] if "rows" in after else []
    if "accepted" in after:
        parts.append(f"{after['accepted']} accepted")
        if after.get("partly_accepted"):
            parts.append(f"{after['partly_accepted']} partly accepted")
        parts.append(f"{after.get('rejected', 0)} rejected")
    else:
        parts.append(_plural(after.get("claims", 0), "claim"))
    if "payable" in after:
        parts.append(f"payable {_money(after['payable'])}")
    return f"claims imported from {_file(after.get('source'))}: {', '.join(parts)}"


def _payment_run(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    claims = _plural(after.get("claims", 0), "claim")
    return f"payment run {after.get('period')}: {claims}, paid {_money(after.get('paid', '0'))}"


def _sample_drawn(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    minimum = after.get("minimum_size")
    below = f", below the minimum of {minimum}" if minimum is not None and after.get("size", 0) < minimum else ""
    return (
        f"sample for {after.get('period')} drawn: {after.get('size')} of {_plural(after.get('population'), 'claim')}"
        f" (seed {after.get('seed')}){below}"
    )


def _sample_checked(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    return f"sample checks recorded from {_file(after.get('source'))}: {after.get('recorded')}"


def _sample_concluded(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    return (
        f"sample for {after.get('period')} concluded: {after.get('error_rate')} in error by value "
        f"({_money(after.get('invalid_value', '0'))} of {_money(after.get('sampled_value', '0'))}), "
        f"{'interval ' + after['interval'] + ', ' if after.get('interval') else ''}"
        f"recovery {_money(after.get('recovery', '0'))}"
        f"{' at the ' + after['basis'].replace('_', ' ') if after.get('basis') else ''}"
    )


def _recovery_changed(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    what = "withdrawn" if after.get("withdrawn") else "recomputed"
    return (
        f"recovery for {after.get('period')} {what}: {_money(before.get('recovery', '0'))} before, "
        f"{_money(after.get('recovery', '0'))} after"
    )


def _check_corrected(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    return (
        f"sample check of claim {after.get('claim')} ({after.get('period')}) corrected: "
        f"{before.get('result')} to {after.get('result')}"
    )


def _key_date_handled(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    how = str(after.get("handled_as", "")).replace("-", " ")
    return f"{_kind(after.get('key'))} due {after.get('due_on')} handled: {how} on {after.get('handled_on')}"


def _participant_corrected(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    changed = [f"{k.replace('_', ' ')} {before.get(k)} to {v}" for k, v in after.items() if before.get(k) != v]
    return f"participant {after.get('participant')} corrected: {'; '.join(changed)}"


def _claim_redecided(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    clawed = after.get("clawed_back", "0.00")
    back = f", {_money(clawed)} clawed back" if clawed != "0.00" else ""
    return f"claim {after.get('claim')} re-decided: {before.get('verdict')} to {after.get('verdict')}{back}"


def _clawback(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    return f"clawback of {_money(after.get('amount', '0'))} on claim {after.get('claim')}"


def _clawback_reversed(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    return f"clawback on claim {after.get('claim')} reversed: {_money(after.get('amount', '0'))}"


def _day(value: Any) -> str:
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        return str(value)


def _milestone(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
    parts = []
    for field, word in (("actual_on", "actual"), ("planned_on", "planned")):
        now, was = after.get(field), before.get(field)
        if now and now != was:
            parts.append(f"{word} {_day(now)}" + (f" (was {_day(was)})" if was else ""))
        elif now and field == "planned_on" and not parts:
            parts.append(f"{word} {_day(now)}")
    replanned = after.get("replanned") or {}
    if replanned:
        moved = ", ".join(f"{str(k).replace('_', ' ')} {_day(v)}" for k, v in replanned.items())
        parts.append(f"replanned: {moved}")
    return "; ".join(parts)


def _proposal_step(verb: str) -> Said:
    def said(before: dict[str, Any], after: dict[str, Any], cfg: Settings) -> str:
        count = f", {after['approvals']} approvals" if after.get("approvals") else ""
        return f"{verb} {after.get('subject', 'a proposal')} (proposal {after.get('proposal')}, " \
               f"{_money(after.get('amount', '0'))}{count})"  # fmt: skip

    return said


SAID: dict[str, Said] = {
    "proposed": _proposal_step("proposed"),
    "approved": _proposal_step("approved"),
    "rejected": _proposal_step("rejected"),
    "expired": _proposal_step("expired, undecided:"),
    "ReminderAcknowledged": _acknowledged,
    "ReminderSnoozed": _snoozed,
    "rate_card_imported": _rate_card,
    "participants_imported": _participants,
    "claims_imported": _claims,
    "payment_run": _payment_run,
    "sample_drawn": _sample_drawn,
    "sample_checked": _sample_checked,
    "sample_concluded": _sample_concluded,
    "sample_check_corrected": _check_corrected,
    "recovery_withdrawn": _recovery_changed,
    "recovery_recomputed": _recovery_changed,
    "clawback": _clawback,
    "KeyDateHandled": _key_date_handled,
    "participant_corrected": _participant_corrected,
    "claim_redecided": _claim_redecided,
    "clawback_reversed": _clawback_reversed,
    **PERFORMANCE_SAID,
}


def event_said(e: dict[str, Any], cfg: Settings) -> str | None:
    """The event in words, with its reason after; None for an action this module does not speak."""
    action, after, before = e.get("action"), e.get("after") or {}, e.get("before") or {}
    if action == "MilestoneRecorded":  # the reason is the milestone's name
        name = str(e.get("reason") or "milestone").replace("_", " ")
        detail = _milestone(before, after, cfg)
        return f"{name}: {detail}" if detail else name
    render = SAID.get(str(action))
    if render is None:
        return None
    said = render(before, after, cfg)
    reason = e.get("reason")
    if reason and reason != f"payment run for {after.get('period')}":  # the run's reason says what it already says
        said += f": {reason}"
    return said
