"""Payment by results, per contract: upload a claims file and read its validation report line by line (a big file
is checked and stored in the background while the page shows how far it has got, see jobs.py); run a period's
payment and download each payer's schedule. The same services and flows as the CLI."""

import datetime as dt
from typing import Any

from fastapi import APIRouter, File, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from flows.common.deployment_runs import sentence, shown
from flows.common.errors import UserError
from flows.pbr.uploads import import_contract_claims, pay_period, schedule_path, schedules
from flows.web.jobs import QUICK_SECONDS, Job, jobs_of
from flows.web.pages.contracts import visible_detail
from flows.web.render import back_with_errors, file_names, flash, principal, render, see_other
from flows.web.uploads import discard, save_upload

router = APIRouter()


def pbr_contract_of(request: Request, ref: str) -> dict[str, Any]:
    """The contract, if this user may see it and it is paid by results; otherwise 404."""
    detail = visible_detail(request, principal(request), ref)
    if detail["payment_model"] not in ("payment_by_results", "hybrid"):
        raise HTTPException(404, f"{detail['ref']} is not paid by results.")
    return detail


def _job_of(request: Request, job_id: str) -> Job:
    job = jobs_of(request.app).get(job_id, owner=principal(request).user_id)
    if job is None:
        raise HTTPException(404, "There is no such upload of yours (the web app may have restarted); upload it again.")
    return job


@router.get("/contracts/{ref}/claims", include_in_schema=False)
async def claims_page(request: Request, ref: str, job: str = "") -> Any:
    detail = await run_in_threadpool(pbr_contract_of, request, ref)
    found = _job_of(request, job) if job else None
    ctx: dict[str, Any] = {"title": f"Claims for {detail['ref']}", "c": detail, "job": found,
                           "result": found.result if found else None}  # fmt: skip
    if found is not None and found.error:
        ctx["errors"] = {"file": found.error[:1500]}  # beside the field, as a refusal at upload would be
    return render(request, "claims.html", ctx)


@router.get("/api/v1/jobs/{job_id}")
async def job_status(request: Request, job_id: str) -> dict[str, Any]:
    """A background job of yours (a claims upload): its state (running, done or failed) and stage in words."""
    return _job_of(request, job_id).status()


def _start_import(request: Request, ref: str, upload: UploadFile) -> Job:
    """Save and check the file now (a refusal is said beside the field); check and import its rows in the
    background, by the same flow as ``commission claims import``."""
    detail = pbr_contract_of(request, ref)
    settings, who = request.app.state.settings, principal(request)
    path = save_upload(upload, settings.data_dir)
    as_of = dt.datetime.now(dt.UTC)

    def work(job: Job) -> dict[str, Any]:
        try:
            done = shown(import_contract_claims(settings, path, contract=detail["ref"], as_of=as_of,
                                                actor=who.username,
                                                progress=lambda stage: setattr(job, "stage", stage)))  # fmt: skip
            return dict(file_names(done, settings.data_dir))  # "source": the file's name, not our folder
        finally:
            discard(path)

    def describe(text: str) -> str:  # name the file as the user knows it, never our folder
        return text.replace(str(path.resolve()), path.name).replace(str(path), path.name)

    return jobs_of(request.app).start(owner=who.user_id, title=path.name, work=work, describe=describe)


@router.post("/contracts/{ref}/claims", include_in_schema=False)
async def claims_upload(request: Request, ref: str, file: UploadFile = File(None)) -> Any:
    page = f"/contracts/{ref}/claims"
    if file is None:
        return back_with_errors(request, page, {"file": "Choose a claims file to upload (CSV or XLSX)"}, {})
    try:
        job = await run_in_threadpool(_start_import, request, ref, file)
    except UserError as exc:
        return back_with_errors(request, page, {"file": str(exc)[:1500]}, {})
    await run_in_threadpool(job.finished.wait, QUICK_SECONDS)  # a small file's report at once
    return see_other(f"{page}?job={job.id}")


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
    result = shown(result)
    if "flow_run" in result:  # COMMISSIONING_RUN_MODE=deployments, and the run not over: its id and state
        flash(request, f"{sentence(result)} The proposal waits for approval by a second finance user.")
        return see_other("/approvals")
    by = f"{result['submitted']} " if "submitted" in result else ""  # a worker of the Prefect server proposed it
    if result["run"] is not None:
        flash(request, f"{by}{result['run']['period']} was paid already: £{result['run']['summary']['paid']}.")
        return see_other(page)
    p = result["proposal"]
    again = "It was already proposed; this is that proposal. " if result["pending"] else ""
    flash(request, f"{by}{again}Payment run {p['period']} proposed (proposal {p['id']}): it would pay "
                   f"£{p['amount']}. Nothing is paid until a finance user other than the proposer "
                   "approves it.")  # fmt: skip
    return see_other(f"/approvals/{p['id']}")


@router.get("/contracts/{ref}/payments/{period}/{name}", include_in_schema=False)
async def schedule_download(request: Request, ref: str, period: str, name: str) -> Any:
    detail = await run_in_threadpool(pbr_contract_of, request, ref)
    try:
        path = schedule_path(request.app.state.settings, detail["ref"], period, name)
    except UserError:
        raise HTTPException(404, "There is no such schedule.") from None
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename=name)
