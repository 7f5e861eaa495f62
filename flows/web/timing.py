"""The server's own time for each request, in a standard ``Server-Timing`` header (``app;dur=12.3``, in ms).

A client's latency is the server's time plus the network and the client's own waiting; under load the two
part, so bench/web.py reads this header to report what the server spent beside what the clients saw. The time
runs from the request reaching the app (sign-in check, route, service call, template) to the response's first
byte, so it includes waiting for the thread pool and the database, but not the network.
"""

import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ServerTiming:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                took_ms = 1000 * (time.perf_counter() - began)
                MutableHeaders(scope=message).append("Server-Timing", f"app;dur={took_ms:.1f}")
            await send(message)

        await self.app(scope, receive, send_wrapper)
