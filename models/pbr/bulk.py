"""The fast paths for the big reads and writes of payment by results: plain tuples through the driver.

``bulk_insert`` (executemany in chunks); rows staged in side files and moved in by SQLite itself
(``stage_rows``, ``attach_staged``, ``insert_staged``; SQLite only); a bigger page cache for one big import
(``import_cache``); ``driver_rows``, a query read straight from the driver's cursor; and the conversions of
dates and instants to and from the driver's form. No tables here: the callers name theirs.
"""

import datetime as dt
import itertools
import re
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlmodel import Session

from models.db import CACHE_BEFORE, STAGED_PREFIX

CHUNK = 20_000

# What a side file's rows are kept in order of: one integer column, or several (the last few of them unique).
Key = str | tuple[str, ...]


def _is_postgres(session: Session) -> bool:
    return session.connection().dialect.name == "postgresql"


def bulk_insert(
    session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, prepared: bool = False
) -> int:
    """Insert plain tuples through the driver's executemany, in chunks: the fast path for big imports.

    Dates and instants go in as the driver expects them: ISO text on SQLite
    (what SQLAlchemy's Date and our UTCDateTime store there), objects on PostgreSQL.
    ``prepared`` rows are already in the driver's form (see ``driver_date``).
    """
    postgres = _is_postgres(session)
    mark = "%s" if postgres else "?"
    as_is = postgres or prepared
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    connection = session.connection()
    if not as_is:
        rows = (tuple(_sqlite_value(v) for v in row) for row in rows)
    rows = iter(rows)
    count = 0
    while chunk := list(itertools.islice(rows, CHUNK)):
        connection.exec_driver_sql(sql, chunk)
        count += len(chunk)
    return count


def can_stage(session: Session) -> bool:
    """Whether rows staged in side files (``stage_rows``) can be moved in with ``insert_staged``: SQLite only."""
    return session.connection().dialect.name == "sqlite"


def stage_rows(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, key: Key) -> int:
    """Write rows, in the driver's form, to a new side file of their own (a plain SQLite table ``staged``),
    kept in order of ``key``: an integer column unique among them, or columns unique together (see ``StagedRows``).

    The file is scratch: no journal, no sync. Another process may write it while this one's transaction
    goes on; ``insert_staged`` then moves its rows in, in ``key`` order, inside that transaction. Rows
    given nearly in ``key`` order are written nearly as quickly as appended."""
    staged = StagedRows(path, columns, key=key)
    try:
        for row in rows:
            staged.add(row)
        return staged.close()
    except BaseException:
        staged.discard()
        raise


class StagedRows:
    """``stage_rows`` a row at a time, for a writer that is handed its rows (a payment run's lines as they are
    priced): a chunk held at most. ``close`` keeps the file; ``discard`` removes it.

    One key column is the table's rowid; several are its primary key, in a table without rowids, so that the
    rows are stored in that order too (and read back in it without a sort)."""

    def __init__(self, path: Path, columns: Sequence[str], *, key: Key) -> None:
        for name in _key_columns(key):
            if name not in columns:
                raise ValueError(f"the key {name!r} is not one of the columns")
        self.path, self.count, self._chunk = path, 0, list[Sequence[Any]]()
        self._connection = sqlite3.connect(path, isolation_level=None)
        self._connection.execute("PRAGMA journal_mode=OFF")
        self._connection.execute("PRAGMA synchronous=OFF")
        if isinstance(key, str):
            defined = ", ".join(f"{name} INTEGER PRIMARY KEY" if name == key else name for name in columns)
            self._connection.execute(f"CREATE TABLE staged ({defined})")
        else:
            defined = f"{', '.join(columns)}, PRIMARY KEY ({', '.join(key)})"
            self._connection.execute(f"CREATE TABLE staged ({defined}) WITHOUT ROWID")
        self._connection.execute("BEGIN")
        self._sql = f"INSERT INTO staged VALUES ({', '.join('?' * len(columns))})"

    def add(self, row: Sequence[Any]) -> None:
        self.extend((row,))

    def extend(self, rows: Iterable[Sequence[Any]]) -> None:
        self._chunk.extend(rows)
        if len(self._chunk) >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        self._connection.executemany(self._sql, self._chunk)
        self.count += len(self._chunk)
        self._chunk.clear()

    def add_table(
        self, name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, key: Sequence[str] = ()
    ) -> None:
        """A second table in the file, written with it (its rows' sums, say); with a ``key``, its primary key in a
        table without rowids, so that it is read in that order without a sort (give the rows in it)."""
        if key:
            defined = f"{', '.join(columns)}, PRIMARY KEY ({', '.join(key)})"
            self._connection.execute(f"CREATE TABLE {name} ({defined}) WITHOUT ROWID")
        else:
            self._connection.execute(f"CREATE TABLE {name} ({', '.join(columns)})")
        self._connection.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(columns))})", rows)

    def close(self) -> int:
        """Write what is held and close the file; the number of rows staged."""
        try:
            self._flush()
            self._connection.execute("COMMIT")
        finally:
            self._connection.close()
        return self.count

    def discard(self) -> None:
        self._connection.close()
        self.path.unlink(missing_ok=True)


def _key_columns(key: Key) -> tuple[str, ...]:
    return (key,) if isinstance(key, str) else key


def staged_rows(path: Path, columns: Sequence[str], key: Key) -> Iterator[tuple[Any, ...]]:
    """The rows of a side file ``StagedRows`` wrote, in ``key`` order, a chunk at a time (for PostgreSQL,
    which cannot attach it)."""
    connection = sqlite3.connect(path)
    try:
        cursor = connection.execute(f"SELECT {', '.join(columns)} FROM staged ORDER BY {', '.join(_key_columns(key))}")
        while chunk := cursor.fetchmany(CHUNK):
            yield from chunk
    finally:
        connection.close()


# What ``refresh_statistics`` reads: the planner's count of the table's rows, the rows changed since its last ANALYZE
# (committed), and those changed in this transaction; and autovacuum's rule for when that is too many.
_STALENESS = """
    SELECT c.reltuples, COALESCE(s.n_mod_since_analyze, 0),
           COALESCE(x.n_tup_ins + x.n_tup_upd + x.n_tup_del, 0),
           current_setting('autovacuum_analyze_threshold')::float8,
           current_setting('autovacuum_analyze_scale_factor')::float8
    FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
    LEFT JOIN pg_stat_xact_user_tables x ON x.relid = c.oid
    WHERE c.oid = CAST(%s AS regclass)
    """


def refresh_statistics(session: Session, table: str) -> bool:
    """On PostgreSQL, have the planner's statistics of ``table`` read again after a big write in this
    transaction: planned on the figures from before it (a ledger it thought empty), the next run's read of
    what each participant has been paid took minutes instead of a second. SQLite plans without them.

    Only when the rows changed since they were last read, this transaction's among them, are more than autovacuum
    would wait for (by default a tenth of the table, and 50): now rather than up to a minute after the commit, as
    it would. A small write into a big table keeps its figures, which stay good enough (ANALYZE samples the same
    30,000 rows whatever the write: at a million claims 0.7 to 1.5 s of a run paying 1,806). Whether it ran."""
    if not _is_postgres(session):
        return False
    connection = session.connection()
    [(rows, since, now, threshold, scale)] = connection.exec_driver_sql(_STALENESS, (table,)).fetchall()
    if rows >= 0 and since + now <= threshold + scale * rows:  # rows: -1 for a table never analysed
        return False
    connection.exec_driver_sql(f"ANALYZE {table}")
    return True


IMPORT_CACHE_KIB = 65_536  # 64 MiB
# A payment run's approval puts two entries a claim into the ledger's indexes, most of them at random places: at
# a million claims (205,072 claims, 410,146 entries) 8.0 s of CPU with 64 MiB, 5.7 s with 128 MiB (the run's
# peak 235 MB, under its 300 MB), 4.7 s with 192 MiB (but 307 MB).
APPROVAL_CACHE_KIB = 131_072  # 128 MiB


def import_cache(session: Session, kib: int = IMPORT_CACHE_KIB) -> None:
    """On SQLite, give the session's connection a page cache of ``kib`` (64 MiB unless told; as it fills) for one
    big import, instead of SQLite's 2 MB; the engine gives it back its size when the connection returns to the
    pool.

    Storing a million claims adds a million entries to the claim-reference index. When the references do
    not come in file order, each lands on another page of it: with 2 MB the index no longer fits, and its
    pages go back and forth to the WAL file. Measured moving a million rows in: 10.8 s with 2 MB, 5 s with
    64 MB; references in file order take 2.8 s either way."""
    if _is_postgres(session):
        return
    pooled = session.connection().connection
    raw = pooled.dbapi_connection
    assert raw is not None
    if CACHE_BEFORE not in pooled.info:
        pooled.info[CACHE_BEFORE] = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size=-{int(kib)}")


def can_attach(session: Session, count: int) -> bool:
    """Whether ``count`` more side files can be attached to the session's SQLite connection: SQLite attaches at
    most ten to a connection (SQLITE_LIMIT_ATTACHED), and keeps each until the transaction that read it ends."""
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    attached = sum(1 for _, name, _ in raw.execute("PRAGMA database_list").fetchall() if name not in ("main", "temp"))
    return attached + count <= int(raw.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED))


def attach_staged(session: Session, paths: Sequence[Path]) -> list[str]:
    """Attach side files to the session's connection, for ``insert_staged``; returns their schema names.

    SQLite will not detach a file while the transaction that read it is open: the engine detaches
    them when the connection goes back to its pool (``models.db``), after the commit or rollback."""
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    names = []
    for path in paths:
        name = f"{STAGED_PREFIX}{uuid.uuid4().hex[:12]}"
        raw.execute(f"ATTACH DATABASE ? AS {name}", (str(path),))
        names.append(name)
    return names


def insert_staged(session: Session, table: str, columns: Sequence[str], names: Sequence[str], *, key: Key) -> int:
    """Move every staged row into ``table`` inside the session's transaction, in order of ``key`` (the
    key the rows were staged by).

    One statement, run by SQLite itself: no row passes through Python. Each side file is already in key
    order, so SQLite merges them as it reads, with no sort; and the table's rows (and ids) follow that
    order."""
    listed = ", ".join(columns)
    union = " UNION ALL ".join(f"SELECT {listed} FROM {name}.staged" for name in names)
    result = session.connection().exec_driver_sql(
        f"INSERT INTO {table} ({listed}) SELECT {listed} FROM ({union}) ORDER BY {', '.join(_key_columns(key))}"
    )
    return int(result.rowcount)


_NAMED = re.compile(r"(?<![:\w]):(\w+)")


def driver_rows(session: Session, sql: str, *, server_side: bool = False, **params: Any) -> Iterator[tuple[Any, ...]]:
    """The rows of a query, as plain tuples straight from the driver's cursor, in the session's transaction.

    For the big reads of an import or a payment run: several times quicker than through SQLAlchemy's
    results at a quarter of a million rows, and read as they are used, not all held at once. ``sql``
    names its parameters ``:name``; values go in in the driver's form (see ``driver_value``) and come
    out in it (ISO text for dates on SQLite). ``server_side``: on PostgreSQL, through a named cursor, so that the
    rows stay on the server until fetched (its plain cursor fetches every row at once); SQLite always steps."""
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    postgres = _is_postgres(session)
    if postgres:
        sql = _NAMED.sub(r"%(\1)s", sql)
    cursor = raw.cursor(name=f"rows_{uuid.uuid4().hex[:12]}") if postgres and server_side else raw.cursor()
    try:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(10_000):
            yield from batch
    finally:
        cursor.close()


def planned_rows(
    session: Session, sql: str, *, off: Sequence[str], server_side: bool = False, **params: Any
) -> Iterator[tuple[Any, ...]]:
    """``driver_rows``, on PostgreSQL with the planner's settings named in ``off`` (enable_seqscan, jit...) off while
    the statement is planned, and as they were again once its first rows are in: the settings of this transaction
    only (``set_config(..., true)``), so that nothing else it runs is planned so. SQLite: ``driver_rows``."""
    if not _is_postgres(session) or not off:
        yield from driver_rows(session, sql, server_side=server_side, **params)
        return
    before = ", ".join(f"current_setting('{name}')" for name in off)
    [settings] = list(
        driver_rows(session, f"SELECT {before}, " + ", ".join(f"set_config('{n}', 'off', true)" for n in off))
    )
    rows = driver_rows(session, sql, server_side=server_side, **params)
    first = next(rows, None)  # planned and started: its plan is made (a failure aborts the transaction, and with
    # it these settings: set back in it, they would raise "current transaction is aborted" over the real error)
    back = ", ".join(f"set_config('{name}', :v{n}, true)" for n, name in enumerate(off))
    list(driver_rows(session, f"SELECT {back}", **{f"v{n}": settings[n] for n in range(len(off))}))
    if first is not None:
        yield first
        yield from rows


def driver_value(session: Session, value: Any) -> Any:
    """A date or instant in the form ``bulk_insert(prepared=True)`` rows need on this database."""
    return value if _is_postgres(session) else _sqlite_value(value)


def driver_date(session: Session) -> Any:
    """How this database's driver takes a date in ``bulk_insert(prepared=True)`` rows: ISO text on SQLite."""
    return (lambda day: day) if _is_postgres(session) else dt.date.isoformat


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy writes it
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def date_from_driver(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
