"""A claims file staged on PostgreSQL: copied into a temporary table with ``COPY``, checked and read back in SQL.

The staging table ``claims_stage`` lives for one transaction (``ON COMMIT DROP``): a failure keeps nothing
of it, and two imports at once each have their own. Rows go in through psycopg 3's ``cursor.copy()`` as
they are read (a thread of psycopg's sends them, so that the server stores while Python reads or
decides), and come back out through a server-side cursor a batch at a time, so the importing
process never holds the whole file. Every value is staged as the text the file gave (stripped): what a
value means is decided in Python (flows/pbr/claims_file.py and the rules), once per distinct value.
PostgreSQL only (``can_copy``).
"""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlmodel import Session

from models.pbr.claims import facts_of
from policies.pbr.participants import same_person

STAGE = "claims_stage"
STAGED = ("line", "contract", "ref", "participant", "outcome", "achieved_on", "amount", "evidence")
# What each sort or hash of the import's queries may hold in memory before it spills to temporary files
# (PostgreSQL's default is 4MB): at a million claims its sorts and groupings by participant wrote 327 MB of
# temporary files. A query of a few such steps stays a few hundred MB, well inside the 2 GB the import may use.
WORK_MEM = "64MB"

# Accepted claims that count: not clawed back, or clawed back and the clawback reversed (as clawed_back_claims).
_STANDING = (
    "c.verdict IN ('accepted', 'partly_accepted') AND NOT EXISTS (SELECT 1 FROM pbr_ledger l "
    "WHERE l.contract_id = c.contract_id AND l.claim_id = c.id AND l.kind = 'clawback' "
    "AND NOT EXISTS (SELECT 1 FROM pbr_ledger r WHERE r.reverses_id = l.id))"
)


class CellRefused(ValueError):
    """A cell PostgreSQL cannot store as text (a NUL byte): its row's line, its column, and why."""

    def __init__(self, line: int, column: str, reason: str) -> None:
        super().__init__(f"line {line}, {column}: {reason}")
        self.line, self.column, self.reason = line, column, reason


def can_copy(session: Session) -> bool:
    """Whether this database takes a claims file through ``COPY``: PostgreSQL (psycopg 3)."""
    return session.connection().dialect.name == "postgresql"


def _raw(session: Session) -> Any:
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    return raw


def _rows(session: Session, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with _raw(session).cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def stage_claims(session: Session, rows: Iterable[Sequence[Any]]) -> int:
    """Copy rows of ``STAGED`` (the line, then seven texts) into a new ``claims_stage``; returns how many."""
    import psycopg  # here, not above: on SQLite a payment run or reconcile never loads it (0.15 s of start-up)
    from psycopg.copy import QueuedLibpqWriter

    raw = _raw(session)
    count = 0
    with raw.cursor() as cursor:
        # For this transaction only (SET LOCAL): see WORK_MEM.
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGE} (line integer NOT NULL, contract text NOT NULL, ref text NOT NULL, "
            "participant text NOT NULL, outcome text NOT NULL, achieved_on text NOT NULL, amount text NOT NULL, "
            "evidence text NOT NULL) ON COMMIT DROP"
        )
        with cursor.copy(f"COPY {STAGE} ({', '.join(STAGED)}) FROM STDIN", writer=QueuedLibpqWriter(cursor)) as copy:
            for row in rows:
                try:
                    copy.write_row(row)
                except psycopg.DataError as exc:  # a NUL byte: PostgreSQL's text cannot hold one
                    column = next((STAGED[i] for i, cell in enumerate(row) if "\x00" in str(cell)), "")
                    raise CellRefused(row[0], column, str(exc)) from None
                count += 1
        cursor.execute(f"ANALYZE {STAGE}")
    return count


class Staged:
    """What the staged file holds, from one pass over it (``staged_summary``): each distinct (contract, date,
    outcome, amount) text with how many rows have it and the first line it is on, and each distinct evidence
    text. A few thousand kinds however many claims; every distinct value of a column, and each contract's
    kinds, come from them, so the server reads the staged rows once for all of them."""

    def __init__(self, kinds: list[tuple[str, str, str, str, int, int]], evidence: list[str]) -> None:
        self.kinds, self.evidence = kinds, evidence

    def contracts(self) -> list[str]:
        """The contracts staged, in the order they first appear in the file."""
        first: dict[str, int] = {}
        for contract, _, _, _, line, _ in self.kinds:
            first[contract] = min(line, first.get(contract, line))
        return sorted(first, key=first.__getitem__)

    def values(self, column: str) -> set[str]:
        """Every distinct text staged in ``column``: contract, achieved_on, amount or evidence."""
        if column == "evidence":
            return set(self.evidence)
        if column == "contract":
            return {kind[0] for kind in self.kinds}
        if column == "achieved_on":
            return {kind[1] for kind in self.kinds}
        if column == "amount":
            return {kind[3] for kind in self.kinds}
        raise ValueError(f"{column!r} is not a staged value column")

    def codes(self) -> set[tuple[str, str]]:
        """Every distinct (contract, outcome) pair staged."""
        return {(kind[0], kind[2]) for kind in self.kinds}

    def kinds_of(self, contract: str) -> list[tuple[str, str, str, int]]:
        """How many of the contract's staged rows there are of each (achieved_on, outcome, amount) text."""
        return [(day, outcome, amount, n) for c, day, outcome, amount, _, n in self.kinds if c == contract]


def staged_summary(session: Session) -> Staged:
    """The staged file's kinds and evidence texts (``Staged``), in one scan of it: five queries over the whole
    file, and one over each contract's, did the same at a million claims in 5.7 s against 2.4 s."""
    sql = (
        f"SELECT GROUPING(evidence), contract, achieved_on, outcome, amount, evidence, min(line), count(*) "
        f"FROM {STAGE} GROUP BY GROUPING SETS ((contract, achieved_on, outcome, amount), (evidence))"
    )
    kinds, evidence = [], []
    for by_kind, contract, day, outcome, amount, text, first, n in _rows(session, sql):
        if by_kind:
            kinds.append((contract, day, outcome, amount, first, n))
        else:
            evidence.append(text)
    return Staged(kinds, evidence)


# A line break or another control character (policies/text.py), as a PostgreSQL regular expression.
_CONTROL = r"[\x01-\x1f\x7f-\x9f\u2028\u2029]"


def malformed_rows(
    session: Session,
    *,
    contracts: Sequence[str],
    codes: Sequence[tuple[str, str]],
    days: Sequence[str],
    amounts: Sequence[str],
) -> list[tuple[Any, ...]]:
    """The staged rows with a value named bad (a contract, a (contract, outcome) pair, a date, an amount), an
    empty or over-long cell, a line break or control character in a reference or participant, or evidence
    over 200 characters: (line, contract, ref, participant, outcome, achieved_on, amount), by line. The same
    tests as ``read_claims``, in SQL over the whole file at once."""
    sql = (
        f"SELECT line, contract, ref, participant, outcome, achieved_on, amount FROM {STAGE} "
        "WHERE contract = '' OR ref = '' OR length(ref) > 60 OR participant = '' OR length(participant) > 60 "
        f"OR ref ~ '{_CONTROL}' OR participant ~ '{_CONTROL}' "
        "OR outcome = '' OR length(evidence) > 200 OR contract = ANY(%s) OR achieved_on = ANY(%s) "
        "OR (amount <> '' AND amount = ANY(%s)) OR contract || chr(31) || outcome = ANY(%s) ORDER BY line"
    )
    params = (list(contracts), list(days), list(amounts), [f"{c}\x1f{o}" for c, o in codes])
    return _rows(session, sql, params)


def reused_refs(session: Session, contract: str, contract_id: int) -> Iterator[tuple[Any, ...]]:
    """The contract's staged rows whose reference is used more than once in the file or is already stored (the
    only rows whose reference needs sorting out: a new reference used once is simply fresh), by reference
    then line, through a server-side cursor: (*STAGED, the stored claims' fingerprints under it, and whether
    one of them stands accepted). A re-run of a big file reuses every reference, so none are held at once."""
    # Joins, not "IN (subquery)" under an OR: PostgreSQL re-runs such a subquery for every row when it
    # guesses its result too big to hash (a million-claim file then took over six minutes here).
    sql = (
        f"WITH repeated AS (SELECT ref FROM {STAGE} WHERE contract = %s GROUP BY ref HAVING count(*) > 1), "
        f"stored AS (SELECT c.ref, array_agg(c.fingerprint) AS prints, bool_or({_STANDING}) AS standing "
        f"FROM pbr_claim c JOIN (SELECT DISTINCT ref FROM {STAGE} WHERE contract = %s) f ON f.ref = c.ref "
        "WHERE c.contract_id = %s GROUP BY c.ref), "
        "refs AS (SELECT ref FROM repeated UNION SELECT ref FROM stored) "
        f"SELECT {', '.join('s.' + c for c in STAGED)}, st.prints, coalesce(st.standing, false) FROM {STAGE} s "
        "JOIN refs r ON r.ref = s.ref LEFT JOIN stored st ON st.ref = s.ref WHERE s.contract = %s "
        "ORDER BY s.ref, s.line"
    )
    raw = _raw(session)
    with raw.cursor() as cursor:  # what the sorting out finds, by line: see ``note_sorted``
        cursor.execute("DROP TABLE IF EXISTS claims_sorted")
        cursor.execute(
            "CREATE TEMPORARY TABLE claims_sorted (line integer PRIMARY KEY, unchanged boolean NOT NULL, "
            "finding text) ON COMMIT DROP"
        )
    cursor = raw.cursor(name="claims_reused")
    try:
        cursor.itersize = 10_000
        cursor.execute(sql, (contract, contract, contract_id, contract))
        yield from cursor
    finally:
        cursor.close()


def note_sorted(session: Session, rows: Sequence[tuple[int, bool, str | None]]) -> None:
    """Record (line, unchanged, the duplicate's finding) of rows sorted out, for ``staged_batches``."""
    with _raw(session).cursor() as cursor:
        cursor.executemany("INSERT INTO claims_sorted (line, unchanged, finding) VALUES (%s, %s, %s)", rows)


def accepted_totals(session: Session, contract_id: int) -> dict[str, int]:
    """What the contract has accepted so far, net of clawbacks, by outcome code (pence)."""
    sql = f"SELECT c.outcome, sum(c.payable_pence) FROM pbr_claim c WHERE c.contract_id = %s AND {_STANDING} GROUP BY 1"
    return {r[0]: int(r[1]) for r in _rows(session, sql, (contract_id,))}


def staged_batches(session: Session, contract: str, contract_id: int, size: int) -> Iterator[tuple[Any, ...]]:
    """The contract's staged rows as (batch, *STAGED, the duplicate's finding or None), by batch then line,
    through a server-side cursor; not those ``note_sorted`` found unchanged.

    A batch is whole participants, taken in the order they first appear, about ``size`` rows each. While the
    rows are read, ``participant_facts_of``, ``history_of`` and ``capped_out_of`` give each batch's
    participants and what was stored for them before this import, each read by batch through an index (a
    query per batch over the whole ledger or every participant would make the import's time grow with the
    square of its size)."""
    raw = _raw(session)
    with raw.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS claims_history, claims_batch, claims_like")  # the previous contract's
        # With each participant's facts, joined once: looked up a batch at a time, PostgreSQL read all the
        # participants for each batch (a hash join), 200 times at ten million claims.
        cursor.execute(
            "CREATE TEMPORARY TABLE claims_batch ON COMMIT DROP AS SELECT f.participant, f.batch, p.ref, "
            "p.referral_date, p.born, p.attributes::text AS attributes FROM (SELECT participant, "
            "((sum(n) OVER (ORDER BY first ROWS UNBOUNDED PRECEDING))::bigint - 1) / %s AS batch FROM "
            f"(SELECT participant, min(line) AS first, count(*) AS n FROM {STAGE} WHERE contract = %s "
            "GROUP BY participant) c) f LEFT JOIN pbr_participant p ON p.contract_id = %s AND p.ref = f.participant",
            (size, contract, contract_id),
        )
        cursor.execute("CREATE INDEX ON claims_batch (batch)")
        cursor.execute("ANALYZE claims_batch")
        _like_unlisted(raw, cursor, contract_id)
        # Read before this import writes a row: its own claims are never another batch's history.
        cursor.execute(
            "CREATE TEMPORARY TABLE claims_history ON COMMIT DROP AS SELECT b.batch, c.id, c.ref, c.participant, "
            f"c.outcome, c.achieved_on, c.payable_pence, c.reasons, {_STANDING} AS standing FROM pbr_claim c "
            "JOIN claims_batch b ON b.participant = c.participant WHERE c.contract_id = %s "
            f"AND ({_STANDING} OR (c.verdict = 'rejected' AND c.capped_pence > 0))",
            (contract_id,),
        )
        cursor.execute("CREATE INDEX ON claims_history (batch)")
        cursor.execute("ANALYZE claims_history")
    cursor = raw.cursor(name="claims_batches")
    try:
        cursor.itersize = 10_000
        cursor.execute(
            f"SELECT b.batch, {', '.join('s.' + c for c in STAGED)}, r.finding FROM {STAGE} s "
            "JOIN claims_batch b ON b.participant = s.participant LEFT JOIN claims_sorted r ON r.line = s.line "
            "WHERE s.contract = %s AND r.unchanged IS NOT TRUE ORDER BY b.batch, s.line",
            (contract,),
        )
        yield from cursor
    finally:
        cursor.close()  # the two tables stay for the last batch: the next contract's call, or the commit, drops them


def participant_facts_of(session: Session, batch: int) -> list[tuple[str, dt.date, dt.date | None, Any]]:
    """(ref, referral date, date of birth, attributes) of the batch's participants that the contract has."""
    # The attributes as JSON text: the few distinct sets are parsed once each, not once a participant.
    sql = "SELECT ref, referral_date, born, attributes FROM claims_batch WHERE batch = %s AND ref IS NOT NULL"
    return facts_of(_rows(session, sql, (batch,)))


def _like_unlisted(raw: Any, cursor: Any, contract_id: int) -> None:
    """``claims_like``: each id claimed for that the contract does not list, with the listed id it is once told
    apart as policies/pbr/participants.py's ``same_person`` tells people apart, by batch. The key is made by
    that function, in Python, not in SQL: PostgreSQL's lower() and regular expressions fold other letters and
    dashes than Python does (``Straße``, the hyphen U+2010), and one rule holds on both backends. It reads every
    participant's id of the contract, once an import and only when some claimed id is not listed."""
    cursor.execute("CREATE TEMPORARY TABLE claims_like (batch bigint, participant text, ref text) ON COMMIT DROP")
    cursor.execute("SELECT DISTINCT batch, participant FROM claims_batch WHERE ref IS NULL")
    unlisted = [(batch, claimed, same_person(claimed)) for batch, claimed in cursor.fetchall()]
    if not unlisted:
        return
    wanted = {key for _, _, key in unlisted}
    listed: dict[str, str] = {}  # key -> the least listed id with it (a pair stored before the rule: either)
    with raw.cursor(name="claims_like_ids") as ids:
        ids.itersize = 50_000
        ids.execute("SELECT ref FROM pbr_participant WHERE contract_id = %s", (contract_id,))
        while chunk := ids.fetchmany(50_000):
            for (ref,) in chunk:
                key = same_person(ref)
                if key in wanted and (key not in listed or ref < listed[key]):
                    listed[key] = ref
    likes = [(batch, claimed, listed[key]) for batch, claimed, key in unlisted if key in listed]
    if likes:
        cursor.executemany("INSERT INTO claims_like (batch, participant, ref) VALUES (%s, %s, %s)", likes)


def participants_like_of(session: Session, batch: int) -> list[tuple[str, str]]:
    """(id claimed, listed id it is) of the batch's claimed ids the contract does not list (``_like_unlisted``)."""
    return _rows(session, "SELECT participant, ref FROM claims_like WHERE batch = %s", (batch,))


def history_of(session: Session, batch: int) -> list[tuple[Any, ...]]:
    """(ref, participant, outcome, achieved_on, payable_pence) of the batch's participants' standing accepted
    claims, in achieved order (then id), as ``accepted_claims`` gives them for the whole contract."""
    sql = (
        "SELECT ref, participant, outcome, achieved_on, payable_pence FROM claims_history "
        "WHERE batch = %s AND standing ORDER BY achieved_on, id"
    )
    return _rows(session, sql, (batch,))


def capped_out_of(session: Session, batch: int) -> list[tuple[Any, ...]]:
    """(ref, participant, outcome, reasons) of the batch's participants' claims a cap cut to nothing, in
    achieved order, as ``capped_out_claims`` gives them for the whole contract."""
    sql = (
        "SELECT ref, participant, outcome, reasons FROM claims_history "
        "WHERE batch = %s AND NOT standing ORDER BY achieved_on, id"
    )
    return _rows(session, sql, (batch,))


def copy_in(session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write rows (in the driver's form) into ``table`` with ``COPY``; returns how many."""
    from psycopg.copy import QueuedLibpqWriter  # PostgreSQL only: see stage_claims

    count = 0
    with _raw(session).cursor() as cursor:
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with cursor.copy(sql, writer=QueuedLibpqWriter(cursor)) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


COPY_NULL = "\\N"  # an empty cell in COPY text
_SPECIAL = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_line(row: Sequence[Any]) -> str:
    """One row (in the driver's form: texts, ints, dates, None) as a line of the text ``COPY ... FROM STDIN``
    reads, each cell escaped (a backslash, tab or line break in it). Made here, not by psycopg row by row,
    so that it can be made while the connection is busy sending the rows before (``CopyInBehind``)."""
    null, special = COPY_NULL, _SPECIAL
    return "\t".join(null if value is None else str(value).translate(special) for value in row)


def copy_block(lines: Iterable[str]) -> bytes:
    """Lines of ``COPY`` text (``copy_line``, or made as it makes them) as the block ``CopyInBehind`` sends."""
    text = "\n".join(lines)
    return (text + "\n").encode() if text else b""


class CopyInBehind:
    """``COPY`` of one block of rows at a time into a table, sent and finished by a thread of its own while
    the caller makes the next block: the server stores (and checks keys and indexes) on one core while
    Python decides on the other. The caller uses the connection only between ``wait()`` and the next
    ``send``; the import stays one transaction. Use as a context manager: leaving it waits for the last."""

    def __init__(self, session: Session, table: str, columns: Sequence[str]) -> None:
        self._raw = _raw(session)
        self._sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="copy-in")
        self._sending: Future[Any] | None = None

    def send(self, block: bytes, then: Callable[[], Any] | None = None) -> None:
        """Start sending ``block`` (``copy_block``) and then, on the same connection and thread, run ``then``
        (the next rows read back, say: the server works out the next batches while Python decides these),
        whose result ``wait`` gives. The one before must have been waited for."""
        assert self._sending is None, "wait() for the block before"
        if block or then is not None:
            self._sending = self._pool.submit(self._copy, block, then)

    def wait(self) -> Any:
        """Wait until the block sent is stored and ``then`` has run (raising what either raised): the connection
        is free again. Returns what ``then`` returned (None without one)."""
        sending, self._sending = self._sending, None
        return None if sending is None else sending.result()

    def _copy(self, block: bytes, then: Callable[[], Any] | None) -> Any:
        if block:
            with self._raw.cursor() as cursor, cursor.copy(self._sql) as copy:
                copy.write(block)
        return None if then is None else then()

    def __enter__(self) -> "CopyInBehind":
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._sending is not None:
                if exc[0] is None:
                    self.wait()
                else:  # already failing: wait, but let the first error be the one seen
                    self._sending.exception()
                    self._sending = None
        finally:
            self._pool.shutdown(wait=True)
