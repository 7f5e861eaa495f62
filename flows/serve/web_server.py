"""The web app under uvicorn, in a thread of serve, on a socket bound before anything else starts.

Binding first means a port already in use is refused in words before the Prefect API or the scheduler
start, and nothing can take the port between the check and the listening. uvicorn's own signal handling
stays out of it (it installs none outside the main thread): serve decides when to stop.

- No access log: a calendar subscription's URL is its secret, and a proxy in front keeps its own log.
- ``proxy_headers`` is on and trusts only 127.0.0.1 (uvicorn's default; ``FORWARDED_ALLOW_IPS`` changes it),
  so a TLS proxy on the same machine that sets ``X-Forwarded-Proto: https`` makes the app see https, and
  its cookies go out Secure.
"""

import errno
import socket
import threading
import time
from typing import Any

from flows.common.errors import UserError

START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``, or a UserError that says why not."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError):
        raise UserError(f"--host {host!r} is not an address of this machine; use e.g. 127.0.0.1") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UserError(
                f"cannot listen on {host}:{port}: the port is in use (another program, or another serve); "
                "choose another with --port"
            ) from None
        if exc.errno == errno.EACCES:
            raise UserError(f"cannot listen on {host}:{port}: permission denied (ports below 1024 need root)") from None
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


class WebServer:
    """uvicorn serving one ASGI app on an already-bound socket, in a daemon thread."""

    def __init__(self, host: str, port: int) -> None:
        self.socket = bind(host, port)
        self.host = host
        self.port = int(self.socket.getsockname()[1])  # the real one, if --port 0 asked for any free port
        self.server: Any = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, app: Any, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Serve ``app``; return once uvicorn is up, or raise a UserError if it stops first."""
        import uvicorn

        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="on",
            proxy_headers=True,
            server_header=False,
            timeout_graceful_shutdown=int(STOP_TIMEOUT_SECONDS) - 5,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, name="web")
        self.thread.daemon = True
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise UserError("the web app did not start (see the lines above)")
            time.sleep(0.05)

    def failed(self) -> bool:
        """True if uvicorn stopped on its own (not asked to)."""
        return self.thread is not None and not self.thread.is_alive() and not self.server.should_exit

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Finish the requests in flight (bounded), stop listening; idempotent."""
        if self.server is not None:
            self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout)
            if self.thread.is_alive() and self.server is not None:
                self.server.force_exit = True
                self.thread.join(timeout)
        self.socket.close()
