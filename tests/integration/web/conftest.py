"""A web app over the test world (tests/support/web.py), on SQLite and PostgreSQL."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from flows.common.settings import Settings
from tests.support.web import USERS, build_world, sign_in


@pytest.fixture
def world(settings: Settings) -> dict[str, str]:
    return build_world(settings)


@pytest.fixture
def app(settings: Settings, world: dict[str, str]) -> Any:
    from flows.web.app import create_app

    return create_app(settings)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def as_role(app: Any) -> Iterator[Callable[[str], TestClient]]:
    """A client signed in with the role's user (cookies kept per client)."""
    made: list[TestClient] = []

    def make(role: str) -> TestClient:
        c = TestClient(app)
        made.append(c)
        response = sign_in(c, USERS[role][0])
        assert response.status_code == 303, response.text
        return c

    yield make
    for c in made:
        c.close()
