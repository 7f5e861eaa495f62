"""A proposed payment run's ledger lines, kept from its proposal to its approval in a side file beside its draft
schedules, so that approval moves them into the ledger instead of planning the run again.

The side file is a plain SQLite table (``models.pbr.bulk.StagedRows``) in the order the lines were planned
(``seq``), holding what the plan decided: payer, kind, item, pence, and the claim, participant, outcome or
month a line is for. What approval decides (the run, its day, the approver, the instant) goes in as the rows
are moved: on SQLite by SQLite itself, the file attached (no row passes through Python); on PostgreSQL a
chunk at a time.

A row of the file (``staged``, ``KEPT_COLUMNS``) is a group of lines numbered by its first (a claim's accrual per
payer, say), naming its ``split``: the group's lines' payer, kind, item and pence, one row of ``splits`` each.
Beside them, the lines' sums by payer, kind, item and outcome for the running totals (``totals``). A file kept
before the groups (``PLANNED_COLUMNS``, a row a line, with or without its ``totals``) is moved as it is.
"""

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlmodel import Session

from models.pbr.bulk import CHUNK, attach_staged, can_stage, driver_value, staged_rows
from models.pbr.claims_stage import copy_in
from models.pbr.ledger import ACCRUAL, LEDGER_COLUMNS
from models.pbr.totals import add_run, add_staged

# a line as planned (and a row of a file kept before the groups)
PLANNED_COLUMNS = ("seq", "payer", "kind", "item", "amount_pence", "claim_id", "participant", "outcome", "month",
                   "memo")  # fmt: skip
KEPT_COLUMNS = ("seq", "claim_id", "participant", "outcome", "month", "memo", "split")  # a group of lines
SPLITS = "splits"  # each group's lines, ``n`` from 0: line ``n`` of group ``seq`` is line ``seq + n``
SPLITS_COLUMNS = ("split", "n", "payer", "kind", "item", "pence")
SPLITS_KEY = ("split", "n")
SUMS = "totals"  # the lines' sums by payer, kind, item and outcome: models.pbr.totals.add_staged
SUMS_COLUMNS = ("payer", "kind", "item", "outcome", "pence", "entries", "last_seq")
# The lines of the groups in ``{s}``staged (a schema's name and a dot, or nothing), in the order planned, as
# PLANNED_COLUMNS: the groups by their rowid, each one's lines by its split's key (no sort).
_LINES = (
    "SELECT l.seq + s.n AS seq, s.payer, s.kind, s.item, s.pence AS amount_pence, l.claim_id, l.participant, "
    "l.outcome, l.month, l.memo "
    "FROM {s}staged l CROSS JOIN {s}splits s ON s.split = l.split ORDER BY l.seq, s.n"
)
MARKED = "planned_claims"  # PostgreSQL: the ids of the claims an approval marks (``mark_planned``)


def insert_planned(
    session: Session, path: Path, *, contract_id: int, run_id: int, on: dt.date, at: dt.datetime, actor: str
) -> int:
    """Move a proposal's planned lines (``path``) into the ledger as run ``run_id``'s entries, in the order
    planned, dated ``on`` and ``at`` and written by ``actor``, and count them in the running totals
    (models/pbr/totals.py); the number of entries written."""
    on_value, at_value = driver_value(session, on), driver_value(session, at)
    if can_stage(session):
        name, connection = _attached(session, path), session.connection()
        grouped = _grouped(connection.exec_driver_sql, f"{name}.")
        before = _last_id(session)
        lines = _LINES.format(s=f"{name}.") if grouped else f"SELECT * FROM {name}.staged ORDER BY seq"
        sql = (
            f"INSERT INTO pbr_ledger ({', '.join(LEDGER_COLUMNS)}) "
            "SELECT ?, payer, kind, item, amount_pence, ?, ?, claim_id, participant, outcome, month, NULL, NULL, "
            f"memo, ?, ? FROM ({lines})"
        )
        params = (contract_id, on_value, run_id, at_value, actor)
        written = int(connection.exec_driver_sql(sql, params).rowcount)
        # SQLite numbers the rows of one INSERT on from the ledger's last id, in the order given: with the lines
        # numbered 1 up, line ``seq``'s entry is ``before + seq``, and the totals are summed from the file (1.9 s
        # from the ledger at a million claims, against 0.3 s); otherwise, from the ledger
        numbered = _numbered(connection.exec_driver_sql, f"{name}.", grouped) == (1, written)
        if numbered and _last_id(session) == before + written:
            kept = _tables(connection.exec_driver_sql, f"{name}.")
            add_staged(connection, contract_id, name, before, summed=SUMS in kept, grouped=grouped)
            return written
        add_run(session, contract_id, run_id)
        return written
    head, tail = (contract_id,), (at_value, actor)
    rows = (
        (*head, payer, kind, item, pence, on_value, run_id, claim, who, outcome, month, None, None, memo, *tail)
        for _, payer, kind, item, pence, claim, who, outcome, month, memo in kept_line_rows(path)
    )
    written = copy_in(session, "pbr_ledger", LEDGER_COLUMNS, rows)  # PostgreSQL: COPY, not an INSERT a row
    add_run(session, contract_id, run_id)
    return written


def kept_line_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    """A kept file's lines, as PLANNED_COLUMNS, in the order planned (for PostgreSQL, which cannot attach it)."""
    with contextlib.closing(sqlite3.connect(path)) as lines:
        grouped = _grouped(lines.execute, "")
    if not grouped:
        yield from staged_rows(path, PLANNED_COLUMNS, "seq")
        return
    with contextlib.closing(sqlite3.connect(path)) as lines:
        cursor = lines.execute(_LINES.format(s=""))
        while chunk := cursor.fetchmany(CHUNK):
            yield from chunk


def _tables(execute: Callable[[str], Any], schema: str) -> set[str]:
    """The tables of a kept file, ``schema`` its schema's name and a dot (or nothing, on its own connection)."""
    return {str(name) for (name,) in execute(f"SELECT name FROM {schema}sqlite_master WHERE type = 'table'")}


def _grouped(execute: Callable[[str], Any], schema: str) -> bool:
    """Whether a kept file holds groups of lines (``KEPT_COLUMNS``), not a line a row (a file kept before them)."""
    return SPLITS in _tables(execute, schema)


def _numbered(execute: Callable[[str], Any], schema: str, grouped: bool) -> tuple[Any, ...]:
    """The first and last lines' seq: (1, the number of lines) when they are numbered 1 up, each once (as
    ``KeptLines`` numbers them, each group on from the last line of the one before: its digest was checked)."""
    if not grouped:
        return tuple(execute(f"SELECT MIN(seq), MAX(seq) FROM {schema}staged").one())
    sql = (
        f"SELECT (SELECT MIN(seq) FROM {schema}staged), seq + (SELECT MAX(n) FROM {schema}splits s "
        f"WHERE s.split = l.split) FROM {schema}staged l ORDER BY seq DESC LIMIT 1"
    )
    return tuple(execute(sql).one_or_none() or (None, None))  # none: no line


def _last_id(session: Session) -> int:
    return int(session.connection().exec_driver_sql("SELECT MAX(id) FROM pbr_ledger").scalar() or 0)


def mark_planned(session: Session, path: Path, run_id: int) -> tuple[int, int]:
    """Mark the claims run ``run_id``, approved as proposed, has just accrued (``mark_accrued``), read from its
    planned lines (``path``) rather than from the ledger it has just written: (the number marked, the number of
    claims its lines accrue). They differ only if another run has paid some of them since the proposal."""
    with contextlib.closing(sqlite3.connect(path)) as lines:  # 0.1 s at 200,000 claims, on either backend
        if _grouped(lines.execute, ""):  # the groups with an accrual among their lines
            accrued = (
                "SELECT claim_id FROM {0}staged WHERE claim_id IS NOT NULL "
                f"AND split IN (SELECT split FROM {{0}}splits WHERE kind = '{ACCRUAL}')"
            )
        else:
            accrued = f"SELECT claim_id FROM {{0}}staged WHERE kind = '{ACCRUAL}' AND claim_id IS NOT NULL"
        ((claims,),) = lines.execute(f"SELECT COUNT(DISTINCT claim_id) FROM ({accrued.format('')})").fetchall()
    if not can_stage(session):
        return _mark_copied(session, path, accrued, run_id), int(claims)
    # SQLite: by the ids in the attached file, not the run's entries read back through the run's index (measured
    # at a million claims: 0.9 s of CPU against 1.8 s for the marking and the count from the ledger)
    sql = (
        "UPDATE pbr_claim SET accrued_run_id = ? WHERE accrued_run_id IS NULL "
        f"AND id IN ({accrued.format(_attached(session, path) + '.')})"
    )
    return int(session.connection().exec_driver_sql(sql, (run_id,)).rowcount), int(claims)


def _mark_copied(session: Session, path: Path, accrued: str, run_id: int) -> int:
    """PostgreSQL: the claims of the planned lines (``accrued``, over the side file's table) marked by their ids,
    copied into a temporary table; the number marked.

    Read from the run's entries instead (``mark_accrued``), the planner hashed them and scanned every claim of
    the table: at a million claims (bench/pbr_runs.py's 2022-Q3, 205,072 claims) the marking dirtied 249,000
    pages, against 67,000 by the ids; the approval's server CPU, five times each, 24.0 to 28.2 s (median 25.0)
    against 26.5 to 30.0 s (median 27.7), the run's own 0.3 s more (the ids read from the file and sent).
    The table has no statistics, so the planner takes the ids one by one through the claims' primary key."""
    connection = session.connection()
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {MARKED} (id bigint PRIMARY KEY) ON COMMIT DROP")
    with contextlib.closing(sqlite3.connect(path)) as lines:
        ids = lines.execute(f"SELECT DISTINCT claim_id FROM ({accrued.format('')}) ORDER BY claim_id")
        copy_in(session, MARKED, ("id",), ids)
    sql = f"UPDATE pbr_claim c SET accrued_run_id = %s FROM {MARKED} m WHERE c.id = m.id AND c.accrued_run_id IS NULL"
    marked = int(connection.exec_driver_sql(sql, (run_id,)).rowcount)
    connection.exec_driver_sql(f"DROP TABLE {MARKED}")  # a later marking in this transaction makes its own
    return marked


def _attached(session: Session, path: Path) -> str:
    """The schema name ``path`` is attached under on the session's SQLite connection, attached if it is not."""
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    for _, name, file in raw.execute("PRAGMA database_list").fetchall():
        if file and Path(file).resolve() == path.resolve():
            return str(name)
    (name,) = attach_staged(session, [path])
    return name
