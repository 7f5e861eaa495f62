"""Session-wide test set-up: Prefect isolated and quiet, a real PostgreSQL on loopback."""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# Prefect reads its environment at import, and test modules import the flows
# at collection, so this must happen before anything imports prefect.
SESSION_DIR = Path(tempfile.mkdtemp(prefix="commissioning-tests-"))
os.environ.pop("PREFECT_API_URL", None)
os.environ["COMMISSIONING_DATA_DIR"] = str(SESSION_DIR / "data")
os.environ.pop("COMMISSIONING_DATABASE_URL", None)
os.environ.pop("COMMISSIONING_POLICY_FILE", None)
os.environ.pop("COMMISSIONING_REMINDER_POLICY", None)
os.environ.pop("COMMISSIONING_APPRISE_CONFIG", None)

from flows.common.runtime import configure_prefect  # noqa: E402
from flows.common.settings import load_settings  # noqa: E402

configure_prefect(load_settings())

# No example database: test processes (pytest-xdist workers) would share one directory, and a failure must
# come back from the test's own seed, not from examples saved by an earlier run.
hypothesis_settings.register_profile("commissioning", database=None)
hypothesis_settings.load_profile("commissioning")

from tests.support.postgres import PrivateCluster, find_bindir  # noqa: E402


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server URL: COMMISSIONING_TEST_POSTGRES_URL, or a private cluster started here."""
    given = os.environ.get("COMMISSIONING_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    bindir = find_bindir()
    if bindir is None:
        message = "PostgreSQL server binaries not found; `./dev test` installs them (Debian package postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    cluster = PrivateCluster(bindir)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(autouse=True)
def _temporary_folder_put_back() -> Iterator[None]:
    """A flow run in the test process points TMPDIR at its data dir's scratch (flows/common/processes.py) and leaves
    it there, as a command does for its whole life; put back after each test, or a later test's temporary files
    go under a folder an earlier test removed, or make a socket path too long (multiprocessing's forkserver)."""
    before, chosen = os.environ.get("TMPDIR"), tempfile.tempdir
    yield
    if before is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = before
    tempfile.tempdir = chosen


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The modules with a test marked slow (real servers, minutes each) first, each whole and in collection order,
    then the rest as collected. `./dev test` hands modules to its two processes in this order
    (--no-loadscope-reorder), so the long ones start at once and the many short ones fill in at the end; in
    collection order tests/e2e/test_workers.py (six minutes) came after most of tests/e2e."""
    slow = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow)  # stable: each module's order is kept
