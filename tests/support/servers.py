"""Loopback sinks for delivery tests: an SMTP server and a webhook server, both on 127.0.0.1.

Each runs in a daemon thread of the test process and records what it receives,
thread-safely, so a test can assert on it while the sender is another thread or a
(forked or spawned) child process. Every wait is bounded.

    with SmtpSink() as smtp, WebhookSink(statuses=[500]) as hook:
        url = f"mailto://127.0.0.1:{smtp.port}?from=commissioning@council.example&to=owner@council.example"
        ...
        (message,) = smtp.wait_for(1)
        first = hook.wait_for(1)[0]
"""

import email
import email.policy
import errno
import json
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Generic, Self, TypeVar
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1 (for servers that cannot bind port 0)."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


T = TypeVar("T")


class _Recorder(Generic[T]):
    """A list shared between threads, with a bounded wait for it to reach a length."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._items: list[T] = []
        self._changed = threading.Condition()

    def add(self, item: T) -> None:
        with self._changed:
            self._items.append(item)
            self._changed.notify_all()

    def snapshot(self) -> list[T]:
        with self._changed:
            return list(self._items)

    def clear(self) -> None:
        with self._changed:
            self._items.clear()

    def wait_for(self, count: int, timeout: float) -> list[T]:
        """All items once there are at least ``count``; TimeoutError after ``timeout`` seconds."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._items) >= count, timeout=timeout):
                raise TimeoutError(f"expected {count} {self._what} within {timeout}s, got {len(self._items)}")
            return list(self._items)


# --- SMTP -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    subject: str
    text: str  # the text/plain part, else the text/html part as sent
    html: str | None  # the text/html part, if any
    raw: bytes
    login: str | None = None  # who logged in (SmtpSink(credentials=...)), else None


class _SmtpHandler:
    def __init__(self, recorder: _Recorder[ReceivedMail]) -> None:
        self._recorder = recorder

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        plain = parsed.get_body(preferencelist=("plain",))
        html = parsed.get_body(preferencelist=("html",))
        html_text = html.get_content() if html is not None else None
        text = plain.get_content() if plain is not None else (html_text or "")
        login = session.login_data
        self._recorder.add(
            ReceivedMail(
                mail_from=str(envelope.mail_from or ""),
                rcpt_tos=tuple(envelope.rcpt_tos),
                subject=str(parsed.get("Subject", "")),
                text=text,
                html=html_text,
                raw=raw,
                login=login.decode() if isinstance(login, bytes) else None,
            )
        )
        return "250 Message accepted for delivery"


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 that keeps every message it is given. No TLS.

    Without ``credentials`` it offers no AUTH (so a ``mailto://user:pass@...`` URL fails to log in);
    with ``credentials=(login, password)`` it offers AUTH PLAIN/LOGIN without TLS and accepts only those.
    """

    def __init__(self, port: int | None = None, credentials: tuple[str, str] | None = None) -> None:
        self._wanted_port = port
        self._credentials = credentials
        self._recorder: _Recorder[ReceivedMail] = _Recorder("emails")
        self._controller: Controller | None = None
        self.port = 0

    def start(self) -> Self:
        if self._controller is not None:
            return self
        # aiosmtpd's Controller checks readiness by connecting to its port, so it cannot use port 0:
        # take a free port, and try again (a bounded number of times) if someone else grabbed it first.
        for attempt in range(5):
            port = self._wanted_port or free_port()
            auth: dict[str, Any] = {}
            if self._credentials is not None:
                auth = {"authenticator": self._authenticate, "auth_require_tls": False}
            controller = Controller(
                _SmtpHandler(self._recorder), hostname=LOOPBACK, port=port, ready_timeout=10, **auth
            )
            try:
                controller.start()
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE or self._wanted_port or attempt == 4:
                    raise
                continue
            self._controller, self.port = controller, port
            return self
        raise AssertionError("unreachable")

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and self._credentials is not None:
            given = (auth_data.login.decode(), auth_data.password.decode())
            if given == self._credentials:
                return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def messages(self) -> list[ReceivedMail]:
        return self._recorder.snapshot()

    def wait_for(self, count: int, timeout: float = 10) -> list[ReceivedMail]:
        return self._recorder.wait_for(count, timeout)

    def clear(self) -> None:
        self._recorder.clear()

    def mailto(
        self, to: str, sender: str = "commissioning@council.example", *, login: tuple[str, str] | None = None
    ) -> str:
        """An apprise URL that sends to this sink over plain SMTP, logging in as ``login`` if given."""
        userinfo = f"{quote(login[0], safe='')}:{quote(login[1], safe='')}@" if login else ""
        return f"mailto://{userinfo}{LOOPBACK}:{self.port}?from={sender}&to={to}&mode=insecure"


# --- Webhook ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any  # the parsed JSON body, or None if it was not JSON
    status: int  # what the sink answered
    received_at: float = field(default=0.0, compare=False)  # time.monotonic()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sink: "WebhookSink"


class _WebhookHandler(BaseHTTPRequestHandler):
    server: _HTTPServer

    def do_POST(self) -> None:
        self._record_and_answer()

    def do_PUT(self) -> None:
        self._record_and_answer()

    def _record_and_answer(self) -> None:
        sink = self.server.sink
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        status = sink._next_status()
        sink._recorder.add(
            ReceivedRequest(
                method=self.command,
                path=self.path,
                headers={key: value for key, value in self.headers.items()},
                body=body,
                json=parsed,
                status=status,
                received_at=time.monotonic(),
            )
        )
        if sink.delay > 0:
            time.sleep(sink.delay)
        try:
            payload = b'{"ok": true}' if 200 <= status < 300 else b'{"ok": false}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client gave up waiting (a timeout test); nothing to answer
            pass

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read .requests instead
        return


class WebhookSink:
    """An HTTP server on 127.0.0.1 that records every POST, in order, and answers with chosen statuses.

    ``statuses``: one status for every request (``500``), or a list used in order and then 200
    (``[500, 500]`` fails twice then succeeds). ``delay``: seconds to wait before answering each request.
    """

    def __init__(self, statuses: int | Sequence[int] = 200, delay: float = 0.0) -> None:
        self.statuses = statuses
        self.delay = delay
        self._lock = threading.Lock()
        self._answered = 0
        self._recorder: _Recorder[ReceivedRequest] = _Recorder("requests")
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def start(self) -> Self:
        if self._server is not None:
            return self
        server = _HTTPServer((LOOPBACK, 0), _WebhookHandler)
        server.sink = self
        self.port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"webhook-sink-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def url(self, path: str = "/hook") -> str:
        """The apprise URL that posts JSON here."""
        return f"json://{LOOPBACK}:{self.port}{path}"

    def http_url(self, path: str = "/hook") -> str:
        return f"http://{LOOPBACK}:{self.port}{path}"

    @property
    def requests(self) -> list[ReceivedRequest]:
        return self._recorder.snapshot()

    def wait_for(self, count: int, timeout: float = 10) -> list[ReceivedRequest]:
        return self._recorder.wait_for(count, timeout)

    def clear(self) -> None:
        self._recorder.clear()

    def _next_status(self) -> int:
        with self._lock:
            if isinstance(self.statuses, int):
                return self.statuses
            index = self._answered
            self._answered += 1
            return self.statuses[index] if index < len(self.statuses) else 200
