"""The sign-in throttle over the database: every web process (``uvicorn --workers N``, several hosts) counts
the same wrong passwords, so more processes do not give more tries. The rule itself is
policies/accounts/throttle.py, applied to the failures kept in ``sign_in_failure``; keys are kept as digests.
"""

import datetime as dt
import hashlib

from flows.common.runtime import database
from flows.common.settings import Settings
from models.accounts import add_failure, clear_failures, failures_since
from models.db import unit_of_work
from policies.accounts.throttle import Throttle


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeptThrottle:
    """The throttle's three questions, answered from the database (the same as ``Throttle``'s)."""

    def __init__(self, settings: Settings, rule: Throttle | None = None) -> None:
        self.settings, self.rule = settings, rule or Throttle()

    def locked_until(self, key: str, now: dt.datetime) -> dt.datetime | None:
        with unit_of_work(database(self.settings)) as session:
            failures = failures_since(session=session, key_digest=_digest(key), since=now - self.rule.window)
        rule = Throttle(self.rule.max_failures, self.rule.window)
        for at in failures:
            rule.failed(key, at)
        return rule.locked_until(key, now)

    def failed(self, key: str, now: dt.datetime) -> None:
        with unit_of_work(database(self.settings)) as session:
            add_failure(session=session, key_digest=_digest(key), at=now, forget_before=now - self.rule.window)

    def succeeded(self, key: str) -> None:
        with unit_of_work(database(self.settings)) as session:
            clear_failures(session=session, key_digest=_digest(key))
