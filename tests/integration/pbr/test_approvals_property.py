"""Property: over any stream of proposals, approvals, rejections and corrections by a finance team (and an
auditor), the ledger balances per payer and per claim, and no money moves without an approval by someone
other than its proposer. FCF-2025-01 as in test_pbr_payments: 2026-Q1 pays C-1 to C-7 (£9,500.00), 2026-Q2
C-8 and C-9. The corrections: P-003's date of birth set wrong (28 Feb 2000: ineligible) or right again (29 Feb
2004), single clawbacks and their reversals, a sample of Q1 concluded (C-7 invalid, by the point estimate) and
its recovery withdrawn. Every one of them that moves money is itself proposed and approved."""

import contextlib
import dataclasses
import datetime as dt
import itertools
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from flows.approvals.service import approve, list_proposals, reject
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.clawbacks import propose_clawback
from flows.pbr.participant_corrections import correct_participant
from flows.pbr.payment_runs import propose_payment_run
from flows.pbr.recovery_proposals import propose_withdrawal
from flows.pbr.sampling import sample_validation
from models.approvals import Proposal, ProposalApproval
from models.db import unit_of_work
from models.pbr.ledger import ACCRUAL, CLAWBACK, PAYMENT, REVERSAL, LedgerEntry, PaymentRun
from tests.integration.pbr.test_pbr_payments import CONTRACT, Q1_RUN, Q2_RUN, Q3_RUN, fcf
from tests.integration.pbr.test_pbr_samples import point_estimate, results_file

__all__ = ["fcf"]
EXAMPLES = itertools.count()
PERIODS = {"2026-Q1": Q1_RUN, "2026-Q2": Q2_RUN, "2026-Q3": Q3_RUN}
AT = Q3_RUN + dt.timedelta(hours=1)  # corrections and decisions: after every run could have been proposed
ROLES = {"asha": {"finance"}, "ben": {"finance"}, "chloe": {"finance"}, "sam": {"auditor"}}
BORN = {True: dt.date(2000, 2, 28), False: dt.date(2004, 2, 29)}  # P-003: wrong (25 at referral), right (21)
CHECKS = [("C-2", "valid", ""), ("C-3", "valid", ""), ("C-7", "invalid", "certificate is for another learner")]
people = st.sampled_from(sorted(ROLES))
claims = st.sampled_from([f"C-{n}" for n in range(1, 10)])
steps = st.lists(
    st.one_of(
        st.tuples(st.just("propose"), st.sampled_from(sorted(PERIODS)), people),
        st.tuples(st.just("approve"), st.integers(1, 8), people),
        st.tuples(st.just("reject"), st.integers(1, 8), people),
        st.tuples(st.just("correct"), st.booleans(), people),
        st.tuples(st.just("clawback"), claims, people),
        st.tuples(st.just("reverse"), claims, people),
        st.tuples(st.just("sample"), st.just(None), people),
        st.tuples(st.just("withdraw"), st.just(None), people),
    ),
    max_size=14,
)

# Q1 paid; its sample concluded (C-7 clawed back, £1,090.91 recovered); P-003 made ineligible and Q2 paid on it
# (C-5 clawed back, C-8 and C-9 rejected); the recovery withdrawn; C-1 clawed back and reinstated; P-003 right
# again, so Q3 re-opens C-5, C-8 and C-9 (C-5's clawback reversed, C-8 and C-9 paid).
WORKED = [
    ("propose", "2026-Q1", "asha"), ("approve", 1, "ben"), ("sample", None, "asha"), ("approve", 2, "ben"),
    ("correct", True, "asha"), ("propose", "2026-Q2", "asha"), ("approve", 3, "chloe"),
    ("withdraw", None, "asha"), ("approve", 4, "ben"), ("clawback", "C-1", "asha"), ("approve", 5, "ben"),
    ("reverse", "C-1", "asha"), ("approve", 6, "chloe"), ("correct", False, "sam"), ("propose", "2026-Q3", "ben"),
    ("approve", 7, "asha"),
]  # fmt: skip


def _step(s: Settings, action: str, what: object, who: str, ids: list[int], folder: Path) -> None:
    made = None
    if action == "propose":
        made = propose_payment_run(s, CONTRACT, str(what), as_of=PERIODS[str(what)], actor=who)
    elif action == "correct":
        correct_participant(s, CONTRACT, "P-003", date_of_birth=BORN[bool(what)], reason="checked", as_of=AT, actor=who)
    elif action in ("clawback", "reverse"):
        made = propose_clawback(s, CONTRACT, str(what), reason="queried", as_of=AT, actor=who,
                                reverse=action == "reverse")  # fmt: skip
    elif action == "sample":
        drawn = dict(contract_ref=CONTRACT, period_text="2026-Q1", size=3, seed=7, as_of=AT, actor=who, reason="pilot")
        sample_validation(s, results=None, **drawn)  # type: ignore[arg-type]
        done = sample_validation(s, results=results_file(folder, CHECKS), **drawn)  # type: ignore[arg-type]
        if done.concluded and done.concluded.get("proposal"):
            ids.append(done.concluded["proposal"])
    elif action == "withdraw":
        made = propose_withdrawal(s, CONTRACT, "2026-Q1", reason="fund agreed", as_of=AT, actor=who)
    elif ids:
        pid = ids[(int(str(what)) - 1) % len(ids)]
        if action == "approve":
            approve(s, pid, by=who, roles=ROLES[who], as_of=AT)
        else:
            reject(s, pid, by=who, roles=ROLES[who], reason="queried", as_of=AT)
    if made and made.get("proposal"):
        ids.append(made["proposal"]["id"])


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=steps)
@example(stream=WORKED)
def test_no_money_moves_without_a_second_person_and_the_ledger_balances(fcf: Settings, stream: list[tuple]) -> None:
    here = Path(fcf.database_url.removeprefix("sqlite:///"))
    copy = here.with_name(f"example-{next(EXAMPLES)}.db")  # a new file (and engine) per example
    with sqlite3.connect(here) as source, sqlite3.connect(copy) as target:
        source.backup(target)  # the committed state, write-ahead log included (a file copy can miss it)
    folder = copy.with_suffix("")
    folder.mkdir()
    s = point_estimate(dataclasses.replace(fcf, database_url=f"sqlite:///{copy}", data_dir=folder), folder)
    ids: list[int] = []
    for action, what, who in stream:
        with contextlib.suppress(UserError):  # a refusal is an answer: the invariants hold whatever was refused
            _step(s, action, what, who, ids, folder)
    with unit_of_work(database(s)) as session:
        entries = sorted(session.exec(select(LedgerEntry)), key=lambda e: e.id or 0)
        proposals = list(session.exec(select(Proposal)))
        approvals = list(session.exec(select(ProposalApproval)))
        runs = list(session.exec(select(PaymentRun)))
    if stream == WORKED:  # the worked stream reaches every kind of entry, so the invariants are not vacuous
        assert [p["status"] for p in list_proposals(s)] == ["approved"] * 7
        assert len({e.claim_id for e in entries if e.kind == ACCRUAL}) == 9  # C-8 and C-9 paid once re-opened
        assert {e.kind for e in entries} == {ACCRUAL, PAYMENT, CLAWBACK, REVERSAL}
    _claims_balance(entries)
    _payers_balance(entries)
    _approved_by_another(entries, proposals, approvals, runs)


def _claims_balance(entries: list[LedgerEntry]) -> None:
    """Per claim and payer: accrued once; what it still holds is all of it or nothing; each reversal undoes one
    clawback of the same claim and payer, exactly, once."""
    by_id = {e.id: e for e in entries}
    accrued: dict[tuple[int, str], list[int]] = defaultdict(list)
    held: dict[tuple[int, str], int] = defaultdict(int)
    for e in entries:
        if e.claim_id is None:
            continue
        key = (e.claim_id, e.payer)
        held[key] += e.amount_pence
        if e.kind == ACCRUAL:
            accrued[key].append(e.amount_pence)
    assert all(len(amounts) == 1 for amounts in accrued.values())  # nothing accrued twice
    assert all(held[key] in (0, amounts[0]) for key, amounts in accrued.items())  # all of it, or clawed back
    assert all(held[key] == 0 for key in held if key not in accrued)  # nothing moves for an unpaid claim
    reversed_ids = [e.reverses_id for e in entries if e.kind == REVERSAL]
    assert len(reversed_ids) == len(set(reversed_ids))  # each clawback reversed at most once
    for e in entries:
        if e.kind == REVERSAL:
            undone = by_id[e.reverses_id]
            assert undone.kind == CLAWBACK and (undone.claim_id, undone.payer) == (e.claim_id, e.payer)
            assert undone.amount_pence == -e.amount_pence


def _payers_balance(entries: list[LedgerEntry]) -> None:
    """Per payer, replaying the ledger in order: a run accrues, nets off the balance it finds (what is owed back,
    or paid back) and pays the rest; what it cannot net off is carried. So after every run the payer's balance is
    min(0, balance before + accrued) and its payment max(0, the same)."""
    balance: dict[str, int] = defaultdict(int)
    done_runs: set[int] = set()
    for e in entries:
        if e.run_id is None:
            balance[e.payer] += e.amount_pence
            continue
        if e.run_id in done_runs:
            continue
        done_runs.add(e.run_id)
        mine = [r for r in entries if r.run_id == e.run_id]
        for payer in sorted({r.payer for r in mine}):
            accrued = sum(r.amount_pence for r in mine if r.payer == payer and r.kind != PAYMENT)
            paid = -sum(r.amount_pence for r in mine if r.payer == payer and r.kind == PAYMENT)
            due = balance[payer] + accrued
            assert paid == max(0, due), (payer, e.run_id, balance[payer], accrued, paid)
            balance[payer] = min(0, due)
    totals: dict[str, int] = defaultdict(int)
    for e in entries:
        totals[e.payer] += e.amount_pence
    assert dict(totals) == {p: v for p, v in balance.items() if p in totals}


def _approved_by_another(entries: list[LedgerEntry], proposals: list[Proposal],
                         approvals: list[ProposalApproval], runs: list[PaymentRun]) -> None:  # fmt: skip
    """Every run has its approved proposal, and every ledger entry was written by an approver of an approved
    proposal; no approved proposal was approved by its proposer or by anyone but a finance user."""
    approved = {p.id: p for p in proposals if p.status == "approved"}
    by: dict[int, list[str]] = defaultdict(list)
    for a in approvals:
        by[a.proposal_id].append(a.approver)
    for pid, p in approved.items():
        assert by[pid] and all(a != p.proposed_by and "finance" in ROLES[a] for a in by[pid])
        assert len(by[pid]) >= p.approvals_needed
    for run in runs:
        assert [p for p in approved.values() if p.kind == "payment_run" and p.period == run.period]
    deciders = {a for pid in approved for a in by[pid]}
    assert all(e.actor in deciders for e in entries)
