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
decide a share of whole participants (flows/pbr/claims_parallel.py).
"""

import contextlib
import datetime as dt
import functools
import gc
import hashlib
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.claims_check import read_checked_claims
from flows.pbr.claims_parallel import PARALLEL_FROM, decide_in_parallel, move_in, worker_shares
from flows.pbr.claims_report import ClaimsReport, Rejection
from flows.pbr.contract import contract_id
from models.contracts import Contract, get_contract
from models.db import unit_of_work
from models.events import append_event
from models.pbr.bulk import bulk_insert, driver_date, import_cache
from models.pbr.claims import (
    CLAIM_COLUMNS,
    ClaimImport,
    accepted_claims,
    capped_out_claims,
    claim_fingerprints,
    participant_facts,
)
from models.pbr.ledger import clawed_back_claims
from models.pbr.ratecards import rate_cards_of
from policies.dates import local_date
from policies.pbr.book import Book
from policies.pbr.claims import CAP_REASONS, Decision, Reason, Verdict, fingerprint, pence, pounds
from policies.pbr.participants import Participant
from policies.pbr.validation import decide_in_file_order, plan_claims


def import_claims(
    settings: Settings, path: Path, *, as_of: dt.datetime, actor: str, workers: int | None = None
) -> ClaimsReport:
    """Check every row, validate the claims by the rate card, and store them all, or nothing.

    ``workers``: how many processes decide the claims (see ``worker_shares``); None for one per core."""
    with _no_cycle_collection():
        return _import_claims(settings, path, as_of=as_of, actor=actor, workers=workers)


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
    settings: Settings, path: Path, *, as_of: dt.datetime, actor: str, workers: int | None
) -> ClaimsReport:
    raw_digest = _sha256(path)
    # Side files of rows decided in other processes live until the transaction that moved them in is over.
    with contextlib.ExitStack() as scratch, unit_of_work(database(settings)) as session:
        checked, rows = read_checked_claims(session, path)  # every row, or a refusal naming every problem
        # Two imports of one contract's claims at once (two tabs, two clicks): the second waits here until the
        # first commits, then finds its claims already stored. In ref order, so two files cannot deadlock.
        for ref in sorted({c.ref for c, _, _ in checked}):
            get_contract(session=session, ref=ref, for_update=True)
        report = ClaimsReport(str(path), rows=rows)
        import_row: ClaimImport | None = None
        today = local_date(as_of, settings.timezone)  # a claim achieved after it is rejected
        while checked:
            contract, cards, claims = checked.pop(0)
            participants, book = known_claims(session, contract)
            plan = plan_claims(cards, book, claims, today=today)
            del claims
            fresh = len(plan.fresh)
            report.unchanged += len(plan.unchanged)
            if not fresh:
                continue
            if import_row is None:
                import_row = ClaimImport(
                    source=str(path)[:300],
                    sha256=raw_digest,
                    imported_at=as_of,
                    actor=actor,
                    rows=rows,
                    added=0,
                    unchanged=0,
                    accepted=0,
                    partly_accepted=0,
                    rejected=0,
                )
                session.add(import_row)
                session.flush()
            assert import_row.id is not None
            card_ids = {
                v.effective_from: v.id for v in rate_cards_of(session=session, contract_id=contract_id(contract))
            }
            payable_before = report.payable
            counted_before = (report.accepted, report.partly_accepted, report.rejected)
            rows_of = functools.partial(
                _claim_rows,
                contract=contract,
                import_id=import_row.id,
                card_ids=card_ids,
                as_date=driver_date(session),
            )
            owner = worker_shares(session, plan, workers)
            if owner is None:
                decisions = decide_in_file_order(plan, participants, book)
                if fresh >= PARALLEL_FROM:
                    import_cache(session)
                bulk_insert(session, "pbr_claim", CLAIM_COLUMNS, rows_of(report, decisions), prepared=True)
            else:
                folder = Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="commissioning-claims-")))
                staged = decide_in_parallel(report, folder, owner, rows_of, plan, participants, book)
                # Decided: the claims and what they were checked against go before their rows go in, so that
                # the page cache the rows need takes the room they leave.
                del plan, participants, book
                move_in(session, staged, fresh)
            append_event(
                session=session,
                effective_at=as_of,
                actor=actor,
                entity="contract",
                entity_ref=contract.ref,
                action="claims_imported",
                after={
                    "source": str(path),
                    "rows": rows,
                    "claims": fresh,
                    "accepted": report.accepted - counted_before[0],
                    "partly_accepted": report.partly_accepted - counted_before[1],
                    "rejected": report.rejected - counted_before[2],
                    "payable": f"{report.payable - payable_before:.2f}",
                },
            )
        report.added = report.accepted + report.partly_accepted + report.rejected
        if import_row is not None:
            import_row.added = report.added
            import_row.unchanged = report.unchanged
            import_row.accepted = report.accepted
            import_row.partly_accepted = report.partly_accepted
            import_row.rejected = report.rejected
            session.add(import_row)
    report.rejections.sort(key=lambda r: r.line)
    return report


NO_ATTRIBUTES: Mapping[str, str] = MappingProxyType({})  # one for every participant with none


def known_claims(session: Any, contract: Contract) -> tuple[dict[str, Participant], Book]:
    """The contract's participants, and a book of what it has accepted (net of clawbacks) and every
    reference it has seen: what the rules check new claims against."""
    cid = contract_id(contract)
    participants = {
        ref: Participant(ref, referral, born, attributes or NO_ATTRIBUTES)
        for ref, referral, born, attributes in participant_facts(session=session, contract_id=cid)
    }
    book = Book()
    for ref, printed in claim_fingerprints(session=session, contract_id=cid):
        book.remember(ref, printed)
    clawed = clawed_back_claims(session=session, contract_id=cid)
    for claim_id, ref, participant, outcome, achieved_on, payable_pence in accepted_claims(
        session=session, contract_id=cid
    ):
        if claim_id not in clawed:
            book.hold(ref, participant, outcome, achieved_on, payable_pence)
    for ref, participant, outcome, reasons in capped_out_claims(session=session, contract_id=cid):
        caps = [Reason(code) for code in reasons.split(",") if code in CAP_REASONS]
        if caps:  # the cap that took the last of it
            book.cap_out(ref, participant, outcome, caps[-1])
    return participants, book


_VERDICT_TEXT = {verdict: verdict.value for verdict in Verdict}


def _claim_rows(
    report: ClaimsReport,
    decisions: Iterable[Decision],
    *,
    contract: Contract,
    import_id: int,
    card_ids: Mapping[dt.date, int | None],
    as_date: Callable[[dt.date], Any],
) -> Iterator[tuple[Any, ...]]:
    """Rows in the driver's form, counted into ``report`` as they go. A million claims share a few
    hundred days and amounts, so each is converted (and written for the fingerprint) once."""
    cid = contract_id(contract)
    days: dict[dt.date, tuple[Any, str]] = {}
    amounts: dict[Decimal | None, tuple[int | None, str]] = {None: (None, "None")}
    claimed = payable = capped = rows = 0
    counts = Counter[Verdict]()  # of the claims with findings; the rest are accepted in full
    verdicts = _VERDICT_TEXT
    for d in decisions:
        rows += 1
        line, ref, participant, outcome, achieved_on, amount_of, evidence = d.claim
        day = days.get(achieved_on)
        if day is None:
            day = days[achieved_on] = (as_date(achieved_on), achieved_on.isoformat())
        amount = amounts.get(amount_of)
        if amount is None and amount_of is not None:
            amount = amounts[amount_of] = (pence(amount_of), str(amount_of))
        assert amount is not None
        claimed += d.claimed_pence
        payable += d.payable_pence
        findings = d.findings
        if findings:
            capped += d.capped_pence
            counts[d.verdict] += 1
            codes = [f.code.value for f in findings]
            sentences = [f.sentence for f in findings]
            report.by_reason.update(codes)
            report.rejections.append(
                Rejection(
                    line,
                    ref,
                    contract.ref,
                    participant,
                    outcome,
                    d.verdict.value,
                    f"{d.claimed:.2f}",
                    f"{d.payable:.2f}",
                    codes,
                    sentences,
                )
            )
            reasons, notes = ",".join(codes), " | ".join(sentences)
        else:
            reasons = notes = ""
        yield (
            cid,
            import_id,
            line,
            ref,
            fingerprint(ref, participant, outcome, day[1], amount[1], evidence),
            participant,
            outcome,
            day[0],
            evidence,
            amount[0],
            d.claimed_pence,
            d.price_pence,
            d.payable_pence,
            d.capped_pence,
            verdicts[d.verdict],
            reasons,
            notes,
            card_ids.get(d.card.effective_from) if d.card else None,
        )
    report.accepted += rows - counts[Verdict.PARTLY_ACCEPTED] - counts[Verdict.REJECTED]  # accepted: no findings
    report.partly_accepted += counts[Verdict.PARTLY_ACCEPTED]
    report.rejected += counts[Verdict.REJECTED]
    report.claimed += pounds(claimed)
    report.payable += pounds(payable)
    report.capped += pounds(capped)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise UserError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    return digest.hexdigest()
