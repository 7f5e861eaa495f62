"""Journeys through the real web app on 127.0.0.1 in Chromium, each saving screenshots of its pages."""

import csv
import datetime as dt
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from flows.cycle.evidence import add_evidence
from flows.pbr.participants import import_participants
from flows.web.rules import RULES
from tests.e2e.web.conftest import Server, Shots, signed_in_page
from tests.support.builders import fcf_contract
from tests.support.web import XSS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def submit(page: Any, button: str) -> None:
    """Press a form's button and wait for the page the POST redirects to."""
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def test_a_commissioner_advances_a_project(browser: Any, server: Server, shots: Shots) -> None:
    local_need = {
        "kind": "local_need", "source": "JSNA 2026", "produced_by": "Public health", "independently_reviewed": True,
        "method": "needs assessment", "context_fit": "high", "strength": "eif:2", "summary": "Demand is rising",
    }  # fmt: skip
    add_evidence(server.settings, ref="FAM-1", fields=local_need, as_of=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
                 actor="setup")  # fmt: skip
    page = signed_in_page(browser, server, "commissioner")
    page.goto("/board")
    shots(page, "board")
    page.get_by_role("link", name="FAM-1").click()
    assert page.get_by_role("heading", level=1).inner_text() == "FAM-1: Family support"
    shots(page, "project-in-analyse")
    submit(page, "Advance")
    banner = page.locator(".banner").inner_text()
    assert "The Analyse gate is not met: 1 condition(s) unmet" in banner
    assert "what works" in banner.lower()
    shots(page, "gate-refused")
    page.locator("summary", has_text="Add evidence").click()
    submit(page, "Add evidence")  # empty: each error beside its field
    assert page.locator(".error-summary").is_visible()
    assert "Source is missing" in page.locator("#source-error").inner_text()
    shots(page, "evidence-errors")
    page.get_by_label("Kind of evidence").select_option("what_works")
    page.get_by_label("Source").fill("EIF guidebook: Family Nurse Partnership")
    page.get_by_label("Produced by").fill("Early Intervention Foundation")
    page.get_by_label("Independently reviewed?").select_option("yes")
    page.get_by_label("Method").fill("RCT")
    page.get_by_label("How close its setting is to ours").select_option("high")
    page.get_by_label("Strength").fill("eif:3")
    page.get_by_label("What it found").fill("Fewer children entering care")
    submit(page, "Add evidence")
    assert "was added to the register" in page.locator(".banner").inner_text()
    shots(page, "evidence-added")
    submit(page, "Advance")
    assert "The Analyse gate passed: moved to Plan." in page.locator(".banner").inner_text()
    assert "Stage: Plan" in page.locator("main").inner_text()
    shots(page, "gate-passed")
    page.get_by_label("Move to").select_option("analyse")
    submit(page, "Advance")  # a step back needs a reason: said beside the field
    assert "reason" in page.locator(".error-summary").inner_text().lower()
    shots(page, "step-back-needs-a-reason")
    page.get_by_label("Move to").select_option("analyse")
    page.get_by_label("Reason (needed for a step back)").fill("The evidence review found a gap")
    submit(page, "Advance")
    assert "Stage: Analyse" in page.locator("main").inner_text()
    shots(page, "stepped-back")
    page.context.close()


def _ends(page: Any) -> str:
    found = re.search(r"Ends (\d{4}-\d{2}-\d{2})", page.locator("main").inner_text())
    assert found, page.locator("main").inner_text()
    return found.group(1)


def test_a_commissioner_extends_a_contract_and_its_timeline_moves(browser: Any, server: Server, shots: Shots) -> None:
    page = signed_in_page(browser, server, "commissioner")
    page.goto("/contracts")
    shots(page, "contracts")
    page.get_by_role("link", name="HF-2026-01").click()
    before = _ends(page)
    svg_before = page.locator("svg.timeline").inner_html()
    assert "Today" in svg_before
    preview = page.locator("#preview-extend").inner_text()
    assert "Status becomes" in preview and before not in preview.split("ending")[1][:12]
    shots(page, "contract-before")
    page.get_by_label("Extend").check()
    page.get_by_label("Reason").fill("Strong performance at the annual review")
    submit(page, "Confirm decision")
    assert "Extend recorded" in page.locator(".banner").inner_text()
    after = _ends(page)
    assert after > before
    assert page.locator("svg.timeline").inner_html() != svg_before
    assert "ContractExtended" in page.locator("main").inner_text()
    shots(page, "contract-extended")
    page.context.close()


def test_a_provider_sees_only_their_own_contracts(browser: Any, server: Server, shots: Shots) -> None:
    page = signed_in_page(browser, server, "provider")
    assert page.url.endswith("/contracts")
    text = page.locator("main").inner_text()
    assert "HF-2026-01" in text and "OTH-1" not in text and "Other Care" not in text
    shots(page, "own-contracts")
    assert page.goto("/contracts/OTH-1").status == 404
    shots(page, "another-providers-contract")
    assert page.goto("/board").status == 403
    page.goto("/due?days=3000")
    assert "OTH-1" not in page.locator("main").inner_text()
    shots(page, "due")
    page.context.close()


READ_PAGES = ["/board", "/projects/HOM-1", "/contracts", "/contracts/OTH-1", "/due", "/due/month", "/reminders",
              "/audit", "/admin", "/account", "/api/docs"]  # fmt: skip


def test_an_auditor_opens_every_page_and_every_post_is_refused(browser: Any, server: Server, shots: Shots) -> None:
    page = signed_in_page(browser, server, "auditor")
    for path in READ_PAGES:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert XSS not in page.content()
        assert (
            page.locator(
                "form[method=post] button", has_text=re.compile("Advance|Confirm|Add|Save|Acknowledge")
            ).count()
            == 0
        )
        shots(page, path.strip("/").replace("/", "-") or "home")
    page.goto("/account")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    fill = {"{ref}": "HOM-1", "{reminder_id}": "1", "{username}": "cara", "{token_id}": "1"}
    refused = []
    for method, path in RULES:
        if method != "POST" or path.startswith("/api/") or path in ("/sign-in", "/sign-out"):
            continue
        url = path
        for key, value in fill.items():
            url = url.replace(key, value)
        answer = page.request.post(url, form={"csrf_token": token or "", "action": "extend", "reason": "x"},
                                   max_redirects=0)  # fmt: skip
        refused.append((url, answer.status))
    assert refused and all(status == 403 for _, status in refused), refused
    page.context.close()


def test_a_calendar_subscription_parses_and_once_revoked_is_gone(browser: Any, server: Server, shots: Shots) -> None:
    page = signed_in_page(browser, server, "commissioner")
    page.goto("/account")
    submit(page, "Make my calendar address")
    url = page.locator("#secret").input_value()
    assert url.startswith(server.url + "/calendar/") and url.endswith(".ics")
    shots(page, "calendar-address")
    with urllib.request.urlopen(url, timeout=10) as answer:
        calendar = Calendar.from_ical(answer.read())
    summaries = [str(event.get("summary")) for event in calendar.walk("VEVENT")]
    assert summaries and any("HF-2026-01" in s for s in summaries)
    page.goto("/account")
    assert url not in page.content()  # shown once only
    submit(page, "Revoke my calendar address")
    assert "revoked" in page.locator(".banner").inner_text()
    shots(page, "calendar-revoked")
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(url, timeout=10)
    assert gone.value.code == 404
    page.context.close()


EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_a_finance_officer_uploads_claims_pays_and_downloads_a_schedule(
    browser: Any, server: Server, shots: Shots, tmp_path: Path
) -> None:
    ref = fcf_contract(server.settings)
    import_participants(server.settings, EXAMPLES / "fcf-participants.csv",
                        as_of=dt.datetime(2026, 11, 2, tzinfo=dt.UTC), actor="setup")  # fmt: skip
    claims = tmp_path / "claims-with-bad-rows.csv"
    claims.write_text(
        (EXAMPLES / "fcf-claims.csv").read_text()
        + f"{ref},BAD-1,P-999,ACC_ENTRY,2026-01-10,,tenancy_agreement\n"  # no such participant
        + f"{ref},BAD-2,P-040,ACC_ENTRY,2026-01-11,,\n"  # no evidence
    )
    page = signed_in_page(browser, server, "finance")
    page.goto(f"/contracts/{ref}/claims")
    shots(page, "claims-page")
    page.get_by_label("Claims file").set_input_files(str(claims))
    submit(page, "Upload and check")
    page.locator("#report").wait_for(timeout=120_000)  # a big file: the page shows progress and reloads itself
    report = page.locator("main").inner_text()
    assert "claim(s) read" in page.locator(".banner").inner_text()
    assert "BAD-1" in report and "BAD-2" in report and "Validation report" in report
    shots(page, "validation-report")
    page.goto(f"/contracts/{ref}/payments")
    page.get_by_label("Period").fill("2025-Q4")
    submit(page, "Propose the payment run")
    assert "Payment run 2025-Q4 proposed (proposal" in page.locator(".banner").inner_text()
    proposal_url = page.url
    with page.expect_download() as caught:  # the draft, marked DRAFT in its name and on every line
        page.get_by_role("link", name=re.compile(r"DRAFT-council\.csv")).click()
    caught.value.save_as(tmp_path / "draft.csv")
    assert list(csv.reader((tmp_path / "draft.csv").open(encoding="utf-8")))[1][0].startswith("DRAFT proposal")
    submit(page, "Approve")  # finn proposed it: finn may not approve it
    assert "finn proposed it; the approver must be someone else" in page.locator(".error-summary").inner_text()
    shots(page, "approval-refused")
    checker = signed_in_page(browser, server, "checker")
    checker.goto(proposal_url)
    submit(checker, "Approve")
    assert "is approved" in checker.locator(".banner").inner_text()
    shots(checker, "payment-run-approved")
    checker.context.close()
    page.goto(f"/contracts/{ref}/payments")
    link = page.get_by_role("link", name=re.compile(r"council.*\.csv"))
    with page.expect_download() as caught:
        link.click()
    saved = tmp_path / "schedule.csv"
    caught.value.save_as(saved)
    rows = list(csv.reader(saved.open(encoding="utf-8")))
    assert len(rows) > 2 and any("NB-" in cell for row in rows for cell in row)
    page.goto(f"/contracts/{ref}/reconciliation")
    assert page.locator("svg.chart").count() == 1
    shots(page, "reconciliation")
    page.context.close()
