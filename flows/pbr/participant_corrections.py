"""Correcting a participant: a date of birth, a referral date or an eligibility attribute, as an event.

The correction is checked as an import checks a participant (a birth after the
referral, a referral ahead of the clock, an age over 110: refused), written with
who, when, why and the facts before and after, and the participant is marked to
be re-decided. The next payment run re-decides that participant's accepted
claims on the corrected facts (``redecide_corrected``, before it plans): a claim
the correction makes ineligible, or referred outside the window, is rejected
with the reason; if it was paid, what each payer still holds for it is clawed
back in the ledger, and the run nets it off. Nothing paid is ever edited.
"""

import datetime as dt
import json
from typing import Any

from sqlmodel import Session, select

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.contract import contract_id, pbr_contract
from flows.pbr.ledger import held_by_payer, pounds
from flows.pbr.participants import _participant_fingerprint
from models.contracts import Contract
from models.db import unit_of_work
from models.events import append_event
from models.pbr.claims import PbrClaim, PbrParticipant, corrected_participants, participants_of
from models.pbr.ledger import CLAWBACK, OUTCOME, LedgerEntry, ledger_of
from policies.dates import local_date
from policies.pbr.claim_rules import participant_standing
from policies.pbr.claims import Verdict
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
    the corrected facts make ineligible is rejected, and what each payer holds for it is clawed back."""
    cid = contract_id(contract)
    corrected = corrected_participants(session=session, contract_id=cid)
    if not corrected:
        return []
    changed: list[dict[str, Any]] = []
    for row in corrected:
        person = Participant(row.ref, row.referral_date, row.born, row.attributes)
        claims = session.exec(select(PbrClaim).where(PbrClaim.contract_id == cid, PbrClaim.participant == row.ref))
        for claim in list(claims):
            if claim.verdict == Verdict.REJECTED.value:
                continue
            card = version_for(cards, claim.achieved_on)
            findings = participant_standing(person, card) if card is not None else ()
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
                        memo=f"re-decided on corrected participant facts: {findings[0].sentence}",
                    )
                )
            before = {"claim": claim.ref, "verdict": claim.verdict, "reasons": claim.reasons,
                      "payable": f"{pounds(claim.payable_pence):.2f}"}  # fmt: skip
            # rejected in full: nothing of it is payable (claimed = accepted + capped + rejected still holds)
            claim.verdict, claim.payable_pence, claim.capped_pence = Verdict.REJECTED.value, 0, 0
            claim.reasons = ",".join(f.code.value for f in findings)
            claim.notes = " | ".join(f.sentence for f in findings)
            session.add(claim)
            clawed = f"{pounds(sum(held.values())):.2f}"
            after = {"claim": claim.ref, "verdict": claim.verdict, "reasons": claim.reasons, "clawed_back": clawed}
            append_event(
                session=session, effective_at=as_of, actor=actor, entity="contract", entity_ref=contract.ref,
                action="claim_redecided", reason=findings[0].sentence, before=before, after=after,
            )  # fmt: skip
            changed.append(after)
        row.redecide = False
        session.add(row)
    session.flush()
    return changed


def _facts(row: PbrParticipant) -> dict[str, Any]:
    return {
        "referral_date": row.referral_date.isoformat(),
        "date_of_birth": row.born.isoformat() if row.born else None,
        "attributes": json.loads(json.dumps(row.attributes, sort_keys=True)),
    }
