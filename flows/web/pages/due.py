"""Due: the key dates of the next N days, soonest first, missed ones flagged, and a month calendar;
and the personal calendar feed, a secret .ics URL per user (public route: the token is the key)."""

import calendar
import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from flows.accounts.tokens import principal_for_token
from flows.contracts.calendar_feed import build_feed
from flows.contracts.due import due
from flows.web.render import principal, render
from policies.dates import local_date

router = APIRouter()
MAX_DAYS = 3660


def _due(request: Request, days: int) -> list[dict[str, Any]]:
    who = principal(request)
    rows = due(request.app.state.settings, as_of=dt.datetime.now(dt.UTC), within_days=min(max(days, 1), MAX_DAYS))
    return [r for r in rows if who.sees_provider(r["provider"])]


def month_grid(year: int, month: int, rows: list[dict[str, Any]]) -> list[list[tuple[int, list[dict[str, Any]]]]]:
    """Weeks (Monday first) of (day of month, that day's key dates); day 0 pads the first and last weeks."""
    by_day: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        day = dt.date.fromisoformat(r["due_on"])
        if (day.year, day.month) == (year, month):
            by_day.setdefault(day.day, []).append(r)
    return [[(d, by_day.get(d, [])) for d in week] for week in calendar.Calendar().monthdayscalendar(year, month)]


@router.get("/due", include_in_schema=False)
async def due_page(request: Request, days: int = 90) -> Any:
    days = min(max(days, 1), MAX_DAYS)
    rows = await run_in_threadpool(_due, request, days)
    today = local_date(dt.datetime.now(dt.UTC), request.app.state.settings.timezone)
    return render(
        request,
        "due.html",
        {
            "title": f"Due in the next {days} days",
            "rows": rows,
            "days": days,
            "today": today,
            "month_name": today.strftime("%B %Y"),
            "weeks": month_grid(today.year, today.month, rows),
        },
    )


@router.get("/api/v1/due")
async def due_api(request: Request, days: int = 90) -> list[dict[str, Any]]:
    """Key dates due in the next `days` days, soonest first; missed deadlines flagged."""
    return await run_in_threadpool(_due, request, days)


def _feed(request: Request, token: str) -> bytes:
    settings = request.app.state.settings
    who = principal_for_token(settings, token, purpose="calendar")
    if who is None:
        raise HTTPException(404, "There is no such calendar.")
    body, _ = build_feed(
        settings,
        as_of=dt.datetime.now(dt.UTC),
        days_ahead=730,
        providers=who.provider_names if who.is_provider else None,
    )
    return body


@router.get("/calendar/{token}.ics", include_in_schema=False)
async def calendar_feed(request: Request, token: str) -> Response:
    body = await run_in_threadpool(_feed, request, token)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300", "Referrer-Policy": "no-referrer"},
    )
