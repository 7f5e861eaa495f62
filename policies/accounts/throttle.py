"""Sign-in throttling: after repeated wrong passwords, a user name (or an address) must wait.

The rule: five failures within fifteen minutes lock that key out until the first of them is fifteen minutes
old; a success clears it. Example: wrong passwords for "priya" at 09:00, 09:01, 09:02, 09:03 and 09:04 mean
every try until 09:15 is refused without even checking the password; at 09:15 she may try again (and a wrong
password then locks her out again until 09:16).
The clock is passed in, so the rule is tested without waiting.
"""

import datetime as dt
from dataclasses import dataclass, field

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)


@dataclass
class Throttle:
    max_failures: int = MAX_FAILURES
    window: dt.timedelta = WINDOW
    _failures: dict[str, list[dt.datetime]] = field(default_factory=dict)

    def locked_until(self, key: str, now: dt.datetime) -> dt.datetime | None:
        """When ``key`` may try again, if it is locked out now."""
        recent = [t for t in self._failures.get(key, []) if now - t < self.window]
        self._failures[key] = recent
        if not recent:
            self._failures.pop(key, None)
        if len(recent) >= self.max_failures:
            return recent[-self.max_failures] + self.window
        return None

    def failed(self, key: str, now: dt.datetime) -> None:
        self._failures.setdefault(key, []).append(now)

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)
