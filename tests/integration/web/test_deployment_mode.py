"""With COMMISSIONING_RUN_MODE=deployments the web app hands its long work to the Prefect server's workers: a
claims upload, a period proposed for payment and a sweep each become a run of their deployment, and the page
says the flow run's id and state, and, once the run published its result, that result as in-process. The
workers are stood in for here (``submit`` records what it is given, or runs it here and publishes its result);
tests/e2e/test_workers.py and test_worker_results.py run the real ones."""

import json
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from flows.common.deployment_runs import outcome, shortened
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
    monkeypatch.setattr("flows.common.prefect_check.check_prefect_api", lambda url: None)  # and its health check
    monkeypatch.setattr("flows.pbr.pbr_flows.submit", submit)
    monkeypatch.setattr("flows.common.deployment_runs.submit", submit)
    yield runs


@pytest.fixture
def worked(monkeypatch: pytest.MonkeyPatch, prefect_engine: None) -> None:
    """A worker that runs the flow on the tests' Prefect engine and publishes its result, as
    flows/common/deployment_runs.published does: plain JSON, long lists cut to 50."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.pbr.pbr_flows import run

    engine = PREFECT_API_URL.value()  # read before the deployment mode's server is named below

    def submit(deployment: str, parameters: dict[str, Any], **_: Any) -> dict[str, Any]:
        with temporary_settings({PREFECT_API_URL: engine}):
            result = run(deployment.split("/")[0], here=True, **parameters)
        said = outcome(RUN, deployment, SimpleNamespace(type=SimpleNamespace(value="COMPLETED"), name="Completed",
                                                        message=None))  # fmt: skip
        return {**said, "result": json.loads(json.dumps(shortened(result), default=str))}

    monkeypatch.setenv("COMMISSIONING_RUN_MODE", "deployments")
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # never called: submit is stood in for
    monkeypatch.setattr("flows.common.prefect_check.check_prefect_api", lambda url: None)  # and its health check
    monkeypatch.setattr("flows.pbr.pbr_flows.submit", submit)


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


def test_a_workers_published_result_is_shown_as_in_process(as_role: Client, pbr: str, worked: None) -> None:
    """The worker imports examples/fcf-claims.csv and proposes 2025-Q4: the pages say what it did, as they do
    in-process (tests/integration/web/test_background.py), and who did it."""
    finn = as_role("finance")
    page = finished(finn, post_claims(finn, pbr, "claims.csv", (EXAMPLES / "fcf-claims.csv").read_bytes()))
    assert "claims.csv: 165 claim(s) read: 154 accepted, 2 partly accepted, 9 rejected, 0 already imported" in page
    assert "Validation report" in page and page.count('<strong class="tag tag-red">rejected') == 9
    assert f"Flow run {RUN} of import-claims/import-claims on the Prefect server: Completed." in page
    token = csrf_of(finn.get(f"/contracts/{pbr}/payments").text)
    answer = finn.post(f"/contracts/{pbr}/payments", data={"csrf_token": token, "period": "2025-Q4"},
                       follow_redirects=False)  # fmt: skip
    proposal = answer.headers["location"]
    assert proposal.startswith("/approvals/")
    said = finn.get(proposal).text
    assert f"of payment-run/payment-run on the Prefect server: Completed. Payment run 2025-Q4 proposed (proposal " \
           f"{proposal.rsplit('/', 1)[1]}): it would pay £10500.00." in said  # fmt: skip


def test_a_report_cut_short_says_so_and_links_to_every_rejected_claim(as_role: Client, pbr: str, worked: None) -> None:
    """The example file and 60 claims for participants nobody referred (each rejected): 69 rejected and 2
    partly accepted. A worker publishes the first 50 by line; the page says so and links to the lists."""
    extra = "".join(f"FCF-2025-01,NB-X{n:03},P-9{n:02},ASSESS_1,2025-10-21,,assessment_form\n" for n in range(60))
    body = (EXAMPLES / "fcf-claims.csv").read_bytes() + extra.encode()
    finn = as_role("finance")
    page = finished(finn, post_claims(finn, pbr, "claims.csv", body))
    assert "225 claim(s) read: 154 accepted, 2 partly accepted, 69 rejected, 0 already imported" in page
    assert page.count("<tr><td>") == 50 and "The first 50 of 71 by line." in page
    assert f'href="/claims?contract={pbr}&amp;status=rejected"' in page
    listed = finn.get(f"/claims.csv?contract={pbr}&status=rejected").text
    assert listed.count("\n") == 1 + 69  # the header and every rejected claim
