"""Rendering pages: the templates, what every page is given, one-time messages, and form errors after a redirect.

Every POST redirects (post/redirect/get). A form that failed leaves its errors and the values typed in the
session for the page it returns to, which shows an error summary at the top and each error beside its field.
"""

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates

from flows.accounts.users import Principal
from flows.common.failures import without_database_urls
from flows.web.csrf import csrf_token
from policies.accounts.roles import Role

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def money(value: str | Decimal, currency: str = "GBP") -> str:
    """An amount as people read it: £2,400,000.00 (other currencies by their code)."""
    amount = Decimal(value)
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency}"


def compact(value: Any, limit: int = 240) -> str:
    """An event's before/after on one line, cut at ``limit`` characters (escaped by the template like any text)."""
    text = json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


TEMPLATES.env.filters["money"] = money
TEMPLATES.env.filters["compact"] = compact

NAV: tuple[tuple[str, str, frozenset[Role]], ...] = (
    ("Board", "/board", frozenset({Role.COMMISSIONER, Role.FINANCE, Role.AUDITOR})),
    ("Contracts", "/contracts", frozenset({Role.COMMISSIONER, Role.FINANCE, Role.AUDITOR, Role.PROVIDER})),
    ("Approvals", "/approvals", frozenset({Role.COMMISSIONER, Role.FINANCE, Role.AUDITOR})),
    ("Due", "/due", frozenset({Role.COMMISSIONER, Role.FINANCE, Role.AUDITOR, Role.PROVIDER})),
    ("Lists", "/claims", frozenset({Role.COMMISSIONER, Role.FINANCE, Role.AUDITOR, Role.PROVIDER})),
    ("Reminders", "/reminders", frozenset({Role.COMMISSIONER, Role.AUDITOR})),
    ("Audit log", "/audit", frozenset({Role.COMMISSIONER, Role.AUDITOR, Role.ADMIN})),
    ("Admin", "/admin", frozenset({Role.ADMIN, Role.AUDITOR})),
    ("Your account", "/account", frozenset(Role)),
)


def principal(request: Request) -> Principal:
    """The signed-in user (the rules have already required one for this route)."""
    who: Principal | None = getattr(request.state, "principal", None)
    if who is None:
        raise RuntimeError("route reached without a signed-in user")
    return who


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Any:
    """A page, with the user, the navigation, the CSRF token, and any one-time message or form errors."""
    who: Principal | None = getattr(request.state, "principal", None)
    session = request.scope.get("session", {})
    form = session.pop("form", None) or {}
    said = session.pop("flash", None)
    if said:  # a flow's failure, said in a one-time message, names no database (failures.py)
        said = {**said, "message": web_words(without_database_urls(str(said.get("message", ""))))}
    errors = form.get("errors", {}) if form.get("page") == request.url.path else {}
    base = {
        "user": who,
        "nav": [(label, href) for label, href, roles in NAV if who is not None and who.roles & roles],
        "here": request.url.path,
        "csrf": csrf_token(session),
        "flash": said,
        "errors": {field: web_words(without_database_urls(str(text))) for field, text in errors.items()},
        "values": form.get("values", {}) if form.get("page") == request.url.path else {},
    }
    return TEMPLATES.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


FLAG = re.compile(r"(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)(?=:)")  # a flag naming a field; never a command


def web_words(text: str) -> str:
    """A service's message as the web says it: a command-line flag that names a field (``--period: ...``) said as
    the field (``period: ...``); a command the message suggests (``commission pay --period 2026-Q1``) is kept."""
    return FLAG.sub(lambda m: m[1].replace("-", " "), text)


def file_names(value: Any, root: Path) -> Any:
    """``value`` (a service's result) with every path under ``root`` (the data folder) said as its file name: a
    client is told which file, never where the server keeps it."""
    if isinstance(value, dict):
        return {k: file_names(v, root) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [file_names(v, root) for v in value]
    if isinstance(value, str | Path) and str(root) in str(value):
        under = re.compile(re.escape(str(root)) + r"[^\s'\"]*")
        return under.sub(lambda m: Path(m[0]).name, str(value))
    return value


def flash(request: Request, message: str, *, kind: str = "success", details: list[str] | None = None) -> None:
    request.scope["session"]["flash"] = {"kind": kind, "message": message, "details": details or []}


def back_with_errors(request: Request, page: str, errors: dict[str, str], values: dict[str, str]) -> RedirectResponse:
    """Back to the form's page, which shows the errors beside their fields and the values as typed."""
    safe = {k: v for k, v in values.items() if "password" not in k and k != "csrf_token"}
    request.scope["session"]["form"] = {"page": page, "errors": errors, "values": safe}
    return RedirectResponse(page, status_code=303)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def field_for(message: str, fields: dict[str, tuple[str, ...]], default: str) -> str:
    """Which field a service's message is about: the first whose words it mentions, else ``default``."""
    lowered = message.lower()
    for name, words in fields.items():
        if any(w in lowered for w in words):
            return name
    return default
