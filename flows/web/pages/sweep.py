"""The sweep button on the reminders page, and its API twin: plan today's reminders and deliver what is ready
(``commission sweep``), or preview it (``--dry-run``), as a background job (jobs.py), so the request does not
wait for the flow. A quick sweep is shown at once; a slow one shows its stage on a page that refreshes itself.

    POST /reminders/sweep (mode=preview|run)  ->  /reminders/sweep/{job}  ->  /reminders, with what it did
    POST /api/v1/reminders/sweep {"preview": true}  ->  202 {"job": ...}; GET /api/v1/jobs/{job} for the result
    ("preview" must be said, true or false: a sweep that runs sends messages, so it is never the default)
"""

import datetime as dt
from typing import Any

from fastapi import APIRouter, Body, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from flows.web.jobs import QUICK_SECONDS, Job, jobs_of
from flows.web.render import flash, principal, render, see_other

router = APIRouter()
PREVIEW_LINES = 10  # the one-time message lives in the session cookie: a few lines, then a count


def sweep_words(result: dict[str, Any], preview: bool) -> dict[str, Any]:
    """What a sweep did (or would do), in words: a sentence and, for a preview, its first planned lines."""
    from flows.common.deployment_runs import sentence, shown
    from flows.reminders.run import planned_line, sweep_sentence

    result = shown(result)  # in deployment mode, what the worker's run published
    if "flow_run" in result:  # COMMISSIONING_RUN_MODE=deployments, and the run not over: its id and state
        return {"message": sentence(result), "details": []}
    by = f"{result['submitted']} " if "submitted" in result else ""
    sweep = result["sweep"]
    lines = [planned_line(p) for p in sweep.get("would_plan", [])]
    if len(lines) > PREVIEW_LINES:
        lines = [*lines[:PREVIEW_LINES], f"and {len(lines) - PREVIEW_LINES:,} more"]
    delivery = result.get("delivery")
    sent = f" {delivery['sent']} reminder(s) sent, {delivery['failed']} failed." if delivery else ""
    nothing = " Nothing was written or sent." if preview else ""
    return {"message": by + sweep_sentence(sweep) + sent + nothing, "details": lines if preview else []}


def start_sweep(request: Request, preview: bool) -> Job:
    """The sweep flow (the same as ``commission sweep``) as a background job of this user's."""
    from flows.reminders.run import run_reminder_flow

    settings, as_of = request.app.state.settings, dt.datetime.now(dt.UTC)

    def work(job: Job) -> dict[str, Any]:
        job.stage = "Planning today's reminders" + ("" if preview else " and delivering what is ready")
        return sweep_words(run_reminder_flow(settings, as_of=as_of, dry_run=preview), preview)

    title = "Sweep preview" if preview else "Sweep"
    return jobs_of(request.app).start(owner=principal(request).user_id, title=title, work=work)


@router.post("/reminders/sweep", include_in_schema=False)
async def sweep_post(request: Request) -> Any:
    """Start the sweep (or its preview); a quick one is shown at once, on the reminders page."""
    mode = str((await request.form()).get("mode", ""))
    if mode not in ("preview", "run"):
        flash(request, "Choose Preview the sweep or Run the sweep now; nothing was done.", kind="warning")
        return see_other("/reminders")
    job = start_sweep(request, mode == "preview")
    await run_in_threadpool(job.finished.wait, QUICK_SECONDS)
    return see_other(f"/reminders/sweep/{job.id}")


@router.get("/reminders/sweep/{job_id}", include_in_schema=False)
async def sweep_job_page(request: Request, job_id: str) -> Any:
    """While the sweep runs, its stage (the page refreshes itself); then the reminders page says what it did."""
    job = jobs_of(request.app).get(job_id, owner=principal(request).user_id)
    if job is None:
        raise HTTPException(404, "There is no such sweep of yours (the web app may have restarted); start it again.")
    if not job.done:
        return render(request, "sweep.html", {"title": "The sweep is running", "job": job})
    session = request.scope["session"]
    if job.error is not None:
        session["flash"] = {"kind": "warning", "message": f"The sweep did not run: {job.error}"}
    else:
        session["flash"] = {"kind": "success", **(job.result or {})}
    return see_other("/reminders")


@router.post("/api/v1/reminders/sweep", status_code=202)
async def sweep_api(request: Request, body: dict[str, Any] = Body(default={})) -> Any:
    """Start the sweep ({"preview": true} plans nothing and sends nothing): 202 with the job; its result, in
    words, at GET /api/v1/jobs/{job} once its state is done."""
    preview = body.get("preview")
    if not isinstance(preview, bool):
        raise HTTPException(400, 'Say {"preview": true} to plan and send nothing, or {"preview": false} to run it.')
    job = start_sweep(request, preview)
    return JSONResponse(job.status(), status_code=202)
