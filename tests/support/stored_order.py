"""Make PostgreSQL read tables in the order their rows are kept, to catch a list that has no ORDER BY.

An UPDATE on PostgreSQL writes a new version of the row at the end of the table, so a row rewritten (a claim an
approval marks paid) comes last in a plain scan. With its index scans off, the planner reads every table from
start to end; whether it would otherwise depends on what the shared test database held before, which is how a
missing order passes here and fails in CI. SQLite is left as it is (it has no such settings).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

NO_INDEX_SCANS = "SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off"


@contextmanager
def scans_in_stored_order(eng: Engine) -> Iterator[bool]:
    """While inside, every new connection to PostgreSQL reads tables in stored order; yields whether it does."""
    if eng.dialect.name != "postgresql":
        yield False
        return
    eng.dispose()  # every connection from now on is a new one, with the settings

    def stored_order(conn: Any, record: Any) -> None:
        with conn.cursor() as cur:
            cur.execute(NO_INDEX_SCANS)
        conn.commit()  # a SET in a transaction rolled back on the pool's reset would not last

    event.listen(eng, "connect", stored_order)
    try:
        yield True
    finally:
        event.remove(eng, "connect", stored_order)
        eng.dispose()


def stored(eng: Engine, sql: str) -> list[Any]:
    """The first column of ``sql``'s rows, as a plain scan returns them."""
    with eng.connect() as conn:
        return [r for (r, *_) in conn.exec_driver_sql(sql)]
