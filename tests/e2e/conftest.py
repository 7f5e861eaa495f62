"""Run the real ``commission`` console script in a subprocess, as a user would.

A flow command with no Prefect API starts Prefect's temporary server, about 5 s each time. So the ``cli``
and ``initialised`` fixtures point their commands at one ``commission serve --no-web --no-scheduler`` per
test process (``shared_prefect_api``), as a council's machine does while serve runs. A test that is about
how a command finds or starts Prefect is marked ``temporary_prefect`` and gets no API; so does every test
when ``COMMISSIONING_TEST_PREFECT=temporary`` (to compare, or to run the suite the slow way).
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

COMMISSION = str(Path(sys.executable).with_name("commission"))


class Cli:
    """The installed command with its own data directory (and so its own SQLite and Prefect home)."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.data_dir = data_dir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("COMMISSIONING_", "PREFECT_API_URL"))}
        self.env.update({"COMMISSIONING_DATA_DIR": str(data_dir), "COMMISSIONING_ACTOR": "e2e", "COLUMNS": "200"})
        self.env.pop("PREFECT_HOME", None)
        self.env.update(env)

    def run(self, *args: str, timeout: float = 180, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [COMMISSION, *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def ok(self, *args: str, **env: str) -> str:
        done = self.run(*args, **env)
        assert done.returncode == 0, f"commission {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stdout + done.stderr
        return done.stdout

    def json(self, *args: str, **env: str) -> Any:
        return json.loads(self.ok(*args, "--json", **env))

    def fails(self, *args: str, code: int = 1, **env: str) -> str:
        """Run a command that must be refused: exit ``code``, one line on stderr, no traceback; return the line."""
        done = self.run(*args, **env)
        assert done.returncode == code, f"expected exit {code}, got {done.returncode}:\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stdout + done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith("error: ")
        return lines[0]

    def dump(self) -> list[str]:
        """Every row of the default SQLite database, to show that a refused command wrote nothing."""
        with sqlite3.connect(self.data_dir / "commissioning.db") as conn:
            return list(conn.iterdump())


@pytest.fixture(scope="session")
def shared_prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Prefect API of one `commission serve --no-web --no-scheduler` (on 127.0.0.1) for this test process."""
    from tests.e2e.serving import Serve  # it imports this module

    base = tmp_path_factory.mktemp("shared-serve")
    owner = Cli(base / "data")
    owner.ok("init")
    serve = Serve(owner, base / "serve.log", "--no-web", "--no-scheduler")
    try:
        serve.ready()
        yield str(serve.discovery()["prefect_api_url"])
    finally:
        serve.stop()


def prefect_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """PREFECT_API_URL of the shared API, or nothing for a test that needs Prefect's temporary server."""
    if os.environ.get("COMMISSIONING_TEST_PREFECT") == "temporary" or request.node.get_closest_marker(
        "temporary_prefect"
    ):
        return {}
    return {"PREFECT_API_URL": request.getfixturevalue("shared_prefect_api")}


@pytest.fixture
def cli(tmp_path: Path, request: pytest.FixtureRequest) -> Cli:
    return Cli(tmp_path / "data", **prefect_env(request))


@pytest.fixture(scope="module")
def initialised_template(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    template = Cli(tmp_path_factory.mktemp("template") / "data", **prefect_env(request))
    template.ok("init")
    return template.data_dir


@pytest.fixture
def initialised(cli: Cli, initialised_template: Path) -> Cli:
    """A CLI whose database was initialised by `commission init` (copied from a template, for speed)."""
    shutil.copytree(initialised_template, cli.data_dir)
    return cli


def with_option(args: list[str], option: str, value: str | None) -> list[str]:
    """The same command line with one option's value replaced (or the option dropped, for None)."""
    i = args.index(option)
    rest = args[i + 2 :]
    return [*args[:i], *([option, value] if value is not None else []), *rest]
