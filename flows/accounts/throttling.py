"""The sign-in throttle over the database: every web process (``uvicorn --workers N``, several hosts) counts
the same wrong passwords, so more processes do not give more tries. The rule itself is
policies/accounts/throttle.py, applied to the failures kept in ``sign_in_failure``. A key (a user name, an
address) is kept only as its HMAC-SHA-256 under the web's secret key, which every web host shares: a password
typed into the user-name box cannot be found again by trying a dictionary of digests.
"""

import datetime as dt
import hashlib
import hmac

from flows.common.runtime import database
from flows.common.settings import Settings
from models.accounts import add_failure, clear_failures, failures_since
from models.db import unit_of_work
from policies.accounts.throttle import Throttle


class KeptThrottle:
    """The throttle's three questions, answered from the database (the same as ``Throttle``'s)."""

    def __init__(self, settings: Settings, secret: str, rule: Throttle | None = None) -> None:
        self.settings, self.rule = settings, rule or Throttle()
        self._secret = secret.encode("utf-8")

    def _digest(self, key: str) -> str:
        return hmac.new(self._secret, key.encode("utf-8"), hashlib.sha256).hexdigest()

    def locked_until(self, key: str, now: dt.datetime) -> dt.datetime | None:
        with unit_of_work(database(self.settings)) as session:
            failures = failures_since(session=session, key_digest=self._digest(key), since=now - self.rule.window)
        rule = Throttle(self.rule.max_failures, self.rule.window)
        for at in failures:
            rule.failed(key, at)
        return rule.locked_until(key, now)

    def failed(self, key: str, now: dt.datetime) -> None:
        with unit_of_work(database(self.settings)) as session:
            add_failure(session=session, key_digest=self._digest(key), at=now, forget_before=now - self.rule.window)

    def succeeded(self, key: str) -> None:
        with unit_of_work(database(self.settings)) as session:
            clear_failures(session=session, key_digest=self._digest(key))
