"""A full disk under SQLite is one line naming the database and the reason, without the password of a URL."""

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from flows.common.failures import failure_line


def _fill(url: str) -> OperationalError:
    engine = create_engine(url)
    with engine.connect() as conn:
        conn.execute(text("PRAGMA max_page_count=2"))  # SQLite's own "database or disk is full" after two pages
        conn.execute(text("CREATE TABLE t (x TEXT)"))
        with pytest.raises(OperationalError) as caught:
            for _ in range(100):
                conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": "x" * 2000})
    engine.dispose()
    return caught.value


def test_a_full_sqlite_database_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "full.db"
    monkeypatch.setenv("COMMISSIONING_DATABASE_URL", f"sqlite:///{db}")
    exc = _fill(f"sqlite:///{db}")
    assert failure_line(exc) == f"database sqlite:///{db}: database or disk is full"
    assert isinstance(exc.orig, sqlite3.OperationalError)
    assert failure_line(exc.orig) == f"database sqlite:///{db}: database or disk is full"


def test_an_os_error_names_its_file() -> None:
    assert failure_line(OSError(28, "No space left on device", "/data/x.db-wal")) == (
        "/data/x.db-wal: No space left on device"
    )
    assert failure_line(ValueError("a bug")) is None
