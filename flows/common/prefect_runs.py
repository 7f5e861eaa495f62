"""How this process runs its own Prefect flows: the settings every short, local flow run needs.

Shared by the cycle's stage flows, the payment-by-results flows and the reminder flows, so
each capability runs its flows the same way.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prefect import get_run_logger
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

from flows.common.errors import UserError
from flows.common.failures import failure_line


@contextmanager
def local_run_settings() -> Iterator[None]:
    """Heartbeats off: each synchronous flow run otherwise waits about 1 s on its thread.

    Prefect's EventsWorker drains its queue at exit and announces that at WARNING
    level on every short run; only its failures (ERROR) are worth showing.
    """
    logging.getLogger("EventsWorker").setLevel(logging.ERROR)
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def refusable(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run a task's ``work``; bad input, or a failure from outside (the disk, the database), is the result
    ``{"refused": line}``, not a failed run: Prefect logs a task's exception with its traceback, and a user must
    see one line. Whoever runs the flow raises the line as a UserError (``raise_refusal``)."""
    try:
        return work()
    except UserError as exc:
        get_run_logger().info("refused: %s", str(exc).splitlines()[0])
        return {"refused": str(exc)}
    except Exception as exc:
        line = failure_line(exc)  # a full disk, a file in the way, the database gone: one line, no traceback
        if line is None:
            raise
        get_run_logger().info("failed: %s", line)
        return {"refused": line}


def raise_refusal(result: dict[str, Any]) -> dict[str, Any]:
    """A flow's result, or its refusal raised as a UserError for the command or page that ran it."""
    if "refused" in result:
        raise UserError(result["refused"])
    return result
