"""The running totals beside the ledger (models/pbr/totals.py): what a run reads of what has been paid so far, from
them and not from the ledger, through a run, a clawback and its reversal, and after migration 0021 fills them.

FCF-2025-01 with the claims of test_pbr_payments (30% central fund, 70% council): the 2026-Q1 run pays C-1 to C-7,
£9,500.00, and pays each payer its share, so each payer's balance is back to nothing. C-8 and C-9 (P-003),
achieved in Q2, are the claims due by 30 June; P-003's only paid claim is C-5 (EMP_ENTRY, £500.00).
Every integration test also checks the totals against the ledger's GROUP BY sums when it ends
(tests/integration/conftest.py ``settings``): that is what fails if a write path forgets their upkeep.
"""

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import text
from sqlmodel import Session

from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.contract import contract_id, pbr_contract
from models.db import unit_of_work
from models.migrate import downgrade, upgrade
from models.pbr.claims import due_claim_rows
from models.pbr.ledger import LedgerEntry
from models.pbr.totals import last_entry, ledger_balances, net_paid_by_outcome
from tests.integration.pbr import test_pbr_payments
from tests.integration.pbr.test_pbr_payments import AUDIT, CONTRACT
from tests.support.approvals import approved_clawback
from tests.support.ledger_totals import disagreements

fcf, q1_paid = test_pbr_payments.fcf, test_pbr_payments.q1_paid  # the fixtures
Q2_END = dt.date(2026, 6, 30)
# by outcome after Q1, in pence: EDU_ENTRY is C-1, C-3 and C-6 (3 x £500.00); the others one claim each
Q1_BY_OUTCOME = {"EDU_ENTRY": 150_000, "EDU_L2": 350_000, "EDU_L1": 250_000, "EMP_ENTRY": 50_000,
                 "EDU_ENTRY_LEVEL": 150_000}  # fmt: skip


def read(settings: Settings) -> tuple[dict[str, int], dict[str, int], dict[str, int], bool]:
    """What a Q2 run reads (by participant due, by outcome, each payer's balance), and whether the last entry it
    reads is the ledger's."""
    with unit_of_work(database(settings)) as session:
        cid = contract_id(pbr_contract(session, CONTRACT))
        # each participant's with its claims due, as the run reads them
        due = due_claim_rows(session=session, contract_id=cid, unpaid_by=Q2_END)
        participants = {who: paid for _, _, who, _, _, _, paid in due}
        outcomes = net_paid_by_outcome(session=session, contract_id=cid)
        latest = session.connection().execute(text("SELECT MAX(id) FROM pbr_ledger")).scalar()
        last = last_entry(session=session, contract_id=cid) == latest
        return participants, outcomes, ledger_balances(session=session, contract_id=cid), last


def test_a_run_reads_what_q1_paid_from_the_totals(q1_paid: Settings) -> None:
    # only P-003 has claims due by 30 June: £500.00 paid for C-5; every payer paid what it accrued
    assert read(q1_paid) == ({"P-003": 50_000}, Q1_BY_OUTCOME, {"central fund": 0, "council": 0}, True)


def test_a_clawback_and_its_reversal_move_the_totals_as_the_ledger(q1_paid: Settings) -> None:
    approved_clawback(q1_paid, CONTRACT, "C-5", reason="payslip forged", as_of=AUDIT, actor="finance")
    # C-5's £500.00 taken back: P-003 and EMP_ENTRY are paid nothing net, and each payer is owed its share back
    # (£150.00 by the central fund's 30%, £350.00 by the council's 70%)
    clawed = ({"P-003": 0}, {**Q1_BY_OUTCOME, "EMP_ENTRY": 0}, {"central fund": -15_000, "council": -35_000}, True)
    assert read(q1_paid) == clawed
    later = AUDIT + dt.timedelta(days=1)
    approved_clawback(q1_paid, CONTRACT, "C-5", reason="payslip was genuine", as_of=later, actor="finance",
                      reverse=True)  # fmt: skip
    assert read(q1_paid) == ({"P-003": 50_000}, Q1_BY_OUTCOME, {"central fund": 0, "council": 0}, True)


def test_migration_0021_fills_the_totals_from_the_ledger(q1_paid: Settings) -> None:
    approved_clawback(q1_paid, CONTRACT, "C-5", reason="payslip forged", as_of=AUDIT, actor="finance")
    engine = database(q1_paid)
    downgrade(engine, "0020")  # a ledger written before the totals existed
    upgrade(engine)
    with engine.connect() as conn:
        assert disagreements(conn) == {}
        assert conn.execute(text("SELECT COUNT(*) FROM pbr_participant_paid")).scalar() == 4  # P-001 to P-004
    clawed = ({"P-003": 0}, {**Q1_BY_OUTCOME, "EMP_ENTRY": 0}, {"central fund": -15_000, "council": -35_000}, True)
    assert read(q1_paid) == clawed


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_writers_of_one_contracts_totals_queue_rather_than_deadlock(q1_paid: Settings) -> None:
    """A clawback of C-5 (central fund, EMP_ENTRY, P-003) not yet committed, and a recovery's first entry for C-2
    (council, EDU_L2, P-001): no totals row in common, but a later entry of either could need the other's rows, in
    the other order. The second writer waits for the first at its first entry, and goes on once the first ends."""
    eng = database(q1_paid)

    def entry(session: Session, payer: str, outcome: str, participant: str) -> None:
        session.add(LedgerEntry(contract_id=cid, payer=payer, kind="clawback", item="outcome", amount_pence=-100,
                                entry_on=AUDIT.date(), participant=participant, outcome=outcome, created_at=AUDIT,
                                actor="finance"))  # fmt: skip
        session.flush()

    with Session(eng) as first:
        cid = contract_id(pbr_contract(first, CONTRACT))
        entry(first, "central fund", "EMP_ENTRY", "P-003")  # holds the contract's totals until it ends
        second_pid: list[int] = []

        def second() -> None:
            with Session(eng) as other:
                second_pid.append(other.connection().execute(text("SELECT pg_backend_pid()")).scalar_one())
                entry(other, "council", "EDU_L2", "P-001")
                other.rollback()

        worker = threading.Thread(target=second)
        worker.start()
        waited = False
        for _ in range(200):  # at most about 20 s for the second to be seen waiting (it never ends while it waits)
            if second_pid:
                waiting = (
                    first.connection()
                    .execute(text("SELECT wait_event FROM pg_stat_activity WHERE pid = :p"), {"p": second_pid[0]})
                    .scalar()
                )
                if waiting == "advisory":
                    waited = True
                    break
            if not worker.is_alive():
                break
            time.sleep(0.1)
        first.rollback()
        worker.join(timeout=30)
    assert waited and not worker.is_alive()
    assert read(q1_paid) == ({"P-003": 50_000}, Q1_BY_OUTCOME, {"central fund": 0, "council": 0}, True)
