"""Due: the key dates of the next N days, soonest first, missed ones flagged, a page of 50 at a time; the month
as a calendar with each day's count; and the personal calendar feed, a secret .ics URL per user (public route:
the token is the key).

Over 100,000 contracts the next 90 days hold some 63,000 key dates: the page reads only its own 50, in the query
(a provider's narrowed there too), and the calendar counts each day in the query without reading the rows.
"""

import calendar
import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from flows.accounts.tokens import principal_for_token
from flows.contracts.calendar_feed import build_feed
from flows.contracts.due import due, due_days
from flows.web.params import PageNumber
from flows.web.render import principal, render
from policies.dates import local_date

router = APIRouter()
MAX_DAYS = 3660
PER_PAGE = 50
Days = Annotated[int, Query(ge=1, le=MAX_DAYS)]  # out of range is refused (400), not clamped
API_MOST = 5000  # rows an API page may ask for


def _providers(request: Request) -> tuple[str, ...] | None:
    who = principal(request)
    return who.provider_names if who.is_provider else None


def _due(request: Request, days: int, page: int | None = None, *, per_page: int = PER_PAGE) -> list[dict[str, Any]]:
    """Every key date of the window, or one page of them and the first of the next (to know there is one)."""
    cut = {} if page is None else {"limit": per_page + 1, "offset": (page - 1) * per_page}
    return due(request.app.state.settings, as_of=dt.datetime.now(dt.UTC), within_days=days,
               providers=_providers(request), **cut)  # fmt: skip


def month_grid(year: int, month: int, counts: dict[dt.date, tuple[int, int]]) -> list[list[tuple[int, int, int]]]:
    """Weeks (Monday first) of (day of month, key dates, missed); day 0 pads the first and last weeks."""
    return [
        [(d, *(counts.get(dt.date(year, month, d), (0, 0)) if d else (0, 0))) for d in week]
        for week in calendar.Calendar().monthdayscalendar(year, month)
    ]


@router.get("/due", include_in_schema=False)
async def due_page(request: Request, days: Days = 90, page: PageNumber = 1) -> Any:
    rows = await run_in_threadpool(_due, request, days, page)
    first = (page - 1) * PER_PAGE
    return render(
        request,
        "due.html",
        {
            "title": f"Due in the next {days} days",
            "rows": rows[:PER_PAGE],
            "days": days,
            "page": page,
            "more": len(rows) > PER_PAGE,
            "shown": (first + 1, first + min(len(rows), PER_PAGE)),
        },
    )


def _month(request: Request, today: dt.date) -> dict[dt.date, tuple[int, int]]:
    """This month's counts: the window reaches the month's end and back to its first day, for the missed."""
    last = dt.date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
    return due_days(request.app.state.settings, as_of=dt.datetime.now(dt.UTC),
                    within_days=max((last - today).days, today.day, 1), first=today.replace(day=1), final=last,
                    providers=_providers(request))  # fmt: skip


@router.get("/due/month", include_in_schema=False)
async def due_month_page(request: Request) -> Any:
    today = local_date(dt.datetime.now(dt.UTC), request.app.state.settings.timezone)
    counts = await run_in_threadpool(_month, request, today)
    return render(
        request,
        "due_month.html",
        {"title": f"Key dates in {today.strftime('%B %Y')}", "today": today,
         "month_name": today.strftime("%B %Y"), "weeks": month_grid(today.year, today.month, counts)},
    )  # fmt: skip


@router.get("/api/v1/due")
async def due_api(
    request: Request,
    days: Days = 90,
    limit: int | None = Query(None, ge=1, le=API_MOST),
    page: PageNumber = 1,
) -> Any:
    """Key dates due in the next `days` days, soonest first; missed deadlines flagged. Without `limit`, the
    whole window; with it, `limit` rows of page `page`, and a `Link` header to the next page when there is one."""
    if limit is None:
        return await run_in_threadpool(_due, request, days)
    rows = await run_in_threadpool(lambda: _due(request, days, page, per_page=limit))
    headers = {}
    if len(rows) > limit:
        query = urlencode({"days": days, "limit": limit, "page": page + 1})
        headers["Link"] = f'<{request.url.path}?{query}>; rel="next"'
    return JSONResponse(rows[:limit], headers=headers)


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
