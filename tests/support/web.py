"""The web tests' world: a small portfolio, one user per role, and signed-in clients.

HOM-1 (in Review) has Housing First contracts HF-2026-01/02 from Northbridge YP Trust; OTH-1 is another
provider's (Other Care Ltd) contract, titled with a script tag; FAM-1 is a project in Analyse with no evidence.
Nora is a provider user of Northbridge. Every password is PASSWORD.
"""

import datetime as dt
import re
from typing import Any

from flows.accounts.organisations import save_organisation
from flows.accounts.tokens import create_token
from flows.accounts.users import add_user
from flows.contracts.files import Row
from flows.contracts.importing import add_contracts
from flows.cycle.projects import create_project
from tests.support.builders import housing_first

PASSWORD = "correct horse battery staple"
XSS = "<script>alert(1)</script>"
USERS = {
    "commissioner": ("cara", "Cara Commissioner"),
    "finance": ("finn", "Finn Finance"),
    "provider": ("nora", "Nora Northbridge"),
    "auditor": ("audrey", "Audrey Auditor"),
    "admin": ("ada", "Ada Admin"),
    "checker": ("fran", "Fran Finance"),  # a second finance user: the checker of what finn proposes
}
ROLE_OF = {"checker": "finance"}
NORTHBRIDGE, OTHER = "Northbridge YP Trust", "Other Care Ltd"


def build_world(settings: Any) -> dict[str, str]:
    """The portfolio and users; returns an API token per role."""
    housing_first(settings, count=2)
    add_contracts(
        settings,
        [
            Row(
                "line 2",
                {
                    "ref": "OTH-1",
                    "title": XSS,
                    "provider": OTHER,
                    "project": "HOM-1",
                    "value": "120000",
                    "start": "2026-01-01",
                    "term": "2+1",
                    "extension_notice": "3 months",
                },
            )
        ],
        as_of=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        actor="a",
    )
    create_project(
        settings,
        ref="FAM-1",
        title="Family support",
        service_area="Children and families",
        owner="Cara Commissioner",
        description="",
        stage="analyse",
        as_of=dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
        actor="a",
    )
    save_organisation(settings, name="Northbridge", provider_names=[NORTHBRIDGE], actor="setup")
    tokens = {}
    for role, (username, name) in USERS.items():
        add_user(
            settings,
            username=username,
            display_name=name,
            roles=[ROLE_OF.get(role, role)],
            password=PASSWORD,
            organisation="Northbridge" if role == "provider" else None,
            actor="setup",
        )
        tokens[role], _ = create_token(settings, username=username, purpose="api", name="tests", actor="setup")
    return tokens


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    if found is None:
        raise AssertionError("no CSRF token on the page")
    return found.group(1)


def sign_in(client: Any, username: str, password: str = PASSWORD) -> Any:
    """Sign the client in through the form; returns the response to the POST (a redirect)."""
    token = csrf_of(client.get("/sign-in").text)
    return client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
