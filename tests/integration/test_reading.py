"""A read-only transaction (models.db.reading): it reads beside a writer instead of waiting for it, sees only
what is committed, and keeps nothing it was asked to change.

On SQLite every other transaction begins IMMEDIATE (the write lock), so before ``reading`` twenty pages at once
waited for each other. If ``reading`` took the lock too, the read below would wait for the open write, which
never ends while it waits, and fail with "database is locked" after the busy timeout.
"""

from pathlib import Path

from sqlalchemy import text

from models.db import make_engine, reading, unit_of_work


def test_a_read_goes_on_beside_an_open_write_and_sees_only_what_is_committed(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    with unit_of_work(engine) as session:
        session.execute(text("CREATE TABLE council (name TEXT)"))
        session.execute(text("INSERT INTO council VALUES ('Northbridge')"))
    with unit_of_work(engine) as writer:  # holds the write lock until the block ends
        writer.execute(text("INSERT INTO council VALUES ('Southdale')"))
        with reading(engine) as reader:
            names = [r[0] for r in reader.execute(text("SELECT name FROM council ORDER BY name"))]
        assert names == ["Northbridge"]  # Southdale is not committed yet
    with reading(engine) as reader:
        reader.execute(text("INSERT INTO council VALUES ('Eastford')"))  # rolled back at the end of the block
    with reading(engine) as reader:
        names = [r[0] for r in reader.execute(text("SELECT name FROM council ORDER BY name"))]
    assert names == ["Northbridge", "Southdale"]
    engine.dispose()
