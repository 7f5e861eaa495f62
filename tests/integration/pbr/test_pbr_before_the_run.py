"""A clawback or a sample is never dated before the payment run it acts on: the ledger cannot read backwards."""

import datetime as dt

import pytest

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.pbr.sampling import sample_validation
from tests.integration.pbr.test_pbr_payments import CONTRACT, Q1_RUN, counts, fcf, q1_paid  # noqa: F401
from tests.support.approvals import approved_clawback

BEFORE_RUN = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)  # the day before the 2026-Q1 run


def test_a_clawback_dated_before_the_run_that_paid_the_claim_is_refused(q1_paid: Settings) -> None:  # noqa: F811
    before = counts(q1_paid)
    with pytest.raises(UserError, match=r"before the 2026-Q1 payment run \(2026-04-02T09:00\+00:00\) that paid"):
        approved_clawback(q1_paid, CONTRACT, "C-1", reason="no enrolment", as_of=BEFORE_RUN, actor="finance")
    assert counts(q1_paid) == before
    approved_clawback(
        q1_paid, CONTRACT, "C-1", reason="no enrolment", as_of=Q1_RUN, actor="finance"
    )  # the run's own instant


def test_a_sample_dated_before_the_run_it_samples_is_refused(q1_paid: Settings) -> None:  # noqa: F811
    before = counts(q1_paid)
    with pytest.raises(UserError, match=r"before the 2026-Q1 payment run .* that the sample checks"):
        sample_validation(q1_paid, CONTRACT, "2026-Q1", size=7, seed=7, results=None, as_of=BEFORE_RUN, actor="a")
    assert counts(q1_paid) == before
    drawn = sample_validation(q1_paid, CONTRACT, "2026-Q1", size=7, seed=7, results=None, as_of=Q1_RUN, actor="a")
    assert drawn.population == 7
