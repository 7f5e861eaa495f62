"""The web app for real: ``commission serve --no-scheduler`` on 127.0.0.1, and Debian's Chromium driven by Playwright.

The app runs as it does for a council, so a flow started from a page runs on serve's own loopback Prefect API,
and stopping serve stops everything it started (no Prefect server is left behind).

The journeys save screenshots of every page they visit into one folder: COMMISSIONING_SCREENSHOTS if set,
else ``web-screenshots`` under pytest's temporary directory; the path is printed at the end of the run.
"""

import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.common.runtime import initialise
from flows.common.settings import load_settings
from tests.e2e.conftest import COMMISSION
from tests.support.servers import LOOPBACK, free_port
from tests.support.web import USERS, build_world

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = Path(os.environ.get("COMMISSIONING_SCREENSHOTS") or tmp_path_factory.getbasetemp() / "web-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    print(f"\nweb journeys: screenshots in {folder} ({len(list(folder.glob('*.png')))} files)")


class Server:
    def __init__(self, url: str, settings: Any, tokens: dict[str, str]) -> None:
        self.url, self.settings, self.tokens = url, settings, tokens


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A fresh data directory with the test world, served by ``commission serve`` until the module's journeys end."""
    data_dir = tmp_path_factory.mktemp("web-data")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMMISSIONING_", "PREFECT_API_URL"))}
    env.pop("PREFECT_HOME", None)
    env |= {"COMMISSIONING_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT), "COMMISSIONING_ACTOR": "setup"}
    settings = load_settings(env)
    initialise(settings)
    tokens = build_world(settings)
    port = free_port()
    log = (data_dir / "server.log").open("w")
    process = subprocess.Popen(
        [COMMISSION, "serve", "--no-scheduler", "--host", LOOPBACK, "--port", str(port)],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://{LOOPBACK}:{port}"
    try:
        for _ in range(1800):  # up to about 3 min: serve first starts its Prefect API (a new database: about 15 s)
            if process.poll() is not None:
                raise RuntimeError(f"the web app exited: {(data_dir / 'server.log').read_text()}")
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the web app did not answer /healthz")
        yield Server(url, settings, tokens)
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)  # serve lets a running flow finish, then stops its Prefect API
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium and chromium-driver (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield launched
        launched.close()


class Shots:
    """Screenshots of one journey, numbered in the order taken."""

    def __init__(self, folder: Path, journey: str) -> None:
        self.folder, self.journey, self.count = folder, journey, 0

    def __call__(self, page: Any, name: str) -> None:
        self.count += 1
        page.screenshot(path=str(self.folder / f"{self.journey}-{self.count:02d}-{name}.png"), full_page=True)


@pytest.fixture
def shots(screenshots: Path, request: pytest.FixtureRequest) -> Shots:
    return Shots(screenshots, request.node.name.removeprefix("test_"))


def signed_in_page(browser: Any, server: Server, role: str) -> Any:
    """A new browser context (its own cookies) signed in as the role's user through the form."""
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    page.goto("/sign-in")
    page.get_by_label("User name").fill(USERS[role][0])
    page.get_by_label("Password").fill("correct horse battery staple")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert "/sign-in" not in page.url, page.content()
    return page
