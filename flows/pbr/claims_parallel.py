"""A big claims file decided on every core, and the rows the other processes decided moved in.

On SQLite, when no contract or outcome cap is in reach, no participant's claims
depend on another's, so forked workers each decide a share of whole
participants and write their rows to a side file, which the import's one
transaction then moves in (``worker_shares``). The side files live in a
temporary folder until that transaction is over.
"""

import heapq
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from flows.common.workers import can_fork, cores, in_parallel
from flows.pbr.claims_report import ClaimsReport
from models.pbr.bulk import (
    attach_staged,
    bulk_insert,
    can_attach,
    can_stage,
    import_cache,
    insert_staged,
    stage_rows,
    staged_rows,
)
from models.pbr.claims import CLAIM_COLUMNS
from policies.pbr.book import Book
from policies.pbr.claims import Decision
from policies.pbr.participants import Participant
from policies.pbr.validation import ClaimPlan, decide

# From this many claims to decide, a file is big: decided on every core when it can be (forking costs more
# than it saves below), and stored with a bigger page cache on SQLite (models.pbr.bulk.import_cache).
PARALLEL_FROM = 50_000

# The order a big import stores its claims in: the order a payment run reads and marks them (a contract's claims
# due by a day). A file spanning many quarters stored in file order spreads each quarter's claims over every page
# of the table: at a million claims, a run's marking of the 205,072 claims it accrued dirtied all 33,000 pages
# (1.9 s, and 0.9 s more to commit them), against 7,555 pages (0.7 s and 0.1 s) in this order. The claims of one
# day keep their file order, so a run's order (achieved, then ref, then id) is the same either way.
PAY_ORDER = ("contract_id", "achieved_on", "line")
# A claim row's place in that order, for the rows of a small file sorted in memory.
in_pay_order = operator.itemgetter(*(CLAIM_COLUMNS.index(name) for name in PAY_ORDER))


def worker_shares(session: Any, plan: ClaimPlan, workers: int | None) -> dict[str, int] | None:
    """Each participant's share, one share per worker process (see ``ClaimPlan.share_out``), or None to
    decide all the claims here, in one process.

    Shared out only when it pays and is safe: on SQLite (the other processes write side files that
    SQLite moves in), with enough claims, and when no contract or outcome cap is in reach (then no
    participant's decisions depend on another's, and each share is whole participants)."""
    count = cores() if workers is None else workers
    if count < 2 or not can_fork() or not can_stage(session) or not plan.independent:
        return None
    if workers is None and len(plan.fresh) < PARALLEL_FROM:
        return None
    return plan.share_out(count)


def decide_in_parallel(
    report: ClaimsReport,
    folder: Path,
    owner: Mapping[str, int],
    rows_of: Callable[[ClaimsReport, Iterable[Decision]], Iterator[tuple[Any, ...]]],
    plan: ClaimPlan,
    participants: Mapping[str, Participant],
    book: Book,
) -> list[Path]:
    """Decide each share of the claims in a process of its own, at once, each writing its rows to a side
    file in ``folder`` as it decides them, kept in pay order (``PAY_ORDER``); count them into ``report``; return
    the files.

    Each process decides against its own copy of ``book``: the shares are whole participants, and no
    cap that joins participants is in reach, so the decisions are those of one process."""

    def decide_share(share: int, _: None) -> tuple[ClaimsReport, Path]:
        part, staged = ClaimsReport(report.source), folder / f"claims-{share}.db"
        decisions = decide(plan, participants, book, plan.part(owner, share), forget=True)
        stage_rows(staged, CLAIM_COLUMNS, rows_of(part, decisions), key=PAY_ORDER)
        return part, staged

    # The references were needed only to sort the claims out: freed now, neither process keeps a copy.
    book.refs.clear()
    shares = len(set(owner.values()))
    parts = in_parallel([None] * shares, decide_share, folder)
    report.workers = max(report.workers, shares)
    for part, _ in parts:
        report.add(part)
    return [staged for _, staged in parts]


def move_in(session: Any, staged: Sequence[Path], claims: int) -> None:
    """Move the rows of the side files into pbr_claim, in pay order (``PAY_ORDER``), in this session's
    transaction: SQLite merges the files, each already in that order."""
    # Only now, in this process alone: a cache filled before the fork would be in every worker too.
    import_cache(session)
    if can_attach(session, len(staged)):
        names = attach_staged(session, staged)
        moved = insert_staged(session, "pbr_claim", CLAIM_COLUMNS, names, key=PAY_ORDER)
    else:  # a file of many big contracts has used up SQLite's ten attached files: merged here, in pay order
        files = [staged_rows(path, CLAIM_COLUMNS, PAY_ORDER) for path in staged]
        moved = bulk_insert(session, "pbr_claim", CLAIM_COLUMNS, heapq.merge(*files, key=in_pay_order), prepared=True)
    if moved != claims:
        raise RuntimeError(f"{moved} claim rows staged for {claims} claims")
