"""Backups and restores of the project's database: one file, consistent, restorable into an empty database.

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies the whole database in one step, from one
  read snapshot, while flows keep writing (WAL lets them). The backup file is itself an SQLite database, in
  rollback-journal mode (not WAL), so it is one self-contained file; restore opens it read-only, checks it
  (``PRAGMA integrity_check``) before anything is written, and writes nothing beside it.
- PostgreSQL: ``pg_dump --format=custom``, which reads one repeatable-read snapshot. The password (from the URL's
  user part or its ``?password=``) goes to pg_dump and pg_restore in the PGPASSWORD environment variable, never
  on their command line or in our output.

Either way a transaction is wholly in a backup or wholly out of it: a payment run's ledger entries are there
exactly when its event is. ``restore`` refuses a database that already has tables (it never merges), refuses a
backup from a newer schema than this version knows, and migrates an older one forward, as ``commission init``
would. Example::

    commission backup -o /backups/commissioning-2026-12-06.sqlite
    COMMISSIONING_DATABASE_URL=sqlite:////srv/new.db commission restore /backups/commissioning-2026-12-06.sqlite
"""

import datetime as dt
import glob
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL

from flows.common.errors import UserError
from flows.common.files import replacing
from flows.common.runtime import database, engine
from flows.common.settings import Settings
from models.db import normalise_url, safe_url, schema_revision, scrub_secrets
from models.revision import SCHEMA_REVISION

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
TOOL_TIMEOUT_SECONDS = 6 * 3600
BUSY_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class BackupDone:
    path: Path
    backend: str
    revision: str
    size: int


@dataclass(frozen=True)
class RestoreDone:
    backend: str
    revision: str  # the backup's
    migrated_to: str | None  # the revision it was migrated to, if it was older than this version's


# --------------------------------------------------------------------------- backup


def backup(settings: Settings, path: Path) -> BackupDone:
    """Write a consistent backup of the configured database to ``path``, whole or not at all; never over a file."""
    if not path.name or path.is_dir():  # '', '.', './', '/', an existing folder: not a file to write
        raise UserError(f"-o: {str(path)!r} is not a file name" + (": it is a folder" if path.name else ""))
    if path.is_file() or (path.is_symlink() and not path.exists()):  # a device (/dev/stdout) is written to
        raise UserError(f"{path} exists; refusing to write over it")
    url = normalise_url(settings.database_url)
    eng = database(settings, require_schema=False)  # an older schema is backed up too (before an upgrade)
    revision = schema_revision(eng)
    if revision is None:
        raise UserError(f"the database at {safe_url(eng.url)} has no schema yet: there is nothing to back up")
    backend = url.get_backend_name()
    # Not over a file made since the check above either: the final step refuses an existing name atomically.
    with replacing(path, overwrite=False) as target:
        if target == path:  # a device or pipe: make the backup aside, then copy it in
            with tempfile.TemporaryDirectory(prefix="commissioning-backup-") as scratch:
                made = Path(scratch) / "backup"
                _make(settings, url, made, path)
                with open(made, "rb") as source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out, 1 << 20)
        else:
            try:
                _make(settings, url, target, path)
            except BaseException:  # SQLite's side files of the temporary, if a failed copy left any
                for side in ("-journal", "-wal", "-shm"):
                    Path(f"{target}{side}").unlink(missing_ok=True)
                raise
    size = path.stat().st_size if path.is_file() else 0
    return BackupDone(path=path, backend=backend, revision=revision, size=size)


def _make(settings: Settings, url: URL, target: Path, shown: Path) -> None:
    """Write the backup to ``target`` (a temporary); errors name ``shown``, the file the user asked for."""
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(Path(str(url.database)), target, shown)
    else:
        _pg_tool(
            settings, url, "pg_dump", ["--format=custom", "--no-owner", "--no-privileges", f"--file={target}"], shown
        )


def _sqlite_backup(source_path: Path, target: Path, shown: Path) -> None:
    source = sqlite3.connect(_file_uri(source_path, mode="ro"), uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # pages=-1: the whole database in one step, from one snapshot
            # The copy carries the source's WAL flag; a WAL file needs -wal/-shm files beside it to be opened, so a
            # backup in a read-only folder could not be. Rollback-journal mode makes it one self-contained file.
            copy.execute("PRAGMA journal_mode=DELETE").fetchone()
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise UserError(f"{shown}: the backup failed: {exc}") from None
    finally:
        source.close()


def _file_uri(path: Path, **params: str) -> str:
    """An SQLite ``file:`` URI for ``path`` (any ``?``, ``#`` or ``%`` in its name escaped) with ``params``."""
    quoted = urllib.parse.quote(str(path.absolute()), safe="/")
    return f"file:{quoted}" + (f"?{urllib.parse.urlencode(params)}" if params else "")


# --------------------------------------------------------------------------- restore


def restore(settings: Settings, path: Path) -> RestoreDone:
    """Restore ``path`` into the configured database, which must be empty; migrate an older backup forward."""
    kind = backup_kind(path)
    url = normalise_url(settings.database_url)
    backend = url.get_backend_name()
    if backend == "sqlite" and _in_memory(url):
        raise UserError(
            "COMMISSIONING_DATABASE_URL names an in-memory SQLite database, which is gone when the command ends; "
            "name a database file to restore into"
        )
    if kind != backend:
        raise UserError(
            f"{path} is a {_name(kind)} backup and COMMISSIONING_DATABASE_URL names a {_name(backend)} database; "
            f"restore it into a {_name(kind)} database"
        )
    revision = _sqlite_revision(path) if kind == "sqlite" else _pg_revision(settings, url, path)
    check_revision(path, revision)
    _refuse_non_empty(settings)
    if kind == "sqlite":
        _sqlite_restore(path, Path(str(url.database)))
    else:
        _pg_tool(
            settings,
            url,
            "pg_restore",
            ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", str(path)],
            path,
            database_arg="--dbname",
        )
    migrated_to = None
    if revision != SCHEMA_REVISION:
        from models.migrate import MigrationRefused, upgrade

        try:
            upgrade(engine(settings))
        except MigrationRefused as exc:
            raise UserError(
                f"{path}: restored as it was, at schema {revision}, but not migrated to {SCHEMA_REVISION}: {exc}"
            ) from None
        migrated_to = SCHEMA_REVISION
    return RestoreDone(backend=backend, revision=revision, migrated_to=migrated_to)


def backup_kind(path: Path) -> str:
    """ "sqlite" or "postgresql", from the file's first bytes; a UserError for anything else."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise UserError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    raise UserError(f"{path} is not a backup made by `commission backup` (neither SQLite nor pg_dump's custom format)")


def check_revision(path: Path, revision: str) -> None:
    """Refuse a backup with no schema revision, or from a newer version of this product."""
    if not re.fullmatch(r"\d{4}", revision):
        raise UserError(f"{path} has no schema revision: it is not a backup made by `commission backup`")
    if int(revision) > int(SCHEMA_REVISION):
        raise UserError(
            f"{path} was taken at schema {revision}, newer than this version's {SCHEMA_REVISION}; "
            "restore it with the version of commissioning that took it (or a newer one)"
        )


def _refuse_non_empty(settings: Settings) -> None:
    eng = database(settings, require_schema=False, create=True)  # a restore may name a new SQLite file
    with eng.connect() as connection:
        tables = inspect(connection).get_table_names()
    if tables:
        raise UserError(
            f"the database at {safe_url(eng.url)} is not empty ({len(tables)} tables); a backup is restored only "
            "into an empty database: create a new one and point COMMISSIONING_DATABASE_URL at it"
        )


def _in_memory(url: URL) -> bool:
    name = str(url.database or "")
    return name in ("", ":memory:") or name.startswith("file::memory:") or "mode=memory" in name


def _open_backup(path: Path) -> sqlite3.Connection:
    """The backup, read-only, never writing beside it (no -wal, -shm or -journal appears, even in a read-only
    folder). With no -wal file beside it nothing can change it while we read, so it is opened immutable: that also
    reads an old WAL-mode backup without creating its -shm. A -wal beside it holds part of its content: read it."""
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return sqlite3.connect(_file_uri(path, mode="ro"), uri=True)
    return sqlite3.connect(_file_uri(path, mode="ro", immutable="1"), uri=True)


def _sqlite_revision(path: Path) -> str:
    """The backup's schema revision, once ``PRAGMA integrity_check`` finds it whole; a UserError if it is damaged."""
    try:
        connection = _open_backup(path)
    except sqlite3.Error as exc:
        raise UserError(f"{path}: cannot be read: {exc}") from None
    try:
        found = [str(row[0]) for row in connection.execute("PRAGMA integrity_check(20)")]
        if found != ["ok"]:  # one line: its first problem (a row can hold several lines, under a *** heading)
            problems = [line for row in found for line in row.splitlines() if line and not line.startswith("***")]
            more = " (and more)" if len(problems) > 1 else ""
            raise UserError(f"{path} is damaged: {problems[0] if problems else 'integrity check failed'}{more}; "
                            "nothing was restored")  # fmt: skip
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:  # no such table: an SQLite file, but not one of our backups
            return ""
    except sqlite3.DatabaseError as exc:  # "database disk image is malformed", "file is not a database"
        raise UserError(f"{path} is damaged: {exc}; nothing was restored") from None
    finally:
        connection.close()
    return str(row[0]) if row else ""


def _sqlite_restore(path: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    source = _open_backup(path)
    try:
        into = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            source.backup(into)  # one step: the restored database appears whole, in one transaction
        finally:
            into.close()
    except sqlite3.Error as exc:
        raise UserError(f"{target}: the restore failed: {exc}") from None
    finally:
        source.close()


def _pg_revision(settings: Settings, url: URL, path: Path) -> str:
    """The alembic_version row in a custom-format dump, read with pg_restore (no database needed), once the whole
    dump has been read through (to /dev/null) without error: a truncated or damaged one is refused here."""
    try:
        _pg_tool(settings, url, "pg_restore", ["--file=/dev/null", str(path)], path, database_arg=None)
    except PgToolFailed as exc:
        if "unsupported version" in exc.reason:  # a newer pg_dump's file: whole, but not for this pg_restore
            raise
        raise UserError(f"{path} is damaged: {exc.reason}; nothing was restored") from None
    script = _pg_tool(settings, url, "pg_restore", ["--data-only", "--table=alembic_version", "--file=-", str(path)],
                      path, database_arg=None)  # fmt: skip
    match = re.search(r"^COPY \S*alembic_version .*? FROM stdin;\n(\d{4})\n", script, re.MULTILINE)
    return match.group(1) if match else ""


# --------------------------------------------------------------------------- the PostgreSQL tools


def pg_tool_path(name: str) -> Path:
    """``pg_dump`` or ``pg_restore``: on PATH, else the newest under /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return Path(found)
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version_key, reverse=True)
    if candidates:
        return Path(candidates[0])
    raise UserError(f"{name} was not found on PATH or under /usr/lib/postgresql; install PostgreSQL's client tools")


def _version_key(path: str) -> int:
    match = re.search(r"/postgresql/(\d+)/", path)
    return int(match.group(1)) if match else 0


class PgToolFailed(UserError):
    """A PostgreSQL client tool's failure, said in one line; ``reason`` is its first line of stderr, scrubbed."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _pg_tool(
    settings: Settings, url: URL, name: str, args: list[str], path: Path, *, database_arg: str | None = "--dbname"
) -> str:
    """Run a PostgreSQL client tool against the database, the password in its environment; return its output."""
    env = dict(os.environ)
    password = url.password or url.query.get("password")  # ?password= works for every other command too
    if isinstance(password, str) and password:
        env["PGPASSWORD"] = password
    passfile = url.query.get("passfile")
    if isinstance(passfile, str) and passfile:
        env["PGPASSFILE"] = passfile
    command = [str(pg_tool_path(name)), *args]
    if database_arg is not None:
        command.insert(1, f"{database_arg}={_conninfo(url)}")
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT_SECONDS,
                              stdin=subprocess.DEVNULL)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UserError(f"{name} could not run: {exc}") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        reason = lines[0].removeprefix(f"{name}: ").removeprefix("error: ") if lines else f"exit {done.returncode}"
        reason = scrub_secrets(reason, settings.database_url)
        raise PgToolFailed(f"{path}: {name} failed: {reason}", reason)
    return done.stdout


def _conninfo(url: URL) -> str:
    """A libpq connection string without the password (which goes in PGPASSWORD); ``host``, ``port``, ``user``
    and any other libpq parameter given in the URL's query are kept."""
    from psycopg.conninfo import make_conninfo

    params: dict[str, str] = {"dbname": str(url.database or "")}
    if url.host:
        params["host"] = str(url.host)
    if url.port:
        params["port"] = str(url.port)
    if url.username:
        params["user"] = str(url.username)
    for key, value in url.query.items():
        if "pass" not in key.lower() and isinstance(value, str):
            params[key] = value
    return make_conninfo(**params)


def _name(backend: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(backend, backend)


# --------------------------------------------------------------------------- nightly backups (serve)

NIGHTLY_PATTERN = re.compile(r"^commissioning-\d{8}T\d{6}Z\.(sqlite|pgdump)$")


def nightly_backup(settings: Settings, folder: Path, keep: int, *, now: dt.datetime) -> tuple[BackupDone, list[Path]]:
    """A backup named by ``now`` in ``folder``; then only the newest ``keep`` such backups are kept."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{folder}: cannot be created: {exc.strerror or exc}") from None
    suffix = "sqlite" if normalise_url(settings.database_url).get_backend_name() == "sqlite" else "pgdump"
    done = backup(settings, folder / f"commissioning-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}.{suffix}")
    ours = sorted(p for p in folder.iterdir() if NIGHTLY_PATTERN.match(p.name))
    removed = ours[: max(0, len(ours) - keep)]
    for old in removed:
        old.unlink(missing_ok=True)
    return done, removed
