"""Contracts: the searchable list, and a contract's page with its terms, SVG timeline, variations and the
review-decision form, which shows what each decision would change before it is confirmed."""

import datetime as dt
import threading
from typing import Any

from fastapi import APIRouter, Body, HTTPException, Request
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from flows.accounts.users import Principal
from flows.common.errors import UserError
from flows.contracts.decisions import decide
from flows.contracts.detail import contract_detail
from flows.contracts.listing import list_contracts
from flows.contracts.review import record_review_decision
from flows.web.params import PageNumber
from flows.web.render import back_with_errors, field_for, flash, principal, render, see_other
from flows.web.rules import COMMISSIONERS
from flows.web.svg import timeline_svg
from policies.cycle.records import ReviewDecision
from policies.dates import local_date, parse_iso_date

router = APIRouter()


def soon_words(days: int | None) -> tuple[str, str]:
    """How soon a decision falls, in words and a tag colour: under 60 days, under 120, later."""
    if days is None:
        return "No decision ahead", "grey"
    if days < 60:
        return f"Under 60 days ({days})", "red"
    if days < 120:
        return f"Under 120 days ({days})", "yellow"
    return f"Later ({days} days)", "green"


def _list(request: Request, q: str, page: int) -> dict[str, Any]:
    who = principal(request)
    providers = who.provider_names if who.is_provider else None
    result = list_contracts(request.app.state.settings, search=q, providers=providers, page=page)
    for row in result["rows"]:
        row["soon_words"], row["soon_colour"] = soon_words(row["days_to_decision"])
    return result


@router.get("/contracts", include_in_schema=False)
async def contracts_page(request: Request, q: str = "", page: PageNumber = 1) -> Any:
    result = await run_in_threadpool(_list, request, q, page)
    pages = max(1, -(-result["total"] // result["per_page"]))
    return render(request, "contracts.html", {"title": "Contracts", "r": result, "q": q, "pages": pages})


@router.get("/api/v1/contracts")
async def contracts_api(request: Request, q: str = "", page: PageNumber = 1) -> dict[str, Any]:
    """Contracts by reference, 25 a page (search: ref, title or provider); a provider sees only their own."""
    return await run_in_threadpool(_list, request, q, page)


def visible_detail(request: Request, who: Principal, ref: str) -> dict[str, Any]:
    """The contract, if it exists and this user may see it; otherwise 404 (the same for both)."""
    try:
        detail = contract_detail(request.app.state.settings, ref.strip().upper())
    except UserError:
        raise HTTPException(404, f"There is no contract {ref}.") from None
    if not who.sees_provider(detail["provider"]):
        raise HTTPException(404, f"There is no contract {ref}.")
    return detail


PREVIEWED = (ReviewDecision.EXTEND, ReviewDecision.BREAK)
# A preview writes and rolls back, so it holds SQLite's write lock; previews for pages requested at once take
# turns here rather than in SQLite's busy handler, which sleeps up to 100 ms a try before it looks again.
PREVIEW_TURNS = threading.Lock()


def _previews(request: Request, ref: str) -> dict[str, str]:
    """What each decision would change, worked out in full and rolled back (nothing is written)."""
    settings, now = request.app.state.settings, dt.datetime.now(dt.UTC)
    words = {
        ReviewDecision.CONTINUE.value: "Records the decision to carry on; the terms and key dates stay as they are.",
        ReviewDecision.VARY.value: "Changes the value or the end of the current term to what you give below; "
        "the key dates are worked out again.",
        ReviewDecision.RECOMMISSION.value: "Records it on the project (in Review), whose Review flow then starts a "
        "new cycle in Analyse.",
        ReviewDecision.DECOMMISSION.value: "Records it on the project (in Review), whose Review flow then ends it.",
    }
    for decision in PREVIEWED:
        try:
            result = decide(
                settings,
                ref=ref,
                action=decision.value,
                reason="preview",
                as_of=now,
                actor=principal(request).username,
                preview=True,
            )
        except UserError as exc:
            words[decision.value] = f"Not possible now: {exc}"
            continue
        changes = result.get("changes") or {}
        said = "; ".join(
            f"{k.replace('_', ' ')} {_word(c['before'])} → {_word(c['after'])}" for k, c in changes.items()
        )
        words[decision.value] = (
            f"Status becomes {result['status'].replace('_', ' ')}, ending {result['expiry']}. "
            + (said + "." if said else "")
            + (f" Warning: {result['warning']}" if result.get("warning") else "")
        )
    return words


def _word(value: Any) -> str:
    """A before or after value as the preview says it: absent is "none", names without underscores."""
    return "none" if value is None else str(value).replace("_", " ")


def _page(request: Request, ref: str) -> dict[str, Any]:
    who = principal(request)
    detail = visible_detail(request, who, ref)
    settings = request.app.state.settings
    today = local_date(dt.datetime.now(dt.UTC), settings.timezone)
    svg = timeline_svg(
        detail["key_dates"],
        start=dt.date.fromisoformat(detail["start"]),
        end=dt.date.fromisoformat(detail["max_extent"]),
        today=today,
        title=f"Key dates of {detail['ref']}",
    )
    variations = [
        e for e in detail["history"] if e["action"] in ("ContractVaried", "ContractExtended", "BreakNoticeServed")
    ]
    previews = {}
    if who.has(*COMMISSIONERS):
        with PREVIEW_TURNS:
            previews = _previews(request, detail["ref"])
    return {
        "c": detail,
        "svg": Markup(svg),
        "variations": variations,
        "previews": previews,
        "decisions": list(ReviewDecision),
        "today": today.isoformat(),
    }


@router.get("/contracts/{ref}", include_in_schema=False)
async def contract_page(request: Request, ref: str) -> Any:
    ctx = await run_in_threadpool(_page, request, ref)
    return render(request, "contract.html", {"title": f"{ctx['c']['ref']}: {ctx['c']['title']}", **ctx})


@router.get("/api/v1/contracts/{ref}")
async def contract_api(request: Request, ref: str) -> dict[str, Any]:
    """One contract: terms, status today, key dates and history."""
    return await run_in_threadpool(visible_detail, request, principal(request), ref)


DECISION_FIELDS = {
    "decision_end": ("--end", "end", "term"),
    "decision_value": ("value", "£"),
    "decision_reason": ("reason",),
}


def _decide(request: Request, ref: str, form: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    who = principal(request)
    visible_detail(request, who, ref)
    end_text = str(form.get("end", "")).strip()
    end = None
    if end_text:
        end, why = parse_iso_date(end_text)
        if end is None:
            return None, {"decision_end": f"End date {why}"}
    if not str(form.get("action", "")).strip():
        return None, {"decision_action": "Choose a decision"}
    try:
        result = record_review_decision(
            request.app.state.settings,
            ref=ref.upper(),
            action=str(form.get("action", "")),
            reason=str(form.get("reason", "")),
            as_of=dt.datetime.now(dt.UTC),
            actor=who.username,
            value=str(form.get("value", "")).strip() or None,
            end=end,
        )
    except UserError as exc:
        message = str(exc).replace("a --reason", "a reason").replace("--end", "the end date")
        return None, {field_for(str(exc), DECISION_FIELDS, "decision_action"): message[0].upper() + message[1:]}
    return result, {}


@router.post("/contracts/{ref}/decision", include_in_schema=False)
async def decision_post(request: Request, ref: str) -> Any:
    form = dict(await request.form())
    page = f"/contracts/{ref}"
    result, errors = await run_in_threadpool(_decide, request, ref, form)
    if result is None:
        values = {f"decision_{k}": str(v) for k, v in form.items()}
        return back_with_errors(request, page, errors, values)
    flash(
        request,
        f"{result['decision'].capitalize()} recorded: the contract is {result['status'].replace('_', ' ')}"
        f" and ends {result['expiry']}.",
    )
    return see_other(page)


@router.post("/api/v1/contracts/{ref}/decision")
async def decision_api(request: Request, ref: str, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    """Record a review decision: {"action": "extend", "reason": "..."} (vary: "value", "end")."""
    result, errors = await run_in_threadpool(_decide, request, ref, body)
    if result is None:
        raise HTTPException(400, errors)
    return result
