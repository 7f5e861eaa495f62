"""The board: projects in columns by stage, with owner, days in stage and the gate status in words."""

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from flows.cycle.projects import board
from flows.web.render import principal, render
from policies.cycle.stages import STAGE_ORDER

router = APIRouter()


def gate_words(last: dict[str, Any] | None) -> tuple[str, str]:
    """The latest gate result in words, and its tag's colour name (the words carry the meaning)."""
    if last is None:
        return "Gate not yet tried", "grey"
    if last["outcome"] == "refused":
        return f"Gate refused: {last['unmet']} condition(s) unmet", "red"
    if last["outcome"] == "stayed":
        return "Held in stage", "yellow"
    return f"Gate passed to {last['to_stage']}", "green"


async def _rows(request: Request, mine: bool, area: str) -> tuple[list[dict[str, Any]], list[str]]:
    rows = await run_in_threadpool(board, request.app.state.settings)
    areas = sorted({r["service_area"] for r in rows})
    who = principal(request)
    now = dt.datetime.now(dt.UTC)
    shown = []
    for r in rows:
        if mine and r["owner"].lower() not in (who.display_name.lower(), who.username.lower()):
            continue
        if area and r["service_area"] != area:
            continue
        words, colour = gate_words(r["last_gate"])
        days = (now - dt.datetime.fromisoformat(r["stage_entered_at"])).days
        shown.append({**r, "days_in_stage": days, "gate_words": words, "gate_colour": colour})
    return shown, areas


@router.get("/board", include_in_schema=False)
async def board_page(request: Request, mine: bool = False, area: str = "") -> Any:
    rows, areas = await _rows(request, mine, area)
    columns = [(s, [r for r in rows if r["stage"] == s.value]) for s in STAGE_ORDER]
    return render(
        request,
        "board.html",
        {"title": "Commissioning board", "columns": columns, "areas": areas, "mine": mine, "area": area},
    )


@router.get("/api/v1/board")
async def board_api(request: Request, mine: bool = False, area: str = "") -> list[dict[str, Any]]:
    """Every project with its stage, days in stage and latest gate result (filters: mine, area)."""
    rows, _ = await _rows(request, mine, area)
    return rows
