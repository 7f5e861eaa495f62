"""Single sign-on through OpenID Connect against a tiny provider on 127.0.0.1 (tests/support/oidc_provider.py):
the authorization-code flow with PKCE through the real app over HTTP, roles from the groups claim, the account
found again by its subject; a forged state, a token for another audience or from another issuer refused."""

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from flows.serve.web_server import WebServer
from tests.support.oidc_provider import OpenIdProvider

SECRET = "client-secret-that-must-never-show"
FIONA = {"sub": "7f1c-fiona", "email": "fiona.finance@council.example", "name": "Fiona Finance",
         "groups": ["Commissioning.Finance", "All staff"]}  # fmt: skip


@pytest.fixture
def sso(settings: Any, world: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[OpenIdProvider, str]]:
    from flows.web.app import create_app

    with OpenIdProvider("commissioning-web", SECRET) as provider:
        env = {"ISSUER": provider.issuer, "CLIENT_ID": "commissioning-web", "CLIENT_SECRET": SECRET,
               "ROLES_CLAIM": "groups", "NAME": "Council Keycloak",
               "ROLE_MAP": "Commissioning.Finance=finance,Commissioning.Audit=auditor"}  # fmt: skip
        for name, value in env.items():
            monkeypatch.setenv(f"COMMISSIONING_OIDC_{name}", value)
        web = WebServer("127.0.0.1", 0)
        web.start(create_app(settings))
        try:
            yield provider, web.url
        finally:
            web.stop()


def sign_on(base: str, client: httpx.Client) -> httpx.Response:
    return client.get(base + "/sign-in/sso?next=/contracts", follow_redirects=True)


def test_sign_on_with_pkce_maps_roles_and_finds_the_account_again(sso: tuple[OpenIdProvider, str]) -> None:
    provider, base = sso
    with httpx.Client() as browser:
        page = browser.get(base + "/sign-in").text
        assert "Sign in with Council Keycloak" in page and 'href="/sign-in/sso?next=/"' in page
        provider.person = FIONA
        answer = sign_on(base, browser)
        assert answer.status_code == 200 and urlsplit(str(answer.url)).path == "/contracts"
        assert [urlsplit(str(r.url)).path for r in answer.history] == [
            "/sign-in/sso", "/realms/council/authorize", "/sign-in/sso/callback"]  # fmt: skip
        me = browser.get(base + "/api/v1/me").json()
        assert me == {"username": "fiona.finance", "display_name": "Fiona Finance", "roles": ["finance"],
                      "organisation": None}  # fmt: skip
        assert SECRET not in answer.text
    (asked,) = provider.token_requests
    assert asked["grant_type"] == "authorization_code" and len(asked["code_verifier"]) >= 43  # PKCE
    provider.person = {**FIONA, "email": "fiona@elsewhere.example", "groups": ["Commissioning.Audit"]}
    with httpx.Client() as again:
        assert sign_on(base, again).status_code == 200
        me = again.get(base + "/api/v1/me").json()
        assert (me["username"], me["roles"]) == ("fiona.finance", ["auditor"])  # same subject, same account


def test_a_person_with_no_mapped_role_is_refused(sso: tuple[OpenIdProvider, str]) -> None:
    provider, base = sso
    provider.person = {**FIONA, "groups": ["All staff"]}
    with httpx.Client() as browser:
        answer = sign_on(base, browser)
        assert answer.status_code == 403 and "has no role in this service" in answer.text
        assert browser.get(base + "/api/v1/me").status_code == 401


def test_a_forged_state_is_refused(sso: tuple[OpenIdProvider, str]) -> None:
    provider, base = sso
    provider.person = FIONA
    with httpx.Client() as browser:
        to_provider = browser.get(base + "/sign-in/sso")
        back = httpx.get(to_provider.headers["location"])  # the provider's redirect, not followed
        code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
        answer = browser.get(base + "/sign-in/sso/callback", params={"code": code, "state": "forged"})
        assert answer.status_code == 400 and "did not work" in answer.text
        assert browser.get(base + "/api/v1/me").status_code == 401
    assert provider.token_requests == []  # the code was never exchanged


@pytest.mark.parametrize("knob", ["audience", "token_issuer"])
def test_an_id_token_for_another_audience_or_from_another_issuer_is_refused(
    sso: tuple[OpenIdProvider, str], knob: str
) -> None:
    provider, base = sso
    provider.person = FIONA
    setattr(provider, knob, "https://someone-else.example")
    with httpx.Client() as browser:
        answer = sign_on(base, browser)
        # Authlib names the issuer invalid, and for a foreign audience the azp claim that would have named us missing
        assert answer.status_code == 400 and re.search(r"did not work \((invalid|missing)_claim\)", answer.text)
        assert SECRET not in answer.text
        assert browser.get(base + "/api/v1/me").status_code == 401
