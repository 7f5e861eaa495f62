"""Claims uploads: a good file's report line by line; a file too big, of the wrong kind, a zip bomb, a path in
its name or another contract's claims each get a clear error beside the field, and nothing is written."""

import asyncio
import datetime as dt
import io
import re
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from flows.common.runtime import database
from flows.pbr.participants import import_participants
from flows.pbr.ratecards import import_rate_card
from flows.pbr.reconcile import reconcile
from flows.web.uploads import CHUNK, FORM_CAP, FRAMING
from models.db import unit_of_work
from models.events import Event
from models.pbr.ratecards import RateCardVersion
from tests.integration.pbr.test_pbr_imports import add_contract, variant
from tests.support.builders import fcf_contract
from tests.support.web import csrf_of

Client = Callable[[str], TestClient]
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture
def pbr(settings: Any, world: dict[str, str]) -> str:
    ref = fcf_contract(settings)
    import_participants(settings, EXAMPLES / "fcf-participants.csv", as_of=dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
                        actor="setup")  # fmt: skip
    return ref


def upload(client: TestClient, ref: str, name: str, body: bytes) -> str:
    """Post the file; the page it redirects to, once its background check and import (if any) have ended."""
    return finished(client, post_claims(client, ref, name, body))


def post_claims(client: TestClient, ref: str, name: str, body: bytes) -> str:
    token = csrf_of(client.get(f"/contracts/{ref}/claims").text)
    answer = client.post(f"/contracts/{ref}/claims", data={"csrf_token": token},
                         files={"file": (name, body, "application/octet-stream")}, follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303
    return str(answer.headers["location"])


def finished(client: TestClient, location: str) -> str:
    """The page at ``location`` once it no longer shows a job in progress (polling its status, bounded)."""
    job = re.search(r"[?&]job=([\w-]+)", location)
    for _ in range(600):  # at most about a minute
        if job is None or client.get(f"/api/v1/jobs/{job.group(1)}").json()["state"] != "running":
            break
        time.sleep(0.1)
    html = client.get(location).text
    assert 'id="progress"' not in html
    return html


def nothing_written(settings: Any, ref: str) -> None:
    assert reconcile(settings, ref).totals["claims"] == 0
    assert not any((settings.data_dir / "uploads").glob("*/*"))


def bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "body", "says"),
    [
        ("claims.txt", b"contract,claim_ref\n", "must be CSV or XLSX"),
        ("claims.xlsx", bomb(), "far more than a real workbook"),
        ("claims.xlsx", b"not a zip", "not an XLSX workbook"),
        ("claims.csv", b"", "The file is empty"),
        ("../../claims.csv", b"contract,claim_ref\n", "without a folder or path"),
        # saved under its name, it failed at the saving (OSError: File name too long, a 500)
        (
            "a" * 300 + ".csv",
            b"contract,claim_ref\n",
            "The file name is 304 characters long; rename the file to at most",
        ),
    ],
)
def test_a_bad_upload_is_refused_beside_the_field(
    as_role: Client, settings: Any, pbr: str, name: str, body: bytes, says: str
) -> None:
    html = upload(as_role("finance"), pbr, name, body)
    assert re.search(r'id="file-error">.*' + re.escape(says), html, re.S), html[-3000:]
    nothing_written(settings, pbr)


def test_a_file_over_the_size_cap_is_refused(as_role: Client, settings: Any, pbr: str, monkeypatch: Any) -> None:
    monkeypatch.setattr("flows.web.uploads.MAX_BYTES", 1024)
    html = upload(as_role("finance"), pbr, "claims.csv", (EXAMPLES / "fcf-claims.csv").read_bytes())
    assert "over the limit" in html
    nothing_written(settings, pbr)


def test_a_malformed_row_refuses_the_file_naming_line_field_and_reason(
    as_role: Client, settings: Any, pbr: str
) -> None:
    body = b"contract,claim_ref,participant,outcome,achieved_on,amount,evidence\n" \
           b"FCF-2025-01,NB-1,P-040,ACC_ENTRY,31/02/2026,,tenancy_agreement\n"  # fmt: skip
    html = upload(as_role("finance"), pbr, "claims.csv", body)
    assert re.search(r'id="file-error">.*claims.csv.*2.*achieved_on', html, re.S)
    assert "/uploads/" not in html  # our folder is never shown
    nothing_written(settings, pbr)


def test_a_file_with_another_contracts_claims_is_refused(as_role: Client, settings: Any, pbr: str) -> None:
    body = (EXAMPLES / "fcf-claims.csv").read_text().replace("FCF-2025-01,NB-0157", "HF-2026-01,NB-0157", 1)
    html = upload(as_role("finance"), pbr, "claims.csv", body.encode())
    assert re.search(r'id="file-error">.*HF-2026-01', html, re.S)
    nothing_written(settings, pbr)


def test_a_file_with_claims_for_another_priced_contract_is_refused_by_the_import(
    as_role: Client, settings: Any, pbr: str, tmp_path: Path
) -> None:
    """FCF-2025-02 has its own rate card and participant, so every row is well formed: the import, told this page's
    contract, refuses the file whole, and names the file as uploaded, never our folder."""
    add_contract(settings, "FCF-2025-02", value="1500000")
    card = variant(tmp_path, "fcf-02.yaml", ("FCF-2025-01", "FCF-2025-02"))
    import_rate_card(settings, card, as_of=dt.datetime(2025, 9, 1, tzinfo=dt.UTC), actor="a")
    people = tmp_path / "people.csv"
    people.write_text("contract,participant,referral_date,date_of_birth\nFCF-2025-02,P-040,2025-11-03,2003-06-01\n")
    import_participants(settings, people, as_of=dt.datetime(2026, 11, 2, tzinfo=dt.UTC), actor="setup")
    body = (EXAMPLES / "fcf-claims.csv").read_text() + "FCF-2025-02,NB-9001,P-040,EMP_ENTRY,2025-11-10,,payslip\n"
    html = upload(as_role("finance"), pbr, "claims.csv", body.encode())
    said = r"claims.csv.*contract: (&#39;|')FCF-2025-02(&#39;|') is not FCF-2025-01; this file may hold FCF-2025-01"
    assert re.search(r'id="file-error">.*?</span> .*' + said + r"(&#39;|')s claims only", html, re.S), html[-3000:]
    assert "/uploads/" not in html
    nothing_written(settings, pbr)


def test_a_name_with_a_path_is_refused_before_anything_is_stored() -> None:
    from flows.common.errors import UserError
    from flows.web.uploads import check_name

    for name in ("../claims.csv", "/etc/claims.csv", "a\\b.csv", ".."):
        with pytest.raises(UserError, match="without a folder or path"):
            check_name(name)
    assert check_name("claims 2026-Q3.xlsx") == "claims 2026-Q3.xlsx"


def test_participants_and_a_rate_card_for_this_contract_only(as_role: Client, settings: Any) -> None:
    ref = fcf_contract(settings, card=None)
    finn = as_role("finance")
    token = csrf_of(finn.get(f"/contracts/{ref}/claims").text)

    def post(path: str, name: str, body: bytes) -> str:
        answer = finn.post(path, data={"csrf_token": token}, files={"file": (name, body, "text/plain")},
                           follow_redirects=False)  # fmt: skip
        assert answer.status_code == 303
        return finn.get(answer.headers["location"]).text

    card = (EXAMPLES / "fair-chance-fund.yaml").read_text()
    html = post(
        f"/contracts/{ref}/ratecard", "card.yaml", card.replace(f"contract: {ref}", "contract: HF-2026-01").encode()
    )
    assert re.search(r'id="ratecard_file-error">.*the rate card is for HF-2026-01', html, re.S)
    assert "outcome(s), proposed (proposal 1)" in post(f"/contracts/{ref}/ratecard", "card.yaml", card.encode())
    # finn proposed it and may not approve it; fran, the second finance user, does; then it is stored
    own = finn.post("/approvals/1/approve", data={"csrf_token": token}, follow_redirects=True).text
    assert "finn proposed it; the approver must be someone else" in own
    fran = as_role("checker")
    fran.post("/approvals/1/approve", data={"csrf_token": csrf_of(fran.get("/approvals/1").text)})
    assert "outcome(s), unchanged" in post(f"/contracts/{ref}/ratecard", "card.yaml", card.encode())
    people = (EXAMPLES / "fcf-participants.csv").read_text()
    html = post(f"/contracts/{ref}/participants", "p.csv", people.replace(f"{ref},P-001", "HF-2026-01,P-001").encode())
    assert re.search(r'id="participants_file-error">.*p.csv:2: contract: is HF-2026-01; this page imports', html, re.S)
    assert "Participants: " in post(f"/contracts/{ref}/participants", "p.csv", people.encode())
    assert as_role("provider").post(f"/contracts/{ref}/ratecard", data={"csrf_token": "x"}).status_code == 403
    # The audit log and the stored card name each upload as the user named it, not by the server's folder
    with unit_of_work(database(settings)) as session:
        events = session.exec(select(Event).where(col(Event.action).in_(["participants_imported"]))).all()
        sources = [str((e.after or {}).get("source")) for e in events]
        cards = [str(v) for v in session.exec(select(RateCardVersion.source)).all()]
    assert sources == ["p.csv"] and cards == ["card.yaml"]


def post_raw(app: Any, headers: dict[str, str], chunks: Iterator[bytes]) -> tuple[int, str, int]:
    """POST a multipart body to the claims page straight through ASGI; (status, page, bytes the app pulled)."""
    pulled, sent = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        chunk = next(chunks, None)
        pulled += len(chunk or b"")
        return {"type": "http.request", "body": chunk or b"", "more_body": chunk is not None}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/contracts/FCF-2025-01/claims", "raw_path": b"/contracts/FCF-2025-01/claims", "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
        "headers": [(b"host", b"testserver"), (b"content-type", b"multipart/form-data; boundary=B")]
        + [(k.encode(), v.encode()) for k, v in headers.items()],
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], b"".join(m.get("body", b"") for m in sent).decode(), pulled


def huge_csv(megabytes: int) -> Iterator[bytes]:
    """A multipart upload of a CSV of ``megabytes`` MB, made a chunk at a time (never held whole)."""
    yield b'--B\r\nContent-Disposition: form-data; name="file"; filename="claims.csv"\r\nContent-Type: text/csv\r\n\r\n'
    for _ in range(megabytes):
        yield b"contract,claim_ref\n" * (CHUNK // 19)


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_an_upload_over_the_cap_is_refused_before_its_body_is_read(
    app: Any, settings: Any, monkeypatch: Any, declared: bool
) -> None:
    monkeypatch.setattr("flows.web.uploads.MAX_BYTES", 4 * CHUNK)
    headers = {"content-length": str(400 * CHUNK)} if declared else {"transfer-encoding": "chunked"}
    status, page, pulled = post_raw(app, headers, huge_csv(400))
    assert status == 413
    assert "The file is too big" in page and "over the limit of 4 MB" in page
    assert pulled == 0 if declared else pulled <= 4 * CHUNK + FRAMING + CHUNK  # of 400 MB offered
    assert not any((settings.data_dir / "uploads").glob("*"))


def test_a_form_over_its_cap_is_refused(app: Any, monkeypatch: Any) -> None:
    headers = {"content-type": "application/x-www-form-urlencoded", "content-length": str(FORM_CAP + 1)}
    status, page, pulled = post_raw(app, headers, iter([b"x" * (FORM_CAP + 1)]))
    assert (status, pulled) == (413, 0)
    assert "The form is over 1,024 KB" in page


def test_a_payment_proposal_for_a_period_past_the_year_2200_is_refused_beside_the_field(
    as_role: Client, pbr: str
) -> None:
    finn = as_role("finance")
    token = csrf_of(finn.get(f"/contracts/{pbr}/payments").text)
    answer = finn.post(f"/contracts/{pbr}/payments", data={"csrf_token": token, "period": "9999-Q4"},
                       follow_redirects=False)  # fmt: skip
    assert (answer.status_code, answer.headers["location"]) == (303, f"/contracts/{pbr}/payments")  # not a 500
    page = finn.get(f"/contracts/{pbr}/payments").text
    assert "There is a problem" in page and "period: 9999-Q4 is outside the years 1900-2200</a>" in page
