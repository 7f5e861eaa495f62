"""Numbers too big for the database, words that are not numbers, and numbers given twice, from a URL, a query or
an API body: each refused in one sentence (400) on a page or as JSON, never a 500 with a traceback in the log
(the test world of tests/support/web.py, on SQLite and PostgreSQL)."""

import logging
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.support.web import csrf_of

Client = Callable[[str], TestClient]
HUGE = "99999999999999999999"  # past a signed 64-bit integer: SQLite raised OverflowError on it


@pytest.mark.parametrize("path", ["/contracts", "/api/v1/contracts", "/audit", "/api/v1/audit", "/due", "/claims"])
def test_a_page_number_past_64_bits_is_refused_in_a_sentence(
    as_role: Client, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    cara = as_role("commissioner")
    with caplog.at_level(logging.ERROR):
        answer = cara.get(f"{path}?page={HUGE}")
    assert answer.status_code == 400, answer.text
    said = answer.json()["detail"] if path.startswith("/api/") else answer.text
    if path == "/claims":  # the lists' own check (lists.py), in its own words
        assert f"page: &#39;{HUGE}&#39; is not a whole number from 1 to 1,000,000,000" in said
    else:
        assert f"page: {HUGE} is too large (at most 1,000,000,000)" in said
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("path", ["/contracts", "/audit", "/due"])
def test_a_page_number_that_is_a_word_is_an_html_page_saying_so(as_role: Client, path: str) -> None:
    answer = as_role("commissioner").get(f"{path}?page=abc")
    assert answer.status_code == 400  # was FastAPI's raw JSON 422 on an HTML page
    assert answer.headers["content-type"].startswith("text/html")
    assert "page: &#39;abc&#39; is not a whole number" in answer.text


def test_a_page_past_the_last_is_an_empty_page(as_role: Client) -> None:
    answer = as_role("commissioner").get("/api/v1/contracts?page=5000")
    assert answer.status_code == 200 and answer.json()["rows"] == []


def test_an_evidence_number_past_64_bits_is_refused_not_a_server_error(as_role: Client) -> None:
    cara = as_role("commissioner")
    token = csrf_of(cara.get("/projects/FAM-1").text)
    answer = cara.post(f"/projects/FAM-1/evidence/{HUGE}/withdraw", data={"csrf_token": token, "reason": "x"})
    assert answer.status_code == 400 and f"item: {HUGE} is too large" in answer.text


def test_an_api_decision_with_a_value_past_what_the_database_holds_is_a_sentence(
    client: TestClient, world: dict[str, str]
) -> None:
    body = {"action": "vary", "value": 99999999999999999999999999, "reason": "x"}
    bearer = {"Authorization": f"Bearer {world['commissioner']}"}
    answer = client.post("/api/v1/contracts/HF-2026-01/decision", json=body, headers=bearer)
    assert answer.status_code == 400
    # a sentence in JSON, in the web's words: not {'decision_value': "--value: ..."}, a Python dict's repr
    assert answer.json() == {"detail": "value: too large: an amount is at most £92,233,720,368,547,758.07"}


def test_a_limit_given_twice_is_refused(as_role: Client) -> None:
    cara = as_role("commissioner")
    for path in ("/api/v1/claims?limit=1&limit=10000", "/api/v1/due?limit=1&limit=5000"):
        answer = cara.get(path)
        assert answer.status_code == 400  # the last one was taken, silently
        assert answer.json() == {"detail": "limit: given more than once in the query; give it once"}


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("days=-5", "days: -5 is too small (at least 1)"),  # was shown as "next 1 days"
        ("days=99999999999", "days: 99999999999 is too large (at most 3,660)"),  # was cut to 3,660
        ("days=0", "days: 0 is too small (at least 1)"),
    ],
)
def test_a_window_of_days_out_of_range_is_refused_not_clamped(as_role: Client, query: str, detail: str) -> None:
    cara = as_role("commissioner")
    answer = cara.get(f"/api/v1/due?{query}")
    assert (answer.status_code, answer.json()) == (400, {"detail": detail})
    page = cara.get(f"/due?{query}")
    assert page.status_code == 400 and detail in page.text


@pytest.mark.parametrize("written", ["\uff11", "+1", " 1", "1 ", "1_0", "\u0661"])  # full-width, Arabic-Indic one
def test_a_number_not_in_ascii_digits_is_refused(as_role: Client, written: str) -> None:
    """int() took a full-width 1, +1 and a space before it as 1: a number in a query is written in 0-9."""
    cara = as_role("commissioner")
    answer = cara.get("/api/v1/claims", params={"limit": written})
    assert answer.status_code == 400
    assert answer.json() == {"detail": f"limit: {written!r} is not a whole number written in the digits 0-9"}
    assert cara.get("/api/v1/claims", params={"limit": "1"}).status_code == 200


@pytest.mark.parametrize("path", ["/audit", "/api/v1/audit", "/audit.csv"])
def test_an_audit_filter_not_known_is_refused_not_ignored(as_role: Client, path: str) -> None:
    """?from=2026-02-30 showed every event, as if no date were given; the dates are since and until."""
    answer = as_role("commissioner").get(f"{path}?from=2026-02-30")
    assert answer.status_code == 400
    assert "from: is not a filter of the audit log (its filters: project, contract, actor, since, until, page)" in (
        answer.text
    )


def test_a_list_page_number_in_other_digits_is_refused_not_read_or_a_server_error(as_role: Client) -> None:
    # '²' passed isdigit() and int() raised (a 500); Arabic-Indic 12 was read as page 12 (review)
    cara = as_role("commissioner")
    for given in ("\u00b2", "\u0661\u0662"):
        for path, name in (("/claims", "page"), ("/api/v1/claims", "limit"), ("/api/v1/claims", "offset")):
            answer = cara.get(path, params={name: given})
            assert answer.status_code == 400 and f"{name}: " in answer.text and "not a whole number" in answer.text, (
                path,
                name,
                given,
            )
