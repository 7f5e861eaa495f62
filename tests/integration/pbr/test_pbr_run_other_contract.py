"""A correction on another contract does not make a pending payment run stale.

FCF-2025-01 with the claims of test_pbr_payments, Q1 paid. Its Q2 run is proposed. Then a caseworker corrects a
participant of FCF-2025-02, a second contract on the same card terms in the same database. What FCF-2025-01's run
pays has not changed, so the approval goes through; the same correction on FCF-2025-01 refuses it as stale.
"""

import datetime as dt
from pathlib import Path

import pytest

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.pbr.participant_corrections import correct_participant
from flows.pbr.participants import import_participants
from flows.pbr.payment_runs import RunResult, propose_payment_run
from flows.pbr.ratecards import import_rate_card
from tests.integration.pbr import test_pbr_payments
from tests.integration.pbr.test_pbr_imports import add_contract
from tests.integration.pbr.test_pbr_payments import CONTRACT, Q2_RUN, SENT, payments
from tests.support.approvals import approved
from tests.support.builders import FCF_CARD

fcf, q1_paid = test_pbr_payments.fcf, test_pbr_payments.q1_paid  # the fixtures
OTHER = "FCF-2025-02"


@pytest.fixture
def two_contracts(q1_paid: Settings, tmp_path: Path) -> Settings:
    add_contract(q1_paid, OTHER, value="1500000")  # under YPH-1, which FCF-2025-01's set-up made
    card = tmp_path / "other.yaml"
    card.write_text(
        FCF_CARD.read_text(encoding="utf-8").replace(f"contract: {CONTRACT}", f"contract: {OTHER}"), "utf-8"
    )
    import_rate_card(q1_paid, card, as_of=SENT, actor="finance")
    people = tmp_path / "other-participants.csv"
    people.write_text(
        f"contract,participant,referral_date,date_of_birth\n{OTHER},P-001,2025-10-01,2005-01-15\n", "utf-8"
    )
    import_participants(q1_paid, people, as_of=SENT, actor="finance")
    return q1_paid


def correct(settings: Settings, contract: str, participant: str) -> None:
    correct_participant(
        settings, contract, participant, reason="Date of birth checked against the passport", as_of=Q2_RUN,
        actor="caseworker", date_of_birth=dt.date(2005, 1, 16),
    )  # fmt: skip


def test_a_correction_on_another_contract_leaves_the_proposal_to_be_approved(two_contracts: Settings) -> None:
    proposed = propose_payment_run(two_contracts, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")
    correct(two_contracts, OTHER, "P-001")
    run = RunResult(**approved(two_contracts, proposed["proposal"], as_of=Q2_RUN))
    # Q2 pays C-8 and C-9 (£500.00 + £2,500.00 = £3,000.00): 30% = £900.00 to the central fund, 70% = £2,100.00
    # to the council, as in test_pbr_payments, whatever the other contract's correction.
    assert payments(run.summary) == {"central fund": "900.00", "council": "2100.00"}


def test_the_same_correction_on_this_contract_makes_it_stale(two_contracts: Settings) -> None:
    proposed = propose_payment_run(two_contracts, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")
    correct(two_contracts, CONTRACT, "P-001")
    with pytest.raises(UserError, match="the participants corrected"):
        approved(two_contracts, proposed["proposal"], as_of=Q2_RUN)
