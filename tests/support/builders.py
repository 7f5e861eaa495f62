"""Small builders for policy values, in the commissioner's words (the one place for test data helpers)."""

from policies.cycle import Stage
from policies.evidence import ContextFit, EvidenceItem, EvidenceKind, Strength, StrengthScale
from policies.gates import GatePolicy, ProjectFacts, build_gate_policy, parse_policy_text
from policies.records import RecordKind, StageRecord


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
