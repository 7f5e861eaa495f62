"""What a hostile tester found in backup and restore: a damaged backup is refused before anything is written, a
backup is one self-contained file that restore only reads (even in a read-only folder), backup never writes over
an existing file, restore into an in-memory database is refused, and pg_dump gets every connection parameter of
the URL (a ``?password=`` in its environment) and its errors name the file the user asked for."""

import dataclasses
import hashlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect

from flows.common import backup as backups
from flows.common.errors import UserError
from flows.common.settings import Settings, load_settings
from models.db import make_engine
from models.migrate import upgrade
from models.revision import SCHEMA_REVISION
from tests.integration.test_backup import empty_database

EVENT = (
    "INSERT INTO event (effective_at, recorded_at, actor, entity, entity_ref, action, reason) "
    "VALUES ('2026-01-05 09:00:00', '2026-01-05 09:00:00', 'finance', 'contract', ?, 'noted', ?)"
)


def sqlite_source(tmp_path: Path, events: int = 0) -> Path:
    """A migrated SQLite database in WAL mode, as the product keeps it, with ``events`` rows in ``event``."""
    path = tmp_path / "source.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    with sqlite3.connect(path) as connection:
        connection.executemany(EVENT, [(f"C-{n:05d}", "x" * 200) for n in range(events)])
    connection.close()
    return path


def sqlite_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database: Path) -> Settings:
    monkeypatch.setenv("COMMISSIONING_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("COMMISSIONING_DATA_DIR", str(tmp_path / "data"))
    return load_settings()


def leaf_pages(path: Path, table: str) -> list[int]:
    with sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True) as connection:
        rows = connection.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", (table,)
        ).fetchall()
    connection.close()
    return [page for (page,) in rows]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def beside(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name))


# --------------------------------------------------------------------------- a damaged backup


def test_a_damaged_sqlite_backup_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = sqlite_source(tmp_path, events=3000)
    path = backups.backup(sqlite_settings(monkeypatch, tmp_path, source), tmp_path / "b.sqlite").path
    pages = leaf_pages(path, "event")
    assert len(pages) >= 10
    with open(path, "r+b") as damaged:  # 40 bytes of a cell pointer array in three of event's pages
        for page in pages[3:6]:
            damaged.seek((page - 1) * 4096 + 8)
            damaged.write(b"\xff" * 40)
    target = tmp_path / "restored.db"
    with pytest.raises(UserError) as refused:
        backups.restore(sqlite_settings(monkeypatch, tmp_path, target), path)
    assert str(refused.value).startswith(f"{path} is damaged: ") and "\n" not in str(refused.value)
    assert str(refused.value).endswith("; nothing was restored")
    assert not target.exists()


def test_a_truncated_backup_is_called_damaged_and_nothing_is_restored(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    settings: Settings = request.getfixturevalue("settings")
    whole = backups.backup(settings, tmp_path / "whole.backup").path
    cut = tmp_path / "cut.backup"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    target = dataclasses.replace(settings, database_url=empty_database(backend, tmp_path, request, "cut"))
    with pytest.raises(UserError) as refused:
        backups.restore(target, cut)
    line = str(refused.value)
    assert line.startswith(f"{cut} is damaged: ") and line.endswith("; nothing was restored") and "\n" not in line
    if backend == "sqlite":
        assert line == f"{cut} is damaged: database disk image is malformed; nothing was restored"
        assert not Path(str(make_engine(target.database_url).url.database)).exists()
    else:
        assert line == f"{cut} is damaged: could not read from input file: end of file; nothing was restored"
        engine = make_engine(target.database_url)
        try:
            with engine.connect() as connection:
                assert inspect(connection).get_table_names() == []
        finally:
            engine.dispose()


# --------------------------------------------------------------------------- restore only reads the backup


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` made read-only for this process: chmod stops a user; root is stopped only by chattr +i."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("running as root, where only chattr +i makes a folder read-only, and chattr +i is refused here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_backup_is_one_rollback_journal_file_that_restore_only_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = sqlite_source(tmp_path, events=50)
    folder = tmp_path / "backups"
    folder.mkdir()
    path = backups.backup(sqlite_settings(monkeypatch, tmp_path, source), folder / "b.sqlite").path
    assert path.read_bytes()[18:20] == b"\x01\x01"  # the file format bytes: 2 is WAL, 1 is a rollback journal
    assert beside(path) == ["b.sqlite"]
    before = sha256(path)
    backups.restore(sqlite_settings(monkeypatch, tmp_path, tmp_path / "r1.db"), path)
    assert beside(path) == ["b.sqlite"] and sha256(path) == before
    with read_only(folder):
        done = backups.restore(sqlite_settings(monkeypatch, tmp_path, tmp_path / "r2.db"), path)
    assert done.revision == SCHEMA_REVISION
    assert beside(path) == ["b.sqlite"] and sha256(path) == before
    with sqlite3.connect(tmp_path / "r2.db") as restored:
        assert restored.execute("SELECT COUNT(*) FROM event").fetchone() == (50,)
    restored.close()


def test_an_old_wal_mode_backup_in_a_read_only_folder_restores_and_is_left_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = sqlite_source(tmp_path, events=50)
    folder = tmp_path / "old"
    folder.mkdir()
    path = folder / "old.sqlite"
    with sqlite3.connect(source) as live, sqlite3.connect(path) as copy:
        live.backup(copy)  # as backups were taken before: the WAL flag copied with the pages
    live.close()
    copy.close()
    assert path.read_bytes()[18:20] == b"\x02\x02" and beside(path) == ["old.sqlite"]
    before = sha256(path)
    with read_only(folder):
        done = backups.restore(sqlite_settings(monkeypatch, tmp_path, tmp_path / "r.db"), path)
    assert done.revision == SCHEMA_REVISION
    assert beside(path) == ["old.sqlite"] and sha256(path) == before


# --------------------------------------------------------------------------- backup never writes over a file


@pytest.mark.parametrize("existing", [b"a note\n", b"PGDMP\x01\x0e\x00 a pg_dump", b""])
def test_a_backup_refuses_every_existing_file_in_the_same_words(
    settings: Settings, tmp_path: Path, existing: bytes
) -> None:
    path = tmp_path / "there.backup"
    path.write_bytes(existing)
    with pytest.raises(UserError, match=r"^.*there\.backup exists; refusing to write over it$") as refused:
        backups.backup(settings, path)
    assert str(refused.value) == f"{path} exists; refusing to write over it"
    assert path.read_bytes() == existing and beside(path) == ["there.backup"]
    done = backups.backup(settings, tmp_path / "new.backup")  # a new name is written
    with pytest.raises(UserError, match=r"new\.backup exists; refusing to write over it"):
        backups.backup(settings, done.path)  # and so is an existing backup refused


def test_a_file_made_while_the_backup_is_written_is_not_written_over(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check that -o FILE is not there came before the copy, and a rename after it: a file made in between was
    overwritten. The final step now refuses an existing name itself, and the temporary goes."""
    out = tmp_path / "out"
    out.mkdir()
    path = out / "nightly.backup"
    make = backups._make

    def make_then_someone_writes(*args: Any) -> None:
        make(*args)
        path.write_bytes(b"someone else's file\n")

    monkeypatch.setattr(backups, "_make", make_then_someone_writes)
    with pytest.raises(UserError) as refused:
        backups.backup(settings, path)
    assert str(refused.value) == f"{path} exists; refusing to write over it"
    assert path.read_bytes() == b"someone else's file\n" and sorted(p.name for p in out.iterdir()) == [path.name]


def test_a_backup_that_fails_half_way_leaves_no_temporary(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()

    def fails_half_way(settings: Settings, url: Any, target: Path, shown: Path) -> None:
        target.write_bytes(b"half a backup")
        Path(f"{target}-journal").write_bytes(b"its journal")
        raise UserError(f"{shown}: the backup failed: disk I/O error")

    monkeypatch.setattr(backups, "_make", fails_half_way)
    with pytest.raises(UserError, match="the backup failed"):
        backups.backup(settings, out / "b.backup")
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("name", ["", ".", "./", "/"])
def test_a_backup_to_a_folder_name_is_one_line(settings: Settings, name: str) -> None:
    with pytest.raises(UserError, match=r"^-o: '.*' is not a file name$"):
        backups.backup(settings, Path(name))


def test_a_backup_to_an_existing_folder_is_refused_before_it_is_made(settings: Settings, tmp_path: Path) -> None:
    """It was refused only after the whole database had been copied ("cannot be written: Is a directory")."""
    folder = tmp_path / "outdir"
    folder.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(UserError) as refused:
        backups.backup(settings, folder)
    assert str(refused.value) == f"-o: {str(folder)!r} is not a file name: it is a folder"
    assert list(folder.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == before  # nothing made


# --------------------------------------------------------------------------- restore into nothing


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file::memory:?cache=shared"])
def test_a_restore_into_an_in_memory_database_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    path = backups.backup(sqlite_settings(monkeypatch, tmp_path, sqlite_source(tmp_path)), tmp_path / "b.sqlite").path
    monkeypatch.setenv("COMMISSIONING_DATABASE_URL", url)
    with pytest.raises(UserError, match="names an in-memory SQLite database, which is gone when the command ends"):
        backups.restore(load_settings(), path)


# --------------------------------------------------------------------------- pg_dump's connection


def fake_pg_dump(monkeypatch: pytest.MonkeyPatch, seen: dict[str, Any]) -> None:
    def fake_run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        seen.update(command=command, env=kwargs["env"])
        return subprocess.CompletedProcess(command, 1, "", "pg_dump: error: connection refused for s3cret-pw\n")

    monkeypatch.setattr(backups.subprocess, "run", fake_run)
    monkeypatch.setattr(backups, "pg_tool_path", lambda name: Path("/usr/bin") / name)
    monkeypatch.setattr(backups, "database", lambda settings, require_schema: None)
    monkeypatch.setattr(backups, "schema_revision", lambda engine: SCHEMA_REVISION)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://finance@127.0.0.1:5999/commissioning?password=s3cret-pw",
        "postgresql:///commissioning?host=127.0.0.1&port=5999&user=finance&password=s3cret-pw",
        "postgresql://finance:s3cret-pw@127.0.0.1:5999/commissioning",
    ],
)
def test_pg_dump_gets_every_connection_parameter_and_its_error_names_the_output(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str
) -> None:
    seen: dict[str, Any] = {}
    fake_pg_dump(monkeypatch, seen)
    monkeypatch.setenv("COMMISSIONING_DATABASE_URL", url)
    output = tmp_path / "p.dump"
    with pytest.raises(UserError) as refused:
        backups.backup(load_settings(), output)
    assert seen["env"]["PGPASSWORD"] == "s3cret-pw"
    command = " ".join(seen["command"])
    assert "s3cret-pw" not in command
    assert all(part in command for part in ("host=127.0.0.1", "port=5999", "user=finance", "dbname=commissioning"))
    assert str(refused.value) == f"{output}: pg_dump failed: connection refused for ***"
    assert list(tmp_path.iterdir()) == []
