"""Running totals kept beside the ledger (migration 0021), so that what a payment run reads of "what has been paid so
far" follows the run, not the ledger behind it.

The ledger stays the record; these are its sums, written in the same transaction as every entry by one function,
``add_entries``: ``models.pbr.ledger`` calls it after each entry the ORM inserts (clawbacks, reversals, recoveries,
re-decisions, published payments), and a run's approval after its bulk rows (``add_run``). Each sum is an
upsert by group, so a batch of entries costs one statement a table, whatever its size.

- ``pbr_ledger_total``: per contract, payer, kind, item and outcome ('' for an entry without one), the pence,
  the entries and the latest entry's id. Few rows a contract (payers x kinds x items x outcomes): each payer's
  balance, what each outcome has been paid, and the ledger's last entry are read from it.
- ``pbr_participant_paid``: per contract and participant, what its outcomes have been paid net of clawbacks and
  their reversals (the participant cap): a run reads only the rows of the participants it pays.

tests/integration/pbr/test_pbr_totals.py checks both against ``GROUP BY`` sums of the ledger after every kind of
write, on both backends.
"""

from typing import Any

from sqlalchemy import BigInteger, Column, text
from sqlmodel import Field, Session, SQLModel

from models.pbr.bulk import driver_rows

# what a participant's and an outcome's cap count as paid: outcome accruals, less clawbacks, plus their reversals
NET_LINE = "item = 'outcome' AND kind IN ('accrual', 'clawback', 'reversal')"  # of an entry with an outcome
NET_OUTCOME = f"{NET_LINE} AND outcome IS NOT NULL"


class LedgerTotal(SQLModel, table=True):
    __tablename__ = "pbr_ledger_total"

    contract_id: int = Field(primary_key=True)
    payer: str = Field(primary_key=True, max_length=120)
    kind: str = Field(primary_key=True, max_length=10)
    item: str = Field(primary_key=True, max_length=24)
    outcome: str = Field(primary_key=True, max_length=30)  # '' for an entry for no claim
    pence: int = Field(sa_column=Column(BigInteger, nullable=False))
    entries: int
    last_id: int


class ParticipantPaid(SQLModel, table=True):
    __tablename__ = "pbr_participant_paid"
    # SQLite: stored in its key's order, one b-tree (migration 0029): a run reads a participant's row with each claim
    __table_args__ = {"sqlite_with_rowid": False}

    contract_id: int = Field(primary_key=True)
    participant: str = Field(primary_key=True, max_length=60)
    pence: int = Field(sa_column=Column(BigInteger, nullable=False))  # NET_OUTCOME's sum
    entries: int


# ``{where}`` picks the new entries of ``{source}`` (the ledger; or, at a run's approval on SQLite, the lines it has
# just moved in, read from their attached side file: ``add_staged``); ``{contract}``, ``{pence}``, ``{entries}`` and
# ``{last_id}`` say how their contract, sums and latest id are read. The SELECT's WHERE also keeps SQLite from
# reading ON CONFLICT as a join's ON. Rows go in in key order, so that two transactions adding to the same totals
# on PostgreSQL take their row locks in the same order (the second waits for the first, instead of the two
# deadlocking).
_TOTALS = """
    INSERT INTO pbr_ledger_total (contract_id, payer, kind, item, outcome, pence, entries, last_id)
    SELECT {contract}, payer, kind, item, COALESCE(outcome, ''), {pence}, {entries}, {last_id}
    FROM {source} WHERE {where}
    GROUP BY {contract}, payer, kind, item, COALESCE(outcome, '') ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (contract_id, payer, kind, item, outcome) DO UPDATE SET
      pence = pbr_ledger_total.pence + excluded.pence, entries = pbr_ledger_total.entries + excluded.entries,
      last_id = CASE WHEN excluded.last_id > pbr_ledger_total.last_id THEN excluded.last_id
                ELSE pbr_ledger_total.last_id END
    """
_PARTICIPANTS = f"""
    INSERT INTO pbr_participant_paid (contract_id, participant, pence, entries)
    SELECT {{contract}}, participant, {{pence}}, {{entries}}
    FROM {{source}} WHERE ({{where}}) AND participant IS NOT NULL AND {NET_OUTCOME}
    GROUP BY {{contract}}, participant ORDER BY 1, 2
    ON CONFLICT (contract_id, participant) DO UPDATE SET
      pence = pbr_participant_paid.pence + excluded.pence, entries = pbr_participant_paid.entries + excluded.entries
    """

# SQLite: ``_PARTICIPANTS`` over a side file's groups of lines (``add_staged``): what each split's lines count
# towards a participant's cap, summed over the groups of each participant. Its groups are read in file order (the
# CROSS JOIN), each split's sums found by an automatic index (205,000 groups at a million claims, 34 splits).
_PARTICIPANTS_GROUPED = f"""
    INSERT INTO pbr_participant_paid (contract_id, participant, pence, entries)
    SELECT :c, g.participant, SUM(s.pence), SUM(s.entries)
    FROM {{schema}}.staged g CROSS JOIN (
      SELECT split, SUM(pence) AS pence, COUNT(*) AS entries FROM {{schema}}.splits WHERE {NET_LINE} GROUP BY split
    ) s ON s.split = g.split
    WHERE g.participant IS NOT NULL AND g.outcome IS NOT NULL GROUP BY g.participant ORDER BY g.participant
    ON CONFLICT (contract_id, participant) DO UPDATE SET
      pence = pbr_participant_paid.pence + excluded.pence, entries = pbr_participant_paid.entries + excluded.entries
    """


LINES = {"pence": "SUM(amount_pence)", "entries": "COUNT(*)"}  # entries, or lines, one a row


# PostgreSQL advisory lock class ("tot"), with the contract's id: one writer of a contract's totals at a time.
TOTALS_LOCK = 0x746F74


def add_entries(connection: Any, contract_id: int, where: str, params: dict[str, Any]) -> None:
    """Add contract ``contract_id``'s ledger entries ``where`` picks (SQL over ``pbr_ledger``, with ``params``), just
    written and not yet counted, to the running totals: on ``connection``, in the transaction that wrote them.

    On PostgreSQL the transaction first takes the contract's lock (held to its end), so that writers of one
    contract's totals queue rather than deadlock: a recovery locks its participants' rows in sample order, a run in
    key order, a clawback its outcome's row and then its participant's; each waits for the lock before any row."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k, :c)"), {"k": TOTALS_LOCK, "c": contract_id})
    ledger = {"source": "pbr_ledger", "where": where, "contract": "contract_id", "last_id": "MAX(id)"}
    _add(connection, {**ledger, **LINES}, {**ledger, **LINES}, params)


def add_run(session: Any, contract_id: int, run_id: int) -> None:
    """Count a payment run's entries, written in bulk at its approval (call once, after the last of them)."""
    add_entries(session.connection(), contract_id, "run_id = :r", {"r": run_id})


def add_staged(connection: Any, contract_id: int, schema: str, before: int, *, summed: bool, grouped: bool
               ) -> None:  # fmt: skip
    """``add_entries`` for a run's lines just moved into the ledger from an attached side file (SQLite only),
    ``schema``, in the order of their ``seq``, numbered 1 up: the entry of line ``seq`` has the id ``before + seq``.
    The file is read, not the ledger: the same sums from fewer pages. ``summed``: the file holds ``totals``, the
    lines' sums by payer, kind, item and outcome ('' for none) as they were kept (pence, entries, last_seq), read
    instead of the lines (40 rows, not 400,000, at a million claims). ``grouped``: its ``staged`` rows are groups
    of lines, each naming its lines' ``split`` (models/pbr/planned.py), and the participants' sums are read from
    them (0.5 s of CPU, not 0.7 s, for the 205,000 groups of 410,000 lines at a million claims); otherwise they
    are its lines, one a row (a file kept before the groups)."""
    lines = {"source": f"{schema}.staged", "where": "seq > 0", "contract": ":c", "last_id": "MAX(seq) + :before"}
    sums = {"source": f"{schema}.totals", "where": "entries > 0", "contract": ":c", "pence": "SUM(pence)",
            "entries": "SUM(entries)", "last_id": "MAX(last_seq) + :before"}  # fmt: skip
    params = {"c": contract_id, "before": before}
    connection.execute(text(_TOTALS.format(**(sums if summed else {**lines, **LINES}))), params)
    if grouped:
        connection.execute(text(_PARTICIPANTS_GROUPED.format(schema=schema)), params)
    else:
        connection.execute(text(_PARTICIPANTS.format(**lines, **LINES)), params)


def _add(connection: Any, totals: dict[str, str], participants: dict[str, str], params: dict[str, Any]) -> None:
    connection.execute(text(_TOTALS.format(**totals)), params)
    connection.execute(text(_PARTICIPANTS.format(**participants)), params)


def net_paid_by_outcome(*, session: Session, contract_id: int) -> dict[str, int]:
    """What has been paid for each outcome, net of clawbacks and their reversals (pence). By participant, a run
    reads it with the claims due (``models.pbr.claims.due_claim_rows``)."""
    by_outcome = driver_rows(
        session,
        "SELECT outcome, SUM(pence) FROM pbr_ledger_total WHERE contract_id = :c AND item = 'outcome' "
        "AND kind IN ('accrual', 'clawback', 'reversal') AND outcome <> '' GROUP BY outcome",
        c=contract_id,
    )
    return {k: int(v) for k, v in by_outcome}


def ledger_balances(*, session: Session, contract_id: int) -> dict[str, int]:
    """Each payer's balance (pence): what the commissioner owes the provider, less what is owed back."""
    sql = "SELECT payer, SUM(pence) FROM pbr_ledger_total WHERE contract_id = :c GROUP BY payer ORDER BY payer"
    return {payer: int(total) for payer, total in driver_rows(session, sql, c=contract_id)}


def last_entry(*, session: Session, contract_id: int) -> int:
    """The id of a contract's latest ledger entry (0 for none): any new entry changes it."""
    sql = "SELECT MAX(last_id) FROM pbr_ledger_total WHERE contract_id = :c"
    return int(session.connection().execute(text(sql), {"c": contract_id}).scalar() or 0)


def payers_with(kind: str, item: str | None = None) -> str:
    """SQL naming the payers of contract ``:c`` with entries of ``kind`` (and ``item``), from the totals: beside
    ``contract_id = :c``, ``payer IN (...)`` lets the ledger's payer index (contract, payer, kind, item, ...) seek
    straight to those entries (a contract's clawbacks: none, or a few) instead of reading every entry it holds."""
    of_item = f" AND item = '{item}'" if item is not None else ""
    return f"SELECT payer FROM pbr_ledger_total WHERE contract_id = :c AND kind = '{kind}'{of_item}"


def sums_by_kind(*, session: Session, contract_id: int) -> list[tuple[str, str, str, bool, int]]:
    """(payer, kind, item, whether for a claim, sum in pence) of a contract's ledger, from its few totals rows: an
    entry is for a claim exactly when it has an outcome (the claim's, ``models.pbr.ledger``); tests/support/
    ledger_totals.py checks that of every entry at the end of every integration test."""
    sql = """
        SELECT payer, kind, item, outcome <> '', SUM(pence) FROM pbr_ledger_total WHERE contract_id = :c
        GROUP BY payer, kind, item, outcome <> '' ORDER BY payer, kind, item, outcome <> ''
        """
    rows = driver_rows(session, sql, c=contract_id)
    return [(payer, kind, item, bool(for_claim), int(total)) for payer, kind, item, for_claim, total in rows]
