"""The Approvals pages and their API twins, with finn (finance) proposing FCF-2025-01's rate card and fran (the
second finance user) deciding; cara (commissioner) and audrey (auditor) read; nora (provider) sees none."""

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from flows.pbr.ratecards import propose_rate_card
from tests.support.builders import FCF_CARD, fcf_contract

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
