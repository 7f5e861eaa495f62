"""The correction forms on the project and contract pages call the same services as the CLI.

FAM-1 (in Analyse) gets one item of evidence, which Cara withdraws from the project page; HF-2026-01 (a break on
31 March 2027 on 3 months' notice: the break-notice deadline is 31 December 2026) has its deadline marked handled
from the contract page.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from flows.contracts.due import due
from flows.cycle.evidence import add_evidence, evidence_register
from tests.integration.cycle.test_projects import EVIDENCE
from tests.support.web import csrf_of

Client = Callable[[str], TestClient]


def test_a_commissioner_withdraws_evidence_from_the_project_page(as_role: Client, settings: Any) -> None:
    item = add_evidence(settings, ref="FAM-1", fields=EVIDENCE, as_of=dt.datetime.now(dt.UTC), actor="cara")
    cara = as_role("commissioner")
    token = csrf_of(cara.get("/projects/FAM-1").text)
    page = f"/projects/FAM-1/evidence/{item.id}/withdraw"
    refused = cara.post(page, data={"csrf_token": token, "reason": " "}, follow_redirects=False)
    assert refused.status_code == 303 and "reason: say why" in (said := cara.get("/projects/FAM-1").text)
    assert "--reason" not in said  # the field's name, not the command line's flag
    done = cara.post(page, data={"csrf_token": token, "reason": "Counted twice"}, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/projects/FAM-1#evidence")
    html = cara.get("/projects/FAM-1").text
    assert "was withdrawn" in html and "Counted twice" in html
    [kept] = evidence_register(settings, ref="FAM-1", kind=None)
    assert (kept["withdrawn"]["by"], kept["withdrawn"]["reason"]) == ("cara", "Counted twice")


def test_a_commissioner_marks_a_key_date_handled_from_the_contract_page(as_role: Client, settings: Any) -> None:
    cara = as_role("commissioner")
    before = cara.get("/contracts/HF-2026-01").text
    row = next(r for r in before.split("<tr>") if r.startswith("<td>2026-12-31</td><td>break notice deadline"))
    assert "Handled:" not in row and "Mark handled" in row
    token = csrf_of(before)
    form = {"csrf_token": token, "handled_as": "not-breaking", "note": "Annual review: continue"}
    done = cara.post("/contracts/HF-2026-01/keydates/break_notice_deadline:1/handle", data=form,
                     follow_redirects=False)  # fmt: skip
    assert (done.status_code, done.headers["location"]) == (303, "/contracts/HF-2026-01#timeline")
    html = cara.get("/contracts/HF-2026-01").text
    assert "was marked handled" in html
    # the key dates table says it in words beside the date, not by colour alone, and offers no second form
    row = next(r for r in html.split("<tr>") if r.startswith("<td>2026-12-31</td><td>break notice deadline"))
    assert "Handled: not breaking" in row and "by cara: Annual review: continue" in row
    assert "Mark handled" not in row
    rows = [r for r in due(settings, as_of=dt.datetime.now(dt.UTC), within_days=3650)
            if r["contract"] == "HF-2026-01" and r["key"] == "break_notice_deadline:1"]  # fmt: skip
    assert [r["handled"] for r in rows] == ["not-breaking"]


def test_an_auditor_may_not_post_a_correction(as_role: Client) -> None:
    audrey = as_role("auditor")
    token = csrf_of(audrey.get("/contracts/HF-2026-01").text)
    form = {"csrf_token": token, "handled_as": "done", "note": "x"}
    answer = audrey.post("/contracts/HF-2026-01/keydates/break_notice_deadline:1/handle", data=form,
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 403
