"""The web app: ``create_app(settings)`` builds it; ``commission serve`` runs it under uvicorn.

Pages are rendered on the server and work without JavaScript; every page's data is also JSON under
/api/v1, from the same service call. Every route passes ``auth.authorize`` first (rules.py says who may use
it). A service's refusal (a UserError) is shown in words; a missing or hidden thing is a 404.
"""

import os
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from flows.accounts.sso import oidc_settings
from flows.accounts.throttling import KeptThrottle
from flows.common.errors import UserError
from flows.common.failures import without_database_urls
from flows.common.settings import Settings
from flows.web import auth, health, sso
from flows.web.logs import mask_secret_paths
from flows.web.pages import (
    account,
    admin,
    approvals,
    audit,
    board,
    claims,
    contracts,
    corrections,
    due,
    lists,
    payments,
    pbr_files,
    projects,
    reminders,
    sweep,
)
from flows.web.params import given_once, said
from flows.web.render import principal, render, see_other, web_words
from flows.web.sessions import SessionMiddleware, session_key
from flows.web.timing import Admission, ServerTiming
from flows.web.uploads import BodyLimit
from policies.accounts.roles import Role
from policies.calendars import DaysUnknown

STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings) -> FastAPI:
    """The app for these settings; it connects to nothing until its first request."""
    app = FastAPI(
        title="Commissioning",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(auth.authorize), Depends(given_once)],
    )
    app.state.settings = settings
    mask_secret_paths()
    app.add_middleware(ServerTiming)  # innermost of ours: the sign-in check, route and page, to the first byte
    app.add_middleware(Admission)  # a few pages at a time (timing.py says why)
    secret = session_key(settings.data_dir)
    app.add_middleware(SessionMiddleware, secret_key=secret)
    app.add_middleware(BodyLimit)  # outermost of ours: a body over its cap is never read
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(auth.router(KeptThrottle(settings, secret)))
    sso.set_up(app, oidc_settings(os.environ))
    app.include_router(sso.router)
    for module in (
        board,
        projects,
        payments,
        claims,
        approvals,
        pbr_files,
        contracts,
        corrections,
        due,
        lists,
        reminders,
        sweep,
        audit,
        admin,
        account,
    ):
        app.include_router(module.router)
    _core_routes(app)
    health.install(app, settings)
    _error_handlers(app)
    return app


def route_table(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app answers, its included routers' routes too (the security matrix walks it)."""
    found: list[tuple[str, str]] = []

    def walk(routes: list[Any]) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)  # fastapi 0.154 keeps included routers as branches
            if inner is not None:
                walk(list(inner.routes))
            elif isinstance(getattr(route, "methods", None), set):
                found.extend((m, route.path) for m in sorted(route.methods) if m != "HEAD")

    walk(list(app.routes))
    return found


def _core_routes(app: FastAPI) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    async def home(request: Request) -> Any:
        who = principal(request)
        if who.has(Role.COMMISSIONER, Role.FINANCE, Role.AUDITOR):
            return see_other("/board")
        if who.has(Role.PROVIDER):
            return see_other("/contracts")
        return see_other("/admin")

    @app.get("/api/openapi.json", include_in_schema=False)
    async def openapi() -> dict[str, Any]:
        return app.openapi()

    @app.get("/api/docs", include_in_schema=False)
    async def docs(request: Request) -> Any:
        # Our own page, not Swagger UI: its scripts come from a CDN, and the machines reach none.
        spec = app.openapi()
        endpoints = [
            {"method": method.upper(), "path": path, "summary": op.get("summary", ""),
             "description": op.get("description", "")}
            for path, ops in spec.get("paths", {}).items()
            for method, op in ops.items()
        ]  # fmt: skip
        return render(request, "api_docs.html", {"title": "The API", "endpoints": endpoints})

    @app.get("/api/v1/me")
    async def me(request: Request) -> dict[str, Any]:
        who = principal(request)
        return {
            "username": who.username,
            "display_name": who.display_name,
            "roles": sorted(who.roles),
            "organisation": who.organisation,
        }


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(auth.SignInNeeded)
    async def sign_in_needed(request: Request, exc: auth.SignInNeeded) -> Any:
        from urllib.parse import quote

        return see_other("/sign-in?next=" + quote(exc.next_path, safe="/"))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Any:
        detail = exc.detail
        if isinstance(detail, dict):  # a form's errors by field, as an API answer: its sentences, not a dict
            detail = "; ".join(str(v) for v in detail.values())
        return _error(request, exc.status_code, str(detail))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Any:
        return _error(request, 400, said(list(exc.errors())))  # a sentence and a page, not FastAPI's raw 422

    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError) -> Any:
        return _error(request, 400, str(exc))

    @app.exception_handler(DaysUnknown)
    async def days_unknown(request: Request, exc: DaysUnknown) -> Any:  # a date past the bank holidays known
        return _error(request, 400, str(exc))

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Any:
        import logging

        logging.getLogger("commissioning.web").error("%s %s failed: %s", request.method, request.url.path,
                                                     type(exc).__name__)  # fmt: skip
        return _error(request, 500, "Something went wrong on our side; nothing half-done was kept. Try again, "
                      "and if it happens again tell your administrator the time it happened.")  # fmt: skip

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> Any:
        return _error(request, 404, "There is no such page, or it is not yours to see.")


TITLES = {400: "That could not be done", 401: "Sign in", 403: "You cannot do that", 404: "Page not found",
          413: "The file is too big"}  # fmt: skip


def _error(request: Request, status: int, detail: str) -> Any:
    detail = web_words(without_database_urls(detail))
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": detail}, status_code=status)
    if not hasattr(request.state, "principal"):
        request.state.principal = None
    title = TITLES.get(status, "Something went wrong")
    return render(request, "error.html", {"title": title, "detail": detail}, status_code=status)
