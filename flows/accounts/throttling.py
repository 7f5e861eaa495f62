"""The sign-in throttle over the database: every web process (``uvicorn --workers N``, several hosts) counts
the same wrong passwords, so more processes do not give more tries. The rule itself is
policies/accounts/throttle.py, applied to the failures kept in ``sign_in_failure``. A key (a user name, an
address) is kept only as its HMAC-SHA-256 under the web's secret key, which every web host shares: a password
typed into the user-name box cannot be found again by trying a dictionary of digests.
"""

import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence

from flows.common.runtime import database
from flows.common.settings import Settings
from models.accounts import add_failure, clear_failures, failures_since, remove_failures
from models.db import unit_of_work
from policies.accounts.throttle import Throttle


class KeptThrottle:
    """The throttle's rule (``Throttle``), applied to the failures kept in the database."""

    def __init__(self, settings: Settings, secret: str, rule: Throttle | None = None) -> None:
        self.settings, self.rule = settings, rule or Throttle()
        self._secret = secret.encode("utf-8")

    def _digest(self, key: str) -> str:
        return hmac.new(self._secret, key.encode("utf-8"), hashlib.sha256).hexdigest()

    def attempt(self, name: str, shared: Sequence[str], now: dt.datetime) -> dt.datetime | None:
        """Count a sign-in try against the user ``name`` key before its password is checked; then, if the
        failures before it lock that key or any ``shared`` key (an address) out, until when (and the try is taken
        back: trying while locked out does not lock out for longer).

        Counted first and committed, a burst of tries for one name at once, over several processes, cannot all
        pass before any is counted: each sees those that began before it, so at most the rule's number get
        through. A try let through stays counted, as its failure, unless ``succeeded``. An address is counted
        only once a password is found wrong (``failed``): many people share one behind an office's gateway, and
        colleagues signing in at the same moment must not lock each other out."""
        since = now - self.rule.window
        with unit_of_work(database(self.settings)) as session:
            mine = [add_failure(session=session, key_digest=self._digest(name), at=now, forget_before=since)]
        until: dt.datetime | None = None
        with unit_of_work(database(self.settings)) as session:
            for key in (name, *shared):
                rule = Throttle(self.rule.max_failures, self.rule.window)
                for at in failures_since(session=session, key_digest=self._digest(key), since=since, besides=mine):
                    rule.failed(key, at)
                locked = rule.locked_until(key, now)
                until = locked if until is None or (locked is not None and locked > until) else until
            if until is not None:
                remove_failures(session=session, ids=mine)
        return until

    def failed(self, keys: Sequence[str], now: dt.datetime) -> None:
        """A wrong password, counted against ``keys`` (those ``attempt`` did not count already)."""
        with unit_of_work(database(self.settings)) as session:
            for key in keys:
                add_failure(session=session, key_digest=self._digest(key), at=now, forget_before=now - self.rule.window)

    def succeeded(self, key: str) -> None:
        with unit_of_work(database(self.settings)) as session:
            clear_failures(session=session, key_digest=self._digest(key))
