"""The pages as a person reads them, and their JSON twins: the same data from the same service call."""

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from flows.audit.log import audit_csv
from flows.contracts.decisions import decide
from flows.contracts.detail import contract_detail
from flows.cycle.evidence import evidence_register
from flows.cycle.projects import board
from tests.support.web import csrf_of

Client = Callable[[str], TestClient]


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_every_page_has_a_skip_link_one_h1_and_labelled_fields(as_role: Client) -> None:
    cara = as_role("commissioner")
    for path in ("/board", "/projects/FAM-1", "/contracts", "/contracts/HF-2026-01", "/due", "/reminders", "/audit",
                 "/account"):  # fmt: skip
        html = cara.get(path).text
        assert '<a href="#main" class="skip-link">Skip to main content</a>' in html, path
        assert html.count("<h1") == 1, path
        for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
            assert f'for="{field_id}"' in html, f"{path}: field {field_id} has no label"
        for table in re.findall(r"<table.*?</table>", html, re.S):
            assert "<thead><tr><th" in table, path


def test_the_board_in_columns_with_days_in_stage_and_gate_words(as_role: Client, settings: Any) -> None:
    cara = as_role("commissioner")
    page = text_of(cara.get("/board").text)
    assert "Analyse (1)" in page and "Review (1)" in page and "Gate not yet tried" in page
    assert "FAM-1" in text_of(cara.get("/board?mine=true").text)
    assert "HOM-1" not in text_of(cara.get("/board?mine=true").text)  # HOM-1's owner is "A"
    assert "FAM-1" not in text_of(cara.get("/board?area=Housing").text)
    api = cara.get("/api/v1/board").json()
    assert [r["ref"] for r in api] == [r["ref"] for r in board(settings)]
    assert all(isinstance(r["days_in_stage"], int) and r["gate_words"] for r in api)


def test_evidence_errors_sit_beside_their_fields_and_nothing_is_added(as_role: Client, settings: Any) -> None:
    cara = as_role("commissioner")
    token = csrf_of(cara.get("/projects/FAM-1").text)
    form = {"csrf_token": token, "kind": "what_works", "source": "", "strength": "eif:9", "link": "ftp://x"}
    answer = cara.post("/projects/FAM-1/evidence", data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/projects/FAM-1"
    html = cara.get("/projects/FAM-1").text
    assert 'class="error-summary"' in html and "There is a problem" in html
    assert re.search(r'id="source-error">.*Source is missing', html)
    assert re.search(r'id="strength-error">.*off the EIF scale', html)
    assert re.search(r'id="link-error">.*is not a web address', html)
    assert 'value="what_works" selected' in html  # what was typed is kept
    assert evidence_register(settings, ref="FAM-1", kind=None) == []
    assert 'class="error-summary"' not in cara.get("/projects/FAM-1").text  # shown once


def test_a_record_in_the_wrong_stage_is_refused_beside_its_field(as_role: Client) -> None:
    cara = as_role("commissioner")
    token = csrf_of(cara.get("/projects/FAM-1").text)
    cara.post(
        "/projects/FAM-1/records",
        data={"csrf_token": token, "kind": "award", "value": "awarded"},
        follow_redirects=False,
    )
    html = cara.get("/projects/FAM-1").text
    assert re.search(r'id="record_(value|kind)-error">', html)
    for on, said in (("2099-01-01", "is in the future"), ("2999-01-01", "is outside the years 1900-2200")):
        cara.post("/projects/FAM-1/records", data={"csrf_token": token, "kind": "business_case", "value": "x",
                                                   "on": on}, follow_redirects=False)  # fmt: skip
        assert said in cara.get("/projects/FAM-1").text


def test_contracts_are_searched_and_paged_with_decision_dates_in_words(as_role: Client) -> None:
    cara = as_role("commissioner")
    page = text_of(cara.get("/contracts").text)
    assert "3 contract(s)" in page and "£2,400,000.00" in page
    assert re.search(r"Under 60 days|Under 120 days|Later \(\d+ days\)", page)
    assert "1 contract(s) matching “Other”" in text_of(cara.get("/contracts?q=Other").text)
    api = cara.get("/api/v1/contracts?q=hf").json()
    assert api["total"] == 2 and [r["ref"] for r in api["rows"]] == ["HF-2026-01", "HF-2026-02"]


def test_a_decision_preview_writes_nothing(as_role: Client, settings: Any) -> None:
    before = contract_detail(settings, "HF-2026-01")
    html = as_role("commissioner").get("/contracts/HF-2026-01").text
    assert 'id="preview-extend"' in html and "Status becomes extended" in html
    assert contract_detail(settings, "HF-2026-01") == before
    import datetime as dt

    result = decide(settings, ref="HF-2026-01", action="extend", reason="r", as_of=dt.datetime.now(dt.UTC),
                    actor="t", preview=True)  # fmt: skip
    assert result["status"] == "extended" and contract_detail(settings, "HF-2026-01") == before


def test_a_decision_without_a_reason_is_refused_beside_the_reason(as_role: Client, settings: Any) -> None:
    cara = as_role("commissioner")
    token = csrf_of(cara.get("/contracts/HF-2026-01").text)
    cara.post(
        "/contracts/HF-2026-01/decision",
        data={"csrf_token": token, "action": "extend", "reason": " "},
        follow_redirects=False,
    )
    html = cara.get("/contracts/HF-2026-01").text
    assert re.search(r'id="decision_reason-error">.*needs a reason', html, re.S)
    assert contract_detail(settings, "HF-2026-01")["extensions_used"] == 0


def test_the_contract_timeline_marks_today_and_lists_every_key_date(as_role: Client, settings: Any) -> None:
    html = as_role("finance").get("/contracts/HF-2026-01").text
    svg = re.search(r"<svg.*?</svg>", html, re.S)
    assert svg and 'class="today"' in svg.group(0) and "Today 2026-" in svg.group(0)
    keys = contract_detail(settings, "HF-2026-01")["key_dates"]
    assert svg.group(0).count('class="dot') == len(keys)
    assert "Record a review decision" not in html  # finance reads; commissioners decide


def test_due_lists_soonest_first_and_draws_the_month(as_role: Client) -> None:
    cara = as_role("commissioner")
    rows = cara.get("/api/v1/due?days=400").json()
    assert rows == sorted(rows, key=lambda r: r["due_on"]) or all(r["missed"] for r in rows[:1])
    html = cara.get("/due?days=400").text
    # the page lists the same key dates as the API, in its order (the demo has fewer than a page of 50)
    assert 0 < len(rows) <= 50 and "Next page" not in html
    assert [m for m in re.findall(r'<a href="/contracts/([^"]+)">', html)] == [r["contract"] for r in rows]
    month = cara.get("/due/month").text
    assert "(today)" in month and 'aria-current="date"' in month
    # each day of this month says how many key dates fall on it: the API's rows of this month, counted here
    heading = re.search(r"Key dates in (\w+ \d{4})", month)
    assert heading is not None
    this_month = dt.datetime.strptime(heading.group(1), "%B %Y").strftime("%Y-%m")
    mine = [r for r in rows if r["due_on"].startswith(this_month)]
    said = re.findall(r'<span class="day">(\d+)[^<]*</span>\s*(?:<span class="event">(\d+) key date)?', month)
    assert {int(day): int(n) for day, n in said if n} == dict(Counter(int(r["due_on"][8:]) for r in mine))


def test_the_due_api_pages_the_window_with_a_link_to_the_next(as_role: Client) -> None:
    cara = as_role("commissioner")
    whole = cara.get("/api/v1/due?days=3000").json()
    assert len(whole) >= 5  # the demo's key dates over the next eight years
    pages, url = [], "/api/v1/due?days=3000&limit=2"
    for _ in range(len(whole)):  # bounded: at most one page per row
        answer = cara.get(url)
        assert answer.status_code == 200
        pages.append(answer.json())
        link = answer.headers.get("link")
        if link is None:
            break
        url = re.fullmatch(r'<([^>]+)>; rel="next"', link).group(1)  # type: ignore[union-attr]
    # pages of two, in order, make the whole window: nothing lost or repeated at a page's edge
    assert [row for page in pages for row in page] == whole
    assert all(len(page) == 2 for page in pages[:-1]) and 1 <= len(pages[-1]) <= 2
    assert cara.get("/api/v1/due?limit=0").status_code == 400
    assert cara.get("/api/v1/due?limit=5001").status_code == 400
    assert cara.get("/api/v1/due?limit=2&page=0").status_code == 400
    assert cara.get(f"/api/v1/due?limit=5000&page={10**18}").status_code == 400  # an offset past 64 bits


def test_the_audit_log_filters_and_exports_csv_without_formulas(as_role: Client) -> None:
    audrey = as_role("auditor")
    page = audrey.get("/api/v1/audit?contract=HF-2026-01").json()
    assert page["total"] >= 1 and {e["entity_ref"] for e in page["events"]} == {"HF-2026-01"}
    assert audrey.get("/api/v1/audit?actor=nobody").json()["total"] == 0
    csv_text = audrey.get("/audit.csv?contract=HF-2026-01").text
    assert csv_text.splitlines()[0] == "at,recorded_at,actor,entity,entity_ref,action,reason,before,after"
    assert audit_csv([{"reason": "=HYPERLINK(1)"}]).splitlines()[1] == ",,,,,,'=HYPERLINK(1),,"
    assert audrey.get("/audit?since=31/12/2026").status_code == 400


def test_admin_adds_a_user_with_errors_beside_fields(as_role: Client) -> None:
    ada = as_role("admin")
    token = csrf_of(ada.get("/admin").text)
    ada.post("/admin/users", data={"csrf_token": token, "username": "kim", "name": "Kim", "roles": ["finance"],
                                   "password": "tiny-pw"}, follow_redirects=False)  # fmt: skip
    html = ada.get("/admin").text
    assert re.search(r'id="new_password-error">.*at least 12 characters', html, re.S)
    assert 'value="kim"' in html and "tiny-pw" not in html  # the name is kept, never the password
    organisation = {"org_name": "Northbridge", "org_providers": "Northbridge YP Trust\nNorthbridge Trust"}
    ada.post("/admin/organisations", data={"csrf_token": token, **organisation}, follow_redirects=False)
    assert "Northbridge Trust; Northbridge YP Trust" in ada.get("/admin").text


def test_the_reconciliation_page_chart_and_csv(as_role: Client, settings: Any, app: Any) -> None:
    from tests.support.builders import fcf_contract

    ref = fcf_contract(settings)
    finn = as_role("finance")
    assert "/contracts/FCF-2025-01/reconciliation" in finn.get(f"/contracts/{ref}").text
    html = finn.get(f"/contracts/{ref}/reconciliation").text
    assert "Reconciliation of FCF-2025-01" in html and '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in html
    assert "Contract cap" in html or "No caps." in html
    csv_text = finn.get(f"/contracts/{ref}/reconciliation.csv").text
    assert csv_text.startswith("provider,contract,period,outcome,claims")
    assert finn.get(f"/api/v1/contracts/{ref}/reconciliation").json()["contract"] == ref
    workbook = finn.get(f"/contracts/{ref}/reconciliation.xlsx")
    assert workbook.content[:2] == b"PK" and "spreadsheetml" in workbook.headers["content-type"]
    assert finn.get("/contracts/HF-2026-01/reconciliation").status_code == 404  # no rate card: nothing to reconcile
    assert as_role("provider").get(f"/contracts/{ref}/reconciliation").status_code == 200  # Northbridge's own


def test_the_api_docs_are_our_own_page_with_nothing_from_the_internet(as_role: Client) -> None:
    html = as_role("finance").get("/api/docs").text
    assert "/api/v1/contracts/{ref}" in html and "Authorization: Bearer" in html
    assert "http" not in re.sub(r"https?://testserver/|http://www.w3.org/2000/svg", "", html.split("<main")[1])
    assert not re.search(r"<(script|link)[^>]+https?://", html)


def test_a_commissioner_acknowledges_and_snoozes_their_reminders(as_role: Client, settings: Any) -> None:
    import datetime as dt

    from flows.reminders.outbox import list_reminders
    from flows.reminders.sweep import sweep

    sweep(settings, as_of=dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC))
    planned = [r for r in list_reminders(settings) if r["status"] == "pending"]
    assert planned
    cara = as_role("commissioner")
    html = cara.get("/reminders").text
    mine = [int(i) for i in re.findall(r"/reminders/(\d+)/acknowledge", html)]
    assert len(mine) >= 2 and {r["tag"] for r in planned if r["id"] in mine} <= {"owner", "commissioning", "escalation"}
    first, second = mine[0], mine[-1]
    token = csrf_of(html)
    cara.post(f"/reminders/{first}/acknowledge", data={"csrf_token": token})
    by_id = {r["id"]: r for r in list_reminders(settings)}
    assert by_id[first]["status"] == "acked" and by_id[first]["acked_by"] == "cara"
    cara.post(f"/reminders/{second}/snooze", data={"csrf_token": token, "until": "31/12/2026"},
              follow_redirects=False)  # fmt: skip
    assert re.search(rf'id="until_{second}-error">.*Snooze until', cara.get("/reminders").text, re.S)
    assert as_role("finance").get("/reminders").status_code == 403
    audrey = as_role("auditor").get("/reminders").text
    assert f"/reminders/{second}/snooze" not in audrey and planned[-1]["contract"] in audrey
    assert cara.post("/reminders/999999/acknowledge", data={"csrf_token": token}).status_code == 404


def test_a_project_in_do_shows_its_procurement_timeline(as_role: Client, settings: Any) -> None:
    import datetime as dt

    from flows.cycle.procurement import plan
    from flows.cycle.projects import create_project

    create_project(settings, ref="YJP-1", title="Youth justice", service_area="Youth", owner="Cara Commissioner",
                   description="", stage="do", as_of=dt.datetime(2026, 2, 1, tzinfo=dt.UTC), actor="a")  # fmt: skip
    plan(settings, ref="YJP-1", go_live=dt.date(2027, 10, 1), as_of=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), actor="a")
    html = as_role("commissioner").get("/projects/YJP-1").text
    assert 'id="procurement"' in html and "Procurement milestones of YJP-1" in html
    assert re.search(r"(Missed|Ahead|Done)</strong>", html)
    assert as_role("auditor").get("/api/v1/projects/YJP-1").json()["procurement"]["milestones"]
