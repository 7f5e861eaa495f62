"""How this process runs its own Prefect flows: the settings every short, local flow run needs.

Shared by the cycle's stage flows, the payment-by-results flows and the reminder flows, so
each capability runs its flows the same way.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings


@contextmanager
def local_run_settings() -> Iterator[None]:
    """Heartbeats off: each synchronous flow run otherwise waits about 1 s on its thread.

    Prefect's EventsWorker drains its queue at exit and announces that at WARNING
    level on every short run; only its failures (ERROR) are worth showing.
    """
    logging.getLogger("EventsWorker").setLevel(logging.ERROR)
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield
