"""Every route by every role, plus signed out: built from the app's own route table, so a route without a rule
fails here. Pages are visited with the role's session cookie, the API with the role's bearer token."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from flows.web.app import route_table
from flows.web.rules import PUBLIC, RULES, allowed
from policies.accounts.roles import Role
from tests.support.web import USERS, csrf_of, sign_in

PARAMS = {
    "{ref}": "HF-2026-01",
    "{reminder_id}": "999",
    "{proposal_id}": "999",
    "{username}": "nobody",
    "{token_id}": "999",
    "{token}": "not-a-token",
    "{period}": "2026-Q1",
    "{name}": "council.csv",
}
PROJECT_PARAMS = {"{ref}": "HOM-1"}
# A body each route refuses as invalid (or acts on harmlessly): the matrix is about who gets in, not what happens.
FORM = {"to": "nowhere", "action": "", "roles": [], "username": "", "password": ""}
JSON = {"to": "nowhere", "action": ""}


def concrete(path: str) -> str:
    for key, value in (PROJECT_PARAMS if path.startswith(("/projects", "/api/v1/projects")) else {}).items():
        path = path.replace(key, value)
    for key, value in PARAMS.items():
        path = path.replace(key, value)
    return path


def test_every_route_has_a_rule(app: Any) -> None:
    table = route_table(app)
    assert len(table) > 30
    assert [route for route in table if allowed(*route) is None] == []
    assert [rule for rule in RULES if rule not in table] == [], "a rule for a route that no longer exists"


def test_an_auditor_may_post_nothing_but_sign_out() -> None:
    """Signing out changes nothing stored; every other POST does, and none is open to an auditor."""
    posts = [key for key, roles in RULES.items() if key[0] == "POST" and Role.AUDITOR in roles]
    assert posts == [("POST", "/sign-out")]


def _call(client: TestClient, method: str, path: str, *, token: str | None, csrf: str | None) -> Any:
    url = concrete(path)
    if path.startswith("/api/"):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if method == "GET":
            return client.get(url, headers=headers, follow_redirects=False)
        return client.post(url, json=JSON, headers=headers, follow_redirects=False)
    if method == "GET":
        return client.get(url, follow_redirects=False)
    return client.post(url, data={**FORM, "csrf_token": csrf or ""}, follow_redirects=False)


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r or "signed-out")
def test_the_matrix(app: Any, world: dict[str, str], role: Role | None) -> None:
    client = TestClient(app)
    if role is not None:
        assert sign_in(client, USERS[role.value][0]).status_code == 303
    csrf = csrf_of(client.get("/account" if role else "/sign-in").text)
    cookies = dict(client.cookies)
    wrong = []
    for method, path in route_table(app):
        client.cookies.clear()
        client.cookies.update(cookies)  # signing out in one call must not sign out the rest
        rule = allowed(method, path)
        assert rule is not None
        response = _call(client, method, path, token=world[role.value] if role else None, csrf=csrf)
        status, where = response.status_code, response.headers.get("location", "")
        if rule is PUBLIC or (role is not None and role in rule):
            ok = status not in (401, 403) and (rule is PUBLIC or not where.startswith("/sign-in?"))
        elif role is not None:
            ok = status == 403
        elif path.startswith("/api/"):
            ok = status == 401
        else:
            ok = status == 303 and where.startswith("/sign-in?next=")
        if not ok:
            wrong.append(f"{method} {path} as {role or 'signed-out'}: {status} {where}")
    client.close()
    assert wrong == []
