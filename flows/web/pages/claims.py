"""Payment by results, per contract: upload a claims file and read its validation report line by line; run a
period's payment and download each payer's schedule. The same services and flows as the CLI."""

import datetime as dt
import secrets
from collections import OrderedDict
from typing import Any

from fastapi import APIRouter, File, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from flows.common.errors import UserError
from flows.pbr.uploads import import_contract_claims, pay_period, schedule_path, schedules
from flows.web.pages.contracts import visible_detail
from flows.web.render import back_with_errors, flash, principal, render, see_other
from flows.web.uploads import received

router = APIRouter()
KEPT_RESULTS = 50  # the latest import reports, for the page each upload redirects to (one process, in memory)


def _keep(request: Request, result: dict[str, Any]) -> str:
    store: OrderedDict[str, tuple[int, dict[str, Any]]] = request.app.state.__dict__.setdefault(
        "claim_reports", OrderedDict()
    )
    key = secrets.token_urlsafe(12)
    store[key] = (principal(request).user_id, result)
    while len(store) > KEPT_RESULTS:
        store.popitem(last=False)
    return key


def _kept(request: Request, key: str) -> dict[str, Any] | None:
    store = request.app.state.__dict__.get("claim_reports", {})
    found = store.get(key)
    return found[1] if found and found[0] == principal(request).user_id else None


def pbr_contract_of(request: Request, ref: str) -> dict[str, Any]:
    """The contract, if this user may see it and it is paid by results; otherwise 404."""
    detail = visible_detail(request, principal(request), ref)
    if detail["payment_model"] not in ("payment_by_results", "hybrid"):
        raise HTTPException(404, f"{detail['ref']} is not paid by results.")
    return detail


@router.get("/contracts/{ref}/claims", include_in_schema=False)
async def claims_page(request: Request, ref: str, report: str = "") -> Any:
    detail = await run_in_threadpool(pbr_contract_of, request, ref)
    result = _kept(request, report) if report else None
    return render(request, "claims.html", {"title": f"Claims for {detail['ref']}", "c": detail, "result": result})


def _import(request: Request, ref: str, upload: UploadFile) -> dict[str, Any]:
    detail = pbr_contract_of(request, ref)
    settings = request.app.state.settings
    with received(upload, settings.data_dir) as path:
        try:
            return import_contract_claims(settings, path, contract=detail["ref"], as_of=dt.datetime.now(dt.UTC),
                                          actor=principal(request).username)  # fmt: skip
        except UserError as exc:  # name the file as the user knows it, never our folder
            raise UserError(str(exc).replace(str(path.resolve()), path.name).replace(str(path), path.name)) from None


@router.post("/contracts/{ref}/claims", include_in_schema=False)
async def claims_upload(request: Request, ref: str, file: UploadFile = File(None)) -> Any:
    page = f"/contracts/{ref}/claims"
    if file is None:
        return back_with_errors(request, page, {"file": "Choose a claims file to upload (CSV or XLSX)"}, {})
    try:
        result = await run_in_threadpool(_import, request, ref, file)
    except UserError as exc:
        text = str(exc)
        return back_with_errors(request, page, {"file": text[:1500]}, {})
    flash(request, f"{result['rows']:,} claim(s) read: {result['accepted']:,} accepted, "
                   f"{result['partly_accepted']:,} partly accepted, {result['rejected']:,} rejected.")  # fmt: skip
    return see_other(f"{page}?report={_keep(request, result)}")


def _payments(request: Request, ref: str) -> dict[str, Any]:
    detail = pbr_contract_of(request, ref)
    return {"c": detail, "schedules": schedules(request.app.state.settings, detail["ref"])}


@router.get("/contracts/{ref}/payments", include_in_schema=False)
async def payments_page(request: Request, ref: str) -> Any:
    ctx = await run_in_threadpool(_payments, request, ref)
    return render(request, "payments.html", {"title": f"Payment runs for {ctx['c']['ref']}", **ctx})


@router.get("/api/v1/contracts/{ref}/payments")
async def payments_api(request: Request, ref: str) -> list[dict[str, str]]:
    """Each payment run's schedule files (period, file), newest period first."""
    ctx = await run_in_threadpool(_payments, request, ref)
    return list(ctx["schedules"])


def _pay(request: Request, ref: str, period: str) -> dict[str, Any]:
    detail = pbr_contract_of(request, ref)
    return pay_period(request.app.state.settings, contract=detail["ref"], period=period.strip(),
                      as_of=dt.datetime.now(dt.UTC), actor=principal(request).username)  # fmt: skip


@router.post("/contracts/{ref}/payments", include_in_schema=False)
async def payments_post(request: Request, ref: str) -> Any:
    form = await request.form()
    period = str(form.get("period", ""))
    page = f"/contracts/{ref}/payments"
    if not period.strip():
        return back_with_errors(request, page, {"period": "Enter the period to pay, e.g. 2026-Q3"}, {})
    try:
        result = await run_in_threadpool(_pay, request, ref, period)
    except UserError as exc:
        text = str(exc)
        return back_with_errors(request, page, {"period": text[:1].upper() + text[1:]}, {"period": period})
    if result["run"] is not None:
        flash(request, f"{result['run']['period']} was paid already: £{result['run']['summary']['paid']}.")
        return see_other(page)
    p = result["proposal"]
    again = "It was already proposed; this is that proposal. " if result["pending"] else ""
    flash(request, f"{again}Payment run {p['period']} proposed (proposal {p['id']}): it would pay £{p['amount']}. "
                   "Nothing is paid until a finance user other than the proposer approves it.")  # fmt: skip
    return see_other(f"/approvals/{p['id']}")


@router.get("/contracts/{ref}/payments/{period}/{name}", include_in_schema=False)
async def schedule_download(request: Request, ref: str, period: str, name: str) -> Any:
    detail = await run_in_threadpool(pbr_contract_of, request, ref)
    try:
        path = schedule_path(request.app.state.settings, detail["ref"], period, name)
    except UserError:
        raise HTTPException(404, "There is no such schedule.") from None
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename=name)
