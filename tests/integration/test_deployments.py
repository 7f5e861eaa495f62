"""prefect.yaml declares a deployment for every flow, with the schedules the README promises."""

import ast
from pathlib import Path

import pytest

from flows.common.deployments import deploy_all, read_manifest
from flows.common.errors import UserError
from flows.common.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


def flows_in_code() -> set[str]:
    """Every ``path:function`` decorated with Prefect's @flow under flows/."""
    found = set()
    for path in (ROOT / "flows").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                for decorator in node.decorator_list:
                    target = decorator.func if isinstance(decorator, ast.Call) else decorator
                    if isinstance(target, ast.Name) and target.id == "flow":
                        found.add(f"{path.relative_to(ROOT)}:{node.name}")
    return found


def test_every_flow_has_a_deployment_on_the_commissioning_pool() -> None:
    manifest = read_manifest(ROOT)
    assert {d["entrypoint"] for d in manifest} == flows_in_code()
    assert all(d["work_pool"]["name"] == "commissioning" for d in manifest)
    assert len({d["name"] for d in manifest}) == len(manifest)


def test_the_sweep_and_delivery_run_on_london_time_outside_the_changing_hour() -> None:
    schedules = {d["name"]: d.get("schedules") for d in read_manifest(ROOT)}
    assert schedules["sweep"] == [{"cron": "0 7 * * *", "timezone": "Europe/London"}]
    assert schedules["delivery"] == [{"cron": "*/5 0,2-23 * * *", "timezone": "Europe/London"}]
    # One daily check proposes every contract's payment run on its day: no dates planned ahead to run out.
    assert schedules["scheduled-payment-runs"] == [{"cron": "0 9 * * *", "timezone": "Europe/London"}]


def test_deploy_needs_a_prefect_server_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with pytest.raises(UserError, match="PREFECT_API_URL is not set"):
        deploy_all(load_settings(), source=ROOT, pool="commissioning")


def test_a_source_without_prefect_yaml_is_named(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"prefect.yaml: cannot be read: No such file"):
        read_manifest(tmp_path)
