"""What both claims imports share: the book a contract's claims are checked against, the claim rows in the
driver's form (counted into the report as they go), the import's own row and its events.

The SQLite import (flows/pbr/claims_import.py) and the PostgreSQL one through ``COPY``
(flows/pbr/claims_copy.py) store exactly the same rows, counts and events through ``Storing``.
"""

import datetime as dt
import functools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from flows.pbr.claims_report import ClaimsReport, Rejection
from flows.pbr.contract import contract_id
from models.contracts import Contract
from models.events import append_event
from models.pbr.bulk import driver_date
from models.pbr.claims import (
    CLAIM_COLUMNS,
    ClaimImport,
    accepted_claims,
    capped_out_claims,
    claim_fingerprints,
    participant_facts,
)
from models.pbr.copy_text import COPY_NULL, copy_line
from models.pbr.ledger import clawed_back_claims
from models.pbr.ratecards import rate_cards_of
from policies.pbr.book import Book
from policies.pbr.claims import CAP_REASONS, Decision, Reason, Verdict, fingerprint, pence, pounds
from policies.pbr.participants import Participant, Roster

NO_ATTRIBUTES: Mapping[str, str] = MappingProxyType({})  # one for every participant with none

RowsOf = Callable[[ClaimsReport, Iterable[Decision]], Iterator[Any]]  # rows (tuples), or lines of COPY text


def participants_from(facts: Iterable[tuple[str, dt.date, dt.date | None, Any]]) -> Roster:
    return Roster(
        (ref, Participant(ref, referral, born, attributes or NO_ATTRIBUTES))
        for ref, referral, born, attributes in facts
    )


def hold_history(book: Book, accepted: Iterable[tuple[Any, ...]], capped: Iterable[tuple[Any, ...]]) -> None:
    """Put into ``book`` what was accepted, (ref, participant, outcome, achieved_on, payable_pence) in achieved
    order, and the claims a cap cut to nothing, (ref, participant, outcome, reasons) in achieved order."""
    for ref, participant, outcome, achieved_on, payable_pence in accepted:
        book.hold(ref, participant, outcome, achieved_on, payable_pence)
    for ref, participant, outcome, reasons in capped:
        caps = [Reason(code) for code in reasons.split(",") if code in CAP_REASONS]
        if caps:  # the cap that took the last of it
            book.cap_out(ref, participant, outcome, caps[-1])


def known(session: Any, contract: Contract) -> tuple[dict[str, Participant], Book]:
    """The contract's participants, and a book of what it has accepted (net of clawbacks) and every
    reference it has seen: what the rules check new claims against."""
    cid = contract_id(contract)
    participants = participants_from(participant_facts(session=session, contract_id=cid))
    book = Book()
    for ref, printed in claim_fingerprints(session=session, contract_id=cid):
        book.remember(ref, printed)
    clawed = clawed_back_claims(session=session, contract_id=cid)
    accepted = (row[1:] for row in accepted_claims(session=session, contract_id=cid) if row[0] not in clawed)
    hold_history(book, accepted, capped_out_claims(session=session, contract_id=cid))
    return participants, book


@dataclass
class Storing:
    """One import's writing: its ``claim_import`` row (made with the first new claim), each contract's claim
    rows, its event, and the counts at the end."""

    session: Any
    path: Path
    sha256: str
    as_of: dt.datetime
    actor: str
    report: ClaimsReport
    import_row: ClaimImport | None = None

    def rows_of(self, contract: Contract, *, as_copy: bool = False) -> RowsOf:
        """The contract's decisions as pbr_claim rows (``CLAIM_COLUMNS``), counted into the report; ``as_copy``:
        each row as its line of ``COPY`` text instead (PostgreSQL), made straight from the decision."""
        if self.import_row is None:
            self.import_row = ClaimImport(
                source=self.report.source[:300],
                sha256=self.sha256,
                imported_at=self.as_of,
                actor=self.actor,
                rows=self.report.rows,
                added=0,
                unchanged=0,
                accepted=0,
                partly_accepted=0,
                rejected=0,
            )
            self.session.add(self.import_row)
            self.session.flush()
        assert self.import_row.id is not None
        cards = rate_cards_of(session=self.session, contract_id=contract_id(contract))
        return functools.partial(
            _claim_rows,
            contract=contract,
            import_id=self.import_row.id,
            card_ids={v.effective_from: v.id for v in cards},
            as_date=driver_date(self.session),
            as_copy=as_copy,
        )

    def counted(self) -> tuple[int, int, int, Decimal]:
        r = self.report
        return r.accepted, r.partly_accepted, r.rejected, r.payable

    def imported(self, contract: Contract, claims: int, before: tuple[int, int, int, Decimal]) -> None:
        """The contract's event: its ``claims`` new claims, counted since ``before`` (``counted()``)."""
        r = self.report
        append_event(
            session=self.session,
            effective_at=self.as_of,
            actor=self.actor,
            entity="contract",
            entity_ref=contract.ref,
            action="claims_imported",
            after={
                "source": self.report.source,
                "rows": r.rows,
                "claims": claims,
                "accepted": r.accepted - before[0],
                "partly_accepted": r.partly_accepted - before[1],
                "rejected": r.rejected - before[2],
                "payable": f"{r.payable - before[3]:.2f}",
            },
        )

    def finish(self) -> ClaimsReport:
        report = self.report
        report.added = report.accepted + report.partly_accepted + report.rejected
        if self.import_row is not None:
            self.import_row.added = report.added
            self.import_row.unchanged = report.unchanged
            self.import_row.accepted = report.accepted
            self.import_row.partly_accepted = report.partly_accepted
            self.import_row.rejected = report.rejected
            self.session.add(self.import_row)
        return report


_VERDICT_TEXT = {verdict: verdict.value for verdict in Verdict}
_TABS = len(CLAIM_COLUMNS) - 1  # between the cells of a line of COPY text


def _claim_rows(
    report: ClaimsReport,
    decisions: Iterable[Decision],
    *,
    contract: Contract,
    import_id: int,
    card_ids: Mapping[dt.date, int | None],
    as_date: Callable[[dt.date], Any],
    as_copy: bool = False,
) -> Iterator[Any]:
    """Rows in the driver's form, counted into ``report`` as they go. A million claims share a few
    hundred days and amounts, so each is converted (and written for the fingerprint) once.

    ``as_copy``: each row as its line of ``COPY`` text (``copy_line``'s), written in one f-string with the
    day, amount and card already as text: at ten million claims, formatting the rows cell by cell took
    a tenth of the importer's CPU. A line that needs escaping (a tab, line break or backslash in a text)
    is made again cell by cell by ``copy_line``."""
    cid = contract_id(contract)
    # Each as (the driver's value, the fingerprint's text, the COPY text).
    days: dict[dt.date, tuple[Any, str, str]] = {}
    amounts: dict[Decimal | None, tuple[int | None, str, str]] = {None: (None, "None", COPY_NULL)}
    cards = {day: COPY_NULL if card is None else str(card) for day, card in card_ids.items()}
    head = f"{cid}\t{import_id}\t"
    claimed = payable = capped = rows = 0
    counts = Counter[Verdict]()  # of the claims with findings; the rest are accepted in full
    verdicts = _VERDICT_TEXT
    for d in decisions:
        rows += 1
        line, ref, participant, outcome, achieved_on, amount_of, evidence = d.claim
        day = days.get(achieved_on)
        if day is None:
            value = as_date(achieved_on)
            day = days[achieved_on] = (value, achieved_on.isoformat(), str(value))
        amount = amounts.get(amount_of)
        if amount is None and amount_of is not None:
            cents = pence(amount_of)
            amount = amounts[amount_of] = (cents, str(amount_of), str(cents))
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
        printed = fingerprint(ref, participant, outcome, day[1], amount[1], evidence)
        card = d.card.effective_from if d.card else None
        if as_copy:
            text = (
                f"{head}{line}\t{ref}\t{printed}\t{participant}\t{outcome}\t{day[2]}\t{evidence}\t{amount[2]}\t"
                f"{d.claimed_pence}\t{d.price_pence}\t{d.payable_pence}\t{d.capped_pence}\t{verdicts[d.verdict]}\t"
                f"{reasons}\t{notes}\t{cards.get(card, COPY_NULL) if card else COPY_NULL}"
            )
            nulls = (amount[0] is None) + (card is None or card_ids.get(card) is None)
            if text.count("\t") == _TABS and "\n" not in text and "\r" not in text and text.count("\\") == nulls:
                yield text
                continue
        row = (
            cid,
            import_id,
            line,
            ref,
            printed,
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
            card_ids.get(card) if card else None,
        )
        yield copy_line(row) if as_copy else row
    report.accepted += rows - counts[Verdict.PARTLY_ACCEPTED] - counts[Verdict.REJECTED]  # accepted: no findings
    report.partly_accepted += counts[Verdict.PARTLY_ACCEPTED]
    report.rejected += counts[Verdict.REJECTED]
    report.claimed += pounds(claimed)
    report.payable += pounds(payable)
    report.capped += pounds(capped)
