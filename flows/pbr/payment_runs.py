"""Payment by results, step two: payment runs, and the payment schedule each writes per payer.

A run pays a period in arrears: accepted claims not yet paid, attachment and
service fees, less any recovery owed, split between the payers. It is first
proposed (flows/approvals/service.py): a preview per payer and per outcome, what
the caps cut and what it nets off, and DRAFT schedules. Only when a second
finance user approves does it write to the append-only ledger
(models/pbr/ledger.py), in the approval's transaction with its event, planned
again then; a change since the proposal (new claims, a new card, another run or
a clawback) makes the proposal stale and the approval is refused. A run for a
contract and period happens once; asking again shows the first. A
payment schedule per payer is written beside the database
(``<data dir>/payments/<contract>/<period>/<payer>.csv``) and rewritten from the
ledger if it is missing.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import select

from flows.approvals.kinds import Inputs, Kind, digest, register
from flows.approvals.service import propose, public
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.contract import contract_id, named_period, pbr_contract, required_cards
from flows.pbr.ledger import pence
from flows.pbr.participant_corrections import redecide_corrected
from flows.pbr.run_facts import due_digest
from flows.pbr.run_plan import PlannedRun, plan_streamed, refuse_run
from flows.pbr.schedules import ScheduleFiles, discard_drafts, draft_writer, write_draft_schedules, write_schedules
from models.approvals import Proposal
from models.contracts import Contract, contract_by_id
from models.db import unit_of_work
from models.events import append_event
from models.pbr.bulk import CHUNK, bulk_insert, driver_value
from models.pbr.claims import PbrParticipant, participant_count
from models.pbr.ledger import ACCRUAL, LEDGER_COLUMNS, OUTCOME, PAYMENT, PaymentRun, last_entry, run_for
from models.pbr.ratecards import rate_cards_of
from policies.dates import local_date
from policies.pbr.payments import Period, RunLine
from policies.pbr.ratecard import RateCard

KIND = "payment_run"


@dataclass
class RunResult:
    contract: str
    provider: str
    period: str
    existing: bool
    run_on: str
    summary: dict[str, Any]
    schedules: list[str]

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def check_payment_run(
    settings: Settings, contract_ref: str, period_text: str, *, as_of: dt.datetime, now: dt.datetime | None = None
) -> None:
    """Refuse, before any flow starts, a run that ``payment_run`` would refuse; writes nothing."""
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, contract_ref)
        cards = required_cards(session, contract)
        period = named_period(cards, period_text)
        if run_for(session=session, contract_id=contract_id(contract), period=period.label) is None:
            refuse_run(settings, session, contract, cards, period, as_of, now)


def propose_payment_run(
    settings: Settings,
    contract_ref: str,
    period_text: str,
    *,
    as_of: dt.datetime,
    actor: str,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Propose paying a period (its preview and DRAFT schedules); nothing reaches the ledger until approved.

    A period already paid shows its run (``run``); a proposal already pending for it is shown again."""
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, contract_ref)
        cid = contract_id(contract)
        cards = required_cards(session, contract)
        period = named_period(cards, period_text)
        existing = run_for(session=session, contract_id=cid, period=period.label)
        if existing is not None:
            return {"run": _result(settings, session, contract, existing, existing=True).as_dict(), "proposal": None}
        drafts = draft_writer(settings, contract, period.label)
        try:
            plan = _previewed(settings, session, contract, cards, period, as_of, actor, now, drafts)
            proposal, pending = propose(
                settings,
                session,
                kind=KIND,
                contract=contract,
                key=f"{KIND}:{period.label}",
                subject=f"payment run {period.label}",
                payload={"contract": contract.ref},
                preview=plan.summary,
                inputs=_inputs(session, contract, period),
                amount_pence=pence(Decimal(plan.summary["paid"])),  # the payers' payments, to the penny
                actor=actor,
                as_of=as_of,
                period=period.label,
                now=now,
            )
        except BaseException:
            drafts.discard()
            raise
        assert proposal.id is not None
        written = write_draft_schedules(drafts, proposal.id, plan.summary)
        return {"run": None, "proposal": public(session, proposal), "pending": pending, "drafts": written}


def _previewed(
    settings: Settings,
    session: Any,
    contract: Contract,
    cards: list[RateCard],
    period: Period,
    as_of: dt.datetime,
    actor: str,
    now: dt.datetime | None,
    drafts: ScheduleFiles,
) -> PlannedRun:
    """The plan as approval will make it, its lines written to the draft schedules as they are priced:
    participants corrected since the last run have their claims re-decided
    (flows/pbr/participant_corrections.py) in a savepoint that is rolled back, so the preview shows the
    clawbacks that re-decision writes and what the run nets off, and nothing is written until approval."""
    savepoint = session.begin_nested()
    try:
        today = local_date(as_of, settings.timezone)
        redecided = redecide_corrected(session, contract, cards, today=today, as_of=as_of, actor=actor)
        plan = plan_streamed(settings, session, contract, cards, period, as_of, now, lambda line: _draft(drafts, line))
    finally:
        savepoint.rollback()
    for fee in plan.fees:
        for payer, share in fee.shares:
            if share:
                drafts.add((payer, fee.item, "", fee.participant or "", "", None, share))
    if redecided:
        plan.summary["redecided"] = redecided
    return plan


def _draft(drafts: ScheduleFiles, line: RunLine) -> None:
    """A line's shares on the draft schedules (the final ones are read from the ledger)."""
    c = line.claim
    for payer, share in line.shares:
        if share:
            drafts.add((payer, OUTCOME, c.ref, c.participant, c.outcome, c.achieved_on, share))


def _inputs(session: Any, contract: Contract, period: Period) -> Inputs:
    """What a run's plan is computed from, by name: any change makes a pending proposal stale."""
    cid = contract_id(contract)
    return {
        "the claims due in the period": due_digest(session, cid, period.end),
        "the rate card": digest([(v.id, v.fingerprint) for v in rate_cards_of(session=session, contract_id=cid)]),
        "the ledger (another run, a clawback or a recovery)": str(last_entry(session=session, contract_id=cid)),
        "the participants": str(participant_count(session=session, contract_id=cid)),
        "the participants corrected": digest(_corrected(session, cid)),
    }


def _corrected(session: Any, cid: int) -> list[str]:
    """The participants corrected since the last run, whose claims the run re-decides."""
    stmt = select(PbrParticipant.ref).where(PbrParticipant.contract_id == cid, PbrParticipant.redecide)
    return sorted(session.exec(stmt))


def _apply(
    settings: Settings, session: Any, proposal: Proposal, as_of: dt.datetime, actor: str, now: dt.datetime | None
) -> dict[str, Any]:
    """At approval: the run, its ledger entries and its event, in the approval's transaction; final schedules."""
    contract = contract_by_id(session=session, contract_id=proposal.contract_id)
    cid = contract_id(contract)
    cards = required_cards(session, contract)
    period = named_period(cards, proposal.period or "")
    today = local_date(as_of, settings.timezone)
    # participants corrected since the last run: their claims are re-decided and clawed back, as previewed
    redecided = redecide_corrected(session, contract, cards, today=today, as_of=as_of, actor=actor)
    run = PaymentRun(
        contract_id=cid,
        period=period.label,
        period_start=period.start,
        period_end=period.end,
        run_on=today,
        summary={},  # known once every line is written
        created_at=as_of,
        actor=proposal.proposed_by,
    )
    session.add(run)
    session.flush()
    assert run.id is not None
    # Every entry is written on the same day by the same run: its dates go in the driver's form once.
    head = (cid,)
    tail = (driver_value(session, as_of), actor)
    on = driver_value(session, today)
    batch: list[tuple[Any, ...]] = []

    def write(row: tuple[Any, ...]) -> None:
        batch.append(row)
        if len(batch) >= CHUNK:
            bulk_insert(session, "pbr_ledger", LEDGER_COLUMNS, batch, prepared=True)
            batch.clear()

    def line_entries(line: RunLine) -> None:
        c = line.claim
        for payer, share in line.shares:
            if share:
                write((*head, payer, ACCRUAL, OUTCOME, pence(share), on, run.id, c.claim_id, c.participant, c.outcome,
                       None, None, None, f"{c.outcome} {c.ref}", *tail))  # fmt: skip

    plan = plan_streamed(settings, session, contract, cards, period, as_of, now, line_entries)
    summary = plan.summary
    if redecided:
        summary["redecided"] = redecided
    for fee in plan.fees:
        memo = f"attachment fee {fee.participant}" if fee.participant else f"service fee {fee.month}"
        for payer, share in fee.shares:
            if share:
                write((*head, payer, ACCRUAL, fee.item, pence(share), on, run.id, None, fee.participant, None,
                       fee.month, None, None, memo, *tail))  # fmt: skip
    for total in plan.payers:
        if total.payment:
            write((*head, total.payer, PAYMENT, "run", -pence(total.payment), on, run.id, None, None, None, None,
                   None, None, f"payment for {period.label}", *tail))  # fmt: skip
    bulk_insert(session, "pbr_ledger", LEDGER_COLUMNS, batch, prepared=True)
    run.summary = summary
    session.add(run)
    session.flush()
    append_event(
        session=session,
        effective_at=as_of,
        actor=actor,
        entity="contract",
        entity_ref=contract.ref,
        action="payment_run",
        reason=f"payment run for {period.label}, proposed by {proposal.proposed_by}",
        after={"period": period.label, "paid": summary["paid"], "claims": summary["claims"], "proposal": proposal.id},
    )
    return _result(settings, session, contract, run, existing=False).as_dict()


def _result(settings: Settings, session: Any, contract: Contract, run: PaymentRun, *, existing: bool) -> RunResult:
    schedules = write_schedules(settings, session, contract, run)
    return RunResult(
        contract.ref, contract.provider, run.period, existing, run.run_on.isoformat(), run.summary, schedules
    )


def _proposal_inputs(session: Any, proposal: Proposal) -> Inputs:
    contract = contract_by_id(session=session, contract_id=proposal.contract_id)
    return _inputs(session, contract, named_period(required_cards(session, contract), proposal.period or ""))


def _discard(settings: Settings, proposal: Proposal) -> None:
    assert proposal.id is not None
    discard_drafts(settings, proposal.payload["contract"], proposal.id)


register(Kind(KIND, "payment run", _proposal_inputs, _apply, _discard))
