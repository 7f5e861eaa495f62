"""A claims file imported on PostgreSQL: streamed through ``COPY`` into a staging table, checked in SQL, and
decided a batch of participants at a time, never held whole.

In the import's one transaction (a failure keeps nothing; a re-run adds nothing):
1. the header is checked in Python (``open_table``), then every row is copied, as read, into the temporary
   table ``claims_stage`` (models/pbr/claims_stage.py): a plain CSV file as its bytes, parsed by the server
   (``_stage_as_is``: models/pbr/claims_stage_csv.py), any other row by row;
2. the structural checks run in SQL over the whole file: each distinct contract, (contract, outcome) pair,
   date and amount is judged once in Python, by the same readers as the SQLite path, and one query finds
   every row with a bad value or an empty or over-long cell. Each problem is named by file, line, field and
   reason exactly as ``read_claims`` names it;
3. per contract, only the rows whose reference is reused (in the file, or already stored) are sorted out,
   one reference at a time, by the same ``sift`` (policies/pbr/book.py); which are unchanged and which are
   duplicates goes back to the server by line. The rest are new claims;
4. when the file's claims cannot reach the contract or an outcome cap, whole participants are decided
   apart: a batch of about ``BATCH`` rows at a time comes back through a server-side cursor, is decided by
   the rules in policies/pbr (the single source of truth, as on SQLite) against a book of just those
   participants' history, and its rows go into ``pbr_claim`` with ``COPY``. When a cap is in reach, the
   contract's claims are decided together, in date order, as on SQLite: held in memory for that contract.

Two cores: a batch's rows go in (``CopyInBehind``, a thread) while the next is decided, and from
``APART_FROM`` new claims two batches are decided at once, one in a forked process. Where a million
claims' time went, and what this changed: the README's benchmark section.
"""

import datetime as dt
import itertools
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any

from flows.common.columns import refuse_near_misses
from flows.common.errors import UserError
from flows.common.tabular import SAVE_AS_UTF8, Table, open_table
from flows.common.workers import can_fork, cores, in_parallel
from flows.pbr.claims_check import Found, codes_reader
from flows.pbr.claims_file import (
    CLAIM_OPTIONAL,
    CLAIM_REQUIRED,
    Codes,
    amount_or_reason,
    cells_getter,
    claim_row_problems,
    date_or_reason,
    normal_evidence,
)
from flows.pbr.claims_parallel import PARALLEL_FROM
from flows.pbr.claims_report import ClaimsReport
from flows.pbr.claims_store import Storing, hold_history, known, participants_from
from flows.pbr.contract import contract_id
from flows.pbr.problems import Problems
from models.contracts import Contract, get_contract
from models.pbr.claims import CLAIM_COLUMNS
from models.pbr.claims_stage import (
    CellRefused,
    Staged,
    accepted_totals,
    capped_out_of,
    copy_in,
    history_of,
    malformed_rows,
    note_sorted,
    participant_facts_of,
    participants_like_of,
    reused_refs,
    stage_claims,
    staged_batches,
    staged_summary,
)
from models.pbr.claims_stage_csv import stage_csv
from models.pbr.copy_text import CopyInBehind, copy_block
from policies.pbr.book import Book, sift
from policies.pbr.caps import first_over_caps
from policies.pbr.claim_rules import rules_by_day
from policies.pbr.claims import Claim, Finding, Reason
from policies.pbr.participants import Participant
from policies.pbr.ratecard import RateCard
from policies.pbr.validation import ClaimPlan, decide_in_file_order, plan_claims

BATCH = 50_000  # rows decided at a time: whole participants, taken in the order they first appear
SORTED_AT_ONCE = 10_000  # rows sorted out, sent to the server at a time
# From this many new claims, two batches are decided at once, one in a forked process (flows/common/workers.py),
# while the server stores the two before: three things on two cores, the same threshold as SQLite's.
APART_FROM = PARALLEL_FROM
ALL_AT_ONCE = 1 << 62  # one batch: a contract whose caps are in reach is decided together
Kind = tuple[dt.date, str, Decimal | None]  # a claim's kind, as the caps count them: (achieved, outcome, amount)
STAGED_AS = {"claim_ref": "ref"}  # a column of the file -> the staged column, where they differ


def import_by_copy(
    session: Any,
    path: Path,
    sha256: str,
    *,
    as_of: dt.datetime,
    actor: str,
    today: dt.date,
    problems: Path | None = None,
    only: str | None = None,
    source: str | None = None,
) -> ClaimsReport:
    """Stage, check, decide and store a CSV claims file in the session's transaction (see the module);
    ``problems``: a CSV to write every problem to when the file is refused as malformed; ``only``: the one
    contract the file may hold claims for; ``source``: how its records name the file (default: its path)."""
    table = open_table(path, required=CLAIM_REQUIRED, optional=CLAIM_OPTIONAL)
    refuse_near_misses(table, CLAIM_OPTIONAL)  # the header, checked first
    try:
        rows = _stage_as_is(session, table)
        if rows is None:
            rows = stage_claims(session, _staged(table))
    except CellRefused as refused:
        field = {staged: name for name, staged in STAGED_AS.items()}.get(refused.column, refused.column)
        raise UserError(f"{table.where(refused.line)}: {field}: has a NUL byte; {SAVE_AS_UTF8}") from None
    if not rows:
        raise UserError(f"{path}: has a header but no claims")
    found: Found = {}
    staged = staged_summary(session)
    values = _checked(session, table, staged, found, problems, only)
    # Two imports of one contract's claims at once wait for each other here, in ref order (as on SQLite).
    for ref in sorted(found):
        get_contract(session=session, ref=ref, for_update=True)
    store = Storing(session, path, sha256, as_of, actor, ClaimsReport(source or str(path), rows=rows))
    for ref in staged.contracts():
        contract, cards = found[ref]
        _import_contract(session, store, contract, cards, staged, values, today)
    return store.finish()


def _stage_as_is(session: Any, table: Table) -> int | None:
    """The file staged by the server from its bytes (models/pbr/claims_stage_csv.py), or None when it must be
    read row by row: a workbook, or a header that is not on line 1 or names another column than the claims'."""
    by_index = {index: name for name, index in table.columns.items()}
    if (
        table.sheet is not None
        or table.header_line != 1
        or not set(table.columns) <= {*CLAIM_REQUIRED, *CLAIM_OPTIONAL}
    ):
        return None
    if sorted(by_index) != list(range(table.width)):  # an unnamed column
        return None
    return stage_csv(session, table.path, [STAGED_AS.get(by_index[i], by_index[i]) for i in range(table.width)])


def _staged(table: Table) -> Iterator[tuple[Any, ...]]:
    """Each data row as staged: its line, then the seven cells (an absent optional column as empty)."""
    cells_of = cells_getter(table.columns)
    has_amount, has_evidence = "amount" in table.columns, "evidence" in table.columns
    for line, cells in table.rows():
        contract, ref, participant, code, day, amount, evidence = cells_of(cells)
        yield (
            line,
            contract,
            ref,
            participant,
            code,
            day,
            amount if has_amount else "",
            evidence if has_evidence else "",
        )


class _Values:
    """Every distinct date, amount, evidence and outcome text of the staged file, each read once."""

    def __init__(self, staged: Staged, codes: dict[str, Codes]) -> None:
        self.codes = codes
        self.days = {text: date_or_reason(text) for text in staged.values("achieved_on")}
        self.amounts: dict[str, Decimal | str | None] = {
            text: amount_or_reason(text) if text else None for text in staged.values("amount")
        }
        self.evidence = {text: normal_evidence(text) for text in staged.values("evidence")}

    def claim(self, row: Sequence[Any]) -> Claim:
        """A staged row (``STAGED``) of a file found well formed, as the claim ``read_claims`` makes of it."""
        line, _, ref, participant, code, day, amount, evidence = row
        # Well formed: every value here was read as a date, an amount (or none) and evidence.
        return Claim._make(
            (line, ref, participant, code.upper(), self.days[day], self.amounts[amount], self.evidence[evidence])
        )


def _checked(
    session: Any, table: Table, staged: Staged, found: Found, report: Path | None, only: str | None
) -> _Values:
    """Every malformed row named (a UserError listing them all), or the file's values, read."""
    codes_of = codes_reader(session, found, only)
    codes: dict[str, Codes] = {"": ()}  # an empty contract is named as empty, not looked up
    for contract in staged.contracts():
        if contract not in codes:
            codes[contract] = codes_of(contract)
    values = _Values(staged, codes)
    bad_codes = [
        (contract, code)
        for contract, code in staged.codes()
        if code and not isinstance(codes[contract], str) and code.upper() not in codes[contract]
    ]
    malformed = malformed_rows(
        session,
        contracts=[c for c, known in codes.items() if isinstance(known, str)],
        codes=bad_codes,
        days=[text for text, day in values.days.items() if isinstance(day, str)],
        amounts=[text for text, amount in values.amounts.items() if isinstance(amount, str)],
    )
    problems = Problems(table.path, report=report, report_option="--report")
    for line, contract, ref, participant, code, day, amount in malformed:
        known = codes[contract]
        claim_row_problems(
            problems,
            table.where(line),
            line,
            contract,
            known,
            ref,
            participant,
            code.upper(),
            values.days[day],
            values.amounts[amount],
        )
    problems.raise_if_any("claims")
    return values


def _import_contract(
    session: Any,
    store: Storing,
    contract: Contract,
    cards: list[RateCard],
    staged: Staged,
    values: _Values,
    today: dt.date,
) -> None:
    """Sort out the contract's reused references, then decide and store its new claims (see the module)."""
    cid, report = contract_id(contract), store.report
    same = _sort_references(session, contract, values)
    unchanged = same.total()
    kinds = Counter[Kind]()
    for day, code, amount, count in staged.kinds_of(contract.ref):
        kinds[(values.days[day], code.upper(), values.amounts[amount])] += count  # type: ignore[index]
    kinds.subtract(same)  # the kinds of the rows still to decide: those found unchanged left out
    kinds = +kinds  # and a kind left with none, as if never staged
    fresh = kinds.total()
    by_day = rules_by_day(cards, {day for day, _, _ in kinds})
    totals = accepted_totals(session, cid)
    book = Book(outcome_pence=totals, contract_pence=sum(totals.values()), keeps_refs=False)
    pence_of: dict[Decimal, int] = {}
    if first_over_caps(((*kind, n) for kind, n in kinds.items()), by_day, book, pence_of) is not None:
        _import_together(session, store, contract, cards, values, today, unchanged)
        return
    report.unchanged += unchanged
    if not fresh:
        return
    before = store.counted()
    lines_of = store.rows_of(contract, as_copy=True)
    batches = itertools.groupby(staged_batches(session, contract.ref, cid, BATCH), key=itemgetter(0))
    at_once = 2 if fresh >= APART_FROM and can_fork() and cores() > 1 else 1  # batches decided at once
    blocks: list[bytes] = []  # the batches decided before, as COPY text
    # Kept for every participant decided, the standings grew the importer by about 106 MB at 10 M (1.25 M
    # participants decided here, the rest in the forked process): 238 MB at 1 M, 349 MB at 10 M before.
    cards_in_force = list({id(rules): rules for rules in by_day.values() if rules is not None}.values())

    def read_next() -> list[_Read]:  # the next batches, as the server gives them
        return [_read(session, values, n, rows) for n, rows in itertools.islice(batches, at_once)]

    def decide_batch(k: int, batch: tuple[list[Claim], dict[int, Finding], dict[str, Participant]]) -> _Decided:
        if k == 0:  # here, after any fork: the batches before go in, and the next are read, while these are decided
            storing.send(b"".join(blocks), then=read_next)
        part, (claims, duplicates, participants) = ClaimsReport(report.source), batch
        plan = ClaimPlan(claims, duplicates, [], by_day, pence_of, len(claims), None, today)
        return part, copy_block(lines_of(part, decide_in_file_order(plan, participants, book)))

    with (
        tempfile.TemporaryDirectory(prefix="commissioning-claims-") as folder,
        CopyInBehind(session, "pbr_claim", CLAIM_COLUMNS) as storing,
    ):
        read = read_next()
        while group := [_batch(batch, book) for batch in read]:
            # Each batch is whole participants, and no cap is in reach: the decisions are those of one process.
            decided = in_parallel(group, decide_batch, Path(folder)) if len(group) > 1 else [decide_batch(0, group[0])]
            for person in {claim.participant for claims, _, _ in group for claim in claims}:
                book.forget(person)
            for rules in cards_in_force:  # and what each card found of them (``standing``): none is seen again
                rules.standing.clear()
            for part, _ in decided:
                report.add(part)
            report.workers = max(report.workers, len(decided))
            blocks = [block for _, block in decided]
            read = storing.wait()
        storing.send(b"".join(blocks))
    store.imported(contract, fresh, before)


_Decided = tuple[ClaimsReport, bytes]
# A batch as read back: its claims, the duplicates found among them, its participants, and what was stored for
# them before (accepted, and cut to nothing by a cap).
_Read = tuple[list[Claim], dict[int, Finding], dict[str, Participant], list[tuple[Any, ...]], list[tuple[Any, ...]]]


def _read(session: Any, values: _Values, number: int, rows: Iterable[Sequence[Any]]) -> _Read:
    """Batch ``number``: its staged rows made claims (each text read as the file's values were), and its
    participants and their history, read on the connection's thread (``CopyInBehind.send``) while the
    batches before are decided. Made claims at once: the rows as read held twice the memory."""
    claims, duplicates = [], {}
    for row in rows:
        claim = values.claim(row[1:9])
        claims.append(claim)
        if row[9] is not None:
            duplicates[claim.line] = Finding(Reason.DUPLICATE_CLAIM_REF, row[9])
    participants = participants_from(participant_facts_of(session, number))
    participants.told(participants_like_of(session, number))  # ids not listed, and which listed id each is
    return claims, duplicates, participants, history_of(session, number), capped_out_of(session, number)


def _batch(read: _Read, book: Book) -> tuple[list[Claim], dict[int, Finding], dict[str, Participant]]:
    """A batch read (``_read``) for deciding: what was stored for its participants before goes into ``book``,
    which then counts nothing new for the caps. Here, not on the connection's thread: the book is the one
    the batches before were decided with."""
    claims, duplicates, participants, history, capped = read
    contract_pence, outcome_pence = book.contract_pence, dict(book.outcome_pence)
    hold_history(book, history, capped)
    book.contract_pence, book.outcome_pence = contract_pence, outcome_pence  # counted in ``totals`` already
    return claims, duplicates, participants


def _sort_references(session: Any, contract: Contract, values: _Values) -> Counter[Kind]:
    """Sort out, one reference at a time, the rows whose reference is reused, by the same ``sift`` as the
    SQLite path: each row identical to a claim known under its reference is unchanged, and a different claim
    under a spent reference is a duplicate. What it finds goes to the server by line (``note_sorted``);
    returns how many rows are unchanged, of each kind."""
    unchanged, found = Counter[Kind](), list[tuple[int, bool, str | None]]()
    for ref, group in itertools.groupby(reused_refs(session, contract.ref, contract_id(contract)), key=itemgetter(2)):
        rows = list(group)  # one reference's: a few
        book, claims = Book(), [values.claim(row[:8]) for row in rows]
        prints, standing = rows[0][8], rows[0][9]  # the same on each row
        for printed in prints or ():
            book.remember(ref, printed)
        if standing:
            book.accepted_refs.add(ref)
        _, duplicates, same = sift(book, claims)
        unchanged.update((claim.achieved_on, claim.outcome, claim.amount) for claim in same)
        found.extend((claim.line, True, None) for claim in same)
        found.extend((line, False, finding.sentence) for line, finding in duplicates.items())
        if len(found) >= SORTED_AT_ONCE:
            note_sorted(session, found)
            found = []
    note_sorted(session, found)
    return unchanged


def _import_together(
    session: Any,
    store: Storing,
    contract: Contract,
    cards: list[RateCard],
    values: _Values,
    today: dt.date,
    unchanged: int,
) -> None:
    """A contract whose claims could reach its contract or an outcome cap: decided together, in date order
    where the caps are in reach, against its whole book, as on SQLite (the contract's claims in memory).
    The ``unchanged`` rows are left out already; leaving them out changes nothing else ``sift`` finds."""
    rows = staged_batches(session, contract.ref, contract_id(contract), ALL_AT_ONCE)
    claims = [values.claim(row[1:9]) for row in rows]
    participants, book = known(session, contract)
    plan = plan_claims(cards, book, claims, today=today)
    del claims
    store.report.unchanged += unchanged + len(plan.unchanged)
    if not plan.fresh:
        return
    before = store.counted()
    rows_of = store.rows_of(contract)
    copy_in(session, "pbr_claim", CLAIM_COLUMNS, rows_of(store.report, decide_in_file_order(plan, participants, book)))
    store.imported(contract, len(plan.fresh), before)
