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
