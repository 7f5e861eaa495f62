"""Serve's own Prefect API: Prefect's server app under uvicorn, in a child process, on 127.0.0.1 only.

Why a child and not an app inside serve: the API's database work and background services (the task-run
recorder, the event persister) then never compete with the web app and the scheduler for one interpreter,
and the child is the same program as Prefect's temporary server, which every flow command has used so far.

- It listens on a socket serve binds itself, on 127.0.0.1 and a free port, and hands over (``uvicorn --fd``),
  so no other program can take the port between choosing it and listening.
- Its home and database are the project's (``<data dir>/prefect/prefect.db``, unless
  PREFECT_SERVER_DATABASE_CONNECTION_URL names another), the same history the temporary server writes.
- It dies with serve, even on SIGKILL (PR_SET_PDEATHSIG, see flows/common/processes.py), and runs in its own
  session so that Ctrl-C reaches serve alone: serve lets a running flow finish before it stops the API.
- Its log goes to ``<data dir>/prefect/server.log``; serve prints none of it (a database error there may carry
  a connection URL), and names the file if the API fails to start.
"""

import os
import socket
import subprocess
import sys
import threading
import time
from typing import IO

from flows.common.errors import UserError
from flows.common.processes import dies_with_this_process
from flows.common.settings import Settings
from flows.serve.discovery import api_answers

LOOPBACK = "127.0.0.1"
START_TIMEOUT_SECONDS = 180.0  # a new Prefect database is migrated on start: about 15 s on 2 cores
STOP_TIMEOUT_SECONDS = 20.0


class PrefectApi:
    """One Prefect API child process; ``start`` returns once it answers, ``stop`` ends it (both bounded)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.log_path = settings.prefect_home / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, *, stop: threading.Event | None = None, timeout: float = START_TIMEOUT_SECONDS) -> str:
        """Start the API and wait until it answers (or ``stop`` is set); return its URL.

        A UserError if it exits or does not answer within ``timeout`` seconds.
        """
        self.settings.prefect_home.mkdir(parents=True, exist_ok=True)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind((LOOPBACK, 0))
            listener.listen(128)
            port = listener.getsockname()[1]
            self.url = f"http://{LOOPBACK}:{port}/api"
            with self.log_path.open("ab") as log:
                self.process = self._spawn(listener.fileno(), log)
        finally:
            listener.close()  # the child holds its own copy
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not (stop is not None and stop.is_set()):
            if self.process.poll() is not None:
                raise UserError(
                    f"Prefect's API stopped while starting (exit {self.process.returncode}); {self.log_hint()}"
                )
            if api_answers(self.url, timeout=2.0):
                return self.url
            time.sleep(0.2)
        self.stop()
        if stop is not None and stop.is_set():
            return self.url
        raise UserError(f"Prefect's API did not answer within {timeout:.0f} s; {self.log_hint()}")

    def _spawn(self, fd: int, log: IO[bytes]) -> "subprocess.Popen[bytes]":
        # Not ours to read: our database URL (it may carry a password) and the rest of our settings.
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL" and not k.startswith("COMMISSIONING_")}
        env.update(
            {
                "PREFECT_HOME": str(self.settings.prefect_home),
                "DO_NOT_TRACK": "1",
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_UI_ENABLED": "false",
            }
        )
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "prefect.server.api.server:create_app",
            "--fd",
            str(fd),
            "--log-level",
            "error",
            "--no-access-log",
            "--lifespan",
            "on",
        ]
        return subprocess.Popen(
            command,
            env=env,
            pass_fds=(fd,),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # Ctrl-C in serve's terminal reaches serve, which stops this in order
            preexec_fn=dies_with_this_process(),  # serve spawns this before it starts any other thread
        )

    def exited(self) -> int | None:
        """The child's exit status if it has stopped, else None."""
        return None if self.process is None else self.process.poll()

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds; idempotent."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)

    def log_hint(self) -> str:
        # Its lines are not echoed: a database error there may carry PREFECT_SERVER_DATABASE_CONNECTION_URL.
        return f"see its log, {self.log_path}"
