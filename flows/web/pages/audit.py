"""The audit log: every event, filtered by project, contract, actor and date; and as CSV."""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from flows.audit.log import audit_csv, audit_log
from flows.web.params import PageNumber
from flows.web.render import render
from policies.dates import parse_iso_date

router = APIRouter()
PER_PAGE = 100


def _instant(request: Request, name: str, text: str, *, next_day: bool = False) -> dt.datetime | None:
    if not text.strip():
        return None
    day, why = parse_iso_date(text.strip())
    if day is None:
        raise HTTPException(400, f"{name}: the date {why}")
    if next_day:
        day += dt.timedelta(days=1)
    zone = ZoneInfo(request.app.state.settings.timezone)
    return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)


FILTERS = ("project", "contract", "actor", "since", "until", "page")


def _query(
    request: Request, project: str, contract: str, actor: str, since: str, until: str, *, page: int, limit: int
) -> dict[str, Any]:
    # ?from=2026-02-30 was ignored, and every event shown as if no date were given: a name not known is refused
    unknown = [name for name in request.query_params if name not in FILTERS]
    if unknown:
        raise HTTPException(400, f"{unknown[0]}: is not a filter of the audit log (its filters: {', '.join(FILTERS)})")
    return audit_log(
        request.app.state.settings,
        project=project,
        contract=contract,
        actor=actor,
        since=_instant(request, "From", since),
        until=_instant(request, "To", until, next_day=True),
        limit=limit,
        offset=(max(page, 1) - 1) * limit,
    )


@router.get("/audit", include_in_schema=False)
async def audit_page(
    request: Request,
    project: str = "",
    contract: str = "",
    actor: str = "",
    since: str = "",
    until: str = "",
    page: PageNumber = 1,
) -> Any:
    result = await run_in_threadpool(_query, request, project, contract, actor, since, until, page=page, limit=PER_PAGE)
    filters = {"project": project, "contract": contract, "actor": actor, "since": since, "until": until}
    pages = max(1, -(-result["total"] // PER_PAGE))
    return render(
        request, "audit.html", {"title": "Audit log", "r": result, "f": filters, "page": page, "pages": pages}
    )


@router.get("/api/v1/audit")
async def audit_api(
    request: Request,
    project: str = "",
    contract: str = "",
    actor: str = "",
    since: str = "",
    until: str = "",
    page: PageNumber = 1,
) -> dict[str, Any]:
    """Events, newest first, 100 a page; filters: project, contract, actor, since and until (ISO dates)."""
    return await run_in_threadpool(_query, request, project, contract, actor, since, until, page=page, limit=PER_PAGE)


@router.get("/audit.csv", include_in_schema=False)
async def audit_export(
    request: Request, project: str = "", contract: str = "", actor: str = "", since: str = "", until: str = ""
) -> Response:
    result = await run_in_threadpool(_query, request, project, contract, actor, since, until, page=1, limit=100_000)
    return Response(
        audit_csv(result["events"]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )
