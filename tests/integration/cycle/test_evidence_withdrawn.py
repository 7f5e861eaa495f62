"""Evidence entered in error is withdrawn with a reason: kept in the register and the history, not counted.

HOM-2026-01 in Analyse needs, by the shipped gates, evidence of local need (any strength) and of what works
(EIF 3 or SMS 3 at least). With one item of each the gate to Plan is met; withdrawing the what-works item
(the trial was of another service) leaves it unmet again.
"""

import datetime as dt

import pytest

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.cycle.detail import project_detail
from flows.cycle.evidence import add_evidence, evidence_register, withdraw_evidence
from tests.integration.cycle.test_projects import EVIDENCE, MARCH_2, counts, new_project
from tests.support.builders import shipped_policy

WHAT_WORKS = {
    **EVIDENCE,
    "kind": "what_works",
    "source": "Housing First pilot evaluation",
    "independently_reviewed": True,
    "method": "quasi-experimental",
    "strength": "sms:3",
    "summary": "Tenancies sustained at 12 months",
}
WHY = "The pilot evaluated was of a different service"
LATER = MARCH_2 + dt.timedelta(days=7)


def test_a_withdrawn_item_stays_in_the_register_and_history_but_the_gate_no_longer_counts_it(
    settings: Settings,
) -> None:
    new_project(settings)
    add_evidence(settings, ref="HOM-2026-01", fields=EVIDENCE, as_of=MARCH_2, actor="aisha")
    trial = add_evidence(settings, ref="HOM-2026-01", fields=WHAT_WORKS, as_of=MARCH_2, actor="aisha")
    assert project_detail(settings, shipped_policy(), "HOM-2026-01")["gate"]["unmet"] == []

    done = withdraw_evidence(settings, ref="HOM-2026-01", item=trial.id or 0, reason=WHY, as_of=LATER, actor="priya")
    assert done["withdrawn"] == {"at": LATER.isoformat(), "by": "priya", "reason": WHY}

    detail = project_detail(settings, shipped_policy(), "HOM-2026-01")
    assert [u["code"] for u in detail["gate"]["unmet"]] == ["evidence_missing:what_works"]
    assert [e["source"] for e in evidence_register(settings, ref="HOM-2026-01", kind=None)] == [
        "Rough sleeping snapshot, autumn 2025",
        "Housing First pilot evaluation",  # still in the register, marked withdrawn
    ]
    [event] = [e for e in detail["history"] if e["action"] == "EvidenceWithdrawn"]
    assert (event["actor"], event["reason"]) == ("priya", WHY)
    assert "withdrawn" not in event["before"] and event["after"]["withdrawn"]["reason"] == WHY

    before = counts(settings)
    with pytest.raises(UserError, match=f"was withdrawn on {LATER.date()} by priya"):
        withdraw_evidence(settings, ref="HOM-2026-01", item=trial.id or 0, reason="again", as_of=LATER, actor="p")
    with pytest.raises(UserError, match="HOM-2026-01 has no evidence item 999"):
        withdraw_evidence(settings, ref="HOM-2026-01", item=999, reason=WHY, as_of=LATER, actor="p")
    with pytest.raises(UserError, match="--reason: say why"):
        withdraw_evidence(settings, ref="HOM-2026-01", item=1, reason=" ", as_of=LATER, actor="p")
    assert counts(settings) == before
