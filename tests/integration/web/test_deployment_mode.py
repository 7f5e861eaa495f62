"""With COMMISSIONING_RUN_MODE=deployments the web app hands its long work to the Prefect server's workers: a
claims upload, a period proposed for payment and a sweep each become a run of their deployment, and the page
says the flow run's id and state. The workers are stood in for here (``submit`` records what it is given);
tests/e2e/test_workers.py runs the real ones."""

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from flows.common.deployment_runs import outcome
from flows.pbr.reconcile import reconcile
from flows.reminders.outbox import list_reminders
from tests.integration.web.test_sweep import sweep
from tests.integration.web.test_uploads import EXAMPLES, finished, pbr, post_claims
from tests.support.web import csrf_of

Client = Callable[[str], TestClient]
__all__ = ["pbr"]
RUN = "5b0c2f7e-1d2a-4c7b-8e6f-0a9d3c4b5e61"


@pytest.fixture
def submitted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """The runs handed to the workers, each said to have completed."""
    runs: list[tuple[str, dict[str, Any]]] = []

    def submit(
        deployment: str, parameters: dict[str, Any], *, progress: Any = lambda s: None, wait: bool = True
    ) -> dict[str, Any]:
        runs.append((deployment, parameters))
        progress(f"Submitted to the Prefect server's workers as flow run {RUN} ({deployment})")
        return outcome(RUN, deployment, SimpleNamespace(type=SimpleNamespace(value="COMPLETED"), name="Completed",
                                                         message=None))  # fmt: skip

    monkeypatch.setenv("COMMISSIONING_RUN_MODE", "deployments")
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # never called: submit is stood in for
    monkeypatch.setattr("flows.pbr.pbr_flows.submit", submit)
    monkeypatch.setattr("flows.common.deployment_runs.submit", submit)
    yield runs


def test_a_claims_upload_is_a_run_of_the_import_deployment(
    as_role: Client, settings: Any, pbr: str, submitted: list[tuple[str, dict[str, Any]]]
) -> None:
    finn = as_role("finance")
    page = finished(finn, post_claims(finn, pbr, "claims.csv", (EXAMPLES / "fcf-claims.csv").read_bytes()))
    assert f"claims.csv: flow run {RUN} of import-claims/import-claims on the Prefect server: Completed." in page
    assert "Validation report" not in page  # the worker has the report; its claims are in the claims list
    [(deployment, parameters)] = submitted
    assert deployment == "import-claims/import-claims" and parameters["actor"] == "finn"
    assert parameters["path"].startswith(str(settings.data_dir.resolve()))  # a path the workers share
    assert reconcile(settings, pbr).totals["claims"] == 0  # nothing imported here: the stand-in worker did nothing


def test_a_payment_proposal_is_a_run_of_the_payment_run_deployment(
    as_role: Client, pbr: str, submitted: list[tuple[str, dict[str, Any]]]
) -> None:
    finn = as_role("finance")
    token = csrf_of(finn.get(f"/contracts/{pbr}/payments").text)
    answer = finn.post(f"/contracts/{pbr}/payments", data={"csrf_token": token, "period": "2026-Q1"},
                       follow_redirects=False)  # fmt: skip
    assert (answer.status_code, answer.headers["location"]) == (303, "/approvals")
    page = finn.get("/approvals").text
    assert f"Flow run {RUN} of payment-run/payment-run on the Prefect server: Completed. The proposal waits" in page
    [(deployment, parameters)] = submitted
    assert deployment == "payment-run/payment-run"
    assert (parameters["contract"], parameters["period"], parameters["actor"]) == (pbr, "2026-Q1", "finn")


def test_the_sweep_button_is_a_run_of_the_sweep_deployment(
    as_role: Client, settings: Any, submitted: list[tuple[str, dict[str, Any]]]
) -> None:
    page = sweep(as_role("commissioner"), "run")
    assert f"Flow run {RUN} of sweep-reminders/sweep on the Prefect server: Completed." in page
    [(deployment, parameters)] = submitted
    assert deployment == "sweep-reminders/sweep" and parameters["dry_run"] is False
    assert list_reminders(settings, limit=10) == []  # planned by the worker, not here
