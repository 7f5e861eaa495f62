"""Sessions in a signed cookie: HttpOnly, SameSite=Lax, Secure over https, and an idle timeout; and the
security headers every response carries (a content security policy of our own files only, no framing).

The cookie holds only the user's id, the CSRF token and a few one-time messages, signed (itsdangerous) with a
key kept in the data directory (or COMMISSIONING_WEB_SECRET_KEY). It is re-signed on every response, so the
timestamp inside is the last request's: a cookie older than the idle timeout is ignored, and the user signs in
again. Behind a TLS proxy, uvicorn's proxy headers make the scheme https, and the cookie is then Secure.
"""

import base64
import json
import os
import secrets
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, TimestampSigner
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "commissioning_session"
IDLE_TIMEOUT_SECONDS = 30 * 60
KEY_FILE = "web-session.key"


def session_key(data_dir: Path, environ: dict[str, str] | None = None) -> str:
    """The signing key: from the environment, else a random one made once and kept (mode 0600) in the data dir."""
    env = os.environ if environ is None else environ
    given = env.get("COMMISSIONING_WEB_SECRET_KEY")
    if given:
        return given
    path = data_dir / KEY_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key)
    return key


SECURITY_HEADERS = (
    # Nothing but our own files: no inline script runs even if some text slipped through unescaped.
    ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)


class SessionMiddleware:
    def __init__(self, app: ASGIApp, *, secret_key: str, idle_timeout: int = IDLE_TIMEOUT_SECONDS) -> None:
        self.app = app
        self.signer = TimestampSigner(secret_key)
        self.idle_timeout = idle_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        scope["session"] = self._load(connection.cookies.get(COOKIE))
        had_session = bool(scope["session"])
        secure = scope.get("scheme") == "https"

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers.setdefault(name, value)
                flags = f"path=/; Max-Age={self.idle_timeout}; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")
                if scope["session"]:
                    data = base64.b64encode(json.dumps(scope["session"]).encode("utf-8"))
                    value = self.signer.sign(data).decode("utf-8")
                    headers.append("Set-Cookie", f"{COOKIE}={value}; {flags}")
                elif had_session:
                    headers.append("Set-Cookie", f"{COOKIE}=null; path=/; Max-Age=0; HttpOnly; SameSite=Lax")
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _load(self, cookie: str | None) -> dict[str, Any]:
        if not cookie:
            return {}
        try:
            data = self.signer.unsign(cookie.encode("utf-8"), max_age=self.idle_timeout)
            loaded = json.loads(base64.b64decode(data))
        except (BadSignature, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}
