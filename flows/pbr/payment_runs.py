"""Payment by results, step two: payment runs, and the payment schedule each writes per payer.

A run pays a period in arrears: accepted claims not yet paid, attachment and
service fees, less any recovery owed, split between the payers. It is first
proposed (flows/approvals/service.py): a preview per payer and per outcome, what
the caps cut and what it nets off, and DRAFT schedules. Only when a second
finance user approves does it write to the append-only ledger
(models/pbr/ledger.py), in the approval's transaction with its event: the
ledger lines the proposal planned and kept (flows/pbr/run_lines.py) are moved
in as they are, not planned again; a change since the proposal (new claims, a
new card, another run or a clawback) makes the proposal stale and the approval
is refused. A run for a
contract and period happens once; asking again shows the first. A
payment schedule per payer is written beside the database
(``<data dir>/payments/<contract>/<period>/<payer>.csv``) and rewritten from the
ledger if it is missing.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel import select

from flows.approvals.kinds import Inputs, Kind, digest, register
from flows.approvals.service import propose, public
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.contract import contract_id, named_period, pbr_contract, required_cards
from flows.pbr.final_schedules import placed_once_committed
from flows.pbr.ledger import pence
from flows.pbr.participant_corrections import redecide_corrected
from flows.pbr.run_lines import KeptLines, Line, closing_lines, kept_digest, kept_lines, outcome_lines
from flows.pbr.run_plan import PlannedRun, plan_streamed, refuse_run
from flows.pbr.schedules import (
    ScheduleFiles,
    clear_stale_drafts,
    discard_drafts,
    draft_schedules,
    draft_writer,
    prune_drafts,
    write_draft_schedules,
    write_schedules,
)
from models.approvals import Proposal, proposal_ids
from models.contracts import Contract, contract_by_id
from models.db import unit_of_work
from models.events import append_event
from models.pbr.bulk import APPROVAL_CACHE_KIB, CHUNK, bulk_insert, driver_value, import_cache, refresh_statistics
from models.pbr.claims import PbrParticipant, due_fingerprint, latest_participant
from models.pbr.ledger import (
    LEDGER_COLUMNS,
    OUTCOME,
    PaymentRun,
    claims_accrued_by,
    mark_accrued,
    run_for,
)
from models.pbr.planned import insert_planned, mark_planned
from models.pbr.ratecards import rate_cards_of
from models.pbr.reconcile_sums import mark_differing
from models.pbr.totals import add_run, last_entry
from policies.controls.approvals import Status
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
    # why an approved run's schedules were not written after its commit (flows/pbr/final_schedules.py)
    schedules_not_written: list[str] = field(default_factory=list)

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
    made: list[tuple[str, int]] = []  # the proposal whose files this call wrote, until its commit
    try:
        with unit_of_work(database(settings)) as session:
            contract = pbr_contract(session, contract_ref)
            cid = contract_id(contract)
            cards = required_cards(session, contract)
            period = named_period(cards, period_text)
            existing = run_for(session=session, contract_id=cid, period=period.label)
            if existing is not None:
                return {
                    "run": _result(settings, session, contract, existing, existing=True).as_dict(),
                    "proposal": None,
                }
            waiting = proposal_ids(session=session, contract_id=cid, status=Status.PROPOSED.value)
            clear_stale_drafts(settings, contract.ref, waiting)
            drafts = draft_writer(settings, contract, period.label)
            kept = KeptLines(settings, contract.ref)
            try:
                plan = _previewed(settings, session, contract, cards, period, as_of, actor, now, drafts, kept)
                proposal, pending = propose(
                    settings,
                    session,
                    kind=KIND,
                    contract=contract,
                    key=f"{KIND}:{period.label}",
                    subject=f"payment run {period.label}",
                    payload={"contract": contract.ref},
                    preview=plan.summary,
                    inputs=_inputs(session, contract, period, plan.due),
                    amount_pence=pence(Decimal(plan.summary["paid"])),  # the payers' payments, to the penny
                    actor=actor,
                    as_of=as_of,
                    period=period.label,
                    now=now,
                )
                assert proposal.id is not None
                if pending:  # proposed already: its preview, drafts and kept lines stand as the approver saw them
                    drafts.discard()
                    kept.discard()
                    written = [str(path) for path in draft_schedules(settings, contract.ref, proposal.id)]
                    return {"run": None, "proposal": public(session, proposal), "pending": pending, "drafts": written}
                made.append((contract.ref, proposal.id))  # its files are written: removed if it is not made after all
                written = write_draft_schedules(drafts, proposal.id, plan.summary)
                kept.keep(proposal.id)
                proposal.payload = {**proposal.payload, "kept": kept_digest(settings, contract.ref, proposal.id)}
                session.add(proposal)
                session.flush()
            except BaseException:  # nothing of a proposal that is not made stays on the disk
                drafts.discard()
                kept.discard()
                prune_drafts(settings, contract.ref)
                raise
            return {"run": None, "proposal": public(session, proposal), "pending": pending, "drafts": written}
    except BaseException:  # its transaction did not commit (a full disk, a lost connection): no files stay
        for ref, proposal_id in made:
            discard_drafts(settings, ref, proposal_id)
            prune_drafts(settings, ref)
        raise


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
    kept: KeptLines,
) -> PlannedRun:
    """The plan as approval will make it, its lines written to the draft schedules as they are priced:
    participants corrected since the last run have their claims re-decided
    (flows/pbr/participant_corrections.py) in a savepoint that is rolled back, so the preview shows the
    clawbacks that re-decision writes and what the run nets off, and nothing is written until approval. Its
    ledger lines are ``kept`` for the approval."""
    savepoint = session.begin_nested()
    try:
        today = local_date(as_of, settings.timezone)
        redecided = redecide_corrected(session, contract, cards, today=today, as_of=as_of, actor=actor)

        def each(line: RunLine) -> None:
            _draft(drafts, line)
            kept.add_claim(line)  # its outcome_lines

        plan = plan_streamed(settings, session, contract, cards, period, as_of, now, each)
    finally:
        savepoint.rollback()
    for fee in plan.fees:
        for payer, share in fee.shares:
            if share:
                drafts.add((payer, fee.item, "", fee.participant or "", "", None, share))
    kept.add_all(closing_lines(plan, period.label))
    if redecided:
        plan.summary["redecided"] = redecided
    return plan


def _draft(drafts: ScheduleFiles, line: RunLine) -> None:
    """A line's shares on the draft schedules (the final ones are read from the ledger)."""
    c = line.claim
    drafts.add_shares(OUTCOME, c.ref, c.participant, c.outcome, c.achieved_on, line.shares)  # nil shares: no line


def _inputs(session: Any, contract: Contract, period: Period, due: str | None = None) -> Inputs:
    """What a run's plan is computed from, by name: any change makes a pending proposal stale. ``due``: the
    claims due as the plan read them (``PlannedRun.due``), the same as reading them now unless a correction
    re-decided some in the plan's savepoint."""
    cid = contract_id(contract)
    corrected = _corrected(session, cid)
    if due is None or corrected:
        due = due_fingerprint(session=session, contract_id=cid, unpaid_by=period.end)
    return {
        "the claims due in the period": due,
        "the rate card": digest([(v.id, v.fingerprint) for v in rate_cards_of(session=session, contract_id=cid)]),
        # the contract's value caps its claims and its start and term bound the fees: a variation changes the plan
        "the contract's value or term": digest(
            [contract.value_pence, contract.start, contract.initial_term_months, contract.extensions_used]
        ),
        "the ledger (another run, a clawback or a recovery)": str(last_entry(session=session, contract_id=cid)),
        # the latest participant, not their count (which read every one): one added changes it
        "the participants": f"latest {latest_participant(session=session, contract_id=cid)}",
        "the participants corrected": digest(corrected),
    }


def _corrected(session: Any, cid: int) -> list[tuple[str, str]]:
    """The participants corrected since the last run, whose claims the run re-decides, each with the
    fingerprint of its facts: a second correction of one already corrected changes the plan too."""
    stmt = select(PbrParticipant.ref, PbrParticipant.fingerprint).where(
        PbrParticipant.contract_id == cid, PbrParticipant.redecide
    )
    return sorted((ref, print_) for ref, print_ in session.exec(stmt))


def _apply(
    settings: Settings, session: Any, proposal: Proposal, as_of: dt.datetime, actor: str, now: dt.datetime | None
) -> dict[str, Any]:
    """At approval: the run, its ledger entries and its event, in the approval's transaction; final schedules.

    The approval has found nothing the proposal was planned from changed, so the lines it kept are moved into the
    ledger as they are (``insert_planned``) and its preview is the run's summary; without them (a proposal made
    before they were kept, or files lost or changed on the disk since: ``kept_digest``), the run is planned again."""
    assert proposal.id is not None
    contract = contract_by_id(session=session, contract_id=proposal.contract_id)
    cid = contract_id(contract)
    cards = required_cards(session, contract)
    period = named_period(cards, proposal.period or "")
    today = local_date(as_of, settings.timezone)
    kept = kept_lines(settings, contract.ref, proposal.id)
    as_written = kept.is_file() and proposal.payload.get("kept") == kept_digest(settings, contract.ref, proposal.id)
    if as_written:
        # as of now; the claims left unpaid before the period were checked at the proposal, and nothing changed
        # since (the claims due and the ledger, and with it the runs, are among a proposal's inputs)
        refuse_run(settings, session, contract, cards, period, as_of, now, unpaid=())
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
    import_cache(session, APPROVAL_CACHE_KIB)  # the ledger's indexes take a run's entries in random order
    if as_written:
        # with the running totals, in the same transaction as the entries
        insert_planned(session, kept, contract_id=cid, run_id=run.id, on=today, at=as_of, actor=actor)
        summary = {k: v for k, v in proposal.preview.items() if k != "redecided"}
    else:
        summary = _replanned(settings, session, contract, cards, period, run.id, as_of, actor, now)
        add_run(session, cid, run.id)  # the running totals, in the same transaction as the entries
    # The claims it paid leave the due claims every run reads. One already marked was paid by another run that
    # committed while this one was approved (two approvals at once, each checked before the other wrote): paid
    # twice, so nothing of this one is kept.
    if as_written:
        marked, accrued = mark_planned(session, kept, run.id)
    else:
        marked, accrued = mark_accrued(session, run.id), claims_accrued_by(session, run.id)
    if marked != accrued:
        raise UserError(
            f"proposal {proposal.id} was not applied: another payment run has just paid some of its claims; nothing "
            "was paid by this one. Reject it and propose the period again."
        )
    # the claims it cut at a cap are accrued at other than their payable pence: reconcile looks those up
    mark_differing(session, cid, run.id, (line["claim"] for line in summary.get("capped", ())))
    # every run, however small: without it a ledger grown by runs of a few thousand claims was planned on stale
    # figures, and the next run took 107 s instead of 1 (bench/pbr_runs.py --smoke --postgres). ANALYZE holds
    # a lock that another approval's ANALYZE waits for until this approval commits: approvals queue briefly.
    refresh_statistics(session, "pbr_ledger")
    if redecided:
        summary["redecided"] = redecided
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
    # placed once the approval commits: nothing final is on the disk for a run the ledger does not hold
    schedules, problems = placed_once_committed(settings, session, contract, run, proposal.id if as_written else None)
    result = _result(settings, session, contract, run, existing=False, schedules=schedules)
    result.schedules_not_written = problems
    return result.as_dict()


def _replanned(
    settings: Settings,
    session: Any,
    contract: Contract,
    cards: list[RateCard],
    period: Period,
    run_id: int,
    as_of: dt.datetime,
    actor: str,
    now: dt.datetime | None,
) -> dict[str, Any]:
    """The run planned again at approval, its entries written in batches as they are priced; its summary."""
    # Every entry is written on the same day by the same run: its dates go in the driver's form once.
    head, on = (contract_id(contract),), driver_value(session, local_date(as_of, settings.timezone))
    tail = (driver_value(session, as_of), actor)
    batch: list[tuple[Any, ...]] = []

    def write(lines: Iterable[Line]) -> None:
        for payer, kind, item, amount, claim, who, outcome, month, memo in lines:
            batch.append((*head, payer, kind, item, amount, on, run_id, claim, who, outcome, month, None, None, memo,
                          *tail))  # fmt: skip
        if len(batch) >= CHUNK:
            bulk_insert(session, "pbr_ledger", LEDGER_COLUMNS, batch, prepared=True)
            batch.clear()

    plan = plan_streamed(
        settings, session, contract, cards, period, as_of, now, lambda line: write(outcome_lines(line))
    )
    write(closing_lines(plan, period.label))
    bulk_insert(session, "pbr_ledger", LEDGER_COLUMNS, batch, prepared=True)
    return plan.summary


def _result(
    settings: Settings,
    session: Any,
    contract: Contract,
    run: PaymentRun,
    *,
    existing: bool,
    schedules: list[str] | None = None,
) -> RunResult:
    """The run as the caller shows it, with its schedules: those given, else written from the ledger."""
    if schedules is None:
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
