"""The lists on the web and in the API: the same rows as the service, filtered from the query string, as CSV and
Excel downloads; a provider sees only their organisation's rows. The world: tests/support/web.py, and FCF-2025-01
(Northbridge YP Trust, whose provider user is Nora) paid for 2026-Q1 (tests/support/builders.py fcf_paid).
Olly is a provider user of Other Care Ltd, whose contracts are OTH-1 and OTH-PBR-1."""

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from flows.accounts.organisations import save_organisation
from flows.accounts.tokens import create_token
from flows.accounts.users import add_user
from flows.common.settings import Settings
from flows.web.pages import lists as lists_page
from tests.support.builders import fcf_paid
from tests.support.web import OTHER, PASSWORD, sign_in

Client = Callable[[str], TestClient]


@pytest.fixture
def olly(settings: Settings, world: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """Bearer headers for Olly (provider, Other Care Ltd); the FCF payments are made first."""
    fcf_paid(settings, tmp_path)
    save_organisation(settings, name="Other", provider_names=[OTHER], actor="setup")
    add_user(settings, username="olly", display_name="Olly Other", roles=["provider"], password=PASSWORD,
             organisation="Other", actor="setup")  # fmt: skip
    token, _ = create_token(settings, username="olly", purpose="api", name="tests", actor="setup")
    return {"Authorization": f"Bearer {token}"}


def test_claims_filtered_on_the_page_in_the_api_and_in_both_downloads(as_role: Client, olly: Any) -> None:
    finn = as_role("finance")
    page = finn.get("/claims?contract=FCF-2025-01&status=rejected")
    assert page.status_code == 200
    assert "C-4" in page.text and "C-5" in page.text and ">C-1<" not in page.text
    assert 'href="/claims.csv?contract=FCF-2025-01&amp;status=rejected"' in page.text
    rows = finn.get("/api/v1/claims?status=rejected").json()
    assert [(r["claim"], r["reasons"]) for r in rows] == [("C-4", "prerequisite_missing"), ("C-5", "ineligible")]
    csv_file = finn.get("/claims.csv?status=rejected")
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_file.headers["content-disposition"]
    read = list(csv.reader(io.StringIO(csv_file.text)))
    assert [(r[1], r[5]) for r in read[1:]] == [("C-4", "rejected"), ("C-5", "rejected")]
    book = openpyxl.load_workbook(io.BytesIO(finn.get("/ledger.xlsx?kind=payment").content)).active
    assert book is not None
    assert [(r[4].value, r[7].value) for r in list(book.iter_rows())[1:]] == [
        ("central fund", -1350),
        ("council", -3150),
    ]


def test_each_list_answers_for_a_council_reader(as_role: Client, olly: Any) -> None:
    audrey = as_role("auditor")
    assert [r["period"] for r in audrey.get("/api/v1/runs?contract=FCF-2025-01").json()] == ["2026-Q1"]
    assert [r["effective_from"] for r in audrey.get("/api/v1/ratecards").json()] == ["2025-10-01"]
    assert [r["participant"] for r in audrey.get("/api/v1/participants").json()] == ["P-001", "P-002", "P-003"]
    assert [r["ref"] for r in audrey.get("/api/v1/lists/contracts?provider=other").json()] == ["OTH-1", "OTH-PBR-1"]
    for path in ("/lists/contracts", "/claims", "/runs", "/ratecards", "/participants", "/ledger"):
        assert audrey.get(path).status_code == 200, path


def test_a_provider_sees_only_their_own_rows_and_another_providers_contract_is_a_404(
    as_role: Client, client: TestClient, app: Any, world: dict[str, str], olly: dict[str, str]
) -> None:
    nora = {"Authorization": f"Bearer {world['provider']}"}
    assert len(client.get("/api/v1/claims", headers=nora).json()) == 5
    assert [r["ref"] for r in client.get("/api/v1/lists/contracts", headers=nora).json()] == [
        "FCF-2025-01", "HF-2026-01", "HF-2026-02"
    ]  # fmt: skip
    for path in ("claims", "runs", "ratecards", "participants", "ledger"):
        assert client.get(f"/api/v1/{path}", headers=olly).json() == [], path
        refused = client.get(f"/api/v1/{path}?contract=FCF-2025-01", headers=olly)
        missing = client.get(f"/api/v1/{path}?contract=NOPE-1", headers=olly)
        assert refused.status_code == missing.status_code == 404 and refused.json() == missing.json(), path
    assert [r["ref"] for r in client.get("/api/v1/lists/contracts", headers=olly).json()] == ["OTH-1", "OTH-PBR-1"]
    with TestClient(app) as pages:
        assert sign_in(pages, "olly").status_code == 303
        assert pages.get("/claims.csv?contract=FCF-2025-01").status_code == 404
        assert pages.get("/claims").status_code == 200 and "P-001" not in pages.get("/claims").text
    nora_page = as_role("provider").get("/ledger?contract=OTH-PBR-1")
    assert nora_page.status_code == 404 and "FCF-2025-01" not in nora_page.text


@pytest.mark.parametrize(
    ("path", "message"),
    [  # the web's words: a field's name, never the command line's flag (--status, --period)
        ("/api/v1/claims?status=paid", "status: 'paid' is not a claim status; use accepted, partly_accepted or "
                                       "rejected"),
        ("/api/v1/lists/contracts?ending_within=-5", "ending within: -5 is not a number of days from 0 to 36600"),
        ("/api/v1/lists/contracts?ending_within=soon", "ending within: 'soon' is not a whole number of days"),
        ("/api/v1/ledger?period=2026-5", "period: '2026-5' is not a quarter such as 2026-Q1 or a month such as "
                                         "2026-01"),
        ("/api/v1/ledger?limit=0", "limit: '0' is not a whole number from 1 to 10,000"),
        ("/api/v1/ledger?limit=10001", "limit: '10001' is not a whole number from 1 to 10,000"),
        ("/api/v1/ledger?offset=-1", "offset: '-1' is not a whole number from 0 to 1,000,000,000,000"),
    ],
)  # fmt: skip
def test_a_bad_filter_is_a_400_in_words(client: TestClient, world: dict[str, str], path: str, message: str) -> None:
    refused = client.get(path, headers={"Authorization": f"Bearer {world['finance']}"})
    assert refused.status_code == 400 and refused.json() == {"detail": message}


def test_a_long_list_comes_a_page_at_a_time_on_the_web_and_in_the_api_and_downloads_whole(
    as_role: Client, olly: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ledger's ten entries (six accruals, two payments, C-1's two clawbacks), four to a page."""
    monkeypatch.setattr(lists_page, "PAGE_ROWS", 4)
    finn = as_role("finance")
    whole = finn.get("/api/v1/ledger?contract=FCF-2025-01")  # no limit or offset: every row, as before pages
    every = whole.json()
    assert len(every) == 10 and whole.headers["X-Total-Count"] == "10" and "Link" not in whole.headers
    monkeypatch.setattr(lists_page, "API_ROWS", 4)  # a page's rows when only the offset is given
    assert finn.get("/api/v1/ledger?contract=FCF-2025-01&offset=8").json() == every[8:]
    assert finn.get("/api/v1/ledger?contract=FCF-2025-01&offset=0").json() == every[:4]
    first, third = finn.get("/ledger?contract=FCF-2025-01"), finn.get("/ledger?contract=FCF-2025-01&page=3")
    assert "10 row(s): 1 to 4 shown." in first.text and "Page 1 of 3" in first.text
    assert 'href="/ledger?contract=FCF-2025-01&amp;page=2" rel="next"' in first.text and 'rel="prev"' not in first.text
    assert "10 row(s): 9 to 10 shown." in third.text and 'rel="next"' not in third.text
    assert 'href="/ledger?contract=FCF-2025-01&amp;page=2" rel="prev"' in third.text
    assert finn.get("/ledger?page=nine").status_code == 400
    beyond = finn.get("/ledger?contract=FCF-2025-01&page=4")
    assert "10 row(s): none on page 4" in beyond.text and "Nothing matches." in beyond.text
    part = finn.get("/api/v1/ledger?contract=FCF-2025-01&limit=3&offset=3")
    assert part.json() == every[3:6] and part.headers["X-Total-Count"] == "10"
    assert part.headers["Link"] == '</api/v1/ledger?contract=FCF-2025-01&limit=3&offset=6>; rel="next"'
    last = finn.get("/api/v1/ledger?contract=FCF-2025-01&limit=3&offset=9")
    assert last.json() == every[9:] and "Link" not in last.headers
    read = list(csv.reader(io.StringIO(finn.get("/ledger.csv?contract=FCF-2025-01").text)))
    assert [int(r[0]) for r in read[1:]] == [r["id"] for r in every]  # every row, not a page
