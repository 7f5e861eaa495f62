"""Approvals: the proposals waiting for a second finance user, each with its preview, DRAFT schedules and the
Approve and Reject forms; and the same as JSON under /api/v1/approvals. The same service as `commission
approve` and `commission reject`. Finance decides; commissioners and auditors read; providers see none."""

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from flows.approvals.service import approve, get_proposal, list_proposals, reject
from flows.common.errors import UserError
from flows.pbr.schedules import draft_schedules
from flows.web.params import RowNumber
from flows.web.render import back_with_errors, file_names, flash, principal, render, see_other

router = APIRouter()


def _one(request: Request, proposal_id: int) -> dict[str, Any]:
    settings = request.app.state.settings
    try:
        p = get_proposal(settings, proposal_id)
    except UserError:
        raise HTTPException(404, "There is no such proposal.") from None
    p["drafts"] = [f.name for f in draft_schedules(settings, p["contract"], proposal_id)]
    return p


def _decide(request: Request, proposal_id: int, action: str, reason: str) -> dict[str, Any]:
    who = principal(request)
    settings, roles, now = request.app.state.settings, frozenset(r.value for r in who.roles), dt.datetime.now(dt.UTC)
    if action == "approve":
        return approve(settings, proposal_id, by=who.username, roles=roles, as_of=now)
    return reject(settings, proposal_id, by=who.username, roles=roles, reason=reason, as_of=now)


def _answered(request: Request, done: dict[str, Any]) -> dict[str, Any]:
    """A decision as the API answers it: the schedules by their file names, never where the server keeps them."""
    return dict(file_names(done, request.app.state.settings.data_dir))


@router.get("/approvals", include_in_schema=False)
async def approvals_page(request: Request, status: str = "pending") -> Any:
    rows = await run_in_threadpool(list_proposals, request.app.state.settings, status=status or None)
    return render(request, "approvals.html", {"title": "Approvals", "rows": rows, "status": status})


@router.get("/approvals/{proposal_id}", include_in_schema=False)
async def proposal_page(request: Request, proposal_id: RowNumber) -> Any:
    p = await run_in_threadpool(_one, request, proposal_id)
    return render(request, "proposal.html", {"title": f"Proposal {p['id']}: {p['subject']}", "p": p})


@router.get("/approvals/{proposal_id}/drafts/{name}", include_in_schema=False)
async def draft_download(request: Request, proposal_id: RowNumber, name: str) -> Any:
    p = await run_in_threadpool(_one, request, proposal_id)
    if name not in p["drafts"]:  # only a file the folder holds: never a path made up from the URL
        raise HTTPException(404, "There is no such draft schedule.")
    path = draft_schedules(request.app.state.settings, p["contract"], proposal_id)[p["drafts"].index(name)]
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename=name)


async def _form_decision(request: Request, proposal_id: RowNumber, action: str) -> Any:
    form = await request.form()
    reason = str(form.get("reason", ""))
    page = f"/approvals/{proposal_id}"
    try:
        done = await run_in_threadpool(_decide, request, proposal_id, action, reason)
    except UserError as exc:
        text = str(exc)
        return back_with_errors(request, page, {"reason" if action == "reject" else "approve": text[:1500]},
                                {"reason": reason})  # fmt: skip
    p = done["proposal"]
    result = done.get("result")
    unwritten = list(result.get("schedules_not_written", [])) if isinstance(result, dict) else []
    if unwritten:  # the run is paid; the approver must know its schedules are not on the disk, and how to write them
        flash(request, f"Proposal {p['id']} ({p['subject']}) is approved and its run is paid, but:", kind="warning",
              details=unwritten)  # fmt: skip
        return see_other(page)
    flash(request, f"Proposal {p['id']} ({p['subject']}) is {p['status']}." + (
        f" It needs {p['approvals_needed']} approvals; {len(p['approved_by'])} so far." if p["status"] == "pending"
        else ""))  # fmt: skip
    return see_other(page)


@router.post("/approvals/{proposal_id}/approve", include_in_schema=False)
async def approve_post(request: Request, proposal_id: RowNumber) -> Any:
    return await _form_decision(request, proposal_id, "approve")


@router.post("/approvals/{proposal_id}/reject", include_in_schema=False)
async def reject_post(request: Request, proposal_id: RowNumber) -> Any:
    return await _form_decision(request, proposal_id, "reject")


@router.get("/api/v1/approvals")
async def approvals_api(request: Request, status: str = "pending") -> list[dict[str, Any]]:
    """Proposals (pending by default; status=approved, rejected, expired, or empty for all), newest first."""
    return await run_in_threadpool(list_proposals, request.app.state.settings, status=status or None)


@router.get("/api/v1/approvals/{proposal_id}")
async def proposal_api(request: Request, proposal_id: RowNumber) -> dict[str, Any]:
    """One proposal: its preview, who proposed it, who approved it, its DRAFT schedules."""
    return await run_in_threadpool(_one, request, proposal_id)


@router.post("/api/v1/approvals/{proposal_id}/approve")
async def approve_api(request: Request, proposal_id: RowNumber) -> dict[str, Any]:
    """Approve as the token's finance user; at the last approval needed it takes effect."""
    return _answered(request, await run_in_threadpool(_decide, request, proposal_id, "approve", ""))


@router.post("/api/v1/approvals/{proposal_id}/reject")
async def reject_api(request: Request, proposal_id: RowNumber) -> dict[str, Any]:
    """Reject, with {"reason": "..."}; nothing it proposed is written."""
    body = await request.json() if request.headers.get("content-type", "").startswith("application/json") else {}
    reason = str(body.get("reason", "")) if isinstance(body, dict) else ""
    return await run_in_threadpool(_decide, request, proposal_id, "reject", reason)
