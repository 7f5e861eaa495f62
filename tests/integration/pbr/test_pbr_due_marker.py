"""The marker of a claim a run has accrued (pbr_claim.accrued_run_id, what runs read the due claims by) agrees with
the ledger, which stays the truth, through runs, a refused approval, a clawback and re-decided claims.

FCF-2025-01 with the claims of test_pbr_payments: C-1 to C-7 achieved in 2026-Q1, C-8 and C-9 (P-003) in Q2.
"""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text

from flows.approvals.service import approve
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.participant_corrections import correct_participant
from flows.pbr.payment_runs import propose_payment_run
from models.db import unit_of_work
from models.migrate import downgrade, upgrade
from models.pbr.bulk import stage_rows
from models.pbr.ledger import PaymentRun
from models.pbr.planned import PLANNED_COLUMNS, mark_planned
from tests.integration.pbr import test_pbr_payments
from tests.integration.pbr.test_pbr_payments import AUDIT, CONTRACT, Q2_RUN, Q3_RUN
from tests.support.approvals import FINANCE, approved_clawback, approved_run

fcf, q1_paid = test_pbr_payments.fcf, test_pbr_payments.q1_paid  # the fixtures
Q1_CLAIMS = ("C-1", "C-2", "C-3", "C-4", "C-5", "C-6", "C-7")


def marked(settings: Settings) -> dict[str, str | None]:
    """Each claim's marker, as the period of the run it names (None: not accrued)."""
    sql = "SELECT c.ref, r.period FROM pbr_claim c LEFT JOIN payment_run r ON r.id = c.accrued_run_id"
    with unit_of_work(database(settings)) as session:
        return dict(session.connection().execute(text(sql)).all())  # type: ignore[arg-type]


def accrued(settings: Settings) -> dict[str, str | None]:
    """Each claim as the ledger has it: the period of the first run with an accrual for it (None: none)."""
    sql = (
        "SELECT c.ref, (SELECT r.period FROM pbr_ledger l JOIN payment_run r ON r.id = l.run_id "
        "WHERE l.claim_id = c.id AND l.kind = 'accrual' ORDER BY l.id LIMIT 1) FROM pbr_claim c"
    )
    with unit_of_work(database(settings)) as session:
        return dict(session.connection().execute(text(sql)).all())  # type: ignore[arg-type]


def test_nothing_is_marked_before_a_run_and_the_q1_run_marks_exactly_the_claims_it_paid(fcf: Settings) -> None:
    assert marked(fcf) == accrued(fcf) == dict.fromkeys([*Q1_CLAIMS, "C-8", "C-9"])
    approved_run(fcf, CONTRACT, "2026-Q1", as_of=test_pbr_payments.Q1_RUN, actor="finance")
    # Q1 pays C-1 to C-7 (£9,500.00); C-8 and C-9, achieved in Q2, wait for the Q2 run
    assert marked(fcf) == accrued(fcf) == {**dict.fromkeys(Q1_CLAIMS, "2026-Q1"), "C-8": None, "C-9": None}


def test_a_refused_approval_marks_nothing_and_a_clawback_unmarks_nothing(q1_paid: Settings) -> None:
    proposed = propose_payment_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="asha")["proposal"]
    # C-1 clawed back (£500.00) while the Q2 run waits: the ledger moved, so its approval is refused as stale
    approved_clawback(q1_paid, CONTRACT, "C-1", reason="enrolment never started", as_of=AUDIT, actor="finance")
    with pytest.raises(UserError, match="is stale"):
        approve(q1_paid, proposed["id"], by="ben", roles=FINANCE, as_of=Q2_RUN)
    # C-8 and C-9 stay unmarked (the refused approval wrote nothing); C-1 was accrued by Q1 and still is (the
    # clawback is a further entry: a clawed-back claim is never paid again by a run)
    expected = {**dict.fromkeys(Q1_CLAIMS, "2026-Q1"), "C-8": None, "C-9": None}
    assert marked(q1_paid) == accrued(q1_paid) == expected
    approved_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")
    assert marked(q1_paid) == accrued(q1_paid) == {**expected, "C-8": "2026-Q2", "C-9": "2026-Q2"}


def test_claims_re_decided_by_corrections_are_marked_when_a_run_pays_them_and_not_before(q1_paid: Settings) -> None:
    # P-003 wrongly corrected to born 28 Feb 2000 (25 at referral, ineligible): Q2 claws back C-5 (paid in Q1) and
    # rejects C-8 and C-9 unpaid, so Q2 marks nothing and C-5 keeps Q1's mark.
    def correct(born: dt.date, as_of: dt.datetime) -> None:
        correct_participant(q1_paid, CONTRACT, "P-003", reason="Passport checked", as_of=as_of, actor="caseworker",
                            date_of_birth=born)  # fmt: skip

    correct(dt.date(2000, 2, 28), AUDIT)
    approved_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")
    expected = {**dict.fromkeys(Q1_CLAIMS, "2026-Q1"), "C-8": None, "C-9": None}
    assert marked(q1_paid) == accrued(q1_paid) == expected
    # Corrected back to 29 Feb 2004: Q3 re-opens all three; C-5's clawback is reversed (it is not paid again, so
    # keeps Q1's mark) and C-8 (£500.00) and C-9 (£2,500.00) are paid, and marked, by Q3.
    correct(dt.date(2004, 2, 29), Q2_RUN)
    approved_run(q1_paid, CONTRACT, "2026-Q3", as_of=Q3_RUN, actor="finance")
    assert marked(q1_paid) == accrued(q1_paid) == {**expected, "C-8": "2026-Q3", "C-9": "2026-Q3"}


def test_migration_0019_marks_the_claims_already_accrued_from_the_ledger(q1_paid: Settings) -> None:
    # A database paid for Q1 before the marker existed: back to 0018 (no marker), then up again.
    engine = database(q1_paid)
    downgrade(engine, "0018")
    upgrade(engine)
    assert marked(q1_paid) == accrued(q1_paid) == {**dict.fromkeys(Q1_CLAIMS, "2026-Q1"), "C-8": None, "C-9": None}
    # and the next run reads only C-8 and C-9 as due: £3,000.00, £900.00 central fund, £2,100.00 council
    run = approved_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")
    assert test_pbr_payments.payments(run.summary) == {"central fund": "900.00", "council": "2100.00"}


def test_an_approval_racing_another_that_paid_some_of_its_claims_pays_nothing(
    fcf: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two approvals at once, each checked before the other wrote: the second finds a claim it pays already
    marked by the first run, and keeps nothing (the staleness check, which catches this one at a time, is what
    the race slips past, so it is stood aside here)."""
    proposed = propose_payment_run(fcf, CONTRACT, "2026-Q1", as_of=test_pbr_payments.Q1_RUN, actor="asha")["proposal"]
    with unit_of_work(database(fcf)) as session:  # "the other run": C-2 marked as paid by it just now
        session.connection().execute(text("INSERT INTO payment_run (contract_id, period, period_start, period_end, "
                                          "run_on, summary, created_at, actor) SELECT contract_id, '2025-Q4', "
                                          "'2025-10-01', '2025-12-31', '2026-04-01', '{}', proposed_at, 'other' "
                                          "FROM proposal WHERE id = :p"), {"p": proposed["id"]})  # fmt: skip
        session.connection().execute(text("UPDATE pbr_claim SET accrued_run_id = (SELECT MAX(id) FROM payment_run) "
                                          "WHERE ref = 'C-2'"))  # fmt: skip
    monkeypatch.setattr("flows.approvals.service._changed", lambda proposal, now: "")
    with pytest.raises(UserError, match="another payment run has just paid some of its claims; nothing was paid"):
        approve(fcf, proposed["id"], by="ben", roles=FINANCE, as_of=test_pbr_payments.Q1_RUN)
    with unit_of_work(database(fcf)) as session:
        entries = session.connection().execute(text("SELECT COUNT(*) FROM pbr_ledger")).scalar()
    assert entries == 0 and marked(fcf)["C-1"] is None  # nothing of the Q1 run was kept


def test_an_approval_that_fails_after_marking_keeps_no_mark(fcf: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Q1 approval fails after its claims were marked (here, as the ledger's statistics are read again): the
    marks go with the rest of its transaction, and the claims are due to the next try."""
    proposed = propose_payment_run(fcf, CONTRACT, "2026-Q1", as_of=test_pbr_payments.Q1_RUN, actor="asha")["proposal"]

    def fails(*_: object) -> None:
        raise RuntimeError("the disk is full")

    with monkeypatch.context() as patched, pytest.raises(RuntimeError, match="the disk is full"):
        patched.setattr("flows.pbr.payment_runs.refresh_statistics", fails)
        approve(fcf, proposed["id"], by="ben", roles=FINANCE, as_of=test_pbr_payments.Q1_RUN)
    assert marked(fcf) == accrued(fcf) == dict.fromkeys([*Q1_CLAIMS, "C-8", "C-9"])
    approve(fcf, proposed["id"], by="ben", roles=FINANCE, as_of=test_pbr_payments.Q1_RUN)
    assert marked(fcf) == accrued(fcf) == {**dict.fromkeys(Q1_CLAIMS, "2026-Q1"), "C-8": None, "C-9": None}


def test_marking_as_planned_marks_the_claims_the_kept_lines_accrue_but_those_another_run_has_paid(
    fcf: Settings, tmp_path: Path
) -> None:
    """An approval as proposed marks its claims from its kept lines, on either backend (not from the entries it has
    just written: here it has written none). C-1 and C-2 accrued to both payers, C-3 to one, and a service fee;
    C-2 was paid by another run since the proposal: C-1 and C-3 are marked, C-2 keeps the other run's mark, and the
    lines accrue three claims, so the approval would be refused."""
    with unit_of_work(database(fcf)) as session:
        ids = dict(session.connection().execute(text("SELECT ref, id FROM pbr_claim")).all())
        cid = session.connection().execute(text("SELECT id FROM contract WHERE ref = :c"), {"c": CONTRACT}).scalar()
        runs = [PaymentRun(contract_id=cid, period=period, period_start=dt.date(2026, month, 1),
                           period_end=dt.date(2026, month + 2, 28), run_on=dt.date(2026, 4, 2), summary={},
                           created_at=test_pbr_payments.Q1_RUN, actor="finance")
                for period, month in (("2025-Q4", 1), ("2026-Q1", 1))]  # fmt: skip
        session.add_all(runs)
        session.flush()
        other, this = (run.id for run in runs)
        session.connection().execute(text("UPDATE pbr_claim SET accrued_run_id = :r WHERE ref = 'C-2'"), {"r": other})
        lines = [(ref, payer) for ref in ("C-1", "C-2") for payer in ("central fund", "council")] + [("C-3", "council")]
        rows = [(seq, payer, "accrual", "outcome", 100, ids[ref], "P-001", "OUT", None, "")
                for seq, (ref, payer) in enumerate(lines, 1)]  # fmt: skip
        rows.append((len(rows) + 1, "council", "accrual", "service_fee", 50, None, None, None, "2026-03", ""))
        stage_rows(tmp_path / "lines.db", PLANNED_COLUMNS, rows, key="seq")
        assert this is not None and mark_planned(session, tmp_path / "lines.db", this) == (2, 3)
    assert marked(fcf) == {**dict.fromkeys([*Q1_CLAIMS, "C-8", "C-9"]), "C-1": "2026-Q1", "C-2": "2025-Q4",
                           "C-3": "2026-Q1"}  # fmt: skip
