"""Database URLs are shown with every secret masked, whatever form the secret takes."""

import pytest

from models.db import normalise_url, safe_url, scrub_secrets

SECRET = "Zq9-secret"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://u:{SECRET}@host/db",
        f"postgresql://u@host/db?password={SECRET}",
        f"postgresql://u@host/db?application_name=x&sslpassword={SECRET}",
        f"postgresql://u@host/db?passfile=/home/u/{SECRET}",
        f"postgresql://u@host/db?sslkey=/k/{SECRET}&token={SECRET}&api_key={SECRET}",
        f"postgresql://u:p@{SECRET}@host/db",  # an unencoded @ in the password
        f"postgresql://u:p@{SECRET}@host:5432/db?password={SECRET}",
    ],
)
def test_safe_url_masks_every_secret(url: str) -> None:
    shown = safe_url(url)
    assert SECRET not in shown
    assert "***" in shown
    assert SECRET not in scrub_secrets(f"connection to {url} failed: {url!r}", url)


def test_an_unencoded_at_sign_belongs_to_the_password() -> None:
    parsed = normalise_url(f"postgresql://u:p@{SECRET}@host:5433/db")
    assert parsed.password == f"p@{SECRET}"
    assert (parsed.host, parsed.port, parsed.database) == ("host", 5433, "db")
    assert safe_url(parsed) == "postgresql+psycopg://u:***@host:5433/db"


def test_plain_parameters_are_kept() -> None:
    assert safe_url("postgresql://u@host/db?application_name=x") == "postgresql+psycopg://u@host/db?application_name=x"
    assert safe_url("sqlite:////tmp/a.db") == "sqlite:////tmp/a.db"
