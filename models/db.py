"""Engine, sessions and column types shared by every table.

SQLite is the default (a file, WAL mode, foreign keys on for every
connection); PostgreSQL is used through psycopg 3. Instants are stored in UTC
and come back timezone-aware on both.
"""

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from sqlalchemy import DateTime, create_engine, event, inspect
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from sqlmodel import Session


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware instant, stored as UTC; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an instant is needed")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def normalise_url(url: str) -> URL:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them.

    An unencoded ``@`` in a password (``postgresql://u:p@ss@host/db``) is taken as part of the password, as
    browsers and urllib read it, rather than leaving the rest of the password in the host name.
    """
    parsed = make_url(_encode_userinfo(url))
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _encode_userinfo(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    head = rest.split("?", 1)[0]
    if not sep or head.count("@") < 2:
        return url
    at = head.rfind("@")
    user, colon, password = head[:at].partition(":")
    userinfo = quote(unquote(user), safe="") + (colon + quote(unquote(password), safe="") if colon else "")
    return f"{scheme}://{userinfo}{rest[at:]}"


# Query parameters that carry a secret, or say where one is kept (password, sslpassword, passfile, sslkey, token...).
_SECRET_PARAM = re.compile(r"pass|pwd|secret|token|key|auth|credential", re.IGNORECASE)
_MASK = "***"


def safe_url(url: str | URL) -> str:
    """The URL with the password and any secret-bearing query parameter masked, for messages and logs."""
    parsed = url if isinstance(url, URL) else normalise_url(url)
    query = {name: (_MASK if _SECRET_PARAM.search(name) else value) for name, value in parsed.query.items()}
    shown = parsed.set(query=query).render_as_string(hide_password=True)
    return shown.replace(quote(_MASK, safe=""), _MASK)


def url_secrets(url: str | URL) -> list[str]:
    """Every secret a database URL carries (the password, secret query values), longest first."""
    found: set[str] = set()
    try:
        parsed = url if isinstance(url, URL) else normalise_url(url)
    except Exception:  # an unparsable URL: fall back to the text
        parsed = None
    if parsed is not None:
        if parsed.password:
            found.add(str(parsed.password))
        for name, value in parsed.query.items():
            if _SECRET_PARAM.search(name):
                found.update([value] if isinstance(value, str) else value)
    if isinstance(url, str):
        userinfo = url.partition("://")[2].split("?", 1)[0].rpartition("@")[0]
        if ":" in userinfo:
            found.add(userinfo.partition(":")[2])
    found |= {quote(s, safe="") for s in found} | {unquote(s) for s in found}
    return sorted((s for s in found if s), key=len, reverse=True)


def scrub_secrets(text: str, url: str | URL | None) -> str:
    """``text`` (a driver's error, say) with the URL's secrets masked: drivers echo DSNs and host names."""
    if not url:
        return text
    if isinstance(url, str):
        text = text.replace(url, safe_url(url) if _parses(url) else _MASK)
    for secret in url_secrets(url):
        if len(secret) >= 4:
            text = text.replace(secret, _MASK)
        else:  # a very short password: mask it where it stands alone, not every letter it shares
            text = re.sub(rf"(?<![\w]){re.escape(secret)}(?![\w])", _MASK, text)
    return text


def _parses(url: str) -> bool:
    try:
        normalise_url(url)
    except Exception:
        return False
    return True


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # We issue BEGIN ourselves (see _sqlite_begin); pysqlite's own deferred
    # BEGIN would let a read and a later write see different data.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")  # a reminder delivery holds the lock while it sends
    cursor.close()


STAGED_PREFIX = "staged_"  # side files attached for one import (models.pbr.bulk.attach_staged)
CACHE_BEFORE = "cache_size_before_import"  # set in a pooled connection's info by models.pbr.bulk.import_cache


def _after_import(dbapi_connection: Any, record: Any) -> None:
    """Undo what a big import did to its connection as it goes back to the pool: detach its side files
    (SQLite refuses while the transaction that read them is open, and the files are deleted once the
    import is done), and give the page cache back its usual size."""
    if dbapi_connection is None:  # invalidated: closed, attachments and all
        return
    names = [row[1] for row in dbapi_connection.execute("PRAGMA database_list")]
    for name in names:
        if name.startswith(STAGED_PREFIX):
            dbapi_connection.execute(f"DETACH DATABASE {name}")
    before = record.info.pop(CACHE_BEFORE, None) if record is not None else None
    if before is not None:
        dbapi_connection.execute(f"PRAGMA cache_size={int(before)}")


def _sqlite_begin(connection: Any) -> None:
    """Take SQLite's write lock at the start of every transaction.

    SQLite has no row locks (SELECT ... FOR UPDATE is ignored), so two
    transactions that read a project and then write it would otherwise both
    succeed on what they read. Transactions here are short, so serialising them
    costs little; readers that find the lock taken wait (busy_timeout 30 s).
    """
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


READ_ONLY = "commissioning_read_only"


def make_engine(url: str) -> Engine:
    """Build the one engine for this process; nothing connects until first use."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": 5})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "checkin", _after_import)
        return engine
    return create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 5})


@contextmanager
def unit_of_work(engine: Engine) -> Iterator["Session"]:
    """One transaction: commit if the block finishes, roll back if it raises."""
    from sqlmodel import Session  # imported here so that Core-only queries (due) skip the ORM

    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def reading(engine: Engine) -> Iterator["Session"]:
    """One transaction that only reads, and is always rolled back: on SQLite it begins deferred, so it takes
    no write lock and reads one committed state (WAL) while a writer works, instead of queueing behind every
    other transaction. A page under load is mostly these: 20 requests at once no longer wait in turn."""
    from sqlmodel import Session

    # Closing the session ends the transaction (the pool rolls the connection back) without expiring what was
    # read, as a rollback would: the caller may go on reading the loaded objects' fields after the block.
    with Session(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False) as session:
        yield session


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at, or None if it has no schema."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return row[0] if row else None
