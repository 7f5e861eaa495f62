"""`commission serve` as one process (a Prefect API on loopback, the scheduler, the web app), and flow
commands on the same machine that use its Prefect API while it is up and fall back when it is not.

Every command runs for real in a subprocess; every wait is bounded; nothing is timed.
"""

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Cli
from tests.e2e.cycle.test_cli import PROJECT
from tests.e2e.serving import Serve
from tests.e2e.test_prefect_child import _alive, _children, _poll

pytestmark = [pytest.mark.slow, pytest.mark.temporary_prefect]  # serve discovery, not a given API

# Prefect then cannot start a temporary server: a command that succeeds with it ran on serve's API.
NO_TEMPORARY_SERVER = {"PREFECT_SERVER_EPHEMERAL_ENABLED": "false"}
PREFECT_APP = "prefect.server.api.server:create_app"


def prefect_children(serve: Serve) -> list[int]:
    return [pid for pid, cmd in _children(serve.process.pid).items() if PREFECT_APP in cmd]


def flow_run(api: str, run_id: str) -> dict[str, object]:
    response = httpx.get(f"{api}/flow_runs/{run_id}", timeout=10)
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cli, Serve]]:
    """A project, and serve with only its Prefect API (--no-web --no-scheduler), for the module."""
    base = tmp_path_factory.mktemp("served")
    cli = Cli(base / "data")
    cli.ok("init")
    cli.ok(*PROJECT)
    serve = Serve(cli, base / "serve.log", "--no-web", "--no-scheduler")
    try:
        text = serve.ready()
        assert "web app off (--no-web)" in text and "scheduler off (--no-scheduler)" in text
        yield cli, serve
    finally:
        assert serve.stop() == 0
    assert "Traceback" not in serve.output()


def test_a_flow_command_runs_on_serves_prefect_api(served: tuple[Cli, Serve]) -> None:
    cli, serve = served
    found = serve.discovery()
    assert found["pid"] == serve.process.pid
    api = found["prefect_api_url"]
    assert api.startswith("http://127.0.0.1:"), "Prefect's API listens on loopback only"
    assert f"Prefect API on {api} (loopback only" in serve.output()

    result = cli.json("advance", "FAM-2026-01", **NO_TEMPORARY_SERVER)
    assert result["outcome"] == "refused"
    run = flow_run(api, result["flow_run_id"])
    assert run["state_type"] == "COMPLETED"
    assert run["parameters"]["ref"] == "FAM-2026-01"  # type: ignore[index]


def test_without_serve_the_same_command_could_not_have_run(tmp_path: Path) -> None:
    """The control for the test above: NO_TEMPORARY_SERVER really stops a command that has no serve."""
    other = Cli(tmp_path / "data")
    other.ok("init")
    other.ok(*PROJECT)
    done = other.run("advance", "FAM-2026-01", **NO_TEMPORARY_SERVER)
    assert done.returncode != 0 and "No Prefect API URL provided" in done.stderr


def which_api(cli: Cli, **env: str) -> subprocess.CompletedProcess[str]:
    """What start_prefect chose in a fresh process: the PREFECT_API_URL it left, or '' for the temporary server."""
    code = (
        "import os\n"
        "from flows.common.settings import load_settings\n"
        "from flows.common.runtime import start_prefect\n"
        "start_prefect(load_settings())\n"
        "print(os.environ.get('PREFECT_API_URL', ''))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env={**cli.env, **env}, capture_output=True, text=True, timeout=120
    )


def test_an_explicit_prefect_api_url_wins_and_the_temporary_server_can_be_forced(served: tuple[Cli, Serve]) -> None:
    cli, serve = served
    api = serve.discovery()["prefect_api_url"]
    assert which_api(cli).stdout.strip() == api
    # An explicit URL is the one used, not serve's: one that does not answer is refused in its own name
    # (flows/common/prefect_check.py), rather than the serve's API found and used in its place.
    mine = "http://127.0.0.1:9/api"
    refused = which_api(cli, PREFECT_API_URL=mine)
    assert refused.returncode != 0 and refused.stdout.strip() == "", refused.stderr
    assert f"cannot reach the Prefect API at {mine} (PREFECT_API_URL)" in refused.stderr
    assert which_api(cli, COMMISSIONING_PREFECT="temporary").stdout.strip() == ""
    bad = which_api(cli, COMMISSIONING_PREFECT="sometimes")
    assert bad.returncode != 0 and "COMMISSIONING_PREFECT 'sometimes' is not a choice" in bad.stderr


def test_a_stale_file_whose_process_is_alive_but_whose_api_hangs_falls_back(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "data")
    cli.ok("init")
    cli.ok(*PROJECT)
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        record = {"pid": os.getpid(), "prefect_api_url": f"http://127.0.0.1:{port}/api", "web_url": None}
        (cli.data_dir / "serve.json").write_text(json.dumps(record))
        result = cli.json("advance", "FAM-2026-01")
    assert result["outcome"] == "refused" and result["flow_run_id"]


def test_a_port_in_use_is_refused_before_anything_starts(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "data")
    cli.ok("init")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        line = cli.fails("serve", "--port", str(port))
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in line and "--port" in line
    assert not (cli.data_dir / "serve.json").exists()
    assert "not an address" in cli.fails("serve", "--host", "no such host.invalid", "--port", "0")


def test_serve_runs_web_scheduler_and_api_and_stops_cleanly(initialised: Cli, tmp_path: Path) -> None:
    cli = initialised
    serve = Serve(cli, tmp_path / "serve.log")
    try:
        text = serve.ready()
        assert "web app on http://127.0.0.1:" in text and "daily sweep 07:00 and delivery every 5 min" in text
        web = serve.web_url()
        assert serve.discovery()["web_url"] == web
        assert httpx.get(f"{web}/healthz", timeout=10).json() == {"status": "ok"}
        serve.wait_for(r"run at .*\"planned\": 0")  # the catch-up run, on serve's own API
        [api_child] = prefect_children(serve)
        environ = Path(f"/proc/{api_child}/environ").read_bytes().split(b"\0")
        assert not [v for v in environ if v.startswith(b"COMMISSIONING_")], "our settings stay out of Prefect's API"
    finally:
        code = serve.stop(signal.SIGINT)  # Ctrl-C stops as cleanly as SIGTERM
    assert code == 0 and "commission serve: stopped" in serve.output()
    assert "Traceback" not in serve.output()
    assert not (cli.data_dir / "serve.json").exists(), "a clean stop removes the discovery file"
    assert _poll(lambda: not _alive(api_child)), "the Prefect API stops with serve"


def test_a_killed_serve_takes_its_api_along_and_its_stale_file_is_ignored(initialised: Cli, tmp_path: Path) -> None:
    cli = initialised
    cli.ok(*PROJECT)
    serve = Serve(cli, tmp_path / "serve.log", "--no-web", "--no-scheduler")
    try:
        serve.ready()
        [api_child] = prefect_children(serve)
    finally:
        serve.stop(signal.SIGKILL)
    assert _poll(lambda: not _alive(api_child)), "the Prefect API must not outlive a killed serve"
    assert (cli.data_dir / "serve.json").exists(), "SIGKILL leaves the file behind: the case to survive"

    result = cli.json("advance", "FAM-2026-01")  # falls back to the temporary server
    assert result["outcome"] == "refused"

    again = Serve(cli, tmp_path / "again.log", "--no-web", "--no-scheduler")  # the lock died with it
    try:
        again.ready()
        assert again.discovery()["pid"] == again.process.pid
    finally:
        assert again.stop() == 0


def test_serve_on_postgresql_shows_no_password_anywhere(cli: Cli, postgres_server_url: str, tmp_path: Path) -> None:
    """What serve prints, the files it writes and its Prefect API's environment carry no database password."""
    from sqlalchemy.engine import make_url

    from tests.e2e.test_secrets import SECRET, _leaks

    server = make_url(postgres_server_url)  # trust authentication: the password is accepted and ignored
    url = f"postgresql://{server.username}:{SECRET}@{server.host}:{server.port}/{server.database}"
    cli.env["COMMISSIONING_DATABASE_URL"] = url
    cli.ok("init")
    serve = Serve(cli, tmp_path / "serve.log")
    try:
        text = serve.ready()
        assert "running against postgresql" in text and "***" in text
        assert httpx.get(f"{serve.web_url()}/healthz", timeout=10).status_code == 200
        serve.wait_for(r"run at .*\"planned\": 0")
        [api_child] = prefect_children(serve)
        assert SECRET.encode() not in Path(f"/proc/{api_child}/environ").read_bytes()
    finally:
        assert serve.stop() == 0
    assert SECRET not in serve.output()
    assert _leaks(cli, []) == [], "nothing under the data dir (serve.json, Prefect's log) holds the password"
