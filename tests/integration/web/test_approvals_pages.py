"""The Approvals pages and their API twins, with finn (finance) proposing FCF-2025-01's rate card and fran (the
second finance user) deciding; cara (commissioner) and audrey (auditor) read; nora (provider) sees none."""

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from flows.pbr.ratecards import propose_rate_card
from flows.pbr.sampling import sample_validation
from tests.support.builders import FCF_CARD, fcf_contract, fcf_paid

Client = Callable[[str], TestClient]


def proposed(settings: Any) -> int:
    fcf_contract(settings, card=None)
    made = propose_rate_card(settings, FCF_CARD, as_of=dt.datetime.now(dt.UTC), actor="finn")
    return int(made["proposal"]["id"])


def test_council_readers_see_the_preview_only_finance_sees_the_forms(as_role: Client, settings: Any) -> None:
    n = proposed(settings)
    cara = as_role("commissioner")
    assert "rate card from 2025-10-01" in cara.get("/approvals").text
    page = cara.get(f"/approvals/{n}").text
    assert "In force from" in page and "central fund, council" in page and ">Approve</button>" not in page
    assert ">Approve</button>" in as_role("finance").get(f"/approvals/{n}").text
    assert as_role("provider").get("/approvals").status_code == 403


def test_the_api_refuses_the_proposer_and_lets_a_second_finance_user_approve(
    client: TestClient, world: dict[str, str], settings: Any
) -> None:
    n = proposed(settings)

    def bearer(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {world[role]}"}

    [row] = client.get("/api/v1/approvals", headers=bearer("auditor")).json()
    assert (row["id"], row["proposed_by"], row["status"]) == (n, "finn", "pending")
    own = client.post(f"/api/v1/approvals/{n}/approve", headers=bearer("finance"))
    assert own.status_code == 400 and "finn proposed it; the approver must be someone else" in own.json()["detail"]
    assert client.post(f"/api/v1/approvals/{n}/approve", headers=bearer("auditor")).status_code == 403
    done = client.post(f"/api/v1/approvals/{n}/approve", headers=bearer("checker")).json()
    assert (done["proposal"]["status"], done["proposal"]["approved_by"][0]["by"]) == ("approved", "fran")
    assert done["result"]["status"] == "added"
    assert client.get("/api/v1/approvals", headers=bearer("auditor")).json() == []  # nothing pending now


def test_a_samples_proposal_page_shows_the_sample_and_each_claims_clawback(
    as_role: Client, settings: Any, tmp_path: Path
) -> None:
    fcf_paid(settings, tmp_path)  # 2026-Q1 paid; C-1 clawed back since
    sample = {"size": 2, "seed": 3, "as_of": dt.datetime(2026, 4, 10, 9, tzinfo=dt.UTC), "actor": "finn",
              "reason": "pilot"}  # fmt: skip
    drawn = sample_validation(settings, "FCF-2025-01", "2026-Q1", results=None, **sample)  # type: ignore[arg-type]
    refs = [i["claim"] for i in drawn.items]
    invalid = next(r for r in refs if r != "C-1")  # C-1 is clawed back already: nothing left to take
    checks = tmp_path / "checks.csv"
    checks.write_text("claim_ref,result,note\n" + "".join(
        f"{r},{'invalid,no evidence' if r == invalid else 'valid,'}\n" for r in refs), encoding="utf-8")  # fmt: skip
    done = sample_validation(settings, "FCF-2025-01", "2026-Q1", results=checks, **sample)  # type: ignore[arg-type]
    assert done.concluded is not None
    page = as_role("finance").get(f"/approvals/{done.concluded['proposal']}").text
    assert "The sample" in page and f"clawback of claim {invalid}" in page and ">Approve</button>" in page


def test_an_approval_whose_schedules_cannot_be_placed_warns_the_approver_on_the_page(
    as_role: Client, settings: Any, tmp_path: Path
) -> None:
    """The run is paid once the approval commits; if its schedules cannot then be placed (here a file where the
    period's folder goes), the approver is told so on the page, with how to write them, not "approved" alone."""
    from flows.pbr.claims_import import import_claims
    from flows.pbr.participants import import_participants
    from flows.pbr.payment_runs import propose_payment_run
    from tests.support.builders import FCF_CLAIMS, FCF_PARTICIPANTS
    from tests.support.web import csrf_of

    fcf_contract(settings)
    (tmp_path / "people.csv").write_text(FCF_PARTICIPANTS, encoding="utf-8")
    import_participants(settings, tmp_path / "people.csv", as_of=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), actor="f")
    (tmp_path / "claims.csv").write_text(FCF_CLAIMS, encoding="utf-8")
    import_claims(settings, tmp_path / "claims.csv", as_of=dt.datetime(2026, 3, 2, tzinfo=dt.UTC), actor="f")
    run = propose_payment_run(settings, "FCF-2025-01", "2026-Q1", as_of=dt.datetime(2026, 4, 2, tzinfo=dt.UTC),
                              actor="finn")  # fmt: skip
    n = run["proposal"]["id"]
    (settings.data_dir / "payments" / "FCF-2025-01" / "2026-Q1").write_text("in the way\n")
    fran = as_role("checker")
    page = fran.post(f"/approvals/{n}/approve", data={"csrf_token": csrf_of(fran.get(f"/approvals/{n}").text)},
                     follow_redirects=True).text  # fmt: skip
    assert 'class="banner banner-warning" role="alert"' in page, page
    assert f"Proposal {n} (" in page and "is approved and its run is paid, but:" in page
    assert "the run is paid, but its schedules were not written" in page
    assert "commission pay --contract FCF-2025-01 --period 2026-Q1" in page


def test_the_approval_api_names_the_schedules_by_file_not_by_the_servers_path(
    client: TestClient, world: dict[str, str], settings: Any, tmp_path: Path
) -> None:
    from flows.pbr.claims_import import import_claims
    from flows.pbr.participants import import_participants
    from flows.pbr.payment_runs import propose_payment_run
    from tests.support.builders import FCF_CLAIMS, FCF_PARTICIPANTS

    fcf_contract(settings)
    (tmp_path / "people.csv").write_text(FCF_PARTICIPANTS, encoding="utf-8")
    import_participants(settings, tmp_path / "people.csv", as_of=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), actor="f")
    (tmp_path / "claims.csv").write_text(FCF_CLAIMS, encoding="utf-8")
    import_claims(settings, tmp_path / "claims.csv", as_of=dt.datetime(2026, 3, 2, tzinfo=dt.UTC), actor="f")
    run = propose_payment_run(settings, "FCF-2025-01", "2026-Q1", as_of=dt.datetime(2026, 4, 2, tzinfo=dt.UTC),
                              actor="finn")  # fmt: skip
    n = run["proposal"]["id"]
    answer = client.post(f"/api/v1/approvals/{n}/approve", headers={"Authorization": f"Bearer {world['checker']}"})
    assert answer.status_code == 200, answer.text
    schedules = answer.json()["result"]["schedules"]
    assert schedules and all(name.endswith(".csv") and "/" not in name for name in schedules), schedules
    assert str(settings.data_dir) not in answer.text  # it showed /.../payments/FCF-2025-01/2026-Q1/...
