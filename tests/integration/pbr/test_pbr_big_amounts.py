"""A run's total past a 32-bit integer of pence (£21,474,836.47): a national fund's quarter, £30,000,000.00 to
one payer, is one payment entry and one proposal amount, stored and read back to the penny on both backends.

(Found at 200,000 claims on PostgreSQL: a 2022-Q2 run of £28,908,400.00 could not be proposed, "integer out of
range"; SQLite's integers were 64-bit already.)
"""

import datetime as dt

from sqlmodel import select

from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.contract import contract_id, pbr_contract
from models.approvals import Proposal
from models.db import unit_of_work
from models.pbr.ledger import PAYMENT, LedgerEntry
from models.pbr.totals import ledger_balances
from tests.integration.pbr.test_pbr_payments import CONTRACT, Q1_RUN, fcf  # noqa: F401  (the fixture)

THIRTY_MILLION = 3_000_000_000  # £30,000,000.00 in pence: 2,147,483,647 is the largest 32-bit integer


def test_a_payment_and_a_proposal_over_21_million_pounds_are_kept_to_the_penny(fcf: Settings) -> None:  # noqa: F811
    with unit_of_work(database(fcf)) as session:
        cid = contract_id(pbr_contract(session, CONTRACT))
        session.add(LedgerEntry(contract_id=cid, payer="central fund", kind=PAYMENT, item="run",
                                amount_pence=-THIRTY_MILLION, entry_on=dt.date(2026, 4, 2), created_at=Q1_RUN,
                                actor="finance", memo="payment for 2026-Q1"))  # fmt: skip
        session.add(Proposal(kind="payment_run", contract_id=cid, period="2026-Q1", subject="payment run 2026-Q1",
                             payload={}, preview={}, fingerprint="f", amount_pence=THIRTY_MILLION + 1,
                             approvals_needed=2, status="proposed", proposed_by="finance", proposed_at=Q1_RUN,
                             expires_at=Q1_RUN + dt.timedelta(hours=168)))  # fmt: skip
    with unit_of_work(database(fcf)) as session:
        cid = contract_id(pbr_contract(session, CONTRACT))
        assert ledger_balances(session=session, contract_id=cid) == {"central fund": -3_000_000_000}
        amounts = list(session.exec(select(Proposal.amount_pence).where(Proposal.contract_id == cid)))
        assert amounts == [3_000_000_001]  # £30,000,000.01
