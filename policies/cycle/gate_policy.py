"""The gate policy file: reading the organisation's TOML and naming every problem in it.

Rule: the gates are set in TOML, one ``[gates.<from>_to_<to>]`` table per
forward move. The shipped defaults are in ``policies/gates.toml``; a user's own
file overrides them gate by gate (a later document replaces an earlier one's
gate whole). Nothing half-valid is used: a file with any problem yields no
policy, and every problem comes back naming the file, the setting and why
(an unknown key, a step that is not in the cycle or is a step back, a strength
off its scale, a rule that repeats or contradicts another, a review decision
the cycle would never follow).

Worked example: a file whose ``[gates.plan_to_do]`` asks for evidence with
``min_strength = { sms = 7 }`` is refused with
"my-gates.toml: gates.plan_to_do.evidence[1].min_strength.sms: 7 is off the SMS
scale (levels 1-5)".
"""

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policies.cycle.evidence import ContextFit, EvidenceKind, StrengthScale
from policies.cycle.gates import REVIEW_DECISION_FOR_TARGET, EvidenceRule, Gate, GatePolicy, RecordRule
from policies.cycle.records import ALLOWED_VALUES, RecordKind
from policies.cycle.stages import TRANSITIONS_BY_KEY, Stage


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
            needed = REVIEW_DECISION_FOR_TARGET.get(transition.target) if transition.source is Stage.REVIEW else None
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
