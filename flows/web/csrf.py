"""The CSRF token: one random value per session, carried by every form and checked on every POST.

A POST from another site cannot read it (SameSite=Lax keeps the cookie off most cross-site POSTs as well),
so a POST without the session's token is refused before the route runs. API calls with a bearer token carry
no cookie and need none.
"""

import hmac
import secrets
from typing import Any

FIELD = "csrf_token"


def csrf_token(session: dict[str, Any]) -> str:
    """The session's token, made on first use."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(session: dict[str, Any], given: object) -> bool:
    token = session.get("csrf")
    return isinstance(token, str) and isinstance(given, str) and hmac.compare_digest(token, given)
