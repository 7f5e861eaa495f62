"""The production path: flows run against a real `prefect server`, reached through PREFECT_API_URL."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Cli
from tests.support.prefect_server import prefect_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def prefect_api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prefect server on 127.0.0.1 with its own home, stopped after the module."""
    with prefect_server(tmp_path_factory.mktemp("prefect-server")) as url:
        yield url


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
    # the sweep plans, delivers and expires pending proposals past their time (issue 16)
    assert sorted(t["name"].rsplit("-", 1)[0] for t in tasks) == [
        "deliver-reminders",
        "expire-proposals",
        "plan-reminders",
    ]
