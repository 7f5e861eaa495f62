"""A flow command killed with SIGKILL takes its temporary Prefect server with it, and leaves scratch only under
the data dir, where the next flow command sweeps it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import COMMISSION, Cli
from tests.e2e.cycle.test_cli import PROJECT

pytestmark = pytest.mark.temporary_prefect  # the temporary server is what must die with the command


def _children(pid: int) -> dict[int, str]:
    """Live (not zombie) processes whose parent is ``pid``, with their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found[int(entry.name)] = cmdline
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _poll(check: object, *, tries: int = 600, every: float = 0.1) -> bool:
    for _ in range(tries):  # bounded: at most a minute
        if check():  # type: ignore[operator]
            return True
        time.sleep(every)
    return False


def test_a_killed_flow_command_leaves_no_server_and_no_scratch(initialised: Cli, tmp_path: Path) -> None:
    cli = initialised
    cli.ok(*PROJECT)
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    env = {**cli.env, "TMPDIR": str(system_tmp)}
    parent = subprocess.Popen(
        [COMMISSION, "advance", "FAM-2026-01"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        servers: dict[int, str] = {}

        def server_started() -> bool:
            servers.update({p: c for p, c in _children(parent.pid).items() if "uvicorn" in c})
            return bool(servers) or parent.poll() is not None

        assert _poll(server_started, every=0.02) and servers, "the command never started Prefect's server"
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        assert _poll(lambda: not any(_alive(p) for p in servers)), f"still running after its parent died: {servers}"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(timeout=30)
        for pid in servers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)

    scratch = cli.data_dir / "scratch"
    assert (scratch / str(parent.pid)).is_dir(), "scratch files belong under the data dir"
    assert list(system_tmp.iterdir()) == []

    done = subprocess.run([COMMISSION, "advance", "FAM-2026-01"], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert list(scratch.iterdir()) == [], "the dead command's scratch is swept, and a finished one removes its own"
    assert list(system_tmp.iterdir()) == []


SPAWN_FROM_A_WORKER = """
import subprocess, sys, threading, time
from flows.common.processes import dies_with_this_process, in_lasting_thread
children = []
def work():
    spawn = lambda: subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                                     preexec_fn=dies_with_this_process())
    children.append(in_lasting_thread(spawn))
worker = threading.Thread(target=work)
worker.start()
worker.join()
time.sleep(0.5)  # a death signal tied to the finished worker thread would have killed the child by now
print(children[0].pid, children[0].poll() is None, flush=True)
time.sleep(120)
"""


def test_a_child_spawned_from_a_short_lived_thread_outlives_it_and_dies_with_the_process() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", SPAWN_FROM_A_WORKER],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    child = 0
    try:
        assert parent.stdout is not None
        pid, alive = parent.stdout.readline().split()
        child = int(pid)
        assert alive == "True", "the child died with the worker thread that asked for it"
        assert _alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        assert _poll(lambda: not _alive(child)), "the child outlived its process"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(timeout=30)
        if child and _alive(child):
            os.kill(child, signal.SIGKILL)
