"""A list download the client stops half way: its temporary folder is removed all the same (it was left behind
when the response did not finish). The real app over HTTP on 127.0.0.1, a client that closes early."""

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from flows.common.settings import Settings
from flows.serve.web_server import WebServer
from flows.web.pages import lists as lists_page
from tests.support.web import sign_in

BIG = 64 << 20  # far more than the sockets' buffers hold: the server is still sending when the client goes


@pytest.fixture
def web(settings: Settings, world: dict[str, str]) -> Iterator[WebServer]:
    from flows.web.app import create_app

    server = WebServer("127.0.0.1", 0)
    server.start(create_app(settings))
    try:
        yield server
    finally:
        server.stop()


def _half_way(web: WebServer, monkeypatch: pytest.MonkeyPatch) -> tuple[socket.socket, list[Path]]:
    """A download of /claims.csv started, its head read and the rest not: (the client's socket, the file sent)."""
    written: list[Path] = []

    def big_list(found: Any, path: Path) -> None:
        with open(path, "wb") as out:
            out.truncate(BIG)  # the content is not the point: its size is
        written.append(path)

    monkeypatch.setattr(lists_page, "export_listing", big_list)
    served = web.url
    with httpx.Client(base_url=served) as browser:
        assert sign_in(browser, "finn").status_code == 303
        cookie = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
    host, port = served.removeprefix("http://").split(":")
    client = socket.create_connection((host, int(port)), timeout=30)
    client.sendall(f"GET /claims.csv HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n\r\n".encode())
    head = client.recv(65536)
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    return client, written


def _gone(folder: Path) -> bool:
    deadline = time.monotonic() + 30  # bounded
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not folder.exists()


def test_a_download_the_client_drops_half_way_leaves_no_folder(web: WebServer, monkeypatch: pytest.MonkeyPatch) -> None:
    client, written = _half_way(web, monkeypatch)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # a reset
    client.close()
    (path,) = written
    assert _gone(path.parent), f"{path.parent} was left behind"


def test_a_download_cut_short_by_the_server_stopping_leaves_no_folder(
    web: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The response's task is cancelled (serve stopped, no time to finish): a background task never runs then."""
    client, written = _half_way(web, monkeypatch)
    try:
        web.server.should_exit = web.server.force_exit = True
        assert web.thread is not None
        web.thread.join(30)
        (path,) = written
        assert _gone(path.parent), f"{path.parent} was left behind"
    finally:
        client.close()
