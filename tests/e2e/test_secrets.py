"""The PostgreSQL password never reaches the output or any file under the data dir, in any URL form."""

import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.e2e.conftest import Cli

SECRET = "Zq9-hunter2-secret"
pytestmark = pytest.mark.temporary_prefect  # Prefect's own database is under the data dir, searched too


def _leaks(cli: Cli, runs: list[subprocess.CompletedProcess[str]]) -> list[str]:
    found = [f"output of {' '.join(r.args[1:])}" for r in runs if SECRET in r.stdout + r.stderr]
    for path in cli.data_dir.rglob("*") if cli.data_dir.exists() else []:
        if path.is_file() and SECRET.encode() in path.read_bytes():
            found.append(str(path))
    return found


@pytest.mark.parametrize(
    "form",
    [
        "postgresql://{user}:{secret}@{host}:{port}/{db}",
        "postgresql://{user}@{host}:{port}/{db}?password={secret}",
        "postgresql://{user}@{host}:{port}/{db}?sslpassword={secret}&application_name=commission",
    ],
)
def test_a_succeeding_run_shows_no_password(cli: Cli, postgres_server_url: str, form: str) -> None:
    server = make_url(postgres_server_url)  # trust authentication: the password is accepted and ignored
    url = form.format(user=server.username, secret=SECRET, host=server.host, port=server.port, db=server.database)
    runs = [cli.run("init", COMMISSIONING_DATABASE_URL=url), cli.run("projects", COMMISSIONING_DATABASE_URL=url)]
    assert [r.returncode for r in runs] == [0, 0], runs
    assert "***" in runs[0].stdout
    assert _leaks(cli, runs) == []


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://commissioner:{SECRET}@127.0.0.1:1/commissioning",
        f"postgresql://commissioner@127.0.0.1:1/commissioning?password={SECRET}",
        f"postgresql://commissioner:p@{SECRET}@127.0.0.1:1/commissioning",  # an unencoded @ in the password
        f"postgresql://commissioner@127.0.0.1:1/commissioning?password={SECRET}&bogus_option=1",
        f"postgresql://commissioner:p@{SECRET}@no-such-host.invalid/commissioning",
    ],
)
@pytest.mark.parametrize("command", [["init"], ["projects"], ["advance", "X-1"]])
def test_a_failing_run_shows_no_password(cli: Cli, tmp_path: Path, url: str, command: list[str]) -> None:
    done = cli.run(*command, COMMISSIONING_DATABASE_URL=url)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert _leaks(cli, [done]) == []
