"""Is the product ready, and how much work is in it: the facts behind ``/readyz`` and ``/metrics``.

Readiness is four checks, each "ok", "failed" or "off":

- ``database``: the database answers; on SQLite also, its file is still at the configured path, readable and
  writable by this process (a pooled connection keeps a deleted file open and answers from it);
- ``migrations``: it is at the schema this version needs (``models/revision.py``);
- ``scheduler``: serve's embedded scheduler is running, when it is on ("off" under Prefect deployments);
- ``sweep``: the last finished reminder sweep is no older than 26 hours (a daily sweep, with two hours' slack).

Nothing here says more than counts and ages: no names, no amounts, no error texts (a driver's message can
carry a host name or a DSN). Example: a database stopped at night gives
``{"status": "not ready", "failing": ["database", "migrations", "sweep"], ...}`` and HTTP 503.
"""

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from flows.common.errors import UserError
from flows.common.runtime import engine
from flows.common.settings import Settings
from models.db import UTCDateTime, schema_revision
from models.revision import SCHEMA_REVISION

SWEEP_MAX_AGE = dt.timedelta(hours=26)
OVERDUE_AFTER = dt.timedelta(hours=1)  # a pending reminder this long past its send time is late
OK, FAILED, OFF = "ok", "failed", "off"


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, str]
    last_sweep_age_seconds: int | None

    @property
    def failing(self) -> list[str]:
        return [name for name, state in self.checks.items() if state == FAILED]

    def as_dict(self) -> dict[str, object]:
        return {
            "status": "not ready" if self.failing else "ready",
            "failing": self.failing,
            "checks": self.checks,
            "last_sweep_age_seconds": self.last_sweep_age_seconds,
        }


@dataclass(frozen=True)
class Counts:
    """The counts ``/metrics`` shows; ``database_up`` False means the rest could not be read."""

    database_up: bool
    reminders: dict[str, int] = field(default_factory=dict)  # by status
    reminders_sent_late: int = 0
    reminders_overdue: int = 0
    last_sweep_age_seconds: float | None = None
    payment_runs: int = 0
    claim_imports: int = 0


def readiness(settings: Settings, *, now: dt.datetime, scheduler_alive: Callable[[], bool] | None) -> Readiness:
    """The four checks as of ``now``; ``scheduler_alive`` None means the scheduler is off."""
    checks = {"database": FAILED, "migrations": FAILED, "scheduler": OFF, "sweep": FAILED}
    if scheduler_alive is not None:
        checks["scheduler"] = OK if scheduler_alive() else FAILED
    age: float | None = None
    try:
        eng = engine(settings)
        if not sqlite_file_in_place(eng):
            raise OSError("the database file is gone or out of reach")
        revision = schema_revision(eng)
        checks["database"] = OK
        checks["migrations"] = OK if revision == SCHEMA_REVISION else FAILED
        if revision is not None:
            age = _last_sweep_age(settings, now)
    except (SQLAlchemyError, UserError, OSError):
        pass
    if age is not None and age <= SWEEP_MAX_AGE.total_seconds():
        checks["sweep"] = OK
    return Readiness(checks=checks, last_sweep_age_seconds=None if age is None else int(age))


def counts(settings: Settings, *, now: dt.datetime) -> Counts:
    """Reminders by status, late and overdue; the last sweep's age; payment runs and claim imports, all counted."""
    try:
        eng = engine(settings)
        if not sqlite_file_in_place(eng):
            return Counts(database_up=False)
        with eng.connect() as c:
            by_status = {
                str(s): int(n) for s, n in c.execute(text("SELECT status, COUNT(*) FROM reminder GROUP BY status"))
            }
            late = c.execute(text("SELECT COUNT(*) FROM reminder WHERE status = 'sent' AND late")).scalar_one()
            overdue = c.execute(
                text("SELECT COUNT(*) FROM reminder WHERE status = 'pending' AND send_at < :before").bindparams(
                    bindparam("before", type_=UTCDateTime())
                ),
                {"before": now - OVERDUE_AFTER},
            ).scalar_one()
            runs = c.execute(text("SELECT COUNT(*) FROM payment_run")).scalar_one()
            imports = c.execute(text("SELECT COUNT(*) FROM claim_import")).scalar_one()
        age = _last_sweep_age(settings, now)
    except (SQLAlchemyError, UserError, OSError):
        return Counts(database_up=False)
    return Counts(True, by_status, int(late), int(overdue), age, int(runs), int(imports))


_FILE_SEEN: dict[str, tuple[int, int]] = {}  # a SQLite database's path: the (device, inode) its pool has open


def sqlite_file_in_place(eng: Engine) -> bool:
    """False when a SQLite database's file is no longer at its path or this process can no longer read and
    write it; a file put back at the path (a restore) empties the pool, so the next connections open it.

    A pooled connection holds the file it opened: deleted or made unreadable, it still answers from it while
    every new connection (the CLI's) fails, so asking the pool alone would call a lost database "ok".
    Any other backend (or an in-memory SQLite) is True: its connections find out for themselves."""
    path = eng.url.database if eng.dialect.name == "sqlite" else None
    if not path or path == ":memory:" or path.startswith("file:"):
        return True
    try:
        found = os.stat(path)
    except OSError:
        return False
    if not os.access(path, os.R_OK | os.W_OK):
        return False
    file_id = (found.st_dev, found.st_ino)
    seen = _FILE_SEEN.setdefault(path, file_id)
    if seen != file_id:  # another file now: the pool's connections still read the old one
        eng.dispose()
        _FILE_SEEN[path] = file_id
    return True


def _last_sweep_age(settings: Settings, now: dt.datetime) -> float | None:
    with engine(settings).connect() as c:
        query = text("SELECT MAX(as_of) AS last FROM reminder_sweep").columns(last=UTCDateTime())
        last = c.execute(query).scalar_one()
    if last is None:
        return None
    return max(0.0, float((now - last).total_seconds()))
