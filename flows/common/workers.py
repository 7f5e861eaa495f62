"""Work shared out between processes: one share here, each other share in a forked child, all at once.

A claims import is pure Python for most of its time, which one process runs
on one core. Forking lets the other cores decide their own share of the
claims from the same parsed file and rules, with nothing copied until it is
written. A child sends its result back pickled, in a file, and exits without
running any clean-up of the parent's (no atexit handlers, no buffered output
written twice, no database connection closed under the parent). It must not
touch the parent's database connections: it writes only files of its own.
"""

import contextlib
import os
import pickle
import signal
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

Share = TypeVar("Share")
Result = TypeVar("Result")


def cores() -> int:
    """How many cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return hasattr(os, "fork")


def in_parallel(shares: Sequence[Share], work: Callable[[int, Share], Result], folder: Path) -> list[Result]:
    """``work(k, shares[k])`` for every share, at the same time: share 0 here, the others in forked children.

    Returns the results in share order. If any share fails, the children still running are stopped and
    the failure is raised here (a child's with its traceback); nothing a child wrote is used."""
    children: dict[int, tuple[int, int]] = {}  # share -> (pid, the read end of its "done" pipe)
    try:
        for k in range(1, len(shares)):
            done, tell = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(done)
                _child(k, shares[k], work, folder, tell)
            os.close(tell)
            children[k] = (pid, done)
        results = [work(0, shares[0])] if shares else []
        for k in range(1, len(shares)):
            pid, done = children[k]
            # The child says it is done before it exits: tearing down a big process takes a while.
            finished = os.read(done, 1) == b"1"
            results.append(_collected(k, folder) if finished else _failure(k, folder, os.waitpid(pid, 0)[1]))
        return results
    finally:
        for pid, done in children.values():
            os.close(done)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _child(k: int, share: Share, work: Callable[[int, Share], Result], folder: Path, tell: int) -> NoReturn:
    code = 1
    try:
        result = work(k, share)
        with (folder / f"{k}.result").open("wb") as out:
            pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.write(tell, b"1")
        code = 0
    except BaseException:  # everything, so that the child never goes on to run the parent's code
        with contextlib.suppress(BaseException):
            (folder / f"{k}.error").write_text(traceback.format_exc(), encoding="utf-8")
    finally:
        os._exit(code)


def _collected(k: int, folder: Path) -> Any:
    with (folder / f"{k}.result").open("rb") as result:
        return pickle.load(result)


def _failure(k: int, folder: Path, status: int) -> NoReturn:
    error = folder / f"{k}.error"
    if error.exists():
        raise RuntimeError(f"worker {k} failed:\n{error.read_text(encoding='utf-8')}")
    code = os.waitstatus_to_exitcode(status)
    how = f"was stopped by signal {-code}" if code < 0 else f"exited with status {code}"
    raise RuntimeError(f"worker {k} {how}")
