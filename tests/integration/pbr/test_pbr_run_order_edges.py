"""Periods are paid in order, at the edge: a quarter whose only unpaid claim was achieved on its last day.

FCF-2025-01 (quarterly, 30% central fund / 70% council) with two claims of the test_pbr_payments participants:

  claim  who    outcome    achieved      £
  C-1    P-001  EDU_ENTRY  2026-03-31    500.00   the last day of 2026-Q1
  C-8    P-003  EDU_ENTRY  2026-04-10    500.00   2026-Q2

2026-Q2 may not be paid before 2026-Q1: C-1, on 31 March, is Q1's, however close to Q2 it falls. Once Q1 is
paid (£500.00: £150.00 and £350.00), Q2 pays its £500.00 the same way.
"""

from pathlib import Path

import pytest

from flows.common.settings import Settings
from tests.integration.pbr.test_pbr_payments import CONTRACT, Q1_RUN, Q2_RUN, payments, with_claims
from tests.integration.pbr.test_pbr_run_rules import NOW, refused
from tests.support.approvals import approved_run

CLAIMS = [
    ("C-1", "P-001", "EDU_ENTRY", "2026-03-31", "enrolment"),
    ("C-8", "P-003", "EDU_ENTRY", "2026-04-10", "enrolment"),
]


@pytest.fixture
def last_day(settings: Settings, tmp_path: Path) -> Settings:
    report = with_claims(settings, tmp_path, CLAIMS)
    assert report.accepted == 2
    return settings


def test_a_claim_on_the_quarters_last_day_keeps_the_next_quarter_waiting(last_day: Settings) -> None:
    assert refused(last_day, "2026-Q2", Q2_RUN) == (
        "2026-Q1 has accepted claims and no payment run; periods are paid in order, so pay 2026-Q1 first"
    )
    q1 = approved_run(last_day, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance", now=NOW)
    assert payments(q1.summary) == {"central fund": "150.00", "council": "350.00"}
    q2 = approved_run(last_day, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance", now=NOW)
    assert payments(q2.summary) == {"central fund": "150.00", "council": "350.00"}
    # each run was new when approved; asking for 2026-Q1 again shows its run, paid as before
    again = approved_run(last_day, CONTRACT, "2026-Q1", as_of=Q2_RUN, actor="finance", now=NOW)
    assert (q1.existing, q2.existing, again.existing) == (False, False, True)
    assert payments(again.summary) == payments(q1.summary)
