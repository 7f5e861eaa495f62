"""A read-only transaction (models.db.reading): it reads beside a writer instead of waiting for it, sees only
what is committed, and keeps nothing it was asked to change.

On SQLite every other transaction begins IMMEDIATE (the write lock), so before ``reading`` twenty pages at once
waited for each other. If ``reading`` took the lock too, the read below would wait for the open write, which
never ends while it waits, and fail with "database is locked" after the busy timeout.
"""

from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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


class _Base(DeclarativeBase):  # a registry of the test's own, so the app's metadata gains no table
    pass


class Borough(_Base):
    __tablename__ = "borough"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]


def test_what_a_read_loaded_can_be_read_after_it(tmp_path: Path) -> None:
    """The pages read the loaded rows' fields after the block: nothing is expired by the end of the read."""
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    _Base.metadata.create_all(engine)
    with unit_of_work(engine) as session:
        session.add(Borough(name="Westmere"))
    with reading(engine) as reader:
        found = list(reader.scalars(select(Borough)))
    assert [b.name for b in found] == ["Westmere"]
    engine.dispose()
