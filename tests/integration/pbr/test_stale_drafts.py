"""Drafts left for good by a killed process are cleared by the contract's next proposal (FCF-2025-01, the fixtures
of test_pbr_payments): a decided or never-made proposal's drafts folder over a day old goes; a pending
proposal's, and one minutes old (a proposal being made now), stay."""

import os
import time
from pathlib import Path

from flows.approvals.service import approve
from flows.common.settings import Settings
from flows.pbr.payment_runs import propose_payment_run
from tests.integration.pbr.test_pbr_payments import AUDIT, CONTRACT, Q1_RUN, Q2_RUN, fcf
from tests.support.approvals import FINANCE

__all__ = ["fcf"]

TWO_DAYS = 2 * 24 * 3600


def folder_of(settings: Settings, proposal_id: int, *files: str, age: float = 0) -> Path:
    """drafts/proposal-<id> with ``files`` in it, its times set ``age`` seconds back."""
    folder = settings.data_dir / "payments" / CONTRACT / "drafts" / f"proposal-{proposal_id}"
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        (folder / name).write_text("status,payer\n")
    if age:
        for path in [*folder.iterdir(), folder]:
            os.utime(path, (time.time() - age, time.time() - age))
    return folder


def test_the_next_proposal_clears_the_old_drafts_of_proposals_not_pending_and_keeps_the_rest(fcf: Settings) -> None:
    q1 = propose_payment_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="asha")["proposal"]["id"]
    approve(fcf, q1, by="ben", roles=FINANCE, as_of=AUDIT)
    # as a kill between the approval's commit and the removal of its drafts leaves them (final copies and all)
    decided = folder_of(fcf, q1, "DRAFT-council.csv", ".final-council.csv", age=TWO_DAYS)
    never_made = folder_of(fcf, 999, "DRAFT-council.csv", age=TWO_DAYS)  # a proposal killed before its commit
    being_made = folder_of(fcf, 998, "DRAFT-council.csv")  # minutes old: another process's proposal, uncommitted
    not_drafts = folder_of(fcf, 997, age=TWO_DAYS).parent / "notes"
    not_drafts.mkdir()
    os.utime(not_drafts, (time.time() - TWO_DAYS, time.time() - TWO_DAYS))

    q2 = propose_payment_run(fcf, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="asha")["proposal"]["id"]
    pending = folder_of(fcf, q2, age=TWO_DAYS)  # the pending proposal's own drafts, however old, stay
    assert not decided.exists() and not never_made.exists() and not (never_made.parent / "proposal-997").exists()
    assert being_made.is_dir() and not_drafts.is_dir()

    again = propose_payment_run(fcf, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="asha")  # shown again: pending
    assert again["proposal"]["id"] == q2 and sorted(p.name for p in pending.iterdir()) == [
        ".final-central-fund.csv", ".final-council.csv", "DRAFT-central-fund.csv", "DRAFT-council.csv",
        "ledger-lines.sqlite"]  # fmt: skip
