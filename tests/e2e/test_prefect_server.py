"""The production path: flows run against a real `prefect server`, reached through PREFECT_API_URL."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def prefect_api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prefect server on 127.0.0.1 with its own home, stopped after the module."""
    home = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({"PREFECT_HOME": str(home), "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    prefect = str(Path(sys.executable).with_name("prefect"))
    log = open(home / "server.log", "w")  # noqa: SIM115  (closed below)
    server = subprocess.Popen(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui", "--analytics-off"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if server.poll() is not None:
                pytest.fail(f"prefect server exited: {(home / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("prefect server did not become healthy within 120 s")
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()


def test_advance_runs_its_flow_on_the_real_server(tmp_path: Path, prefect_api_url: str) -> None:
    cli = Cli(tmp_path / "data", PREFECT_API_URL=prefect_api_url)
    init = cli.ok("init")
    assert "Prefect's local database" not in init  # a real server keeps its own
    cli.ok(
        "project",
        "add",
        "--ref",
        "HOM-2026-01",
        "--title",
        "Homelessness prevention",
        "--area",
        "Housing",
        "--owner",
        "Aisha Rahman",
        "--as-of",
        "2026-01-05",
    )
    result = cli.json("advance", "HOM-2026-01", "--as-of", "2026-01-12")
    assert result["outcome"] == "refused"
    assert not (cli.data_dir / "prefect" / "prefect.db").exists(), "no temporary local server was used"

    response = httpx.get(f"{prefect_api_url}/flow_runs/{result['flow_run_id']}", timeout=10)
    response.raise_for_status()
    run = response.json()
    assert run["state_type"] == "COMPLETED"
    assert run["parameters"]["ref"] == "HOM-2026-01"
    flow = httpx.get(f"{prefect_api_url}/flows/{run['flow_id']}", timeout=10).json()
    assert flow["name"] == "analyse-stage"
    tasks = httpx.post(
        f"{prefect_api_url}/task_runs/filter", json={"flow_runs": {"id": {"any_": [result["flow_run_id"]]}}}, timeout=10
    ).json()
    # On a real server the task runs are recorded too (the temporary local server skips them).
    assert [(t["name"].rsplit("-", 1)[0], t["state_type"]) for t in tasks] == [("decide-gate", "COMPLETED")]


def test_serve_runs_the_reminder_flow_on_the_real_server(tmp_path: Path, prefect_api_url: str) -> None:
    """The production set-up in the README: `commission serve` with PREFECT_API_URL."""
    from tests.e2e.serving import Serve

    cli = Cli(tmp_path / "data", PREFECT_API_URL=prefect_api_url)
    cli.ok("init")
    serve = Serve(cli, tmp_path / "serve.log")
    try:
        serve.wait_for(r"run at .*\"planned\": 0")
    finally:
        assert serve.stop() == 0
    assert not (cli.data_dir / "prefect" / "prefect.db").exists(), "no temporary local server was used"
    flows = httpx.post(f"{prefect_api_url}/flows/filter", json={"flows": {"name": {"any_": ["sweep-reminders"]}}})
    [flow] = flows.json()
    runs = httpx.post(f"{prefect_api_url}/flow_runs/filter", json={"flows": {"id": {"any_": [flow["id"]]}}}).json()
    assert runs and all(r["state_type"] == "COMPLETED" for r in runs)
    tasks = httpx.post(
        f"{prefect_api_url}/task_runs/filter", json={"flow_runs": {"id": {"any_": [runs[0]["id"]]}}}, timeout=10
    ).json()
    assert sorted(t["name"].rsplit("-", 1)[0] for t in tasks) == ["deliver-reminders", "plan-reminders"]
