"""A project: its stage, its gate with every unmet condition as a sentence, evidence, records and history;
forms to add evidence and record a document or decision, and Advance, which runs the stage flow."""

import datetime as dt
from typing import Any

from fastapi import APIRouter, Body, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from flows.common.errors import UserError
from flows.common.runtime import gate_policy
from flows.cycle.advance import advance_project
from flows.cycle.detail import project_detail
from flows.cycle.evidence import add_evidence
from flows.cycle.procurement import show as procurement_timeline
from flows.cycle.records import add_record
from flows.web.render import back_with_errors, field_for, flash, principal, render, see_other
from policies.cycle.evidence import EvidenceKind, validate_evidence
from policies.cycle.records import RecordKind
from policies.cycle.stages import Stage
from policies.dates import local_date, parse_iso_date

router = APIRouter()

EVIDENCE_FIELDS = (
    "kind",
    "source",
    "produced_by",
    "independently_reviewed",
    "method",
    "context_fit",
    "strength",
    "summary",
    "link",
)


def _detail(request: Request, ref: str) -> dict[str, Any]:
    settings = request.app.state.settings
    try:
        detail = project_detail(settings, gate_policy(settings), ref.strip().upper())
    except UserError as exc:
        if "no project" in str(exc):
            raise HTTPException(404, f"There is no project {ref}.") from None
        raise
    detail["procurement"] = procurement_timeline(settings, ref=detail["ref"], as_of=dt.datetime.now(dt.UTC))
    return detail


@router.get("/projects/{ref}", include_in_schema=False)
async def project_page(request: Request, ref: str) -> Any:
    detail = await run_in_threadpool(_detail, request, ref)
    stage = Stage(detail["stage"])
    return render(
        request,
        "project.html",
        {
            "title": f"{detail['ref']}: {detail['title']}",
            "p": detail,
            "stage": stage,
            "evidence_kinds": list(EvidenceKind),
            "record_kinds": list(RecordKind),
            "today": local_date(dt.datetime.now(dt.UTC), request.app.state.settings.timezone).isoformat(),
        },
    )


@router.get("/api/v1/projects/{ref}")
async def project_api(request: Request, ref: str) -> dict[str, Any]:
    """One project in full: stage, gate as it stands, evidence, records, gate decisions, history."""
    return await run_in_threadpool(_detail, request, ref)


def _evidence_fields(form: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {k: str(form.get(k, "")) for k in EVIDENCE_FIELDS}
    reviewed = fields["independently_reviewed"]
    fields["independently_reviewed"] = {"yes": True, "no": False}.get(reviewed)
    return fields


def _add_evidence(request: Request, ref: str, fields: dict[str, Any]) -> dict[str, str]:
    """Add the item; the problems by field (empty when it was added)."""
    _, problems = validate_evidence(fields)
    if problems:
        errors: dict[str, str] = {}
        for p in problems:
            errors.setdefault(p.field, f"{p.field.replace('_', ' ').capitalize()} {p.reason}")
        return errors
    try:
        add_evidence(
            request.app.state.settings,
            ref=ref,
            fields=fields,
            as_of=dt.datetime.now(dt.UTC),
            actor=principal(request).username,
        )
    except UserError as exc:
        return {"source": str(exc)}
    return {}


@router.post("/projects/{ref}/evidence", include_in_schema=False)
async def evidence_post(request: Request, ref: str) -> Any:
    form = dict(await request.form())
    page = f"/projects/{ref}"
    await run_in_threadpool(_detail, request, ref)  # 404 for an unknown project
    errors = await run_in_threadpool(_add_evidence, request, ref.upper(), _evidence_fields(form))
    if errors:
        return back_with_errors(request, page, errors, {k: str(v) for k, v in form.items()})
    flash(request, f"Evidence from {str(form.get('source', '')).strip()!r} was added to the register.")
    return see_other(page + "#evidence")


@router.post("/api/v1/projects/{ref}/evidence")
async def evidence_api(request: Request, ref: str, fields: dict[str, Any] = Body(...)) -> Any:
    """Add an item to the evidence register (the fields of `commission evidence add`)."""
    await run_in_threadpool(_detail, request, ref)
    errors = await run_in_threadpool(_add_evidence, request, ref.upper(), fields)
    if errors:
        raise HTTPException(400, errors)
    return {"added": True}


RECORD_FIELDS = {
    "on": ("--on", "date", "after the as-of"),
    "value": ("value", "not a", "must be"),
    "kind": ("kind of record", "stage"),
}


def _add_record(request: Request, ref: str, form: dict[str, Any]) -> dict[str, str]:
    settings = request.app.state.settings
    now = dt.datetime.now(dt.UTC)
    today = local_date(now, settings.timezone)
    on_text = str(form.get("on", "")).strip()
    on, why = parse_iso_date(on_text) if on_text else (today, None)
    if on is None:
        return {"on": f"Date {why}"}
    if on > today:
        return {"on": f"The date {on.isoformat()} is in the future: a decision is recorded once it has been made"}
    try:
        add_record(
            settings,
            ref=ref,
            kind=str(form.get("kind", "")),
            value=str(form.get("value", "")),
            on=on,
            note=str(form.get("note", "")).strip(),
            link=str(form.get("link", "")).strip() or None,
            as_of=now,
            actor=principal(request).username,
        )
    except UserError as exc:
        message = str(exc).replace("--on", "the date")
        return {field_for(str(exc), RECORD_FIELDS, "value"): message[0].upper() + message[1:]}
    return {}


@router.post("/projects/{ref}/records", include_in_schema=False)
async def record_post(request: Request, ref: str) -> Any:
    form = dict(await request.form())
    page = f"/projects/{ref}"
    await run_in_threadpool(_detail, request, ref)
    errors = await run_in_threadpool(_add_record, request, ref.upper(), form)
    if errors:
        return back_with_errors(
            request,
            page,
            {f"record_{k}": v for k, v in errors.items()},
            {f"record_{k}": str(v) for k, v in form.items()},
        )
    flash(request, f"Recorded the {str(form.get('kind', '')).replace('_', ' ')}.")
    return see_other(page + "#records")


def _advance(request: Request, ref: str, to: str | None, reason: str | None) -> dict[str, Any]:
    return advance_project(
        request.app.state.settings,
        ref=ref,
        to=to or None,
        reason=reason or None,
        as_of=dt.datetime.now(dt.UTC),
        actor=principal(request).username,
    )


def said(result: dict[str, Any]) -> tuple[str, list[str]]:
    """What the gate said, in words: the headline and each unmet condition."""
    source = Stage(result["from_stage"]).label
    if result["outcome"] == "passed":
        return f"The {source} gate passed: moved to {Stage(result['stage_now']).label}.", []
    if result["outcome"] == "stayed":
        return str(result["findings"][-1]), []
    return f"The {source} gate is not met: {len(result['unmet'])} condition(s) unmet.", [
        u["sentence"] for u in result["unmet"]
    ]


@router.post("/projects/{ref}/advance", include_in_schema=False)
async def advance_post(request: Request, ref: str) -> Any:
    form = dict(await request.form())
    page = f"/projects/{ref}"
    await run_in_threadpool(_detail, request, ref)
    to, reason = str(form.get("to", "")).strip(), str(form.get("reason", "")).strip()
    try:
        result = await run_in_threadpool(_advance, request, ref, to, reason)
    except UserError as exc:
        field = "advance_reason" if "reason" in str(exc) else "advance_to"
        return back_with_errors(
            request, page, {field: str(exc)[0].upper() + str(exc)[1:]}, {"advance_to": to, "advance_reason": reason}
        )
    headline, unmet = said(result)
    request.scope["session"]["flash"] = {
        "kind": "success" if result["outcome"] == "passed" else "warning",
        "message": headline,
        "details": unmet,
    }
    return see_other(page)


@router.post("/api/v1/projects/{ref}/advance")
async def advance_api(request: Request, ref: str, body: dict[str, Any] = Body(default={})) -> dict[str, Any]:
    """Run the project's stage flow; the gate's decision (passed, refused with unmet conditions, or stayed)."""
    await run_in_threadpool(_detail, request, ref)
    return await run_in_threadpool(_advance, request, ref, body.get("to"), body.get("reason"))
