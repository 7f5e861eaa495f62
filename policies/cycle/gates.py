"""Stage gates: what must be true before a project leaves a stage, and why it may not.

Rule: each forward move in the cycle has a gate, set by the organisation in a
TOML policy file (shipped defaults in ``policies/gates.toml``, which a user's
own file overrides gate by gate). A gate asks for evidence (of a kind, enough
items, at or above a strength per scale, optionally independently reviewed and
with a minimum context fit) and for stage records (a business case that is
approved, a procurement route, a contract award, a review decision). A refused
gate returns every unmet condition, each as a sentence. Leaving Review goes
where the recorded review decision points: recommission -> Analyse,
decommission -> Decommissioned; any other decision keeps the project in Review.

Worked example, with the shipped defaults: "Homelessness prevention" is in
Analyse on 9 February 2026 with one item of evidence, the 2025 rough-sleeping
count (local need, SMS level 1). ``assess`` refuses Analyse -> Plan with one
unmet condition: "No evidence of what works has been recorded; the gate needs
at least 1 item at EIF level 3 or SMS level 3 or above." When a peer-reviewed
Housing First evaluation at SMS level 4 is added, the same call passes.
"""

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from policies.cycle.evidence import ContextFit, EvidenceItem, EvidenceKind, StrengthScale
from policies.cycle.records import ALLOWED_VALUES, RecordKind, ReviewDecision, StageRecord
from policies.cycle.stages import TRANSITIONS_BY_KEY, Stage, Transition, find_transition, forward_targets

# --------------------------------------------------------------------------- policy


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


@dataclass(frozen=True)
class RecordRule:
    kind: RecordKind
    values: tuple[str, ...] | None = None  # None: any value will do


@dataclass(frozen=True)
class Gate:
    transition: Transition
    evidence: tuple[EvidenceRule, ...] = ()
    records: tuple[RecordRule, ...] = ()
    live_contract: bool = False


@dataclass(frozen=True)
class GatePolicy:
    gates: Mapping[str, Gate]
    sources: tuple[str, ...] = field(default=())

    def gate_for(self, transition: Transition) -> Gate:
        return self.gates.get(transition.key) or Gate(transition)


@dataclass(frozen=True)
class PolicyProblem:
    source: str
    where: str
    reason: str

    def __str__(self) -> str:
        where = f" {self.where}:" if self.where else ""
        return f"{self.source}:{where} {self.reason}"


_GATE_KEYS = {"evidence", "records", "live_contract", "description"}
_EVIDENCE_KEYS = {"kind", "min_items", "min_strength", "independently_reviewed", "min_context_fit"}
_RECORD_KEYS = {"record", "values"}
_REVIEW_DECISION_FOR_TARGET = {
    Stage.ANALYSE: ReviewDecision.RECOMMISSION.value,
    Stage.DECOMMISSIONED: ReviewDecision.DECOMMISSION.value,
}


def parse_policy_text(text: str, source: str) -> tuple[dict[str, Any] | None, list[PolicyProblem]]:
    """Parse TOML text; a syntax error comes back as a problem naming the line."""
    try:
        return tomllib.loads(text), []
    except tomllib.TOMLDecodeError as exc:
        return None, [PolicyProblem(source, "", f"is not valid TOML: {exc}")]


def build_gate_policy(
    documents: Sequence[tuple[str, Mapping[str, Any]]],
) -> tuple[GatePolicy | None, list[PolicyProblem]]:
    """Merge policy documents in order (later ones replace earlier gates) and validate them."""
    gates: dict[str, Gate] = {}
    problems: list[PolicyProblem] = []
    for source, doc in documents:
        for key in doc:
            if key != "gates":
                problems.append(
                    PolicyProblem(source, key, "is not a known section; the file holds [gates.<from>_to_<to>] tables")
                )
        raw_gates = doc.get("gates", {})
        if not isinstance(raw_gates, Mapping):
            problems.append(PolicyProblem(source, "gates", "must be a table of gates"))
            continue
        for key, raw in raw_gates.items():
            gate = _parse_gate(source, key, raw, problems)
            if gate is not None:
                gates[key] = gate
    if problems:
        return None, problems
    return GatePolicy(gates=gates, sources=tuple(s for s, _ in documents)), []


def _parse_gate(source: str, key: str, raw: Any, problems: list[PolicyProblem]) -> Gate | None:
    where = f"gates.{key}"
    transition = TRANSITIONS_BY_KEY.get(key)
    start = len(problems)
    if transition is None:
        problems.append(PolicyProblem(source, where, _not_a_step(key)))
        return None
    if not transition.gated:
        problems.append(
            PolicyProblem(
                source,
                where,
                f"{transition.source.label} -> {transition.target.label} is a step back, "
                "which needs a reason, not a gate",
            )
        )
        return None
    if not isinstance(raw, Mapping):
        problems.append(PolicyProblem(source, where, "must be a table"))
        return None
    for unknown in sorted(set(raw) - _GATE_KEYS):
        problems.append(
            PolicyProblem(
                source,
                f"{where}.{unknown}",
                "is not a known gate setting (evidence, records, live_contract, description)",
            )
        )

    evidence: list[EvidenceRule] = []
    for i, item in enumerate(_as_list(raw.get("evidence", []), source, f"{where}.evidence", problems)):
        rule = _parse_evidence_rule(source, f"{where}.evidence[{i + 1}]", item, problems)
        if rule is not None:
            if any(r.kind is rule.kind for r in evidence):
                problems.append(
                    PolicyProblem(
                        source,
                        f"{where}.evidence[{i + 1}]",
                        f"contradicts an earlier rule: evidence of {rule.kind.label} is already set for this gate",
                    )
                )
            evidence.append(rule)

    records: list[RecordRule] = []
    for i, item in enumerate(_as_list(raw.get("records", []), source, f"{where}.records", problems)):
        record_rule = _parse_record_rule(source, f"{where}.records[{i + 1}]", item, problems)
        if record_rule is not None:
            if any(r.kind is record_rule.kind for r in records):
                problems.append(
                    PolicyProblem(
                        source,
                        f"{where}.records[{i + 1}]",
                        f"contradicts an earlier rule: the {record_rule.kind.label} is already required by this gate",
                    )
                )
            needed = _REVIEW_DECISION_FOR_TARGET.get(transition.target) if transition.source is Stage.REVIEW else None
            if (
                needed
                and record_rule.kind is RecordKind.REVIEW_DECISION
                and record_rule.values is not None
                and record_rule.values != (needed,)
            ):
                problems.append(
                    PolicyProblem(
                        source,
                        f"{where}.records[{i + 1}].values",
                        f"contradicts the cycle: a project leaves Review for {transition.target.label} only on a "
                        f"{needed!r} decision, so the gate cannot require {', '.join(record_rule.values)}",
                    )
                )
            records.append(record_rule)
    live_contract = raw.get("live_contract", False)
    if not isinstance(live_contract, bool):
        problems.append(PolicyProblem(source, f"{where}.live_contract", "must be true or false"))
    if len(problems) > start:
        return None
    return Gate(transition, tuple(evidence), tuple(records), bool(live_contract))


def _not_a_step(key: str) -> str:
    parts = key.split("_to_")
    if len(parts) == 2:
        a, b = Stage.parse(parts[0]), Stage.parse(parts[1])
        if a and b:
            return f"{a.label} -> {b.label} is not a step in the commissioning cycle"
    names = ", ".join(k for k, t in TRANSITIONS_BY_KEY.items() if t.gated)
    return f"is not a gate; the gates are {names}"


def _as_list(value: Any, source: str, where: str, problems: list[PolicyProblem]) -> list[Any]:
    if isinstance(value, list):
        return value
    problems.append(PolicyProblem(source, where, "must be a list of tables"))
    return []


def _parse_evidence_rule(source: str, where: str, raw: Any, problems: list[PolicyProblem]) -> EvidenceRule | None:
    if not isinstance(raw, Mapping):
        problems.append(PolicyProblem(source, where, "must be a table"))
        return None
    start = len(problems)
    for unknown in sorted(set(raw) - _EVIDENCE_KEYS):
        problems.append(
            PolicyProblem(source, f"{where}.{unknown}", f"is not a known setting ({', '.join(sorted(_EVIDENCE_KEYS))})")
        )
    kind: EvidenceKind | None = None
    try:
        kind = EvidenceKind(str(raw.get("kind", "")))
    except ValueError:
        problems.append(
            PolicyProblem(
                source,
                f"{where}.kind",
                f"{raw.get('kind')!r} is not a kind of evidence ({', '.join(k.value for k in EvidenceKind)})",
            )
        )
    min_items = raw.get("min_items", 1)
    if not isinstance(min_items, int) or isinstance(min_items, bool) or min_items < 1:
        problems.append(
            PolicyProblem(source, f"{where}.min_items", f"must be a whole number of at least 1, not {min_items!r}")
        )
    strengths: dict[StrengthScale, int] = {}
    raw_strength = raw.get("min_strength")
    if not isinstance(raw_strength, Mapping) or not raw_strength:
        problems.append(
            PolicyProblem(
                source,
                f"{where}.min_strength",
                "must name at least one scale, e.g. { eif = 3, sms = 3 }; otherwise no evidence could meet it",
            )
        )
    else:
        for scale_name, level in raw_strength.items():
            try:
                scale = StrengthScale(scale_name)
            except ValueError:
                problems.append(
                    PolicyProblem(source, f"{where}.min_strength.{scale_name}", "is not a scale; use eif or sms")
                )
                continue
            if not isinstance(level, int) or isinstance(level, bool) or level not in scale.levels:
                problems.append(
                    PolicyProblem(
                        source,
                        f"{where}.min_strength.{scale_name}",
                        f"{level!r} is off the {scale.label} scale "
                        f"(levels {scale.levels.start}-{scale.levels.stop - 1})",
                    )
                )
                continue
            strengths[scale] = level
    reviewed = raw.get("independently_reviewed", False)
    if not isinstance(reviewed, bool):
        problems.append(PolicyProblem(source, f"{where}.independently_reviewed", "must be true or false"))
    fit: ContextFit | None = None
    if "min_context_fit" in raw:
        try:
            fit = ContextFit(str(raw["min_context_fit"]))
        except ValueError:
            problems.append(PolicyProblem(source, f"{where}.min_context_fit", "must be high, medium or low"))
    if len(problems) > start or kind is None:
        return None
    return EvidenceRule(kind, int(min_items), strengths, bool(reviewed), fit)


def _parse_record_rule(source: str, where: str, raw: Any, problems: list[PolicyProblem]) -> RecordRule | None:
    if not isinstance(raw, Mapping):
        problems.append(PolicyProblem(source, where, "must be a table"))
        return None
    start = len(problems)
    for unknown in sorted(set(raw) - _RECORD_KEYS):
        problems.append(PolicyProblem(source, f"{where}.{unknown}", "is not a known setting (record, values)"))
    kind = RecordKind.parse(str(raw.get("record", "")))
    if kind is None:
        problems.append(
            PolicyProblem(
                source,
                f"{where}.record",
                f"{raw.get('record')!r} is not a record ({', '.join(k.value for k in RecordKind)})",
            )
        )
        return None
    values: tuple[str, ...] | None = None
    if "values" in raw:
        raw_values = raw["values"]
        if not isinstance(raw_values, list) or not raw_values or not all(isinstance(v, str) for v in raw_values):
            problems.append(PolicyProblem(source, f"{where}.values", "must be a non-empty list of words"))
        else:
            allowed = ALLOWED_VALUES[kind]
            if allowed is not None:
                for v in raw_values:
                    if v not in allowed:
                        problems.append(
                            PolicyProblem(
                                source, f"{where}.values", f"{v!r} is not a {kind.label} value ({', '.join(allowed)})"
                            )
                        )
            values = tuple(raw_values)
    if len(problems) > start:
        return None
    return RecordRule(kind, values)


# --------------------------------------------------------------------------- assessment


@dataclass(frozen=True)
class ProjectFacts:
    """What a stage flow found about a project: its evidence and this cycle's records."""

    stage: Stage
    evidence: tuple[EvidenceItem, ...] = ()
    records: Mapping[RecordKind, StageRecord] = field(default_factory=dict)
    live_contracts: tuple[str, ...] = ()  # refs of the project's contracts in force at the time
    notes: tuple[str, ...] = ()  # what else the stage flow found, e.g. the procurement timeline


@dataclass(frozen=True)
class Unmet:
    code: str
    sentence: str


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
        found.append(f"Contract(s) in force: {', '.join(facts.live_contracts)}.")
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
    for target, value in _REVIEW_DECISION_FOR_TARGET.items():
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
    gate = policy.gate_for(transition)
    unmet = [u for u in (_check_evidence(r, facts.evidence) for r in gate.evidence) if u]
    unmet += [u for u in (_check_record(r, facts.records) for r in gate.records) if u]
    if gate.live_contract and not facts.live_contracts:
        unmet.append(
            Unmet(
                "contract_missing",
                "No contract linked to this project is in force; add it with "
                "`commission contracts add` (or import it) once it starts.",
            )
        )
    return Assessment(facts.stage, transition, tuple(unmet), findings)
