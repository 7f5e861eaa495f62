"""Corrections from the web pages, through the same services as the CLI: withdraw an item of evidence from a
project's page, and mark a key date handled from a contract's page. Each is a form that posts, then returns to
its page with a message, or with the service's refusal beside the field."""

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from flows.common.errors import UserError
from flows.contracts.handling import handle_key_date
from flows.cycle.evidence import withdraw_evidence
from flows.web.pages.contracts import visible_detail
from flows.web.pages.projects import _detail
from flows.web.params import RowNumber
from flows.web.render import back_with_errors, flash, principal, see_other

router = APIRouter()


def _withdraw(request: Request, ref: str, item: int, reason: str) -> str | None:
    try:
        withdraw_evidence(request.app.state.settings, ref=ref, item=item, reason=reason,
                          as_of=dt.datetime.now(dt.UTC), actor=principal(request).username)  # fmt: skip
    except UserError as exc:
        return str(exc)
    return None


@router.post("/projects/{ref}/evidence/{item}/withdraw", include_in_schema=False)
async def evidence_withdraw_post(request: Request, ref: str, item: RowNumber) -> Any:
    form = dict(await request.form())
    page = f"/projects/{ref}"
    await run_in_threadpool(_detail, request, ref)  # 404 for an unknown project
    problem = await run_in_threadpool(_withdraw, request, ref.upper(), item, str(form.get("reason", "")))
    if problem:
        return back_with_errors(request, page, {f"withdraw_{item}": problem}, {})
    flash(request, f"Evidence item {item} was withdrawn; the register and the history keep it.")
    return see_other(page + "#evidence")


def _handle(request: Request, ref: str, key: str, form: dict[str, Any]) -> str | None:
    try:
        handle_key_date(request.app.state.settings, ref, key, handled_as=str(form.get("handled_as", "")),
                        note=str(form.get("note", "")), on=None, as_of=dt.datetime.now(dt.UTC),
                        actor=principal(request).username)  # fmt: skip
    except UserError as exc:
        return str(exc)
    return None


@router.post("/contracts/{ref}/keydates/{key}/handle", include_in_schema=False)
async def key_date_handle_post(request: Request, ref: str, key: str) -> Any:
    form = dict(await request.form())
    page = f"/contracts/{ref}"
    await run_in_threadpool(visible_detail, request, principal(request), ref)  # 404 for one not theirs
    problem = await run_in_threadpool(_handle, request, ref.upper(), key, form)
    if problem:
        return back_with_errors(request, page, {f"handle_{key}": problem}, {})
    flash(request, f"{key} was marked handled: its reminders stop, and `due` shows it handled.")
    return see_other(page + "#timeline")
