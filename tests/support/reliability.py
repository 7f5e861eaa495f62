"""What a kill-test child process runs: one sweep and delivery, as `commission sweep` does, without Prefect.

Module-level, and importing what it runs at import time, so a multiprocessing
fork server imports it once and starts each child already warm.
"""

import datetime as dt
import os

import notifications.apprise_notifier  # noqa: F401  (warm the fork server)
from flows.common.settings import load_settings
from flows.reminders.delivery import deliver
from flows.reminders.sweep import sweep


def sweep_and_deliver(environment: dict[str, str], as_of: str) -> None:
    for name in [k for k in os.environ if k.startswith("COMMISSIONING_")]:
        del os.environ[name]
    os.environ.update(environment)
    settings = load_settings()
    instant = dt.datetime.fromisoformat(as_of)
    sweep(settings, as_of=instant)
    deliver(settings, as_of=instant)
