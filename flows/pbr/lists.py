"""The payment-by-results lists a finance officer works from: claims, payment runs, rate cards, participants, ledger.

Rule: every filter is checked before any query, and a bad one is refused in words that name what would do
(an unknown status lists the valid ones). A contract named in a filter that does not exist, or that the reader
may not see, is refused with the same words ("no contract with reference 'X'"), so a provider learns nothing
of another provider's contracts; ``providers`` (a provider user's organisation) narrows every list, in the
query, to contracts of those provider names. A period is a quarter (2026-Q1) or a month (2026-01); a run
belongs to the period it paid, and a ledger entry to the period of the run that wrote it (an entry no run
wrote yet, such as a clawback awaiting the next run, belongs to no period).

Worked example (FCF-2025-01, tests/integration/pbr/test_lists.py): claims C-1 to C-5, of which C-4
(prerequisite_missing) and C-5 (ineligible) were rejected. ``claims_list(s, contract="FCF-2025-01",
status="rejected")`` gives C-4 and C-5; with ``reason="ineligible"`` only C-5; ``status="paid"`` is refused:
"--status: 'paid' is not a claim status; use accepted, partly_accepted or rejected".
"""

import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, literal, text
from sqlalchemy import select as columns_of
from sqlmodel import Session, col, select

from flows.common.errors import NotFound, UserError
from flows.common.listing import DATE, MONEY, NUMBER, TEXT, Listing, Page, one_of, paged
from flows.common.runtime import database
from flows.common.settings import Settings
from models.contracts import Contract
from models.db import reading
from models.pbr.bulk import CHUNK  # rows read at a time when every row of a long list is read (an export)
from models.pbr.claims import PbrClaim, PbrParticipant
from models.pbr.ledger import ACCRUAL, LEDGER_KINDS, NOT_ACCRUALS, LedgerEntry, PaymentRun
from models.pbr.ratecards import RateCardVersion
from policies.pbr.claims import Reason, Verdict

PERIOD_RE = re.compile(r"^[0-9]{4}-(Q[1-4]|0[1-9]|1[0-2])$")
# A list's query: the statement, filters applied and ordered, and how one of its result rows becomes a list row
Query = tuple[Select[Any], Callable[[Any], dict[str, Any]]]


def _columns(*attributes: Any) -> Select[Any]:
    """A select of model attributes as plain columns: rows of values, not objects (a tenth of the time a row)."""
    return columns_of(*(col(a) for a in attributes))


def _listed(
    settings: Settings,
    sheet: str,
    columns: tuple[tuple[str, str, str], ...],
    query: Callable[[Session], Query],
    page: Page | None,
) -> Listing:
    """The rows ``query`` picks: all of them, or ``page`` of them with how many match, and every row read again
    a chunk at a time (``Listing.every``) for an export. ``query`` runs again for that, in a transaction of its
    own: the page and the export each see the database as it is when they read it. Both only read (``reading``):
    on SQLite an export that takes minutes, or `--json` piped to a pager, holds no write lock."""
    with reading(database(settings)) as session:
        stmt, row = query(session)
        if page is None:
            return Listing(sheet, columns, [row(r) for r in session.execute(stmt)])
        total = int(session.execute(columns_of(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one())
        rows = [row(r) for r in session.execute(stmt.limit(page.limit).offset(page.offset))]

    def every() -> Iterator[dict[str, Any]]:
        with reading(database(settings)) as session:
            again, to_row = query(session)
            for found in session.execute(again.execution_options(yield_per=CHUNK)):
                yield to_row(found)

    return Listing(sheet, columns, rows, total, page.offset, every)


def checked_period(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = value.strip().upper()
    if not PERIOD_RE.match(cleaned):
        raise UserError(f"--period: {value!r} is not a quarter such as 2026-Q1 or a month such as 2026-01")
    return cleaned


def contract_ids(session: Session, contract: str | None, providers: tuple[str, ...] | None) -> dict[int, str]:
    """The contracts a list covers (id -> ref): the one named, or all; only those of ``providers`` when given."""
    stmt = select(Contract.id, Contract.ref)
    if contract is not None:
        stmt = stmt.where(func.upper(col(Contract.ref)) == contract.strip().upper())
    if providers is not None:
        stmt = stmt.where(col(Contract.provider).in_(list(providers) or [""]))
    found = {int(i or 0): str(r) for i, r in session.exec(stmt).all()}
    if contract is not None and not found:
        raise NotFound(f"no contract with reference {contract.strip()!r}")
    return found


def _pounds(pence: int | None) -> str | None:
    return None if pence is None else f"{Decimal(pence) / 100:.2f}"


def _claimed(claimed_pence: int, amount_pence: int | None, reasons: str) -> str | None:
    """What a claim asked for; None (blank, not 0.00) when it gave no amount and no rate card priced it."""
    if amount_pence is None and not claimed_pence and Reason.NOT_ON_RATE_CARD in reasons.split(","):
        return None
    return _pounds(claimed_pence)


# Claimed is blank, not 0.00, for a claim that gave no amount of an outcome no card in force priced.
CLAIM_COLUMNS = (
    ("contract", "Contract", TEXT), ("claim", "Claim", TEXT), ("participant", "Participant", TEXT),
    ("outcome", "Outcome", TEXT), ("achieved_on", "Achieved on", DATE), ("status", "Status", TEXT),
    ("claimed", "Claimed", MONEY), ("payable", "Payable", MONEY), ("reasons", "Reasons", TEXT),
)  # fmt: skip


def claims_list(
    settings: Settings,
    *,
    contract: str | None = None,
    status: str | None = None,
    reason: str | None = None,
    participant: str | None = None,
    providers: tuple[str, ...] | None = None,
    page: Page | None = None,
) -> Listing:
    """Claims by contract, achieved date and reference, with their verdicts and reasons."""
    verdict = one_of("--status", status, tuple(v.value for v in Verdict), "a claim status")
    code = one_of("--reason", reason, tuple(r.value for r in Reason), "a reason code")

    def query(session: Session) -> Query:
        refs = contract_ids(session, contract, providers)
        c = PbrClaim
        stmt = _columns(c.contract_id, c.ref, c.participant, c.outcome, c.achieved_on, c.verdict, c.claimed_pence,
                        c.payable_pence, c.reasons, c.amount_pence)  # fmt: skip
        stmt = stmt.where(col(c.contract_id).in_(list(refs) or [0]))
        if verdict is not None:
            stmt = stmt.where(col(c.verdict) == verdict)
        if participant is not None:
            stmt = stmt.where(col(c.participant) == participant.strip())
        if code is not None:  # reasons are comma-separated codes; no code is a prefix of another's tail
            stmt = stmt.where(literal(",").concat(col(c.reasons)).concat(",").like(f"%,{code},%"))
        # a reference claimed again is a second row (rejected as a duplicate): the id lists them as imported
        order = (col(c.contract_id), col(c.achieved_on), col(c.ref), col(c.id))

        def row(r: Any) -> dict[str, Any]:
            return {
                "contract": refs[r[0]], "claim": r[1], "participant": r[2], "outcome": r[3],
                "achieved_on": r[4].isoformat(), "status": r[5], "claimed": _claimed(r[6], r[9], r[8]),
                "payable": _pounds(r[7]),
                "reasons": r[8],
            }  # fmt: skip

        return stmt.order_by(*order), row

    return _listed(settings, "Claims", CLAIM_COLUMNS, query, page)


RUN_COLUMNS = (
    ("contract", "Contract", TEXT), ("period", "Period", TEXT), ("run_on", "Run on", DATE),
    ("claims", "Claims", NUMBER), ("paid", "Paid", MONEY), ("by", "By", TEXT),
)  # fmt: skip


def runs_list(
    settings: Settings,
    *,
    contract: str | None = None,
    period: str | None = None,
    providers: tuple[str, ...] | None = None,
    page: Page | None = None,
) -> Listing:
    """Payment runs by contract and period: when each ran, how many claims it paid and what it paid in all."""
    label = checked_period(period)
    with reading(database(settings)) as session:
        refs = contract_ids(session, contract, providers)
        stmt = select(PaymentRun).where(col(PaymentRun.contract_id).in_(list(refs) or [0]))
        if label is not None:
            stmt = stmt.where(PaymentRun.period == label)
        runs = session.exec(
            stmt.order_by(col(PaymentRun.contract_id), col(PaymentRun.period_start), col(PaymentRun.id))
        )
        rows = [
            {
                "contract": refs[r.contract_id], "period": r.period, "run_on": r.run_on.isoformat(),
                "claims": int(r.summary.get("claims", 0)), "paid": r.summary.get("paid", "0.00"), "by": r.actor,
            }
            for r in runs
        ]  # fmt: skip
    return paged(Listing("Payment runs", RUN_COLUMNS, rows), page)


RATECARD_COLUMNS = (
    ("contract", "Contract", TEXT), ("name", "Name", TEXT), ("effective_from", "Effective from", DATE),
    ("frequency", "Frequency", TEXT), ("outcomes", "Outcomes", NUMBER), ("contract_cap", "Contract cap", MONEY),
    ("source", "Source", TEXT), ("by", "By", TEXT),
)  # fmt: skip


def ratecards_list(
    settings: Settings,
    *,
    contract: str | None = None,
    providers: tuple[str, ...] | None = None,
    page: Page | None = None,
) -> Listing:
    """Every rate-card version by contract, oldest first: the one in force on a day is the latest before it."""
    with reading(database(settings)) as session:
        refs = contract_ids(session, contract, providers)
        stmt = select(RateCardVersion).where(col(RateCardVersion.contract_id).in_(list(refs) or [0]))
        cards = session.exec(stmt.order_by(col(RateCardVersion.contract_id), col(RateCardVersion.effective_from)))
        rows = [
            {
                "contract": refs[v.contract_id], "name": v.terms.get("name", ""),
                "effective_from": v.effective_from.isoformat(), "frequency": v.terms.get("frequency", "quarterly"),
                "outcomes": len(v.terms.get("outcomes", [])), "contract_cap": v.terms.get("contract_cap"),
                "source": v.source, "by": v.actor,
            }
            for v in cards
        ]  # fmt: skip
    return paged(Listing("Rate cards", RATECARD_COLUMNS, rows), page)


PARTICIPANT_COLUMNS = (
    ("contract", "Contract", TEXT), ("participant", "Participant", TEXT), ("referral_date", "Referred on", DATE),
    ("born", "Born", DATE), ("attributes", "Attributes", TEXT),
)  # fmt: skip


def participants_list(
    settings: Settings,
    *,
    contract: str | None = None,
    providers: tuple[str, ...] | None = None,
    page: Page | None = None,
) -> Listing:
    """Participants by contract and reference, with the facts eligibility looks at."""

    def query(session: Session) -> Query:
        refs = contract_ids(session, contract, providers)
        p = PbrParticipant
        stmt = _columns(p.contract_id, p.ref, p.referral_date, p.born, p.attributes).where(
            col(p.contract_id).in_(list(refs) or [0])
        )

        def row(r: Any) -> dict[str, Any]:
            return {
                "contract": refs[r[0]], "participant": r[1], "referral_date": r[2].isoformat(),
                "born": r[3].isoformat() if r[3] else None,
                "attributes": "; ".join(f"{k}={v}" for k, v in sorted(r[4].items())),
            }  # fmt: skip

        return stmt.order_by(col(p.contract_id), col(p.ref)), row

    return _listed(settings, "Participants", PARTICIPANT_COLUMNS, query, page)


LEDGER_COLUMNS = (
    ("id", "Entry", NUMBER), ("contract", "Contract", TEXT), ("entry_on", "Entry on", DATE),
    ("period", "Period", TEXT), ("payer", "Payer", TEXT), ("kind", "Kind", TEXT), ("item", "Item", TEXT),
    ("amount", "Amount", MONEY), ("claim", "Claim", TEXT), ("reverses", "Reverses", NUMBER),
)  # fmt: skip


def ledger_list(
    settings: Settings,
    *,
    contract: str | None = None,
    payer: str | None = None,
    period: str | None = None,
    kind: str | None = None,
    providers: tuple[str, ...] | None = None,
    page: Page | None = None,
) -> Listing:
    """Ledger entries in the order written (the ledger is append-only: a correction is a reversal entry)."""
    label, chosen = checked_period(period), one_of("--kind", kind, LEDGER_KINDS, "a ledger kind")

    def query(session: Session) -> Query:
        refs = contract_ids(session, contract, providers)
        e = LedgerEntry
        columns = (e.id, e.contract_id, e.entry_on, PaymentRun.period, e.payer, e.kind, e.item, e.amount_pence,
                   PbrClaim.ref, e.reverses_id)  # fmt: skip
        stmt = (
            _columns(*columns)
            .outerjoin(PaymentRun, col(PaymentRun.id) == col(e.run_id))
            .outerjoin(PbrClaim, col(PbrClaim.id) == col(e.claim_id))
            .where(col(e.contract_id).in_(list(refs) or [0]))
        )
        if payer is not None:
            stmt = stmt.where(func.lower(col(e.payer)) == payer.strip().lower())
        if label is not None:
            stmt = stmt.where(col(PaymentRun.period) == label)
        if chosen is not None:
            stmt = stmt.where(col(e.kind) == chosen)
        if chosen is not None and chosen != ACCRUAL:
            # the ledger's payer index holds every entry but the accruals: named, a contract's are read from it
            stmt = stmt.where(text(f"pbr_ledger.{NOT_ACCRUALS}"))

        def row(r: Any) -> dict[str, Any]:
            return {
                "id": r[0], "contract": refs[r[1]], "entry_on": r[2].isoformat(), "period": r[3], "payer": r[4],
                "kind": r[5], "item": r[6], "amount": _pounds(r[7]), "claim": r[8], "reverses": r[9],
            }  # fmt: skip

        return stmt.order_by(col(e.id)), row

    return _listed(settings, "Ledger", LEDGER_COLUMNS, query, page)
