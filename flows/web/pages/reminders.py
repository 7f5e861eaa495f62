"""Reminders: the signed-in user's (addressed to their user name or one of their roles), with Acknowledge
and Snooze; an auditor sees every reminder and changes none."""

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from flows.accounts.users import Principal
from flows.common.errors import UserError
from flows.reminders.outbox import acknowledge, list_reminders, snooze
from flows.reminders.policy import reminder_policy
from flows.web.params import RowNumber
from flows.web.render import back_with_errors, flash, principal, render, see_other
from policies.accounts.roles import Role
from policies.dates import local_date, parse_iso_date
from policies.reminders.ladders import Role as Ladder

router = APIRouter()


def _mine(request: Request, status: str | None) -> list[dict[str, Any]]:
    who = principal(request)
    rows = list_reminders(request.app.state.settings, status=status or None, limit=2000)
    if who.has(Role.AUDITOR):
        return rows
    return [r for r in rows if r["tag"] in my_tags(request.app.state.settings, who)]


def my_tags(settings: Any, who: Principal) -> set[str]:
    """The reminder tags addressed to this user: their user name, and for a commissioner the tags the reminder
    policy gives the owner, commissioning and escalation roles."""
    tags = {who.username}
    if who.has(Role.COMMISSIONER):
        policy_tags = reminder_policy(settings).tags
        tags |= {policy_tags[r] for r in (Ladder.OWNER, Ladder.COMMISSIONING, Ladder.ESCALATION) if r in policy_tags}
    return tags


def _require_mine(request: Request, reminder_id: int) -> None:
    if not any(r["id"] == reminder_id for r in _mine(request, None)):
        raise HTTPException(404, "There is no such reminder for you.")


@router.get("/reminders", include_in_schema=False)
async def reminders_page(request: Request, status: str = "") -> Any:
    try:
        rows = await run_in_threadpool(_mine, request, status)
    except UserError as exc:
        raise HTTPException(400, str(exc)) from None
    today = local_date(dt.datetime.now(dt.UTC), request.app.state.settings.timezone)
    return render(
        request,
        "reminders.html",
        {"title": "Your reminders", "rows": rows, "status": status, "today": today.isoformat()},
    )


@router.get("/api/v1/reminders")
async def reminders_api(request: Request, status: str = "") -> list[dict[str, Any]]:
    """The signed-in user's reminders (an auditor: all of them)."""
    return await run_in_threadpool(_mine, request, status)


def _ack(request: Request, reminder_id: int) -> dict[str, Any]:
    _require_mine(request, reminder_id)
    return acknowledge(
        request.app.state.settings, reminder_id, as_of=dt.datetime.now(dt.UTC), actor=principal(request).username
    )


@router.post("/reminders/{reminder_id}/acknowledge", include_in_schema=False)
async def ack_post(request: Request, reminder_id: RowNumber) -> Any:
    try:
        await run_in_threadpool(_ack, request, reminder_id)
    except UserError as exc:
        flash(request, str(exc), kind="warning")
        return see_other("/reminders")
    flash(request, f"Reminder {reminder_id} acknowledged.")
    return see_other("/reminders")


@router.post("/api/v1/reminders/{reminder_id}/acknowledge")
async def ack_api(request: Request, reminder_id: RowNumber) -> dict[str, Any]:
    """Acknowledge one of your reminders: no more are sent for it."""
    return await run_in_threadpool(_ack, request, reminder_id)


def _snooze(request: Request, reminder_id: int, until_text: str) -> str | None:
    _require_mine(request, reminder_id)
    until, why = parse_iso_date(until_text.strip()) if until_text.strip() else (None, "is missing")
    if until is None:
        return f"Snooze until: the date {why}"
    try:
        snooze(
            request.app.state.settings,
            reminder_id,
            until=until,
            as_of=dt.datetime.now(dt.UTC),
            actor=principal(request).username,
        )
    except UserError as exc:
        return str(exc)
    return None


@router.post("/reminders/{reminder_id}/snooze", include_in_schema=False)
async def snooze_post(request: Request, reminder_id: RowNumber) -> Any:
    form = dict(await request.form())
    until = str(form.get("until", ""))
    problem = await run_in_threadpool(_snooze, request, reminder_id, until)
    if problem:
        return back_with_errors(
            request, "/reminders", {f"until_{reminder_id}": problem}, {f"until_{reminder_id}": until}
        )
    flash(request, f"Reminder {reminder_id} snoozed until {until}.")
    return see_other("/reminders")
