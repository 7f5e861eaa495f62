"""Serve's sweep job expires pending proposals too, not only a read or a decision: one "expired" event each."""

import datetime as dt

import pytest

from flows.approvals.service import propose, public
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.contract import pbr_contract
from flows.reminders.scheduler import sweep_job
from models.approvals import proposals
from models.db import unit_of_work
from models.events import events_for
from tests.integration.pbr import test_pbr_payments
from tests.integration.pbr.test_pbr_payments import CONTRACT, Q1_RUN

fcf = test_pbr_payments.fcf  # FCF-2025-01 with its card and claims, nothing paid

ENTERED = dt.datetime(2026, 4, 2, 9, 0, tzinfo=dt.UTC)  # 168 hours before 9 April 2026, 09:00: long past


def pending(settings: Settings, key: str) -> int:
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, CONTRACT)
        proposal, _ = propose(settings, session, kind="clawback", contract=contract, key=key, subject=f"test {key}",
                              payload={}, preview={}, inputs={}, amount_pence=-100, actor="asha", as_of=Q1_RUN,
                              now=ENTERED)  # fmt: skip
        return int(public(session, proposal)["id"])


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_sweep_job_expires_pending_proposals_with_an_event_each(fcf: Settings) -> None:
    first, second = pending(fcf, "one"), pending(fcf, "two")
    lines: list[tuple[str, dict]] = []
    sweep_job(lambda line, **fields: lines.append((line, fields)))()  # one scheduled run, as serve makes it
    [(line, fields)] = lines
    assert "failed" not in line and fields["expired"] == 2
    with unit_of_work(database(fcf)) as session:
        closed = {p.id: (p.status, p.decided_by, p.decided_at) for p in proposals(session=session)}
        expired = [e.after["proposal"] for e in events_for(session=session, entity="contract", entity_ref=CONTRACT)
                   if e.action == "expired"]  # fmt: skip
    # each closed when its time ran out (9 April 2026, 09:00), by the policy, not by a person
    when = dt.datetime(2026, 4, 9, 9, 0)
    assert {k: (s, b, d.replace(tzinfo=None)) for k, (s, b, d) in closed.items()} == {
        first: ("expired", "policy", when),
        second: ("expired", "policy", when),
    }
    assert sorted(expired) == [first, second]
    lines.clear()
    sweep_job(lambda line, **fields: lines.append((line, fields)))()  # the next run finds nothing more
    assert lines[0][1]["expired"] == 0
