"""The server's own time for each request, in a standard ``Server-Timing`` header (``app;dur=12.3``, in ms).

A client's latency is the server's time plus the network and the client's own waiting; under load the two
part, so bench/web.py reads this header to report what the server spent beside what the clients saw. The time
runs from the request reaching the app (sign-in check, route, service call, template) to the response's first
byte, so it includes waiting for the database, but not the network, nor a request's wait to be let in.

``Admission`` lets ``PAGES_AT_ONCE`` page requests (GET) into the app at a time, the rest waiting their turn in
order. One process runs Python one thread at a time: 20 pages let in at once share it, so each takes 20 times
as long and none is faster, and the database's readers crowd each other. Let in a few at a time, each takes
its own time, and the queue is said honestly as the clients' latency (bench/web.py reports both). A page
holds its place until its answer starts, not while a slow client reads it; a POST is never held (an upload's
body arrives at the client's pace).
"""

import asyncio
import time
import weakref

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ServerTiming:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, timed(send) if scope["type"] == "http" else send)


def timed(send: Send) -> Send:
    """``send``, adding to the response's headers the time since now."""
    began = time.perf_counter()

    async def send_wrapper(message: Message) -> None:
        if message["type"] == "http.response.start":
            took_ms = 1000 * (time.perf_counter() - began)
            MutableHeaders(scope=message).append("Server-Timing", f"app;dur={took_ms:.1f}")
        await send(message)

    return send_wrapper


PAGES_AT_ONCE = 4  # two cores: two running, two ready for when one waits on the database


class Admission:
    def __init__(self, app: ASGIApp, at_once: int = PAGES_AT_ONCE) -> None:
        self.app = app
        self.at_once = at_once
        # one gate per event loop (uvicorn runs one; tests' clients may each run their own)
        self.gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        gate = self.gates.get(loop)
        if gate is None:
            gate = self.gates[loop] = asyncio.Semaphore(self.at_once)
        await gate.acquire()
        held = True

        async def send_wrapper(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start" and held:
                held = False
                gate.release()
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if held:
                gate.release()
