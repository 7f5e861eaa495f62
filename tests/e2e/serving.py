"""`commission serve` in the background for a test, its output in a file polled with bounded waits."""

import json
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.e2e.conftest import COMMISSION, Cli

READY = "commission serve: SIGTERM or Ctrl-C stops"


class Serve:
    """`commission serve ARGS` (by default on any free web port, so tests never fight over 8000)."""

    def __init__(self, cli: Cli, log: Path, *args: str, **env: str) -> None:
        self.cli = cli
        self.log = log
        self.handle = log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [COMMISSION, "serve", *(args or ("--port", "0"))],
            env={**cli.env, **env},
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def wait_for(self, pattern: str, count: int = 1, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.output()
            if len(re.findall(pattern, text)) >= count:
                return text
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"no {pattern!r} (x{count}) in serve's output:\n{self.output()}")

    def ready(self) -> str:
        return self.wait_for(re.escape(READY))

    def web_url(self) -> str:
        found = re.search(r"web app on (http://\S+)", self.output())
        assert found, self.output()
        return found.group(1)

    def discovery(self) -> dict[str, Any]:
        return json.loads((self.cli.data_dir / "serve.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=60)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=30)
            self.handle.close()
        return code
