"""The run-mode switch and what a submitter says of a deployment run's state (no Prefect server needed; the
runs themselves are in tests/e2e/test_workers.py)."""

from types import SimpleNamespace

import pytest

from flows.common.deployment_runs import (
    DEPLOYMENTS,
    IN_PROCESS,
    REFUSED,
    outcome,
    run_mode,
    sentence,
    shortened,
    wait_seconds,
)
from flows.common.errors import UserError
from flows.pbr.pbr_flows import run

RUN = "0c9e5d1a-4f7b-4c1e-9a57-2b6f1f0e7d11"


def state(kind: str, name: str, message: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(type=SimpleNamespace(value=kind), name=name, message=message)


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("COMMISSIONING_RUN_MODE", "COMMISSIONING_RUN_WAIT_SECONDS", "PREFECT_API_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_in_process_unless_deployments_are_asked_for_with_a_server_named(clean: pytest.MonkeyPatch) -> None:
    assert run_mode() == IN_PROCESS
    clean.setenv("COMMISSIONING_RUN_MODE", "Deployments ")
    with pytest.raises(UserError, match="needs PREFECT_API_URL naming the Prefect server"):
        run_mode()
    clean.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    assert run_mode() == DEPLOYMENTS
    clean.setenv("COMMISSIONING_RUN_MODE", "workers")
    with pytest.raises(UserError, match=r"'workers' is not a mode; use in-process \(the default\) or deployments"):
        run_mode()


def test_a_bad_mode_is_refused_before_any_flow_runs(clean: pytest.MonkeyPatch) -> None:
    clean.setenv("COMMISSIONING_RUN_MODE", "cloud")
    with pytest.raises(UserError, match="'cloud' is not a mode"):
        run("reconcile", contract="FCF-2025-01")


def test_the_wait_is_seconds_not_below_zero(clean: pytest.MonkeyPatch) -> None:
    assert wait_seconds() == 3600.0
    clean.setenv("COMMISSIONING_RUN_WAIT_SECONDS", "0")
    assert wait_seconds() == 0.0
    clean.setenv("COMMISSIONING_RUN_WAIT_SECONDS", "an hour")
    with pytest.raises(UserError, match="'an hour' is not a number of seconds"):
        wait_seconds()
    clean.setenv("COMMISSIONING_RUN_WAIT_SECONDS", "-5")
    with pytest.raises(UserError, match="'-5' is negative"):
        wait_seconds()


def test_a_completed_run_is_said_with_its_id_and_a_running_one_as_still_running() -> None:
    done = outcome(RUN, "reconcile/reconcile", state("COMPLETED", "Completed"))
    assert sentence(done) == f"Flow run {RUN} of reconcile/reconcile on the Prefect server: Completed."
    waiting = outcome(RUN, "payment-run/payment-run", state("PENDING", "Pending"))
    assert sentence(waiting) == (
        f"Flow run {RUN} of payment-run/payment-run on the Prefect server: Pending; it goes on without this command: "
        "follow it on the Prefect server."
    )


def test_a_refusal_keeps_the_flows_words_and_a_crash_names_the_run() -> None:
    with pytest.raises(UserError) as refused:
        outcome(RUN, "reconcile/reconcile", state("FAILED", "Failed", REFUSED + "no contract with reference 'X-1'"))
    assert str(refused.value) == "no contract with reference 'X-1'"
    with pytest.raises(UserError) as crashed:
        outcome(RUN, "import-claims/import-claims", state("CRASHED", "Crashed", "No heartbeat for 90 s: its worker "
                                                                                "or machine stopped."))  # fmt: skip
    assert str(crashed.value) == (
        f"flow run {RUN} of import-claims/import-claims ended Crashed: No heartbeat for 90 s: its worker or "
        "machine stopped."
    )
    with pytest.raises(UserError, match="ended Failed: no reason given; see the flow run's logs"):
        outcome(RUN, "reconcile/reconcile", state("FAILED", "Failed"))


def test_a_published_result_keeps_the_first_fifty_rejections_and_only_failed_sends() -> None:
    # An import of 120 claims, every one rejected: a worker publishes the first 50 (the CLI shows 50) and
    # counts the other 70, so the CLI still says "... and 70 more".
    rejections = [{"line": n + 2, "claim_ref": f"C-{n + 1}"} for n in range(120)]
    imported = shortened({"rows": 120, "rejected": 120, "rejections": rejections})
    assert imported["rejections"] == rejections[:50] and imported["rejections_omitted"] == 70
    assert (imported["rows"], imported["rejected"]) == (120, 120)
    # A delivery of three messages, one to a target that refused it: only the failure is listed (the CLI
    # shows failures only); the two sent are counted.
    attempts = [{"tag": "owner", "target": "json://127.0.0.1/hook", "ok": True, "error": None},
                {"tag": "finance", "target": "json://127.0.0.1/hook", "ok": False, "error": "HTTP 500"},
                {"tag": "commissioning", "target": "json://127.0.0.1/hook", "ok": True, "error": None}]  # fmt: skip
    swept = shortened({"sweep": {"planned": 3}, "delivery": {"messages": 3, "sent": 2, "attempts": attempts}})
    assert swept["delivery"] == {"messages": 3, "sent": 2, "attempts": [attempts[1]], "attempts_omitted": 2}
    assert swept["sweep"] == {"planned": 3}
    # A result with no long list is published as it is.
    assert shortened({"contract": "FCF-2025-01", "rows": []}) == {"contract": "FCF-2025-01", "rows": []}
