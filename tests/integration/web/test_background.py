"""Long work from a page runs in the background: the claims page shows the job's stage and refreshes itself
until the report is ready; only its owner sees it; the same file posted from two tabs at once is imported once."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from flows.common.runtime import database
from flows.pbr.reconcile import reconcile
from models.db import unit_of_work
from models.pbr.claims import ClaimImport
from tests.integration.web.test_uploads import EXAMPLES, finished, pbr, post_claims

Client = Callable[[str], TestClient]
__all__ = ["pbr"]  # the fixture, shared with the upload tests
CLAIMS = (EXAMPLES / "fcf-claims.csv").read_bytes()
ROWS = CLAIMS.count(b"\n") - 1


def test_the_page_shows_progress_then_the_report(
    as_role: Client, settings: Any, pbr: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.pbr.uploads import import_contract_claims

    release = threading.Event()

    def held(*args: Any, progress: Callable[[str], None], **kwargs: Any) -> dict[str, Any]:
        progress("Checking every row of the file")
        assert release.wait(60), "the test never let the import go on"
        return import_contract_claims(*args, progress=progress, **kwargs)

    monkeypatch.setattr("flows.web.pages.claims.import_contract_claims", held)
    finn = as_role("finance")
    location = post_claims(finn, pbr, "claims.csv", CLAIMS)
    job = location.split("job=")[1]
    try:
        running = finn.get(location).text
        assert 'id="progress"' in running and '<meta http-equiv="refresh" content="2">' in running
        assert "claims.csv" in running and "Checking every row of the file" in running
        assert f'href="/contracts/{pbr}/claims?job={job}">Refresh now' in running  # without JavaScript too
        assert finn.get(f"/api/v1/jobs/{job}").json() == {
            "job": job, "title": "claims.csv", "state": "running", "stage": "Checking every row of the file",
            "error": None, "result": None,
        }  # fmt: skip
        cara = as_role("commissioner")  # another user: no such job
        assert cara.get(f"/api/v1/jobs/{job}").status_code == 404
        assert cara.get(f"/contracts/{pbr}/claims?job={job}").status_code == 404
    finally:
        release.set()
    done = finished(finn, location)
    assert "meta http-equiv" not in done and "Validation report" in done
    assert f"claims.csv: {ROWS} claim(s) read" in done
    answer = finn.get(f"/api/v1/jobs/{job}")
    assert answer.json()["state"] == "done"
    assert answer.json()["result"]["source"] == "claims.csv"  # the file as uploaded: it showed our folder's path
    assert str(settings.data_dir) not in answer.text
    assert reconcile(settings, pbr).totals["claims"] == ROWS
    # the same file again: a no-op the page says is one (it read "0 accepted, 0 partly accepted, 0 rejected")
    monkeypatch.setattr("flows.web.pages.claims.import_contract_claims", import_contract_claims)
    again = finished(finn, post_claims(finn, pbr, "claims.csv", CLAIMS))
    assert f"0 rejected, {ROWS} already imported (unchanged)." in again, again[-2000:]
    assert reconcile(settings, pbr).totals["claims"] == ROWS


def test_the_same_file_from_two_tabs_at_once_is_imported_once(as_role: Client, settings: Any, pbr: str) -> None:
    tabs = [as_role("finance"), as_role("finance")]
    locations: list[str] = []
    start = threading.Barrier(2, timeout=60)

    def post(tab: TestClient) -> None:
        start.wait()
        locations.append(post_claims(tab, pbr, "claims.csv", CLAIMS))

    threads = [threading.Thread(target=post, args=(tab,)) for tab in tabs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(locations) == 2 and locations[0] != locations[1]
    pages = [finished(tab, loc) for tab, loc in zip(tabs, locations, strict=True)]
    for html in pages:
        assert f"{ROWS} claim(s) read" in html, html[-2000:]
    assert reconcile(settings, pbr).totals["claims"] == ROWS
    with unit_of_work(database(settings)) as session:
        assert session.exec(select(func.count()).select_from(ClaimImport)).one() == 1
