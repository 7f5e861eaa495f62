"""Property: over any stream of proposals, approvals and rejections by a finance team (and an auditor), the
ledger balances per payer and per claim, and no payment exists without an approval by someone other than its
proposer. FCF-2025-01 as in test_pbr_payments: 2026-Q1 pays C-1 to C-7 (£9,500.00), 2026-Q2 C-8 and C-9."""

import dataclasses
import datetime as dt
import itertools
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from flows.approvals.service import approve, reject
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.payment_runs import propose_payment_run
from models.approvals import Proposal, ProposalApproval
from models.db import unit_of_work
from models.pbr.claims import PbrClaim
from models.pbr.ledger import LedgerEntry, PaymentRun
from tests.integration.pbr.test_pbr_payments import CONTRACT, Q1_RUN, Q2_RUN, fcf

__all__ = ["fcf"]
EXAMPLES = itertools.count()
PERIODS = {"2026-Q1": Q1_RUN, "2026-Q2": Q2_RUN}
ROLES = {"asha": {"finance"}, "ben": {"finance"}, "chloe": {"finance"}, "sam": {"auditor"}}
people = st.sampled_from(sorted(ROLES))
steps = st.lists(
    st.one_of(
        st.tuples(st.just("propose"), st.sampled_from(sorted(PERIODS)), people),
        st.tuples(st.just("approve"), st.integers(1, 6), people),
        st.tuples(st.just("reject"), st.integers(1, 6), people),
    ),
    max_size=12,
)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=steps)
def test_no_payment_without_a_second_person_and_the_ledger_balances(fcf: Settings, stream: list[tuple]) -> None:
    here = Path(fcf.database_url.removeprefix("sqlite:///"))
    copy = here.with_name(f"example-{next(EXAMPLES)}.db")  # a new file (and engine) per example
    shutil.copy(here, copy)
    s = dataclasses.replace(fcf, database_url=f"sqlite:///{copy}", data_dir=copy.with_suffix(""))
    ids: list[int] = []
    for action, what, who in stream:
        try:
            if action == "propose":
                made = propose_payment_run(s, CONTRACT, what, as_of=PERIODS[what], actor=who)
                if made["proposal"] is not None:
                    ids.append(made["proposal"]["id"])
            elif ids:
                pid = ids[(what - 1) % len(ids)]
                at = Q2_RUN + dt.timedelta(hours=1)
                if action == "approve":
                    approve(s, pid, by=who, roles=ROLES[who], as_of=at)
                else:
                    reject(s, pid, by=who, roles=ROLES[who], reason="queried", as_of=at)
        except UserError:
            pass  # a refusal is an answer: the invariants below must hold whatever was refused
    with unit_of_work(database(s)) as session:
        entries = list(session.exec(select(LedgerEntry)))
        by_payer: dict[str, int] = defaultdict(int)
        by_claim: dict[int, int] = defaultdict(int)
        for e in entries:
            by_payer[e.payer] += e.amount_pence
            if e.claim_id is not None:
                by_claim[e.claim_id] += e.amount_pence
        assert all(total == 0 for total in by_payer.values())  # every accrual paid out, nothing paid twice
        payable = {c.id: c.payable_pence for c in session.exec(select(PbrClaim))}
        assert all(by_claim[k] == payable[k] for k in by_claim)  # a claim is paid in full, once
        for run in session.exec(select(PaymentRun)):
            approved = session.exec(
                select(Proposal).where(Proposal.period == run.period, Proposal.status == "approved")
            ).one()
            approvers = [a.approver for a in session.exec(
                select(ProposalApproval).where(ProposalApproval.proposal_id == approved.id))]  # fmt: skip
            assert approvers and all(a != approved.proposed_by and "finance" in ROLES[a] for a in approvers)
