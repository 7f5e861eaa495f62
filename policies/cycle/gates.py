"""Stage gates: what must be true before a project leaves a stage, and why it may not.

Rule: each forward move in the cycle has a gate, set by the organisation in a
TOML policy file (read in ``gate_policy.py``). A gate asks for evidence (of a
kind, enough items, at or above a strength per scale, optionally independently
reviewed and with a minimum context fit) and for stage records (a business case
that is approved, a procurement route, a contract award, a review decision). A
refused gate returns every unmet condition, each as a sentence. Leaving Review
goes where the recorded review decision points: recommission -> Analyse,
decommission -> Decommissioned; any other decision keeps the project in Review.

Worked example, with the shipped defaults: "Homelessness prevention" is in
Analyse on 9 February 2026 with one item of evidence, the 2025 rough-sleeping
count (local need, SMS level 1). ``assess`` refuses Analyse -> Plan with one
unmet condition: "No evidence of what works has been recorded; the gate needs
at least 1 item at EIF level 3 or SMS level 3 or above." When a peer-reviewed
Housing First evaluation at SMS level 4 is added, the same call passes.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from policies.cycle.evidence import ContextFit, EvidenceItem, EvidenceKind, StrengthScale
from policies.cycle.records import HOME_STAGE, RecordKind, ReviewDecision, StageRecord
from policies.cycle.stages import STAGE_ORDER, Stage, Transition, find_transition, forward_targets

# --------------------------------------------------------------------------- the gates


@dataclass(frozen=True)
class Unmet:
    code: str
    sentence: str


@dataclass(frozen=True)
class EvidenceRule:
    kind: EvidenceKind
    min_items: int
    min_strength: Mapping[StrengthScale, int]
    independently_reviewed: bool = False
    min_context_fit: ContextFit | None = None

    def criteria(self) -> str:
        scales = " or ".join(f"{s.label} level {lvl}" for s, lvl in sorted(self.min_strength.items()))
        words = f"{scales} or above"
        if self.independently_reviewed:
            words += ", independently reviewed"
        if self.min_context_fit is not None and self.min_context_fit is not ContextFit.LOW:
            words += f", with at least {self.min_context_fit.value} context fit"
        return words

    def admits(self, item: EvidenceItem) -> bool:
        threshold = self.min_strength.get(item.strength.scale)
        return (
            item.kind is self.kind
            and threshold is not None
            and item.strength.level >= threshold
            and (item.independently_reviewed or not self.independently_reviewed)
            and (self.min_context_fit is None or item.context_fit.rank >= self.min_context_fit.rank)
        )

    def describe(self) -> str:
        return f"evidence of {self.kind.label}: at least {self.min_items} at {self.criteria()}"

    @property
    def codes(self) -> tuple[str, ...]:
        return (f"evidence_missing:{self.kind.value}", f"evidence_weak:{self.kind.value}")

    def check(self, facts: "ProjectFacts") -> Unmet | None:
        return _check_evidence(self, facts.evidence)


@dataclass(frozen=True)
class RecordRule:
    kind: RecordKind
    values: tuple[str, ...] | None = None  # None: any value will do

    def describe(self) -> str:
        want = f" as {' or '.join(self.values)}" if self.values else " (any value)"
        return f"{_record_label(self.kind)} recorded in this cycle{want}"

    @property
    def codes(self) -> tuple[str, ...]:
        return (f"record_missing:{self.kind.value}", f"record_value:{self.kind.value}")

    def check(self, facts: "ProjectFacts") -> Unmet | None:
        return _check_record(self, facts.records)


@dataclass(frozen=True)
class LiveContractRule:
    """A contract linked to the project must be in force at the time."""

    def describe(self) -> str:
        return "a contract linked to the project, in force (started, not ended, not terminated or expired)"

    @property
    def codes(self) -> tuple[str, ...]:
        return ("contract_missing",)

    def check(self, facts: "ProjectFacts") -> Unmet | None:
        if facts.live_contracts:
            return None
        return Unmet(
            "contract_missing",
            "No contract linked to this project is in force; add it with "
            "`commission contracts add` (or import it) once it starts.",
        )


Condition = EvidenceRule | RecordRule | LiveContractRule


@dataclass(frozen=True)
class Gate:
    transition: Transition
    evidence: tuple[EvidenceRule, ...] = ()
    records: tuple[RecordRule, ...] = ()
    live_contract: bool = False

    def conditions(self) -> tuple[Condition, ...]:
        """Every condition this gate checks, in order: what ``assess`` tries and ``policy show`` lists.

        Leaving Review always needs the review decision that points where the move goes,
        even when a policy file leaves it out of the gate's records.
        """
        found: list[Condition] = [*self.evidence, *self.records]
        needed = (
            REVIEW_DECISION_FOR_TARGET.get(self.transition.target) if self.transition.source is Stage.REVIEW else None
        )
        if needed and not any(r.kind is RecordKind.REVIEW_DECISION for r in self.records):
            found.append(RecordRule(RecordKind.REVIEW_DECISION, (needed,)))
        if self.live_contract:
            found.append(LiveContractRule())
        return tuple(found)


@dataclass(frozen=True)
class GatePolicy:
    gates: Mapping[str, Gate]
    sources: tuple[str, ...] = field(default=())

    def gate_for(self, transition: Transition) -> Gate:
        return self.gates.get(transition.key) or Gate(transition)


def stages_using(kind: RecordKind, policy: GatePolicy) -> tuple[Stage, ...]:
    """The stages in which a record of this kind can be used: its own, and any whose gate out looks for it."""
    using = {HOME_STAGE[kind]} | {
        gate.transition.source
        for gate in policy.gates.values()
        if any(isinstance(c, RecordRule) and c.kind is kind for c in gate.conditions())
    }
    return tuple(s for s in STAGE_ORDER if s in using)


def record_refusal(kind: RecordKind, stage: Stage, policy: GatePolicy) -> str | None:
    """Why a record of this kind cannot be made while the project is in ``stage`` (None if it can)."""
    stages = stages_using(kind, policy)
    if stage in stages:
        return None
    return (
        f"{stage.label}, whose gate does not use a {_record_label(kind)}; "
        f"record it in {' or '.join(s.label for s in stages)}"
    )


# Leaving Review: the recorded review decision that sends a project to each target.
REVIEW_DECISION_FOR_TARGET = {
    Stage.ANALYSE: ReviewDecision.RECOMMISSION.value,
    Stage.DECOMMISSIONED: ReviewDecision.DECOMMISSION.value,
}


# --------------------------------------------------------------------------- assessment


@dataclass(frozen=True)
class ProjectFacts:
    """What a stage flow found about a project: its evidence and this cycle's records."""

    stage: Stage
    evidence: tuple[EvidenceItem, ...] = ()
    records: Mapping[RecordKind, StageRecord] = field(default_factory=dict)
    live_contracts: tuple[str, ...] = ()  # refs of the project's contracts in force at the time (the first few)
    live_count: int | None = None  # how many are in force, when live_contracts names only the first few
    notes: tuple[str, ...] = ()  # what else the stage flow found, e.g. the procurement timeline


@dataclass(frozen=True)
class Assessment:
    stage: Stage
    transition: Transition | None
    unmet: tuple[Unmet, ...]
    findings: tuple[str, ...]

    @property
    def outcome(self) -> str:
        """passed (the move may be made), refused (unmet conditions) or stayed (nothing to do)."""
        if self.transition is None and not self.unmet:
            return "stayed"
        return "refused" if self.unmet else "passed"


_RECORD_LABELS = {
    RecordKind.AWARD: "contract award",
    RecordKind.REVIEW_DECISION: "review decision",
}


def _record_label(kind: RecordKind) -> str:
    return _RECORD_LABELS.get(kind, kind.label)


def findings_for(facts: ProjectFacts) -> tuple[str, ...]:
    """What the stage flow saw, in sentences."""
    found: list[str] = []
    if facts.evidence:
        for kind in EvidenceKind:
            items = [e for e in facts.evidence if e.kind is kind]
            if items:
                best = ", ".join(sorted({str(e.strength) for e in items}))
                found.append(f"{len(items)} item(s) of evidence of {kind.label} ({best}).")
    else:
        found.append("No evidence recorded.")
    if facts.live_contracts:
        more = (facts.live_count or 0) - len(facts.live_contracts)
        named = ", ".join(facts.live_contracts) + (f" and {more:,} more" if more > 0 else "")
        found.append(f"Contract(s) in force: {named}.")
    found += facts.notes
    for record_kind, record in facts.records.items():
        found.append(f"The {_record_label(record_kind)} is recorded as {record.value!r} ({record.recorded_on}).")
    return tuple(found)


def _check_evidence(rule: EvidenceRule, evidence: Sequence[EvidenceItem]) -> Unmet | None:
    of_kind = [e for e in evidence if e.kind is rule.kind]
    meeting = [e for e in of_kind if rule.admits(e)]
    if len(meeting) >= rule.min_items:
        return None
    need = f"at least {rule.min_items} item{'s' if rule.min_items > 1 else ''} at {rule.criteria()}"
    if not of_kind:
        return Unmet(
            f"evidence_missing:{rule.kind.value}",
            f"No evidence of {rule.kind.label} has been recorded; the gate needs {need}.",
        )
    best = max(of_kind, key=lambda e: (e.strength.level, e.independently_reviewed, e.context_fit.rank))
    return Unmet(
        f"evidence_weak:{rule.kind.value}",
        f"Evidence of {rule.kind.label} is not yet enough: {len(meeting)} of {len(of_kind)} item(s) "
        f"meet the bar and the gate needs {need}; the strongest recorded is {best.strength}"
        f"{', independently reviewed' if best.independently_reviewed else ', not independently reviewed'}.",
    )


def _check_record(rule: RecordRule, records: Mapping[RecordKind, StageRecord]) -> Unmet | None:
    label = _record_label(rule.kind)
    wanted = f"; the gate needs it to be {' or '.join(rule.values)}" if rule.values else ""
    record = records.get(rule.kind)
    if record is None:
        return Unmet(f"record_missing:{rule.kind.value}", f"No {label} has been recorded in this cycle{wanted}.")
    if rule.values is not None and record.value not in rule.values:
        return Unmet(f"record_value:{rule.kind.value}", f"The {label} is recorded as {record.value!r}{wanted}.")
    return None


def _review_target(facts: ProjectFacts) -> Stage | None:
    decision = facts.records.get(RecordKind.REVIEW_DECISION)
    if decision is None:
        return None
    for target, value in REVIEW_DECISION_FOR_TARGET.items():
        if decision.value == value:
            return target
    return None


def assess(facts: ProjectFacts, policy: GatePolicy, target: Stage | None = None) -> Assessment:
    """Try the gate for moving the project to ``target`` (or its next stage) and say what is unmet.

    The caller has already checked that the move is a step in the cycle (``check_move``);
    back-edges carry no gate and pass here.
    """
    findings = findings_for(facts)
    if facts.stage is Stage.DECOMMISSIONED:
        return Assessment(facts.stage, None, (), (*findings, "The project is decommissioned."))
    if target is None:
        if facts.stage is Stage.REVIEW:
            target = _review_target(facts)
            if target is None:
                decision = facts.records.get(RecordKind.REVIEW_DECISION)
                if decision is None:
                    return Assessment(
                        facts.stage,
                        None,
                        (
                            Unmet(
                                "record_missing:review_decision",
                                "No review decision has been recorded in this cycle; record one of "
                                "continue, vary, extend, break, recommission or decommission.",
                            ),
                        ),
                        findings,
                    )
                return Assessment(
                    facts.stage,
                    None,
                    (),
                    (*findings, f"The review decided to {decision.value}; the project stays in Review."),
                )
        else:
            (target,) = forward_targets(facts.stage)
    transition = find_transition(facts.stage, target)
    if transition is None:
        raise ValueError(f"{facts.stage} -> {target} is not a transition; call check_move first")
    if not transition.gated:
        return Assessment(facts.stage, transition, (), findings)
    unmet = [u for u in (c.check(facts) for c in policy.gate_for(transition).conditions()) if u]
    return Assessment(facts.stage, transition, tuple(unmet), findings)
