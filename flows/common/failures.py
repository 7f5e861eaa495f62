"""Failures from outside the program (the disk, the database, a file) said in one line, without secrets.

The CLI's top level uses ``failure_line`` for anything that is not a UserError, and passes every line it prints
through ``scrub``: a driver's message can echo the database URL, password and all.
"""

import errno
import os
import re
import sys

# A database URL in a message: its scheme (a driver after + too) up to the next space or quote.
DATABASE_URL = re.compile(r"\b(?:postgres(?:ql)?|sqlite|mysql|mariadb|oracle|mssql)(?:\+\w+)?://[^\s'\"<>()]*", re.I)


def scrub(text: str) -> str:
    """``text`` with the configured database URL's secrets masked."""
    url = os.environ.get("COMMISSIONING_DATABASE_URL")
    if not url:
        return text
    from models.db import scrub_secrets

    return scrub_secrets(text, url)


def without_database_urls(text: str) -> str:
    """``text`` with any database URL said as "the database": a page or an API answer shows no URL at all, not
    even without its password (the user name and host are for the administrator, who has the logs).

    "database postgresql://alice@db.example:5432/council: connection refused" -> "the database: connection
    refused".
    """
    text = re.sub(r"\bdatabase\s+" + DATABASE_URL.pattern + r":?", "the database:", text, flags=re.I)
    return DATABASE_URL.sub("the database", text)


def os_error_line(exc: OSError, *, name: str | None = None) -> str:
    """``<file>: <reason>``, e.g. ``/exports/k.ics: No space left on device``."""
    where = name or exc.filename or _stream_name(exc)
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"{where}: {reason}" if where else reason


def _stream_name(exc: OSError) -> str | None:
    # An OSError without a file name and with one of these numbers comes from writing our output (`> /dev/full`).
    return "standard output" if exc.errno in (errno.ENOSPC, errno.EPIPE, errno.EIO, errno.EFBIG) else None


def database_error_line(exc: BaseException) -> str:
    """``database <where>: <reason>`` for a driver's error, its first line only."""
    orig = getattr(exc, "orig", None) or exc
    reason = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    where = os.environ.get("COMMISSIONING_DATABASE_URL")
    if where:
        from models.db import safe_url

        try:
            where = safe_url(where)
        except Exception:
            where = None
    if not where:
        from flows.common.settings import default_database_url, load_settings

        try:
            where = default_database_url(load_settings().data_dir).removeprefix("sqlite:///")
        except Exception:
            where = None
    return f"database {where}: {reason}" if where else f"database: {reason}"


def failure_line(exc: BaseException) -> str | None:
    """One line for a failure from outside the program, or None if it is a bug (keep its traceback)."""
    database_errors = sys.modules.get("sqlalchemy.exc")
    if database_errors is not None and isinstance(exc, database_errors.DBAPIError):
        return scrub(database_error_line(exc))
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is not None and isinstance(exc, sqlite3.Error):
        return scrub(database_error_line(exc))
    if isinstance(exc, OSError):
        return scrub(os_error_line(exc))
    calendars = sys.modules.get("policies.calendars")
    if calendars is not None and isinstance(exc, calendars.DaysUnknown):  # a date past the bank holidays known
        return str(exc)
    if isinstance(exc, OverflowError) or (isinstance(exc, ValueError) and "out of range" in str(exc)):
        # A date or number past what Python or the database can hold, from input no edge check caught.
        return f"a date or number is out of range ({exc}); use dates in 1900-2200 and smaller numbers"
    return None
