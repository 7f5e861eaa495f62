"""Payment by results, step one: a claims file validated by the rate card and stored, every claim, or nothing.

The import is one transaction and idempotent. A file with a malformed row
(a missing or unknown value, a bad date or amount, an unknown contract or
outcome code) is refused whole, naming each row's line, field and reason:
nothing of it is kept (flows/pbr/claims_check.py reads and checks it, in one
pass). A well-formed
claims file is validated by the pure rules in policies/pbr/claim_rules.py;
accepted, partly accepted and rejected claims are all stored, with their
reasons, and the report lists the rejections by line. Importing the same file
again adds nothing and records nothing.

A big file on SQLite is decided on every core, by forked workers that each
decide a share of whole participants (flows/pbr/claims_parallel.py). On
SQLite every file's claims are stored in pay order (by contract, day
achieved, then line: ``PAY_ORDER``), so that a payment run's claims lie
together, whatever order the file was in; their ids follow that order. A CSV
file on PostgreSQL is streamed through COPY into a staging table, checked in
SQL and decided a batch of participants at a time (flows/pbr/claims_copy.py),
never held whole.
"""

import contextlib
import datetime as dt
import gc
import hashlib
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from flows.common.errors import UserError
from flows.common.files import source_name
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.common.tabular import CSV_SUFFIXES
from flows.pbr.claims_check import read_checked_claims
from flows.pbr.claims_copy import import_by_copy
from flows.pbr.claims_parallel import (
    PARALLEL_FROM,
    PAY_ORDER,
    decide_in_parallel,
    in_pay_order,
    move_in,
    worker_shares,
)
from flows.pbr.claims_report import ClaimsReport
from flows.pbr.claims_store import Storing, known
from models.contracts import get_contract
from models.db import unit_of_work
from models.pbr.bulk import bulk_insert, can_stage, stage_rows
from models.pbr.claims import CLAIM_COLUMNS
from models.pbr.claims_stage import can_copy, copy_in
from policies.dates import local_date
from policies.pbr.validation import decide_in_file_order, plan_claims


def import_claims(
    settings: Settings,
    path: Path,
    *,
    as_of: dt.datetime,
    actor: str,
    workers: int | None = None,
    problems: Path | None = None,
    only: str | None = None,
) -> ClaimsReport:
    """Check every row, validate the claims by the rate card, and store them all, or nothing.

    ``workers``: how many processes decide the claims (see ``worker_shares``); None for one per core.
    ``problems``: a CSV to write every problem to when the file is refused as malformed.
    ``only``: the one contract the file may hold claims for (an upload on that contract's page)."""
    with _no_cycle_collection():
        return _import_claims(settings, path, as_of=as_of, actor=actor, workers=workers, problems=problems,
                              only=only)  # fmt: skip


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A million claims are millions of small objects and no reference cycles: the cycle collector would
    walk them again and again as they are made (a quarter of the import's time), and find nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import_claims(
    settings: Settings,
    path: Path,
    *,
    as_of: dt.datetime,
    actor: str,
    workers: int | None,
    problems: Path | None,
    only: str | None,
) -> ClaimsReport:
    raw_digest = _sha256(path)
    source = source_name(path, settings.data_dir)  # an upload by its own name, never the server's folder
    # Side files of rows decided in other processes live until the transaction that moved them in is over.
    with contextlib.ExitStack() as scratch, unit_of_work(database(settings)) as session:
        today = local_date(as_of, settings.timezone)  # a claim achieved after it is rejected
        if can_copy(session) and path.suffix.lower() in CSV_SUFFIXES:  # PostgreSQL: streamed through COPY
            report = import_by_copy(session, path, raw_digest, as_of=as_of, actor=actor, today=today, problems=problems,
                                    only=only, source=source)  # fmt: skip
        else:
            report = _import_read(
                session, path, raw_digest, scratch, as_of=as_of, actor=actor, workers=workers, today=today,
                problems=problems, only=only, source=source,
            )  # fmt: skip
    return report


def _import_read(
    session: Any,
    path: Path,
    raw_digest: str,
    scratch: contextlib.ExitStack,
    *,
    as_of: dt.datetime,
    actor: str,
    workers: int | None,
    today: dt.date,
    problems: Path | None,
    only: str | None,
    source: str,
) -> ClaimsReport:
    """The file read whole into memory and decided by contract (on SQLite, on every core when it pays)."""
    checked, rows = read_checked_claims(session, path, report=problems, only=only)  # every problem named
    # Two imports of one contract's claims at once (two tabs, two clicks): the second waits here until the
    # first commits, then finds its claims already stored. In ref order, so two files cannot deadlock.
    for ref in sorted({c.ref for c, _, _ in checked}):
        get_contract(session=session, ref=ref, for_update=True)
    store = Storing(session, path, raw_digest, as_of, actor, ClaimsReport(source, rows=rows))
    report = store.report
    while checked:
        contract, cards, claims = checked.pop(0)
        participants, book = known(session, contract)
        plan = plan_claims(cards, book, claims, today=today)
        del claims
        fresh = len(plan.fresh)
        report.unchanged += len(plan.unchanged)
        if not fresh:
            continue
        before = store.counted()
        rows_of = store.rows_of(contract)
        owner = worker_shares(session, plan, workers)
        if owner is None and fresh >= PARALLEL_FROM and can_stage(session):
            # SQLite, a big file with a cap in reach: staged in pay order in one side file, as the workers stage
            # theirs (the rows would not all be held to be sorted)
            folder = Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="commissioning-claims-")))
            staged = [folder / "claims.db"]
            decisions = decide_in_file_order(plan, participants, book)
            stage_rows(staged[0], CLAIM_COLUMNS, rows_of(report, decisions), key=PAY_ORDER)
            del plan, participants, book, decisions
            move_in(session, staged, fresh)
        elif owner is None:
            # SQLite, a small file: sorted here into pay order (a side file each would soon reach SQLite's limit
            # of ten attached files); PostgreSQL (a workbook): in file order, in one COPY, one statement, so that
            # 0031's statement-level triggers sum the claims once (the driver's executemany is a statement a row)
            decisions = decide_in_file_order(plan, participants, book)
            claim_rows: Iterable[tuple[Any, ...]] = rows_of(report, decisions)
            if can_stage(session):
                bulk_insert(session, "pbr_claim", CLAIM_COLUMNS, sorted(claim_rows, key=in_pay_order), prepared=True)
            else:
                copy_in(session, "pbr_claim", CLAIM_COLUMNS, claim_rows)
        else:
            folder = Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="commissioning-claims-")))
            staged = decide_in_parallel(report, folder, owner, rows_of, plan, participants, book)
            # Decided: the claims and what they were checked against go before their rows go in, so that
            # the page cache the rows need takes the room they leave.
            del plan, participants, book
            move_in(session, staged, fresh)
        store.imported(contract, fresh, before)
    return store.finish()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise UserError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    return digest.hexdigest()
