"""A Prefect API that is down, hangs or is not Prefect's: one line naming the address, never its credentials, and
nothing started; deployments mode with no server named is refused before Prefect starts. Real servers on
127.0.0.1 only: a closed port, a socket that accepts and never answers, a tiny HTTP server answering 501."""

import datetime as dt
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from flows.common.errors import UserError
from flows.common.prefect_check import api_address, check_prefect_api
from flows.common.settings import Settings

SECRET = "s3cr3t-pw"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A data dir of the test's own; no database is reached before these refusals (nor on both backends)."""
    from flows.common.settings import load_settings

    monkeypatch.setenv("COMMISSIONING_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COMMISSIONING_DATABASE_URL", f"sqlite:///{tmp_path / 'commissioning.db'}")
    for name in ("COMMISSIONING_POLICY_FILE", "COMMISSIONING_REMINDER_POLICY", "COMMISSIONING_APPRISE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return load_settings()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A socket that accepts connections and never answers, until the test ends."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    done = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        for _ in range(3000):  # bounded: at most ten minutes of 0.2 s waits
            if done.is_set():
                return
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    done.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture
def not_prefect_port() -> Iterator[int]:
    """An HTTP server that answers 501 to everything."""

    class NotImplementedHere(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(501)
            self.end_headers()

        do_POST = do_GET

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), NotImplementedHere)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_the_address_said_has_no_credentials_or_query() -> None:
    assert api_address(f"https://alice:{SECRET}@prefect.example:4200/api?token={SECRET}") == (
        "https://prefect.example:4200/api"
    )
    assert api_address("http://[::1]:4200/api") == "http://[::1]:4200/api"
    assert api_address("not a url") == "an address that is not a URL"


def test_a_closed_port_is_one_line_naming_the_address_without_its_password(
    closed_port: int, settings: Settings
) -> None:
    from flows.common.runtime import configure_prefect

    configure_prefect(settings)
    with pytest.raises(UserError) as refused:
        check_prefect_api(f"http://alice:{SECRET}@127.0.0.1:{closed_port}/api")
    said = str(refused.value)
    assert said.startswith(f"cannot reach the Prefect API at http://127.0.0.1:{closed_port}/api (PREFECT_API_URL)")
    assert SECRET not in said and "alice" not in said and "\n" not in said


def test_a_server_that_never_answers_is_a_timeout_not_a_hang(silent_port: int, settings: Settings) -> None:
    from flows.common.runtime import configure_prefect

    configure_prefect(settings)
    with pytest.raises(UserError, match=rf"127.0.0.1:{silent_port}/api \(PREFECT_API_URL\) did not answer within 5 s"):
        check_prefect_api(f"http://127.0.0.1:{silent_port}/api")


def test_a_server_that_is_not_prefect_is_named_with_its_status(not_prefect_port: int, settings: Settings) -> None:
    from flows.common.runtime import configure_prefect

    configure_prefect(settings)
    with pytest.raises(UserError, match="answered its health check with HTTP 501: it is not a Prefect API"):
        check_prefect_api(f"http://u:{SECRET}@127.0.0.1:{not_prefect_port}/api")


def test_deploy_to_a_closed_port_is_refused_before_the_pool_is_made(
    closed_port: int, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.common.deployments as deployments

    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{closed_port}/api")
    monkeypatch.setattr(deployments, "_ensure_pool", lambda pool: pytest.fail("the pool was asked for"))
    with pytest.raises(UserError, match=f"cannot reach the Prefect API at http://127.0.0.1:{closed_port}/api"):
        deployments.deploy_all(settings, source=Path(__file__).parents[2], pool="commissioning")


def test_a_command_with_a_server_named_that_is_down_stops_before_any_flow(
    closed_port: int, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.common.runtime import start_prefect

    Path(settings.database_url.removeprefix("sqlite:///")).touch()  # a database there: a missing one is said first
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{closed_port}/api")
    with pytest.raises(UserError, match=f"cannot reach the Prefect API at http://127.0.0.1:{closed_port}/api"):
        start_prefect(settings)


@pytest.fixture
def deployments_without_a_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deployments mode with no PREFECT_API_URL, and Prefect refusing to start (it would take 30 s)."""
    import flows.common.runtime as runtime

    monkeypatch.setenv("COMMISSIONING_RUN_MODE", "deployments")
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setattr(runtime, "start_prefect", lambda settings: pytest.fail("Prefect was started"))


def test_a_sweep_in_deployments_mode_with_no_server_is_refused_before_prefect_starts(
    settings: Settings, deployments_without_a_server: None
) -> None:
    from flows.reminders.run import run_reminder_flow

    with pytest.raises(UserError, match="needs PREFECT_API_URL"):
        run_reminder_flow(settings, as_of=dt.datetime(2026, 12, 1, tzinfo=dt.UTC), dry_run=False)


def test_a_payment_run_in_deployments_mode_with_no_server_is_refused_before_prefect_starts(
    settings: Settings, deployments_without_a_server: None
) -> None:
    from flows.cli.pbr import run_flow

    with pytest.raises(UserError, match="needs PREFECT_API_URL"):
        run_flow(settings, "reconcile", as_json=False, contract="FCF-2025-01")


def test_serve_names_the_api_it_was_given_by_the_same_words(
    closed_port: int, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """serve had its own copy of ``api_address`` that dropped an IPv6 host's brackets and the path."""
    import io

    from flows.common.runtime import initialise
    from flows.serve.process import ServeOptions, run

    initialise(settings)  # serve runs on a database `commission init` made
    monkeypatch.setenv("PREFECT_API_URL", f"http://alice:{SECRET}@[::1]:{closed_port}/api")
    out = io.StringIO()
    with pytest.raises(UserError):  # nothing answers there: refused in one line after serve said where it looked
        run(settings, ServeOptions(web=False, scheduler=False), out=out)
    assert f"named by PREFECT_API_URL (http://[::1]:{closed_port}/api)" in out.getvalue()
    assert SECRET not in out.getvalue()
