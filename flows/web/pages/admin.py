"""Admin: users and their roles, provider organisations, and API tokens (a new token is shown once)."""

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from flows.accounts.organisations import organisations, save_organisation
from flows.accounts.tokens import create_token, revoke_token, tokens
from flows.accounts.users import add_user, disable_user, set_roles, users
from flows.common.errors import UserError
from flows.web.params import RowNumber
from flows.web.render import back_with_errors, field_for, flash, principal, render, see_other
from policies.accounts.roles import Role

router = APIRouter()
PAGE = "/admin"


def _everything(request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    people = users(settings)
    for u in people:
        u["tokens"] = [t for t in tokens(settings, username=u["username"]) if t["purpose"] == "api"]
    return {"users": people, "organisations": organisations(settings)}


@router.get("/admin", include_in_schema=False)
async def admin_page(request: Request) -> Any:
    data = await run_in_threadpool(_everything, request)
    return render(request, "admin.html", {"title": "Admin", **data, "roles": list(Role)})


@router.get("/api/v1/admin/users")
async def admin_api(request: Request) -> dict[str, Any]:
    """Users (roles, organisation, API tokens without their secrets) and provider organisations."""
    return await run_in_threadpool(_everything, request)


USER_FIELDS = {
    "new_username": ("user name", "already exists"),
    "new_password": ("password",),
    "new_roles": ("role",),
    "new_organisation": ("organisation",),
    "new_name": ("display name",),
}


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: form.getlist(k) if k == "roles" else str(v) for k, v in form.items()}


@router.post("/admin/users", include_in_schema=False)
async def add_user_post(request: Request) -> Any:
    form = await _form(request)
    try:
        user = await run_in_threadpool(
            lambda: add_user(
                request.app.state.settings,
                username=form.get("username", ""),
                display_name=form.get("name", ""),
                roles=form.get("roles", []),
                password=form.get("password", ""),
                organisation=form.get("organisation") or None,
                actor=principal(request).username,
            )
        )
    except UserError as exc:
        values = {f"new_{k}": str(v) for k, v in form.items() if k != "roles"}
        return back_with_errors(
            request, PAGE, {field_for(str(exc), USER_FIELDS, "new_username"): _capital(exc)}, values
        )
    flash(request, f"Added {user['username']} ({', '.join(user['roles'])}).")
    return see_other(PAGE)


def _capital(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:]


@router.post("/admin/users/{username}/roles", include_in_schema=False)
async def roles_post(request: Request, username: str) -> Any:
    form = await request.form()
    wanted = {r for r in form.getlist("roles") if isinstance(r, str)}
    current = {u["username"]: set(u["roles"]) for u in await run_in_threadpool(users, request.app.state.settings)}
    if username not in current:
        return _missing(request, username)
    try:
        await run_in_threadpool(
            lambda: set_roles(
                request.app.state.settings,
                username=username,
                add=sorted(wanted - current[username]),
                remove=sorted(current[username] - wanted),
                actor=principal(request).username,
            )
        )
    except UserError as exc:
        return back_with_errors(request, PAGE, {f"roles_{username}": _capital(exc)}, {})
    flash(request, f"Roles of {username} saved.")
    return see_other(PAGE)


def _missing(request: Request, username: str) -> Any:
    from fastapi import HTTPException

    raise HTTPException(404, f"There is no user {username}.")


@router.post("/admin/users/{username}/disable", include_in_schema=False)
async def disable_post(request: Request, username: str) -> Any:
    if username == principal(request).username:
        flash(request, "You cannot disable your own account.", kind="warning")
        return see_other(PAGE)
    try:
        await run_in_threadpool(
            lambda: disable_user(request.app.state.settings, username=username, actor=principal(request).username)
        )
    except UserError:
        return _missing(request, username)
    flash(request, f"{username} is disabled.")
    return see_other(PAGE)


@router.post("/admin/users/{username}/tokens", include_in_schema=False)
async def token_post(request: Request, username: str) -> Any:
    form = await request.form()
    try:
        token, row = await run_in_threadpool(
            lambda: create_token(
                request.app.state.settings,
                username=username,
                purpose="api",
                name=str(form.get("name", "")),
                actor=principal(request).username,
            )
        )
    except UserError as exc:
        return back_with_errors(request, PAGE, {f"token_{username}": _capital(exc)}, {})
    request.scope["session"]["flash"] = {
        "kind": "success",
        "message": f"API token {row['id']} for {username}. Copy it now: it is not shown again.",
        "secret": token,
    }
    return see_other(PAGE)


@router.post("/admin/users/{username}/tokens/{token_id}/revoke", include_in_schema=False)
async def revoke_post(request: Request, username: str, token_id: RowNumber) -> Any:
    try:
        await run_in_threadpool(
            lambda: revoke_token(
                request.app.state.settings, username=username, token_id=token_id, actor=principal(request).username
            )
        )
    except UserError:
        return _missing(request, username)
    flash(request, f"Token {token_id} of {username} is revoked.")
    return see_other(PAGE)


@router.post("/admin/organisations", include_in_schema=False)
async def organisation_post(request: Request) -> Any:
    form = await request.form()
    name, providers = str(form.get("org_name", "")), str(form.get("org_providers", ""))
    try:
        await run_in_threadpool(
            lambda: save_organisation(
                request.app.state.settings,
                name=name,
                provider_names=providers.splitlines(),
                actor=principal(request).username,
            )
        )
    except UserError as exc:
        field = "org_providers" if "provider" in str(exc) else "org_name"
        return back_with_errors(request, PAGE, {field: _capital(exc)}, {"org_name": name, "org_providers": providers})
    flash(request, f"Organisation {name.strip()} saved.")
    return see_other(PAGE)
