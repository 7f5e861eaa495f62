"""Signing in and out, and the check every request passes before its route runs.

The check (``authorize``, a dependency of the whole app) finds the route's rule (rules.py), works out who is
asking (an API bearer token for /api/, else the session), refuses a POST without the session's CSRF token,
and refuses, in order: no rule (403), not signed in (sign-in page, or 401 for the API), wrong role (403).
Repeated wrong passwords lock a user name and an address out for a while (policies/accounts/throttle.py).
"""

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from flows.accounts.throttling import KeptThrottle
from flows.accounts.tokens import principal_for_token
from flows.accounts.users import Principal, authenticate, principal_for
from flows.common.settings import Settings
from flows.web.csrf import FIELD, csrf_ok
from flows.web.render import render, see_other
from flows.web.rules import PUBLIC, allowed


class SignInNeeded(Exception):  # a redirect, not an error
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


async def authorize(request: Request) -> None:
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    roles = allowed(request.method, path) if isinstance(path, str) else None
    if roles is None:
        raise HTTPException(403, "This page has no access rule, so no one may use it.")
    settings: Settings = request.app.state.settings
    is_api = request.url.path.startswith("/api/")
    bearer = request.headers.get("authorization", "")
    who: Principal | None = None
    if is_api and bearer.lower().startswith("bearer "):
        who = await run_in_threadpool(principal_for_token, settings, bearer[7:].strip(), purpose="api")
        if who is None:
            raise HTTPException(401, "The API token is not valid, or has been revoked.")
    elif is_api and request.method != "GET":
        raise HTTPException(401, "A change through the API needs an API token: 'Authorization: Bearer TOKEN'.")
    else:
        session = request.scope["session"]
        if request.method == "POST":
            form = await request.form()
            if not csrf_ok(session, form.get(FIELD)):
                raise HTTPException(
                    403,
                    "The form had expired or did not come from this site; nothing was changed. "
                    "Go back, reload the page and try again.",
                )
        uid = session.get("uid")
        if isinstance(uid, int):
            who = await run_in_threadpool(principal_for, settings, uid)
            if who is None:
                session.pop("uid", None)
    request.state.principal = who
    if roles is PUBLIC:
        return
    if who is None:
        if is_api:
            raise HTTPException(401, "Sign in, or send an API token as 'Authorization: Bearer TOKEN'.")
        raise SignInNeeded(request.url.path if request.method == "GET" else "/")
    if not who.roles & roles:
        raise HTTPException(403, "Your roles do not allow this.")


def router(throttle: KeptThrottle) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/sign-in")
    async def sign_in_page(request: Request, next: str = "/") -> Any:
        if getattr(request.state, "principal", None) is not None:
            return see_other(safe_next(next))
        oidc = getattr(request.app.state, "oidc", None)
        return render(request, "sign_in.html", {"title": "Sign in", "next": safe_next(next),
                                                "sso": oidc.name if oidc else None})  # fmt: skip

    @r.post("/sign-in")
    async def sign_in(
        request: Request,
        username: str = Form(""),
        password: str = Form(""),
        next: str = Form("/"),
    ) -> Any:
        settings: Settings = request.app.state.settings
        now = dt.datetime.now(dt.UTC)
        name = username.strip().lower()
        address = request.client.host if request.client else "unknown"
        user_key, address_key = f"user:{name}", f"address:{address}"
        errors: dict[str, str] = {}
        if not name:
            errors["username"] = "Enter your user name"
        if not password:
            errors["password"] = "Enter your password"
        # Counted before the password is checked (a wrong one stays counted): see KeptThrottle.attempt.
        locked = None if errors else await run_in_threadpool(throttle.attempt, user_key, (address_key,), now)
        if locked is not None:
            wait = max(1, int((locked - now).total_seconds() // 60) + 1)
            errors["username"] = (
                f"Too many wrong passwords: sign-in is paused for about {wait} minute(s). Try again later."
            )
        who = None
        if not errors:
            who = await run_in_threadpool(authenticate, settings, username=name, password=password)
            if who is None:
                await run_in_threadpool(throttle.failed, (address_key,), now)
                errors["password"] = "The user name or password is not right"
        if who is None:
            request.scope["session"]["form"] = {
                "page": "/sign-in",
                "errors": errors,
                "values": {"username": username, "next": next},
            }
            return see_other("/sign-in?next=" + quote(safe_next(next), safe="/"))
        for k in (user_key, address_key):
            await run_in_threadpool(throttle.succeeded, k)
        session = request.scope["session"]
        session.clear()  # a new session (and CSRF token) at sign-in: no fixation
        session["uid"] = who.user_id
        return see_other(safe_next(next))

    @r.post("/sign-out")
    async def sign_out(request: Request) -> Any:
        request.scope["session"].clear()
        request.scope["session"]["flash"] = {"kind": "success", "message": "You have signed out."}
        return see_other("/sign-in")

    return r


def safe_next(path: str) -> str:
    """Only a path on this site: never another site (an open redirect)."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path
