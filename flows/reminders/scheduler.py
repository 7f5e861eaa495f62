"""The embedded scheduler (APScheduler 3.11) that runs the reminder flow inside ``commission serve`` (flows/serve/).

Jobs, on cron triggers in the organisation's zone (never an interval, which
drifts an hour at each clock change; never 01:00-01:59, which the October
change repeats and the March change skips):

- ``daily-sweep`` at 07:00: opens the day's send window and delivers;
- ``delivery-pass`` every few minutes: plans contracts changed since, and
  delivers what is ready, retries included.

Each run also expires the pending proposals (flows/approvals/service.py) whose time ran out.

Both run the same Prefect flow on one worker thread, so they never overlap,
and missed runs fold into one (``coalesce``) within the misfire grace. A
server that was down catches up on start: the flow's window runs from the
last finished sweep (the outbox's own record, not the job store's), so one
run sends everything overdue, marked late.

Only one scheduler may run against a database: a PostgreSQL advisory lock,
or an exclusive lock on a file beside the SQLite database. Both are released
by the operating system if the process dies, so a crash never blocks the
next start. The lock is serve's, so it is held whether or not the scheduler runs. SIGTERM or Ctrl-C
stops cleanly: the running job finishes first.
"""

import datetime as dt
import fcntl
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from models.db import normalise_url, safe_url

ADVISORY_LOCK_KEY = 0x636F6D6D  # "comm": the scheduler's PostgreSQL advisory lock
MISFIRE_GRACE_SECONDS = 6 * 3600


@contextmanager
def scheduler_lock(settings: Settings) -> Iterator[str]:
    """Hold the one-scheduler-per-database lock for the block; refuse at once if someone else holds it."""
    url = normalise_url(settings.database_url)
    if url.get_backend_name() == "postgresql":
        with database(settings).connect() as connection:
            got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY}).scalar()
            connection.commit()
            if not got:
                raise UserError(
                    f"another `commission serve` is already running against {safe_url(url)} "
                    f"(it holds PostgreSQL advisory lock {ADVISORY_LOCK_KEY}); stop it first"
                )
            try:
                yield f"PostgreSQL advisory lock {ADVISORY_LOCK_KEY}"
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
                connection.commit()
        return
    path = Path(str(url.database) + ".serve.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise UserError(
                f"another `commission serve` is already running against {safe_url(url)} ({holder}); stop it first"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()} since {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}Z\n")
        handle.flush()
        yield f"lock file {path}"
    finally:
        handle.close()  # closing releases the lock


def check_sweep_time(text_value: str) -> dt.time:
    try:
        when = dt.time.fromisoformat(text_value)
    except ValueError:
        raise UserError(f"--sweep-at {text_value!r} is not a time of day such as 07:00") from None
    if when.hour == 1:
        raise UserError(
            f"--sweep-at {text_value}: 01:00-01:59 is skipped or repeated at the clock changes; pick another"
        )
    return when


def build_scheduler(settings: Settings, job: Callable[[], None], *, sweep_at: dt.time, every_minutes: int) -> Any:
    """A background scheduler with the two cron jobs (not started)."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger

    zone = ZoneInfo(settings.timezone)
    scheduler = BackgroundScheduler(
        timezone=zone,
        # One worker thread: the jobs share one flow and one database, so they take turns, never overlap.
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )
    scheduler.add_job(
        job,
        CronTrigger(hour=sweep_at.hour, minute=sweep_at.minute, timezone=zone),
        id="daily-sweep",
        name="daily reminder sweep",
        replace_existing=True,
    )
    scheduler.add_job(
        job,
        CronTrigger(minute=f"*/{every_minutes}", hour="0,2-23", timezone=zone),
        id="delivery-pass",
        name="delivery and retry pass",
        replace_existing=True,
    )
    return scheduler


Say = Callable[..., None]  # say(line, **fields): one line of serve's output, fields as JSON


def sweep_job(say: Say) -> Callable[[], None]:
    """The scheduled job: one reminder flow run as of now, its outcome as one line; a failure never stops serve."""
    from flows.reminders.reminder_flows import run_sweep  # only after start_prefect

    def job() -> None:
        now = dt.datetime.now(dt.UTC)
        try:
            result = run_sweep(as_of=now)
        except UserError as exc:
            say(f"run at {now:%Y-%m-%d %H:%M:%S}Z failed: {exc}")
            return
        except Exception as exc:  # one line, and the scheduler carries on; the next pass retries
            say(f"run at {now:%Y-%m-%d %H:%M:%S}Z failed: {type(exc).__name__}: {str(exc).splitlines()[:1]}")
            return
        delivery = result.get("delivery", {})
        say(
            f"run at {now:%Y-%m-%d %H:%M:%S}Z",
            planned=result.get("sweep", {}).get("planned", 0),
            sent=delivery.get("sent", 0),
            late=delivery.get("late", 0),
            retrying=delivery.get("retrying", 0),
            failed=delivery.get("failed", 0),
            expired=result.get("expired", 0),
        )

    return job


BACKUP_AT = dt.time(2, 30)  # after the 01:00-02:00 hour the clock changes skip or repeat, before the sweep


def backup_job(settings: Settings, say: Say) -> Callable[[], None]:
    """The nightly backup (flows/common/backup.py), keeping ``settings.backup_keep``; a failure is one line."""
    from flows.common.backup import nightly_backup

    def job() -> None:
        try:
            done, removed = nightly_backup(
                settings, settings.backups, settings.backup_keep, now=dt.datetime.now(dt.UTC)
            )
        except UserError as exc:
            say(f"nightly backup failed: {exc}")
            return
        except Exception as exc:  # the next night tries again; serve carries on
            say(f"nightly backup failed: {type(exc).__name__}: {str(exc).splitlines()[:1]}")
            return
        say(f"nightly backup written to {done.path}", bytes=done.size, removed=len(removed))

    return job


def start_scheduler(settings: Settings, *, sweep_at: dt.time, every_minutes: int, say: Say) -> Any:
    """Start the cron jobs and a catch-up run now (call after start_prefect, inside ``scheduler_lock``).

    The caller stops it with ``shutdown(wait=True)``, which lets a running job finish.
    """
    job = sweep_job(say)
    scheduler = build_scheduler(settings, job, sweep_at=sweep_at, every_minutes=every_minutes)
    if settings.backup_keep > 0:
        from apscheduler.triggers.cron import CronTrigger

        scheduler.add_job(
            backup_job(settings, say),
            CronTrigger(hour=BACKUP_AT.hour, minute=BACKUP_AT.minute, timezone=ZoneInfo(settings.timezone)),
            id="nightly-backup",
            name="nightly backup",
            replace_existing=True,
        )
    scheduler.start()
    scheduler.add_job(job, id="catch-up", name="catch-up on start", replace_existing=True)
    return scheduler
