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
from decimal import Decimal

from sqlalchemy import func, literal, text
from sqlmodel import Session, col, select

from flows.common.errors import NotFound, UserError
from flows.common.listing import DATE, MONEY, NUMBER, TEXT, Listing, one_of
from flows.common.runtime import database
from flows.common.settings import Settings
from models.contracts import Contract
from models.db import unit_of_work
from models.pbr.claims import PbrClaim, PbrParticipant
from models.pbr.ledger import ACCRUAL, LEDGER_KINDS, NOT_ACCRUALS, LedgerEntry, PaymentRun
from models.pbr.ratecards import RateCardVersion
from policies.pbr.claims import Reason, Verdict

PERIOD_RE = re.compile(r"^\d{4}-(Q[1-4]|0[1-9]|1[0-2])$")


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
) -> Listing:
    """Claims by contract, achieved date and reference, with their verdicts and reasons."""
    verdict = one_of("--status", status, tuple(v.value for v in Verdict), "a claim status")
    code = one_of("--reason", reason, tuple(r.value for r in Reason), "a reason code")
    with unit_of_work(database(settings)) as session:
        refs = contract_ids(session, contract, providers)
        stmt = select(PbrClaim).where(col(PbrClaim.contract_id).in_(list(refs) or [0]))
        if verdict is not None:
            stmt = stmt.where(PbrClaim.verdict == verdict)
        if participant is not None:
            stmt = stmt.where(PbrClaim.participant == participant.strip())
        if code is not None:  # reasons are comma-separated codes; no code is a prefix of another's tail
            stmt = stmt.where(literal(",").concat(col(PbrClaim.reasons)).concat(",").like(f"%,{code},%"))
        # a reference claimed again is a second row (rejected as a duplicate): the id lists them as imported
        order = (col(PbrClaim.contract_id), col(PbrClaim.achieved_on), col(PbrClaim.ref), col(PbrClaim.id))
        claims = session.exec(stmt.order_by(*order))
        rows = [
            {
                "contract": refs[c.contract_id], "claim": c.ref, "participant": c.participant, "outcome": c.outcome,
                "achieved_on": c.achieved_on.isoformat(), "status": c.verdict, "claimed": _pounds(c.claimed_pence),
                "payable": _pounds(c.payable_pence), "reasons": c.reasons,
            }
            for c in claims
        ]  # fmt: skip
    return Listing("Claims", CLAIM_COLUMNS, rows)


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
) -> Listing:
    """Payment runs by contract and period: when each ran, how many claims it paid and what it paid in all."""
    label = checked_period(period)
    with unit_of_work(database(settings)) as session:
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
    return Listing("Payment runs", RUN_COLUMNS, rows)


RATECARD_COLUMNS = (
    ("contract", "Contract", TEXT), ("name", "Name", TEXT), ("effective_from", "Effective from", DATE),
    ("frequency", "Frequency", TEXT), ("outcomes", "Outcomes", NUMBER), ("contract_cap", "Contract cap", MONEY),
    ("source", "Source", TEXT), ("by", "By", TEXT),
)  # fmt: skip


def ratecards_list(
    settings: Settings, *, contract: str | None = None, providers: tuple[str, ...] | None = None
) -> Listing:
    """Every rate-card version by contract, oldest first: the one in force on a day is the latest before it."""
    with unit_of_work(database(settings)) as session:
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
    return Listing("Rate cards", RATECARD_COLUMNS, rows)


PARTICIPANT_COLUMNS = (
    ("contract", "Contract", TEXT), ("participant", "Participant", TEXT), ("referral_date", "Referred on", DATE),
    ("born", "Born", DATE), ("attributes", "Attributes", TEXT),
)  # fmt: skip


def participants_list(
    settings: Settings, *, contract: str | None = None, providers: tuple[str, ...] | None = None
) -> Listing:
    """Participants by contract and reference, with the facts eligibility looks at."""
    with unit_of_work(database(settings)) as session:
        refs = contract_ids(session, contract, providers)
        stmt = select(PbrParticipant).where(col(PbrParticipant.contract_id).in_(list(refs) or [0]))
        people = session.exec(stmt.order_by(col(PbrParticipant.contract_id), col(PbrParticipant.ref)))
        rows = [
            {
                "contract": refs[p.contract_id], "participant": p.ref, "referral_date": p.referral_date.isoformat(),
                "born": p.born.isoformat() if p.born else None,
                "attributes": "; ".join(f"{k}={v}" for k, v in sorted(p.attributes.items())),
            }
            for p in people
        ]  # fmt: skip
    return Listing("Participants", PARTICIPANT_COLUMNS, rows)


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
) -> Listing:
    """Ledger entries in the order written (the ledger is append-only: a correction is a reversal entry)."""
    label, chosen = checked_period(period), one_of("--kind", kind, LEDGER_KINDS, "a ledger kind")
    with unit_of_work(database(settings)) as session:
        refs = contract_ids(session, contract, providers)
        stmt = (
            select(LedgerEntry, PaymentRun.period, PbrClaim.ref)
            .outerjoin(PaymentRun, col(PaymentRun.id) == col(LedgerEntry.run_id))
            .outerjoin(PbrClaim, col(PbrClaim.id) == col(LedgerEntry.claim_id))
            .where(col(LedgerEntry.contract_id).in_(list(refs) or [0]))
        )
        if payer is not None:
            stmt = stmt.where(func.lower(col(LedgerEntry.payer)) == payer.strip().lower())
        if label is not None:
            stmt = stmt.where(PaymentRun.period == label)
        if chosen is not None:
            stmt = stmt.where(LedgerEntry.kind == chosen)
        if chosen is not None and chosen != ACCRUAL:
            # the ledger's payer index holds every entry but the accruals: named, a contract's are read from it
            stmt = stmt.where(text(f"pbr_ledger.{NOT_ACCRUALS}"))
        rows = [
            {
                "id": e.id, "contract": refs[e.contract_id], "entry_on": e.entry_on.isoformat(), "period": run_period,
                "payer": e.payer, "kind": e.kind, "item": e.item, "amount": _pounds(e.amount_pence), "claim": claim,
                "reverses": e.reverses_id,
            }
            for e, run_period, claim in session.exec(stmt.order_by(col(LedgerEntry.id)))
        ]  # fmt: skip
    return Listing("Ledger", LEDGER_COLUMNS, rows)
