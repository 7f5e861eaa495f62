"""What a flow command leaves behind if it is killed: no server, and scratch only under the data dir.

Prefect's temporary local server is a child process (``python -m uvicorn``). Prefect 3.8.8 starts it with a bare
``subprocess.Popen`` and offers no setting for a pre-exec hook or a new session, and its own clean-up is an
``atexit`` handler, which SIGKILL skips: the server then runs on, orphaned. So the spawn is wrapped here to ask
Linux to kill the child when its parent dies (``prctl(PR_SET_PDEATHSIG)``). Linux sends that signal when the
*thread* that forked the child ends, not the process: a flow started from a web request runs in a worker thread
that ends when idle, so such a spawn is handed to one daemon thread that lives as long as the process.

Scratch files (Prefect's and the server's temporary files, the claims import's side databases, matplotlib's
cache) go to ``<data dir>/scratch/<pid>`` through TMPDIR, inherited by the server; a finished command removes its
own, and the next flow command sweeps those whose process is gone.
"""

import atexit
import concurrent.futures
import ctypes
import functools
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def use_scratch(data_dir: Path) -> Path:
    """Point TMPDIR (ours and our children's) at ``<data dir>/scratch/<pid>``, after sweeping dead commands' dirs."""
    root = data_dir / "scratch"
    mine = root / str(os.getpid())
    if os.environ.get("TMPDIR") == str(mine):
        return mine
    sweep_scratch(root)
    mine.mkdir(parents=True, exist_ok=True)
    os.environ["TMPDIR"] = str(mine)
    tempfile.tempdir = None  # tempfile caches the directory it chose; choose again, from TMPDIR
    atexit.register(shutil.rmtree, mine, ignore_errors=True)  # runs after Prefect's own atexit stops its server
    return mine


def sweep_scratch(root: Path) -> list[Path]:
    """Remove the scratch dirs of processes that no longer exist; return them."""
    swept: list[Path] = []
    try:
        entries = list(root.iterdir())
    except OSError:
        return swept
    for entry in entries:
        if entry.name.isdigit() and int(entry.name) != os.getpid() and not _running(int(entry.name)):
            shutil.rmtree(entry, ignore_errors=True)
            swept.append(entry)
    return swept


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _die_with(parent: int) -> None:
    """In the child, before it runs the server: die when ``parent`` does (or already has)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


def dies_with_this_process() -> "functools.partial[None]":
    """A ``preexec_fn`` for a child that must not outlive this process (spawn it through ``in_lasting_thread``)."""
    return functools.partial(_die_with, os.getpid())


Spawn = tuple[Callable[[], Any], "concurrent.futures.Future[Any]"]
_spawns: "queue.SimpleQueue[Spawn] | None" = None
_spawner_lock = threading.Lock()
_patch_lock = threading.Lock()


def in_lasting_thread(call: Callable[[], T]) -> T:
    """Run ``call`` in a thread that lives as long as the process: the main thread, or one daemon spawner thread.

    A child whose death signal was asked for there dies with the process, not with a short-lived worker thread.
    """
    global _spawns
    if threading.current_thread() is threading.main_thread():
        return call()
    with _spawner_lock:
        if _spawns is None:
            _spawns = queue.SimpleQueue()
            threading.Thread(target=_spawner, args=(_spawns,), name="child-spawner", daemon=True).start()
    done: concurrent.futures.Future[T] = concurrent.futures.Future()
    _spawns.put((call, done))
    return done.result()


def _spawner(spawns: "queue.SimpleQueue[Spawn]") -> None:
    while True:  # for the life of the process: it must not end, or its children get their death signal
        call, done = spawns.get()
        try:
            done.set_result(call())
        except BaseException as exc:  # handed back to the caller's thread, whatever it is
            done.set_exception(exc)


def guard_prefect_server() -> None:
    """Make Prefect's temporary server die with this process (call after configure_prefect, before any flow)."""
    from prefect.server.api import server as prefect_server

    cls: Any = prefect_server.SubprocessASGIServer
    if getattr(cls, "_dies_with_parent", False):
        return
    spawn = cls._run_uvicorn_command

    def spawn_dying_with_us(self: Any) -> subprocess.Popen[Any]:
        popen = functools.partial(subprocess.Popen, preexec_fn=functools.partial(_die_with, os.getpid()))
        with _patch_lock:
            real = getattr(prefect_server, "subprocess")  # noqa: B009  (the module Prefect's server spawns with)
            setattr(prefect_server, "subprocess", types.SimpleNamespace(Popen=popen))  # noqa: B010
            try:
                return spawn(self)  # type: ignore[no-any-return]
            finally:
                setattr(prefect_server, "subprocess", real)  # noqa: B010

    def run_uvicorn_command(self: Any) -> subprocess.Popen[Any]:
        return in_lasting_thread(functools.partial(spawn_dying_with_us, self))

    cls._run_uvicorn_command = run_uvicorn_command
    cls._dies_with_parent = True


_temporary_lock = threading.Lock()


def start_temporary_server() -> None:
    """Start Prefect's temporary server now, if flows will use one, and once however many threads ask.

    Prefect starts it on a flow's first call to its API with no lock: two flows started together from a web
    app's threads would start two servers migrating one database, or use one before it answers.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return
    from prefect.server.api.server import SubprocessASGIServer

    with _temporary_lock:
        SubprocessASGIServer().start()  # returns at once once started; the first caller waits until it answers
