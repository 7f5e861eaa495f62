"""A payment run's re-decision of corrected participants' claims waits for a claims import of the same contract,
rather than deadlocking with it (PostgreSQL; ``redecide_corrected`` locks the contract as an import does).

Since 0031 both write the claims' kept sums (``pbr_claim_sum``, a row per contract, day and outcome). FCF-2025-01
with Q1 paid (test_pbr_payments); P-003's date of birth corrected, so C-5 (Q1), C-8 and C-9 (Q2) are re-decided,
in the order achieved. The "import" holds the contract (``FOR UPDATE``, as flows/pbr/claims_import.py takes it) and
has written a claim on C-8's day and outcome. The re-decision, started then, waits for the contract before it
writes anything; the import then writes a claim on C-5's day and outcome and commits, and the re-decision goes on.
Without the contract lock the re-decision would hold C-5's day row and wait for C-8's, and the import's claim on
C-5's day would close the circle: PostgreSQL aborts one of them ("deadlock detected": checked with the lock taken out of
redecide_corrected).
"""

import datetime as dt
import threading
import time
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.contract import contract_id, pbr_contract, required_cards
from flows.pbr.participant_corrections import correct_participant, redecide_corrected
from models.contracts import get_contract
from models.pbr.claims import PbrClaim
from tests.integration.pbr import test_pbr_payments
from tests.integration.pbr.test_pbr_payments import AUDIT, CONTRACT, Q2_RUN

fcf, q1_paid = test_pbr_payments.fcf, test_pbr_payments.q1_paid  # the fixtures

LOCK_TIMEOUT = "30s"  # a bound on every wait here, so a mistake fails rather than hangs; nothing is timed
POLLS = 300  # at most about 30 s for the re-decision to be seen waiting

# A claim of P-001 (no participant row in common with P-003's) copied from C-8, on the day and outcome of claim :like.
COPY = """
INSERT INTO pbr_claim (contract_id, import_id, line, ref, fingerprint, participant, outcome, achieved_on, evidence,
                       amount_pence, claimed_pence, price_pence, payable_pence, capped_pence, verdict, reasons, notes,
                       rate_card_id, accrued_run_id, accrued_differs)
SELECT c.contract_id, c.import_id, c.line + 1000, :ref, c.fingerprint, 'P-001', l.outcome, l.achieved_on, c.evidence,
       c.amount_pence, c.claimed_pence, c.price_pence, c.payable_pence, c.capped_pence, c.verdict, '', '',
       c.rate_card_id, NULL, false
FROM pbr_claim c JOIN pbr_claim l ON l.contract_id = c.contract_id AND l.ref = :like
WHERE c.contract_id = :cid AND c.ref = 'C-8'
"""


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_redecision_waits_for_an_import_holding_the_contract_and_neither_deadlocks(q1_paid: Settings) -> None:
    why = "Date of birth checked against the passport"
    correct_participant(q1_paid, CONTRACT, "P-003", date_of_birth=dt.date(2000, 2, 28), reason=why, as_of=AUDIT,
                        actor="caseworker")  # fmt: skip
    eng = database(q1_paid)
    redecided: list[Any] = []
    pid: list[int] = []

    def approval() -> None:
        try:
            with Session(eng) as session:
                session.connection().execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
                pid.append(session.connection().execute(text("SELECT pg_backend_pid()")).scalar_one())
                contract = pbr_contract(session, CONTRACT)
                cards = required_cards(session, contract)
                changed = redecide_corrected(
                    session, contract, cards, today=Q2_RUN.date(), as_of=Q2_RUN, actor="finance"
                )
                session.commit()
                redecided.append([c["claim"] for c in changed])
        except Exception as exc:  # the test's assertion says what went wrong
            redecided.append(exc)

    with Session(eng) as importing:
        importing.connection().execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        locked = get_contract(session=importing, ref=CONTRACT, for_update=True)  # as an import locks it
        assert locked is not None
        cid = contract_id(locked)
        importing.connection().execute(text(COPY), {"ref": "IMP-1", "like": "C-8", "cid": cid})
        worker = threading.Thread(target=approval)
        worker.start()
        waiting = None
        for _ in range(POLLS):  # until the re-decision is seen waiting for a lock (it never ends while it waits)
            if pid:
                waiting = (
                    importing.connection()
                    .execute(text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :p"), {"p": pid[0]})
                    .scalar()
                )
                if waiting == "Lock":
                    break
            if not worker.is_alive():
                break
            time.sleep(0.1)
        try:
            # a claim on the day of C-5, the first claim the re-decision rejects
            importing.connection().execute(text(COPY), {"ref": "IMP-2", "like": "C-5", "cid": cid})
            importing.commit()
            imported = "committed"
        except Exception as exc:
            importing.rollback()
            imported = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        worker.join(timeout=60)
    assert waiting == "Lock" and not worker.is_alive()
    assert imported == "committed"
    assert redecided == [["C-5", "C-8", "C-9"]]
    with Session(eng) as session:
        stored = {c.ref: c.verdict for c in session.exec(select(PbrClaim).where(PbrClaim.contract_id == cid))}
    assert {r: stored[r] for r in ("C-5", "C-8", "C-9")} == dict.fromkeys(("C-5", "C-8", "C-9"), "rejected")
    assert {"IMP-1", "IMP-2"} <= set(stored)  # the teardown checks the kept sums against all the claims
