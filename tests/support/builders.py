"""Small builders for policy values, in the commissioner's words (the one place for test data helpers)."""

from pathlib import Path
from typing import Any

from policies.cycle.evidence import ContextFit, EvidenceItem, EvidenceKind, Strength, StrengthScale
from policies.cycle.gate_policy import build_gate_policy, parse_policy_text
from policies.cycle.gates import GatePolicy, ProjectFacts
from policies.cycle.records import RecordKind, StageRecord
from policies.cycle.stages import Stage


def shipped_policy() -> GatePolicy:
    from importlib.resources import files

    doc, problems = parse_policy_text(files("policies").joinpath("gates.toml").read_text(), "defaults")
    assert doc is not None and not problems
    policy, problems = build_gate_policy([("defaults", doc)])
    assert policy is not None, problems
    return policy


def evidence(
    kind: str, strength: str, *, reviewed: bool = True, fit: str = "high", source: str = "a study"
) -> EvidenceItem:
    scale, level = strength.split(":")
    return EvidenceItem(
        kind=EvidenceKind(kind),
        source=source,
        produced_by="someone",
        independently_reviewed=reviewed,
        method="RCT",
        context_fit=ContextFit(fit),
        strength=Strength(StrengthScale(scale), int(level)),
        summary="found something",
    )


def records(**values: str) -> dict[RecordKind, StageRecord]:
    return {RecordKind(k): StageRecord(RecordKind(k), v, "2026-03-16") for k, v in values.items()}


def facts(stage: Stage, *items: EvidenceItem, **record_values: str) -> ProjectFacts:
    return ProjectFacts(stage=stage, evidence=tuple(items), records=records(**record_values))


READY_TO_PROCURE = {
    "business_case": "approved",
    "specification": "final",
    "outcomes_framework": "agreed",
    "procurement_route": "open",
}


def housing_first(settings: Any, *, count: int = 1, break_on: str = "2027-03-31", years_back: int = 0) -> list[str]:
    """Project HOM-1 (in Review) and ``count`` Housing First contracts, HF-2026-01 onwards, added on 1 March 2026:
    £2.4m, from 1 April 2026 for 3+1+1 years (12 weeks' extension notice), a break on ``break_on`` on 3 months'
    notice. With the default break, the break-notice deadline is 31 December 2026. Returns the references.

    ``years_back`` moves every date back that many years, for a test that acts on days after today (nothing
    is entered dated in the future): 6 years keeps the weekdays and the bank holidays of December to March
    (2020-21 falls as 2026-27 does, neither with a 29 February)."""
    import datetime as dt

    from flows.contracts.files import Row
    from flows.contracts.importing import add_contracts
    from flows.cycle.projects import create_project

    create_project(
        settings,
        ref="HOM-1",
        title="Homelessness",
        service_area="Housing",
        owner="A",
        description="",
        stage="review",
        as_of=dt.datetime(2026 - years_back, 1, 1, tzinfo=dt.UTC),
        actor="a",
    )
    refs = [f"HF-2026-{i + 1:02d}" for i in range(count)]
    terms = {
        "provider": "Northbridge YP Trust",
        "project": "HOM-1",
        "value": "2400000",
        "start": f"{2026 - years_back}-04-01",
        "term": "3+1+1",
        "extension_notice": "12 weeks",
        "break_on": f"{int(break_on[:4]) - years_back}{break_on[4:]}",
        "break_notice": "3 months",
    }
    rows = [
        Row(f"line {i + 2}", {"ref": ref, "title": "Housing First" if count == 1 else f"Lot {i + 1}", **terms})
        for i, ref in enumerate(refs)
    ]
    add_contracts(settings, rows, as_of=dt.datetime(2026 - years_back, 3, 1, tzinfo=dt.UTC), actor="a")
    return refs


FCF_CARD = Path(__file__).resolve().parents[2] / "examples" / "fair-chance-fund.yaml"


def fcf_contract(settings: Any, *, ref: str = "FCF-2025-01", card: Path | None = FCF_CARD) -> str:
    """Project YPH-1 and a £1.5m payment-by-results contract from 1 October 2025 for 3 years, priced on the
    Fair Chance Fund rate card in examples/ (referrals 2025-10-01 to 2026-09-30, quarterly, 30% central fund /
    70% council). Returns the contract reference."""
    import datetime as dt

    from flows.contracts.files import Row
    from flows.contracts.importing import add_contracts
    from flows.cycle.projects import create_project
    from flows.pbr.ratecards import import_rate_card

    when = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)
    create_project(
        settings,
        ref="YPH-1",
        title="Young people's homelessness",
        service_area="Housing",
        owner="A",
        description="",
        stage="review",
        as_of=when,
        actor="a",
    )
    fields = {
        "ref": ref,
        "title": "Young people's homelessness (Fair Chance Fund terms)",
        "provider": "Northbridge YP Trust",
        "project": "YPH-1",
        "value": "1500000",
        "start": "2025-10-01",
        "term": "3 years",
        "payment_model": "payment_by_results",
    }
    add_contracts(settings, [Row("test", fields)], as_of=when, actor="a")
    if card is not None:
        import_rate_card(settings, card, as_of=when, actor="a")
    return ref


FCF_PARTICIPANTS = """\
contract,participant,referral_date,date_of_birth
FCF-2025-01,P-001,2025-10-01,2005-01-15
FCF-2025-01,P-002,2025-11-03,2003-06-01
FCF-2025-01,P-003,2025-10-15,1999-02-28
"""
FCF_CLAIMS = """\
contract,claim_ref,participant,outcome,achieved_on,amount,evidence
FCF-2025-01,C-1,P-001,EDU_ENTRY,2026-01-05,,enrolment
FCF-2025-01,C-2,P-001,EDU_L2,2026-01-19,,certificate
FCF-2025-01,C-3,P-002,EDU_ENTRY,2026-01-12,,enrolment
FCF-2025-01,C-4,P-002,ACC_S3,2026-02-02,,tenancy_check
FCF-2025-01,C-5,P-003,EMP_ENTRY,2026-02-09,,payslip
"""


def fcf_paid(settings: Any, folder: Path) -> None:
    """FCF-2025-01 (fcf_contract) with three participants and five claims (two rejected), its 2026-Q1 run, and C-1
    clawed back; and OTH-PBR-1, Other Care Ltd's contract with nothing in it. The worked example is told in
    tests/integration/pbr/test_lists.py."""
    import datetime as dt

    from flows.contracts.files import Row
    from flows.contracts.importing import add_contracts
    from flows.pbr.claims_import import import_claims
    from flows.pbr.participants import import_participants
    from tests.support.approvals import approved_clawback, approved_run

    fcf_contract(settings)
    add_contracts(
        settings,
        [Row("line 2", {"ref": "OTH-PBR-1", "title": "Other outcomes", "provider": "Other Care Ltd", "project": "YPH-1",
                        "value": "100000", "start": "2025-10-01", "term": "2 years",
                        "payment_model": "payment_by_results"})],
        as_of=dt.datetime(2025, 9, 2, tzinfo=dt.UTC),
        actor="a",
    )  # fmt: skip
    (folder / "people.csv").write_text(FCF_PARTICIPANTS, encoding="utf-8")
    import_participants(settings, folder / "people.csv", as_of=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), actor="f")
    (folder / "claims.csv").write_text(FCF_CLAIMS, encoding="utf-8")
    import_claims(settings, folder / "claims.csv", as_of=dt.datetime(2026, 3, 2, tzinfo=dt.UTC), actor="f")
    approved_run(settings, "FCF-2025-01", "2026-Q1", as_of=dt.datetime(2026, 4, 2, 9, tzinfo=dt.UTC), actor="finance")
    approved_clawback(settings, "FCF-2025-01", "C-1", reason="not enrolled",
                      as_of=dt.datetime(2026, 4, 3, tzinfo=dt.UTC), actor="finance")  # fmt: skip
