"""A clawback's amount, and the dates and repeats it refuses, on the Q1 run of test_pbr_payments.

C-2 (EDU_L2, £3,500.00) was paid in the 2026-Q1 run made at 09:00 on 2 April 2026: £1,050.00 by the central fund
and £2,450.00 by the council. Clawing it back takes both: £3,500.00 in all, the amount the proposal and the event
state (positive: what is recovered).
"""

from pathlib import Path

import pytest

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.clawbacks import propose_clawback
from models.db import unit_of_work
from models.events import events_for
from tests.integration.pbr.test_pbr_payments import AUDIT, CONTRACT, SENT, fcf, q1_paid
from tests.support.approvals import approved, approved_clawback


@pytest.fixture
def paid(settings: Settings, tmp_path: Path) -> Settings:
    return q1_paid.__wrapped__(fcf.__wrapped__(settings, tmp_path))  # type: ignore[attr-defined,no-any-return]


def clawback_events(settings: Settings) -> list[dict | None]:
    with unit_of_work(database(settings)) as session:
        found = events_for(session=session, entity="contract", entity_ref=CONTRACT)
        return [e.after for e in found if e.action == "clawback"]


def test_the_proposal_and_the_event_state_the_whole_amount_clawed_back(paid: Settings) -> None:
    proposed = propose_clawback(paid, CONTRACT, "C-2", reason="certificate forged", as_of=AUDIT, actor="finance")
    assert proposed["proposal"]["amount"] == "3500.00"  # £1,050.00 + £2,450.00
    approved(paid, proposed["proposal"], as_of=AUDIT)
    [after] = clawback_events(paid)
    assert after is not None and (after["claim"], after["amount"]) == ("C-2", "3500.00")


def test_a_claim_clawed_back_once_is_refused_a_second_time_naming_the_first(paid: Settings) -> None:
    approved_clawback(paid, CONTRACT, "C-2", reason="certificate forged", as_of=AUDIT, actor="finance")
    with pytest.raises(UserError, match=r"^claim C-2 was already clawed back on 2026-04-03$"):
        propose_clawback(paid, CONTRACT, "C-2", reason="again", as_of=AUDIT, actor="finance")


def test_a_clawback_dated_before_the_run_that_paid_the_claim_is_refused(paid: Settings) -> None:
    # 1 April 2026 is before the Q1 run of 2 April that paid C-2
    said = r"is before the 2026-Q1 payment run .* that paid claim C-2; date it on or after the run$"
    with pytest.raises(UserError, match=said):
        propose_clawback(paid, CONTRACT, "C-2", reason="certificate forged", as_of=SENT, actor="finance")
