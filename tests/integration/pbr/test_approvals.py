"""Maker-checker on payment runs, as a finance team works it (FCF-2025-01, the fixtures of test_pbr_payments).

The 2026-Q1 run pays £9,500.00: C-1 to C-7 accepted, £2,850.00 (30%) to the central fund and £6,650.00 (70%)
to the council. Asha (finance) proposes it; Ben (finance) approves it; Sam (auditor) and Pat (provider) may
not; Asha may not approve her own.
"""

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import col, select

from flows.approvals.service import approve, expire_stale, get_proposal, list_proposals, reject
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.payment_runs import propose_payment_run
from models.db import unit_of_work
from models.events import Event
from models.pbr.ledger import LedgerEntry
from tests.integration.pbr.test_pbr_payments import AUDIT, CONTRACT, Q1_RUN, Q2_RUN, fcf, q1_paid
from tests.support.approvals import FINANCE, approved_clawback

__all__ = ["fcf", "q1_paid"]


def ledger(settings: Settings) -> list[LedgerEntry]:
    with unit_of_work(database(settings)) as session:
        return list(session.exec(select(LedgerEntry).order_by(col(LedgerEntry.id))))


def actions(settings: Settings) -> list[tuple[str, str]]:
    with unit_of_work(database(settings)) as session:
        rows = session.exec(select(Event).where(Event.entity == "contract").order_by(col(Event.id)))
        return [(e.action, e.actor) for e in rows if e.action in ("proposed", "approved", "rejected", "expired")]


def test_the_proposer_cannot_approve_an_auditor_or_provider_never_a_second_finance_user_does(fcf: Settings) -> None:
    proposed = propose_payment_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="asha")
    p = proposed["proposal"]
    assert (p["amount"], p["status"], p["approvals_needed"]) == ("9500.00", "pending", 1)
    # the preview: per payer, per outcome, what is netted off
    assert {k: v["payment"] for k, v in p["preview"]["payers"].items()} == {"central fund": "2850.00",
                                                                              "council": "6650.00"}  # fmt: skip
    assert ledger(fcf) == []  # nothing reaches the ledger before approval
    drafts = [Path(d) for d in proposed["drafts"]]
    assert [d.name for d in drafts] == ["DRAFT-central-fund.csv", "DRAFT-council.csv"]
    assert drafts[1].read_text(encoding="utf-8").splitlines()[1].startswith("DRAFT proposal")

    with pytest.raises(UserError, match="asha proposed it; the approver must be someone else"):
        approve(fcf, p["id"], by="asha", roles=FINANCE, as_of=AUDIT)
    with pytest.raises(UserError, match="only a finance user approves; sam holds auditor"):
        approve(fcf, p["id"], by="sam", roles={"auditor"}, as_of=AUDIT)
    with pytest.raises(UserError, match="only a finance user approves; pat holds provider"):
        approve(fcf, p["id"], by="pat", roles={"provider"}, as_of=AUDIT)
    with pytest.raises(UserError, match="needs a signed-in user or a user token"):
        approve(fcf, p["id"], by="os:ben (unauthenticated)", roles=(), as_of=AUDIT)
    assert ledger(fcf) == []

    done = approve(fcf, p["id"], by="ben", roles=FINANCE, as_of=AUDIT)
    assert done["proposal"]["status"] == "approved"
    entries = ledger(fcf)
    # 7 claims x 2 payers accrued, and one payment per payer: -£2,850.00 and -£6,650.00
    assert sorted(e.amount_pence for e in entries if e.kind == "payment") == [-665000, -285000]
    assert sum(e.amount_pence for e in entries) == 0  # everything accrued was paid
    assert {e.actor for e in entries} == {"ben"}
    assert not drafts[0].exists()  # released: the final schedules replace the drafts
    assert (fcf.data_dir / "payments" / CONTRACT / "2026-Q1" / "council.csv").is_file()
    assert actions(fcf) == [("proposed", "asha"), ("approved", "ben")]


def test_asking_again_while_pending_shows_the_pending_proposal(fcf: Settings) -> None:
    first = propose_payment_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="asha")
    again = propose_payment_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="asha")
    assert (again["pending"], again["proposal"]["id"]) == (True, first["proposal"]["id"])
    assert [r["id"] for r in list_proposals(fcf, status="pending")] == [first["proposal"]["id"]]


def test_a_proposal_made_stale_by_a_clawback_is_refused_naming_what_changed(q1_paid: Settings) -> None:
    p = propose_payment_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="asha")["proposal"]
    before = len(ledger(q1_paid))
    approved_clawback(q1_paid, CONTRACT, "C-1", reason="enrolment never started", as_of=AUDIT, actor="finance")
    with pytest.raises(UserError, match=r"is stale: the ledger \(another run, a clawback or a recovery\) changed"):
        approve(q1_paid, p["id"], by="ben", roles=FINANCE, as_of=Q2_RUN)
    assert len(ledger(q1_paid)) == before + 2  # the clawback's two entries; no run
    # proposing again replaces the stale one, which is closed saying why
    fresh = propose_payment_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="asha")["proposal"]
    assert fresh["id"] != p["id"]
    assert get_proposal(q1_paid, p["id"])["status"] == "rejected"
    approve(q1_paid, fresh["id"], by="ben", roles=FINANCE, as_of=Q2_RUN)


def test_over_the_threshold_two_distinct_approvers(fcf: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                    ) -> None:  # fmt: skip
    policy = tmp_path / "controls.toml"
    policy.write_text('[approvals]\nsecond_approver_over = "5000.00"\n', encoding="utf-8")
    monkeypatch.setenv("COMMISSIONING_CONTROLS_POLICY", str(policy))
    p = propose_payment_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="asha")["proposal"]
    assert p["approvals_needed"] == 2  # £9,500.00 is over £5,000.00
    first = approve(fcf, p["id"], by="ben", roles=FINANCE, as_of=AUDIT)
    assert first["proposal"]["status"] == "pending" and ledger(fcf) == []
    with pytest.raises(UserError, match="ben has already approved it"):
        approve(fcf, p["id"], by="ben", roles=FINANCE, as_of=AUDIT)
    approve(fcf, p["id"], by="chloe", roles=FINANCE, as_of=AUDIT)
    assert sum(e.amount_pence for e in ledger(fcf) if e.kind == "payment") == -950000


def test_rejected_writes_nothing_and_an_undecided_proposal_expires(fcf: Settings) -> None:
    p = propose_payment_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="asha")["proposal"]
    with pytest.raises(UserError, match="only a finance user rejects"):
        reject(fcf, p["id"], by="sam", roles={"auditor"}, reason="no", as_of=AUDIT)
    reject(fcf, p["id"], by="ben", roles=FINANCE, reason="C-2's certificate is queried", as_of=AUDIT)
    assert ledger(fcf) == [] and get_proposal(fcf, p["id"])["reason"] == "C-2's certificate is queried"
    with pytest.raises(UserError, match="it is already rejected"):
        approve(fcf, p["id"], by="ben", roles=FINANCE, as_of=AUDIT)
    # entered on 2 April 2026 at 09:00, it expires 168 hours later, at 09:00 on 9 April
    entered = dt.datetime(2026, 4, 2, 9, 0, tzinfo=dt.UTC)
    q = propose_payment_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="asha", now=entered)["proposal"]
    assert q["expires_at"] == "2026-04-09T09:00:00+00:00"
    assert expire_stale(fcf, now=dt.datetime(2026, 4, 9, 8, 59, tzinfo=dt.UTC)) == 0
    with pytest.raises(UserError, match="it is already expired"):
        approve(fcf, q["id"], by="ben", roles=FINANCE, as_of=AUDIT, now=dt.datetime(2026, 4, 9, 9, tzinfo=dt.UTC))
    assert ledger(fcf) == []
    assert actions(fcf)[-1] == ("expired", "policy")


def test_a_new_card_version_is_proposed_and_makes_a_pending_run_stale(q1_paid: Settings, tmp_path: Path) -> None:
    from flows.pbr.ratecards import propose_rate_card
    from tests.support.builders import FCF_CARD

    run = propose_payment_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="asha")["proposal"]
    card = tmp_path / "card-2026-07.yaml"  # the same card from 1 July 2026, after every claim priced (4 May)
    text = FCF_CARD.read_text(encoding="utf-8")
    card.write_text(text.replace("effective_from: 2025-10-01", "effective_from: 2026-07-01"), encoding="utf-8")
    proposed = propose_rate_card(q1_paid, card, as_of=Q2_RUN, actor="asha")
    assert proposed["status"] == "proposed" and proposed["proposal"]["preview"]["effective_from"] == "2026-07-01"
    approve(q1_paid, proposed["proposal"]["id"], by="ben", roles=FINANCE, as_of=Q2_RUN)
    assert propose_rate_card(q1_paid, card, as_of=Q2_RUN, actor="asha")["status"] == "unchanged"
    with pytest.raises(UserError, match="is stale: the rate card changed"):
        approve(q1_paid, run["id"], by="ben", roles=FINANCE, as_of=Q2_RUN)


def test_a_variation_of_the_contracts_value_makes_a_pending_run_stale(q1_paid: Settings) -> None:
    """The contract's value caps what its claims may be paid, so a run planned before a variation cannot be paid
    after it: the approval names what changed, and a new proposal plans against the varied value."""
    from flows.contracts.decisions import decide

    run = propose_payment_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="asha")["proposal"]
    decide(q1_paid, ref=CONTRACT, action="vary", reason="Uplift agreed at the review", as_of=Q2_RUN, actor="cara",
           value="2500000")  # fmt: skip
    with pytest.raises(UserError, match="is stale: the contract's value or term changed"):
        approve(q1_paid, run["id"], by="ben", roles=FINANCE, as_of=Q2_RUN)
    assert [e for e in ledger(q1_paid) if e.run_id is not None and e.entry_on >= dt.date(2026, 7, 1)] == []


def test_an_approval_that_fails_before_its_commit_keeps_the_drafts_of_the_pending_proposal(
    fcf: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed (or a full disk, a lost connection) after the run is written but before the commit: the proposal
    is still pending, so its drafts and kept lines must still be there for the approver to read and approve."""
    proposed = propose_payment_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="asha")
    p = proposed["proposal"]
    drafts = [Path(d) for d in proposed["drafts"]]
    _approval_failing_before_its_commit(fcf, monkeypatch, p["id"])
    assert get_proposal(fcf, p["id"])["status"] == "pending" and ledger(fcf) == []
    assert all(d.is_file() for d in drafts)
    assert approve(fcf, p["id"], by="ben", roles=FINANCE, as_of=AUDIT)["proposal"]["status"] == "approved"
    assert not any(d.exists() for d in drafts)


def test_an_approval_that_fails_before_its_commit_leaves_no_final_schedule_and_one_that_commits_places_them(
    fcf: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing final by accident: a payment schedule is what a payer is paid from, so none may be on the disk for
    a period the ledger has not paid. An approval that fails after writing the run but before its commit (a full
    disk, a kill) leaves the period's folder without one; the approval that commits places them, named in its
    result, with the lines the draft showed."""
    proposed = propose_payment_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="asha")
    p = proposed["proposal"]
    period = fcf.data_dir / "payments" / CONTRACT / "2026-Q1"
    _approval_failing_before_its_commit(fcf, monkeypatch, p["id"])
    assert ledger(fcf) == []
    assert not period.exists() or [f.name for f in period.iterdir() if f.suffix == ".csv"] == []
    result = approve(fcf, p["id"], by="ben", roles=FINANCE, as_of=AUDIT)["result"]
    placed = sorted(Path(s) for s in result["schedules"])
    assert [s.name for s in placed] == ["central-fund.csv", "council.csv"]
    assert sorted(period.glob("*.csv")) == placed
    assert result["summary"]["paid"] == "9500.00" and "DRAFT" not in placed[1].read_text()


def test_a_run_whose_schedules_cannot_be_placed_after_its_commit_says_so_and_showing_it_again_writes_them(
    fcf: Settings,
) -> None:
    """The approval has committed (the run is paid) when its schedules are placed: if they cannot be (here a
    file where the period's folder goes), the result says why and how to write them, and showing the run again
    writes them from the ledger."""
    proposed = propose_payment_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="asha")
    period = fcf.data_dir / "payments" / CONTRACT / "2026-Q1"
    period.write_text("in the way\n")
    done = approve(fcf, proposed["proposal"]["id"], by="ben", roles=FINANCE, as_of=AUDIT)
    assert done["proposal"]["status"] == "approved" and done["result"]["schedules"] == []
    (problem,) = done["result"]["schedules_not_written"]
    assert "the run is paid, but its schedules were not written" in problem
    assert f"commission pay --contract {CONTRACT} --period 2026-Q1" in problem
    assert done["result"]["summary"]["paid"] == "9500.00" and [e for e in ledger(fcf) if e.kind == "payment"]
    period.unlink()
    shown = propose_payment_run(fcf, CONTRACT, "2026-Q1", as_of=AUDIT, actor="asha")["run"]
    assert sorted(Path(s).name for s in shown["schedules"]) == ["central-fund.csv", "council.csv"]
    assert sorted(p.name for p in period.glob("*.csv")) == ["central-fund.csv", "council.csv"]


def _approval_failing_before_its_commit(fcf: Settings, monkeypatch: pytest.MonkeyPatch, proposal_id: int) -> None:
    """Approve, failing as a full disk would at the last step inside the approval's transaction."""
    import flows.approvals.service as service

    shown = service.public

    def fails(*args: object, **kwargs: object) -> object:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(service, "public", fails)
    with pytest.raises(OSError):
        approve(fcf, proposal_id, by="ben", roles=FINANCE, as_of=AUDIT)
    monkeypatch.setattr(service, "public", shown)
