"""Correcting a participant: a date of birth, a referral date or an eligibility attribute, as an event.

The correction is checked as an import checks a participant (a birth after the
referral, a referral ahead of the clock, an age over 110: refused), written with
who, when, why and the facts before and after, and the participant is marked to
be re-decided. The next payment run re-decides that participant's accepted
claims on the corrected facts (``redecide_corrected``, before it plans): a claim
the correction makes ineligible, or referred outside the window, is rejected
with the reason; if it was paid, what each payer still holds for it is clawed
back in the ledger, and the run nets it off. Nothing paid is ever edited.

A claim rejected on the old facts (ineligible, referred outside the window, achieved
before the referral) is re-opened: decided again by every rule (policies/pbr/claim_rules.py)
against what the contract has accepted by then, in the order achieved, so the run prices and
pays it. Worked example: P-010's date of birth was keyed as 1990-05-01 (35 at referral; the
card takes 18-24), so her ACC_ENTRY (£500.00) was rejected as ineligible; corrected to
2005-05-01, the next run's proposal shows ACC_ENTRY accepted at £500.00 and pays it at approval.
"""

import datetime as dt
import json
from typing import Any

from sqlmodel import Session, col, select

from flows.common.columns import near_misses
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.claims_store import known
from flows.pbr.contract import contract_id, pbr_contract
from flows.pbr.ledger import held_by_payer, pounds, unreversed_clawbacks
from flows.pbr.participants import _participant_fingerprint
from models.contracts import Contract, get_contract
from models.db import unit_of_work
from models.events import append_event
from models.pbr.claims import PbrClaim, PbrParticipant, corrected_participants, participants_of
from models.pbr.ledger import CLAWBACK, OUTCOME, REVERSAL, LedgerEntry, ledger_of
from policies.dates import local_date
from policies.pbr.book import Book
from policies.pbr.claim_rules import decide_claim, participant_standing, rules_by_day
from policies.pbr.claims import Claim, Reason, Verdict
from policies.pbr.participants import Participant, impossible
from policies.pbr.ratecard import RateCard, version_for


def correct_participant(
    settings: Settings,
    contract_ref: str,
    participant_ref: str,
    *,
    date_of_birth: dt.date | None = None,
    referral_date: dt.date | None = None,
    attributes: dict[str, str] | None = None,
    reason: str,
    as_of: dt.datetime,
    actor: str,
) -> dict[str, Any]:
    """Correct a participant's facts; their claims are re-decided at the contract's next payment run."""
    if not reason.strip():
        raise UserError("--reason: say why the facts were wrong (it goes in the history)")
    if date_of_birth is None and referral_date is None and not attributes:
        raise UserError("nothing to correct: give --date-of-birth, --referral-date or --attribute NAME=VALUE")
    facts = ("date_of_birth", "referral_date")  # corrected by their own options, never as attributes
    named = [name.strip().lower() for name in attributes or {}]
    said = [f"{name!r} (use --{name.replace('_', '-')})" for name in named if name in facts]
    said += near_misses([name for name in named if name not in facts], facts)
    if said:  # the participants import refuses such a column the same way: a misspelling kept as an attribute
        raise UserError(f"--attribute: unknown attribute name(s): {', '.join(said)}; no correction was made")
    today = local_date(as_of, settings.timezone)
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, contract_ref)
        row = next((p for p in participants_of(session=session, contract_id=contract_id(contract))
                    if p.ref == participant_ref), None)  # fmt: skip
        if row is None:
            raise UserError(f"contract {contract.ref} has no participant {participant_ref!r}")
        before = _facts(row)
        person = Participant(
            row.ref,
            referral_date or row.referral_date,
            date_of_birth or row.born,
            {**row.attributes, **(attributes or {})},
        )
        problems = impossible(person, today)
        if problems:
            raise UserError("no correction was made: " + "; ".join(f"{f}: {why}" for f, why in problems))
        row.referral_date, row.born, row.attributes = person.referral_date, person.born, dict(person.attributes)
        after = _facts(row)
        if after == before:
            return {
                "contract": contract.ref,
                "participant": row.ref,
                "changed": False,
                "before": before,
                "after": after,
            }
        row.fingerprint = _participant_fingerprint(person)  # the old file, imported again, is refused as different
        row.redecide = True
        session.add(row)
        append_event(
            session=session, effective_at=as_of, actor=actor, entity="contract", entity_ref=contract.ref,
            action="participant_corrected", reason=reason.strip(), before={"participant": row.ref, **before},
            after={"participant": row.ref, **after},
        )  # fmt: skip
        return {"contract": contract.ref, "participant": row.ref, "changed": True, "before": before, "after": after}


def redecide_corrected(
    session: Session, contract: Contract, cards: list[RateCard], *, today: dt.date, as_of: dt.datetime, actor: str
) -> list[dict[str, Any]]:
    """Re-decide the accepted claims of participants corrected since the last run, in the run's transaction: one
    the corrected facts make ineligible, put outside the referral window, or date before the referral is rejected,
    and what each payer holds for it is clawed back."""
    cid = contract_id(contract)
    corrected = corrected_participants(session=session, contract_id=cid)
    if not corrected:
        return []
    # the contract locked as a claims import locks it, before any claim is re-decided: the claims' kept sums
    # (migration 0031) are rows an import's batches also write, so waiting for the import here, not half way
    # through, cannot deadlock with it (a no-op on SQLite, whose writers take the whole database)
    get_contract(session=session, ref=contract.ref, for_update=True)
    changed: list[dict[str, Any]] = []
    for row in corrected:
        person = Participant(row.ref, row.referral_date, row.born, row.attributes)
        stmt = select(PbrClaim).where(PbrClaim.contract_id == cid, PbrClaim.participant == row.ref)
        # as achieved; the id last, for two files that claimed the same reference on the same line
        stmt = stmt.order_by(col(PbrClaim.achieved_on), col(PbrClaim.line), col(PbrClaim.ref), col(PbrClaim.id))
        done: set[int | None] = set()  # rejected just now, on the corrected facts
        for claim in list(session.exec(stmt)):
            if claim.verdict == Verdict.REJECTED.value:
                continue
            card = version_for(cards, claim.achieved_on)
            findings = participant_standing(person, card, claim.outcome, claim.achieved_on) if card is not None else ()
            if not findings:
                continue
            ledger = ledger_of(session=session, contract_id=cid, claim_id=claim.id)  # this claim's entries only
            held = {p: a for p, a in held_by_payer(ledger, claim.id).items() if a}
            for payer, amount in sorted(held.items()):
                session.add(
                    LedgerEntry(
                        contract_id=cid,
                        payer=payer,
                        kind=CLAWBACK,
                        item=OUTCOME,
                        amount_pence=-amount,
                        entry_on=today,
                        claim_id=claim.id,
                        participant=claim.participant,
                        created_at=as_of,
                        actor=actor,
                        memo=f"{REDECIDED}: {findings[0].sentence}",
                    )
                )
            before = {"claim": claim.ref, "verdict": claim.verdict, "reasons": claim.reasons,
                      "payable": f"{pounds(claim.payable_pence):.2f}"}  # fmt: skip
            # rejected in full: nothing of it is payable (claimed = accepted + capped + rejected still holds)
            claim.verdict, claim.payable_pence, claim.capped_pence = Verdict.REJECTED.value, 0, 0
            claim.reasons = ",".join(f.code.value for f in findings)
            claim.notes = " | ".join(f.sentence for f in findings)
            claim.accrued_differs = True  # if it was paid, its accruals are no longer what it is accepted for
            session.add(claim)
            clawed = f"{pounds(sum(held.values())):.2f}"
            after = {"claim": claim.ref, "verdict": claim.verdict, "reasons": claim.reasons, "clawed_back": clawed}
            append_event(
                session=session, effective_at=as_of, actor=actor, entity="contract", entity_ref=contract.ref,
                action="claim_redecided", reason=findings[0].sentence, before=before, after=after,
            )  # fmt: skip
            changed.append(after)
            done.add(claim.id)
        changed += _reopened(session, contract, cards, row, person, done, today=today, as_of=as_of, actor=actor)
        row.redecide = False
        session.add(row)
    session.flush()
    return changed


REDECIDED = "re-decided on corrected participant facts"  # the memo that marks a re-decision's clawback
OLD_FACTS = frozenset({Reason.INELIGIBLE, Reason.REFERRAL_OUTSIDE_WINDOW, Reason.BEFORE_REFERRAL})


def _reopened(
    session: Session,
    contract: Contract,
    cards: list[RateCard],
    row: PbrParticipant,
    person: Participant,
    done: set[int | None],
    *,
    today: dt.date,
    as_of: dt.datetime,
    actor: str,
) -> list[dict[str, Any]]:
    """The participant's claims rejected on facts the correction changed, decided again by every rule against
    what the contract has accepted now, in the order achieved (a prerequisite before what needs it)."""
    stmt = select(PbrClaim).where(PbrClaim.contract_id == contract_id(contract), PbrClaim.participant == row.ref,
                                  PbrClaim.verdict == Verdict.REJECTED.value)  # fmt: skip
    rejected = sorted(session.exec(stmt), key=lambda c: (c.achieved_on, c.line, c.ref, c.id or 0))
    codes = {c.id: {Reason(r) for r in c.reasons.split(",") if r} for c in rejected}
    candidates = [c for c in rejected if c.id not in done and codes[c.id] & OLD_FACTS]
    if not candidates:
        return []
    session.flush()  # the claims this re-decision rejected just now are not counted as accepted
    participants, book = known(session, contract)
    participants = {**participants, person.ref: person}
    rules = rules_by_day(cards, {c.achieved_on for c in candidates})
    ledger = ledger_of(session=session, contract_id=contract_id(contract))
    changed = []
    for claim in candidates:
        before = {"claim": claim.ref, "verdict": claim.verdict, "reasons": claim.reasons,
                  "payable": f"{pounds(claim.payable_pence):.2f}"}  # fmt: skip
        decision = _decided(claim, rules[claim.achieved_on], participants, book, today)
        reasons = ",".join(code.value for code in decision.codes)
        if (decision.verdict.value, reasons) == (claim.verdict, claim.reasons):
            continue
        claim.verdict, claim.reasons = decision.verdict.value, reasons
        claim.claimed_pence, claim.price_pence = decision.claimed_pence, decision.price_pence
        claim.payable_pence, claim.capped_pence = decision.payable_pence, decision.capped_pence
        claim.notes = " | ".join(f.sentence for f in decision.findings)
        claim.accrued_differs = True  # if it was paid before it was rejected, its accruals may not be its new pence
        session.add(claim)
        after = {"claim": claim.ref, "verdict": claim.verdict, "reasons": claim.reasons,
                 "payable": f"{pounds(claim.payable_pence):.2f}"}  # fmt: skip
        if claim.payable_pence:  # paid once, then clawed back on the wrong facts: that clawback is reversed
            mine = {e.id for e in unreversed_clawbacks(ledger) if e.claim_id == claim.id}
            marked = select(LedgerEntry).where(LedgerEntry.claim_id == claim.id, LedgerEntry.kind == CLAWBACK,
                                               col(LedgerEntry.memo).startswith(REDECIDED))  # fmt: skip
            undone = [e for e in session.exec(marked.order_by(col(LedgerEntry.id))) if e.id in mine]
            for e in undone:
                session.add(LedgerEntry(contract_id=contract_id(contract), payer=e.payer, kind=REVERSAL, item=e.item,
                                        amount_pence=-e.amount_pence, entry_on=today, claim_id=claim.id,
                                        participant=claim.participant, reverses_id=e.id, created_at=as_of,
                                        actor=actor, memo="re-opened on corrected participant facts"))  # fmt: skip
            if undone:
                after["reinstated"] = f"{pounds(-sum(e.amount_pence for e in undone)):.2f}"
        append_event(
            session=session, effective_at=as_of, actor=actor, entity="contract", entity_ref=contract.ref,
            action="claim_redecided", reason=f"participant {row.ref}'s facts were corrected", before=before,
            after=after,
        )  # fmt: skip
        changed.append(after)
    return changed


def _decided(claim: PbrClaim, rules: Any, participants: dict[str, Participant], book: Book, today: dt.date) -> Any:
    amount = None if claim.amount_pence is None else pounds(claim.amount_pence)
    read = Claim(claim.line, claim.ref, claim.participant, claim.outcome, claim.achieved_on, amount, claim.evidence)
    return decide_claim(read, None, rules, participants, book, {}, today)


def _facts(row: PbrParticipant) -> dict[str, Any]:
    return {
        "referral_date": row.referral_date.isoformat(),
        "date_of_birth": row.born.isoformat() if row.born else None,
        "attributes": json.loads(json.dumps(row.attributes, sort_keys=True)),
    }
