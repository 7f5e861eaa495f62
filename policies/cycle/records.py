"""Stage records: the decisions and documents a stage gate looks for.

Rule: a commissioner records what a stage has produced: the business case
(draft, submitted, approved, rejected), the specification (draft, final), the
outcomes framework (draft, agreed), the procurement route, the award (the
provider's name) and the review decision. Records belong to one turn of the
cycle: after a service is recommissioned, last cycle's approved business case
does not open this cycle's gate. The latest record of a kind wins.

Worked example: on 2 March 2026 the "Family hubs" business case is recorded
as ``draft``; on 16 March Cabinet approves it and it is recorded again as
``approved``. The Plan -> Do gate now sees an approved business case.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from policies.cycle.stages import Stage


class RecordKind(StrEnum):
    BUSINESS_CASE = "business_case"
    SPECIFICATION = "specification"
    OUTCOMES_FRAMEWORK = "outcomes_framework"
    PROCUREMENT_ROUTE = "procurement_route"
    AWARD = "award"
    REVIEW_DECISION = "review_decision"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @classmethod
    def parse(cls, text: str) -> "RecordKind | None":
        try:
            return cls(text.strip().lower().replace("-", "_").replace(" ", "_"))
        except ValueError:
            return None


class ReviewDecision(StrEnum):
    CONTINUE = "continue"
    VARY = "vary"
    EXTEND = "extend"
    BREAK = "break"
    RECOMMISSION = "recommission"
    DECOMMISSION = "decommission"


PROCUREMENT_ROUTES = (
    "open",  # Procurement Act 2023 s.20 open procedure
    "competitive_flexible",  # s.20 competitive flexible procedure
    "direct_award",  # s.41 / s.43
    "framework_call_off",
    "dynamic_market",
    "light_touch",  # light-touch regime, e.g. social care
    "grant",  # grant funding, outside procurement
    "in_house",
)

# None means free text (e.g. the provider's name for an award).
ALLOWED_VALUES: Mapping[RecordKind, tuple[str, ...] | None] = {
    RecordKind.BUSINESS_CASE: ("draft", "submitted", "approved", "rejected"),
    RecordKind.SPECIFICATION: ("draft", "final"),
    RecordKind.OUTCOMES_FRAMEWORK: ("draft", "agreed"),
    RecordKind.PROCUREMENT_ROUTE: PROCUREMENT_ROUTES,
    RecordKind.AWARD: None,
    RecordKind.REVIEW_DECISION: tuple(d.value for d in ReviewDecision),
}


# The stage each record belongs to: the stage whose work produces it. A gate policy may
# also look for a record in another stage's gate (see gates.stages_using).
HOME_STAGE: Mapping[RecordKind, Stage] = {
    RecordKind.BUSINESS_CASE: Stage.PLAN,
    RecordKind.SPECIFICATION: Stage.PLAN,
    RecordKind.OUTCOMES_FRAMEWORK: Stage.PLAN,
    RecordKind.PROCUREMENT_ROUTE: Stage.PLAN,
    RecordKind.AWARD: Stage.DO,
    RecordKind.REVIEW_DECISION: Stage.REVIEW,
}


MAX_VALUE_LENGTH = 200


@dataclass(frozen=True)
class StageRecord:
    kind: RecordKind
    value: str
    recorded_on: str  # ISO date the decision was made or the document dated


def normalise_value(kind: RecordKind, value: str) -> tuple[str | None, str | None]:
    """Return the value as stored, or a sentence saying why it is not allowed for this kind."""
    cleaned = (value or "").strip()
    if not cleaned:
        return None, f"a {kind.label} record needs a value"
    allowed = ALLOWED_VALUES[kind]
    if allowed is None:
        if len(cleaned) > MAX_VALUE_LENGTH:
            return None, f"a {kind.label} value is at most {MAX_VALUE_LENGTH} characters; this is {len(cleaned)}"
        return cleaned, None
    key = cleaned.lower().replace("-", "_").replace(" ", "_")
    if key not in allowed:
        return None, f"{cleaned!r} is not a {kind.label} value; use one of {', '.join(allowed)}"
    return key, None
