"""Provider isolation, CSRF, XSS, cookie flags, sign-in throttling, sessions, and secrets kept off every page."""

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner

from flows.accounts.tokens import create_token
from flows.cycle.evidence import evidence_register
from flows.web.sessions import COOKIE, SessionMiddleware
from tests.support.web import OTHER, PASSWORD, XSS, csrf_of, sign_in

Client = Callable[[str], TestClient]


def test_a_provider_sees_only_their_own_contracts(as_role: Client, world: dict[str, str], app: Any) -> None:
    nora = as_role("provider")
    listing = nora.get("/contracts").text
    assert "HF-2026-01" in listing and "OTH-1" not in listing and OTHER not in listing
    assert nora.get("/contracts/OTH-1").status_code == 404
    assert nora.get("/contracts/HF-2026-01").status_code == 200
    assert nora.get("/contracts?q=Other").text.count("OTH-1") == 0
    due = nora.get("/due?days=3000").text
    assert "HF-2026-01" in due and "OTH-1" not in due and OTHER not in due
    api = TestClient(app)
    bearer = {"Authorization": f"Bearer {world['provider']}"}
    assert api.get("/api/v1/contracts/OTH-1", headers=bearer).status_code == 404
    refs = [r["ref"] for r in api.get("/api/v1/contracts", headers=bearer).json()["rows"]]
    assert refs == ["HF-2026-01", "HF-2026-02"]
    assert {r["provider"] for r in api.get("/api/v1/due?days=3000", headers=bearer).json()} == {"Northbridge YP Trust"}
    # the same 404 for a contract that does not exist at all: nothing says which is which
    assert nora.get("/contracts/NOPE-1").status_code == 404


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(as_role: Client, settings: Any) -> None:
    cara = as_role("commissioner")
    fields = {
        "kind": "local_need",
        "source": "JSNA 2026",
        "produced_by": "Public health",
        "independently_reviewed": "yes",
        "method": "survey",
        "context_fit": "high",
        "strength": "eif:3",
        "summary": "Need is rising",
    }
    for token in (None, "forged"):
        data = fields if token is None else {**fields, "csrf_token": token}
        response = cara.post("/projects/FAM-1/evidence", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert "did not come from this site" in response.text
    assert evidence_register(settings, ref="FAM-1", kind=None) == []
    token = csrf_of(cara.get("/projects/FAM-1").text)
    response = cara.post("/projects/FAM-1/evidence", data={**fields, "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert len(evidence_register(settings, ref="FAM-1", kind=None)) == 1


def test_a_script_in_a_title_is_shown_as_text_everywhere(as_role: Client) -> None:
    for role, pages in {
        "commissioner": ["/contracts", "/contracts/OTH-1", "/due?days=3000", "/audit", "/contracts?q=script"],
        "auditor": ["/contracts", "/contracts/OTH-1", "/audit?contract=OTH-1"],
    }.items():
        client = as_role(role)
        for page in pages:
            html = client.get(page).text
            assert XSS not in html, page
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page
        export = client.get("/audit.csv?contract=OTH-1") if role == "auditor" else None
        if export is not None:
            assert export.headers["content-type"].startswith("text/csv")
            assert "attachment" in export.headers["content-disposition"]


def test_session_cookies_carry_their_flags(app: Any) -> None:
    plain = TestClient(app)
    response = sign_in(plain, "cara")
    cookie = response.headers["set-cookie"]
    assert f"{COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=" in cookie
    assert "Secure" not in cookie  # plain http on loopback: a Secure cookie would never come back
    tls = TestClient(app, base_url="https://testserver")
    assert "Secure" in sign_in(tls, "cara").headers["set-cookie"]


def test_repeated_wrong_passwords_throttle_sign_in(app: Any) -> None:
    client = TestClient(app)
    for _ in range(5):
        response = sign_in(client, "cara", "wrong password here")
        assert response.status_code == 303
        assert "not right" in client.get(response.headers["location"]).text
    response = sign_in(client, "cara", PASSWORD)  # the right password, but too late
    page = client.get(response.headers["location"]).text
    assert "Too many wrong passwords" in page
    assert client.get("/board", follow_redirects=False).status_code == 303  # still signed out


def test_wrong_passwords_count_across_web_processes_and_are_kept_only_as_digests(app: Any, settings: Any) -> None:
    """Two apps on one database stand for two web processes behind a balancer: three wrong passwords on one
    and two on the other make five, so the right password is refused on either."""
    import hashlib

    from sqlalchemy import text

    from flows.common.runtime import database
    from flows.web.app import create_app
    from models.db import unit_of_work

    on_a, on_b = TestClient(app), TestClient(create_app(settings))
    for client in (on_a, on_a, on_a, on_b, on_b):
        assert "not right" in client.get(sign_in(client, "cara", "hunter2 typed as a name").headers["location"]).text
    for client in (on_a, on_b):
        refused = client.get(sign_in(client, "cara", PASSWORD).headers["location"]).text
        assert "Too many wrong passwords" in refused
        assert client.get("/board", follow_redirects=False).status_code == 303
    with unit_of_work(database(settings)) as session:
        kept = session.execute(text("SELECT key_digest FROM sign_in_failure")).scalars().all()
    # user and address, five each, as keyed digests: not the name, nor its plain SHA-256 (found by a dictionary)
    plain = {hashlib.sha256(key.encode()).hexdigest() for key in ("user:cara", "address:testclient")}
    assert len(kept) == 10 and len(set(kept)) == 2 and not set(kept) & plain
    # the address is held too: another user's right password from the same address waits as well
    assert "Too many wrong passwords" in on_b.get(sign_in(on_b, "ada", PASSWORD).headers["location"]).text


def test_a_burst_of_sign_ins_at_once_is_counted_before_any_password_is_checked(settings: Any) -> None:
    """Tries for "cara" at 09:00 on two web processes, none finished: each is counted as it begins, so only
    five get to have their password checked; tries at 09:10 wait until 09:15 and are not counted, so at 09:15
    she may try again, as the rule says. Her address is counted only for a wrong password: colleagues behind the
    same office gateway signing in at the same moment do not lock each other out."""
    from sqlalchemy import text

    from flows.accounts.throttling import KeptThrottle
    from flows.common.runtime import database
    from models.db import unit_of_work

    def kept() -> int:
        with unit_of_work(database(settings)) as session:
            return int(session.execute(text("SELECT COUNT(*) FROM sign_in_failure")).scalar_one())

    on_a, on_b = KeptThrottle(settings, "the web's secret"), KeptThrottle(settings, "the web's secret")
    nine, office = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC), ("address:203.0.113.9",)
    begun = [throttle.attempt("user:cara", office, nine) for throttle in (on_a, on_b, on_a, on_b, on_a)]
    assert begun == [None] * 5 and kept() == 5  # five let through, each counted before its password was checked
    ten_past, fifteen = nine + dt.timedelta(minutes=10), nine + dt.timedelta(minutes=15)
    assert [t.attempt("user:cara", office, ten_past) for t in (on_b, on_a) * 3] == [fifteen] * 6
    assert kept() == 5  # the six refused tries were taken back
    assert on_a.attempt("user:cara", office, fifteen) is None  # the five have aged out; the refused never counted
    on_b.succeeded("user:cara")  # her right password clears her name
    assert kept() == 0
    # Six colleagues sign in from the office at 09:20, all at once: the address was never counted, so none waits.
    twenty = nine + dt.timedelta(minutes=20)
    assert [on_a.attempt(f"user:{who}", office, twenty) for who in ("ada", "ben", "cy", "dev", "eli", "fay")] == [
        None
    ] * 6
    on_b.failed(office, twenty)  # five wrong passwords from the office lock the address out until 09:35
    for throttle in (on_a, on_b, on_a, on_b):
        throttle.failed(office, twenty)
    assert on_a.attempt("user:gus", office, twenty) == twenty + dt.timedelta(minutes=15)


def test_an_idle_session_ends(app: Any) -> None:
    client = TestClient(app)
    sign_in(client, "cara")
    assert client.get("/board", follow_redirects=False).status_code == 200
    middleware = SessionMiddleware(app, secret_key="k", idle_timeout=60)
    old = TimestampSigner("k")
    old.get_timestamp = lambda: int(dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp())  # type: ignore[method-assign]
    stale = old.sign(b"eyJ1aWQiOiAxfQ==").decode()
    assert middleware._load(stale) == {}
    fresh = TimestampSigner("k").sign(b"eyJ1aWQiOiAxfQ==").decode()
    assert middleware._load(fresh) == {"uid": 1}


def test_signing_out_ends_the_session_and_a_forged_cookie_is_ignored(app: Any) -> None:
    client = TestClient(app)
    sign_in(client, "cara")
    token = csrf_of(client.get("/board").text)
    assert client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/board", follow_redirects=False).status_code == 303
    client.cookies.set(COOKIE, "eyJ1aWQiOiAxfQ==.forged.signature")
    assert client.get("/board", follow_redirects=False).headers["location"].startswith("/sign-in")


def test_secrets_never_appear_on_pages_in_the_api_or_in_events(as_role: Client, app: Any, settings: Any) -> None:
    ada = as_role("admin")
    token = csrf_of(ada.get("/admin").text)
    secret_password = "a very secret passphrase 42"
    ada.post(
        "/admin/users",
        data={"username": "sid", "name": "Sid", "roles": ["finance"], "password": secret_password, "csrf_token": token},
        follow_redirects=False,
    )
    api_token, _ = create_token(settings, username="sid", purpose="api", name="x", actor="t")
    auditor = as_role("auditor")
    bearer = {"Authorization": f"Bearer {api_token}"}
    seen = [
        ada.get("/admin").text,
        auditor.get("/admin").text,
        auditor.get("/audit").text,
        auditor.get("/audit.csv").text,
        auditor.get("/api/v1/admin/users").text,
        auditor.get("/api/v1/audit").text,
        TestClient(app).get("/api/v1/me", headers=bearer).text,
    ]
    for text in seen:
        assert secret_password not in text and api_token not in text
        assert "argon2" not in text  # no password hash either
    assert "Sid" in seen[0]


def test_a_revoked_or_unknown_api_token_is_refused(app: Any, world: dict[str, str], as_role: Client) -> None:
    api = TestClient(app)
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {world['finance']}"}).json()["roles"] == ["finance"]
    assert api.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    ada = as_role("admin")
    page = ada.get("/admin").text
    assert "tests (" in page
    from flows.accounts.tokens import tokens

    finn_token = tokens(app.state.settings, username="finn")[0]["id"]
    ada.post(f"/admin/users/finn/tokens/{finn_token}/revoke", data={"csrf_token": csrf_of(page)})
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {world['finance']}"}).status_code == 401


def test_a_calendar_token_is_masked_in_the_access_log(app: Any, caplog: Any) -> None:
    import logging

    from flows.web.logs import MaskSecretPaths

    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/calendar/s3cr3t-t0ken.ics", "1.1", 200), None)  # fmt: skip
    MaskSecretPaths().filter(record)
    assert "s3cr3t" not in record.getMessage() and "/calendar/***.ics" in record.getMessage()
    assert any(isinstance(f, MaskSecretPaths) for f in logging.getLogger("uvicorn.access").filters)


def test_every_response_carries_the_security_headers(app: Any) -> None:
    for answer in (TestClient(app).get("/sign-in"), TestClient(app).get("/healthz"), TestClient(app).get("/nope")):
        assert "default-src 'self'" in answer.headers["content-security-policy"]
        assert answer.headers["x-frame-options"] == "DENY" and answer.headers["x-content-type-options"] == "nosniff"
