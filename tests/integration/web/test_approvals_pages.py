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
