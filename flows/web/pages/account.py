"""Your account: who you are, your roles, and your personal calendar subscription (made, shown once, revoked)."""

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from flows.accounts.tokens import create_token, revoke_token, tokens
from flows.web.render import flash, principal, render, see_other

router = APIRouter()


@router.get("/account", include_in_schema=False)
async def account_page(request: Request) -> Any:
    who = principal(request)
    mine = await run_in_threadpool(tokens, request.app.state.settings, username=who.username)
    live = [t for t in mine if t["purpose"] == "calendar" and t["revoked_at"] is None]
    return render(request, "account.html", {"title": "Your account", "feed": live[0] if live else None})


@router.post("/account/calendar", include_in_schema=False)
async def calendar_create(request: Request) -> Any:
    who = principal(request)
    token, _ = await run_in_threadpool(
        lambda: create_token(
            request.app.state.settings,
            username=who.username,
            purpose="calendar",
            name="calendar feed",
            actor=who.username,
        )
    )
    url = str(request.base_url).rstrip("/") + f"/calendar/{token}.ics"
    request.scope["session"]["flash"] = {
        "kind": "success",
        "secret": url,
        "message": "Your calendar subscription URL. Copy it into Outlook or Google Calendar now: it is not shown "
        "again. Anyone with it can read your key dates, so keep it to yourself.",
    }
    return see_other("/account")


@router.post("/account/calendar/revoke", include_in_schema=False)
async def calendar_revoke(request: Request) -> Any:
    who = principal(request)
    settings = request.app.state.settings

    def revoke_feeds() -> None:
        for t in tokens(settings, username=who.username):
            if t["purpose"] == "calendar" and t["revoked_at"] is None:
                revoke_token(settings, username=who.username, token_id=t["id"], actor=who.username)

    await run_in_threadpool(revoke_feeds)
    flash(request, "Your calendar subscription is revoked: its URL no longer works.")
    return see_other("/account")
