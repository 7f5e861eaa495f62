"""The commissioning cycle: where a project may go next from the stage it is in.

Rule: a project moves Analyse -> Plan -> Do -> Review. From Review it either
goes back to Analyse (the service is recommissioned, and a new cycle starts)
or ends as Decommissioned. Two back-edges are real: Do -> Plan when a
procurement fails, and Plan -> Analyse when the plan needs fresh evidence.
Forward moves must pass a stage gate (see ``gates.py``); a back-edge needs a
stated reason instead. Decommissioned is final.

Worked example: "Youth justice prevention" is in Do on 12 May 2026 when the
tender closes with no compliant bid. ``find_transition(DO, PLAN)`` is the
back-edge "return to planning", which needs a reason such as "Tender
YJ-2026-01 failed: no compliant bids". ``find_transition(ANALYSE, REVIEW)`` is
None: a project cannot skip from Analyse to Review, and ``check_move`` says so
and lists where it can go (Plan).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Stage(StrEnum):
    ANALYSE = "analyse"
    PLAN = "plan"
    DO = "do"
    REVIEW = "review"
    DECOMMISSIONED = "decommissioned"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @classmethod
    def parse(cls, text: str) -> "Stage | None":
        try:
            return cls(text.strip().lower())
        except ValueError:
            return None


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)


class Move(StrEnum):
    """The named moves between stages, as a commissioner would say them."""

    START_PLANNING = "start_planning"
    START_PROCUREMENT = "start_procurement"
    START_REVIEW = "start_review"
    RECOMMISSION = "recommission"
    DECOMMISSION = "decommission"
    RETURN_TO_PLANNING = "return_to_planning"
    RETURN_TO_ANALYSIS = "return_to_analysis"


@dataclass(frozen=True)
class Transition:
    move: Move
    source: Stage
    target: Stage
    gated: bool
    meaning: str

    @property
    def key(self) -> str:
        """The name of this transition's gate in the policy file, e.g. ``analyse_to_plan``."""
        return f"{self.source.value}_to_{self.target.value}"

    @property
    def starts_new_cycle(self) -> bool:
        return self.move is Move.RECOMMISSION


_ALL = (
    Transition(Move.START_PLANNING, Stage.ANALYSE, Stage.PLAN, True, "the needs analysis is done; design the service"),
    Transition(Move.START_PROCUREMENT, Stage.PLAN, Stage.DO, True, "the plan is approved; procure, award and mobilise"),
    Transition(Move.START_REVIEW, Stage.DO, Stage.REVIEW, True, "the contract is in place; monitor and review it"),
    Transition(
        Move.RECOMMISSION, Stage.REVIEW, Stage.ANALYSE, True, "the review decided to recommission; analyse need again"
    ),
    Transition(
        Move.DECOMMISSION, Stage.REVIEW, Stage.DECOMMISSIONED, True, "the review decided to decommission the service"
    ),
    Transition(Move.RETURN_TO_PLANNING, Stage.DO, Stage.PLAN, False, "the procurement failed; rework the plan"),
    Transition(
        Move.RETURN_TO_ANALYSIS, Stage.PLAN, Stage.ANALYSE, False, "the plan needs fresh evidence; analyse again"
    ),
)

TRANSITIONS: Mapping[tuple[Stage, Stage], Transition] = MappingProxyType({(t.source, t.target): t for t in _ALL})
TRANSITIONS_BY_KEY: Mapping[str, Transition] = MappingProxyType({t.key: t for t in _ALL})


def transitions_from(stage: Stage) -> tuple[Transition, ...]:
    """Every move out of ``stage``, forward moves first."""
    return tuple(sorted((t for t in _ALL if t.source is stage), key=lambda t: not t.gated))


def find_transition(source: Stage, target: Stage) -> Transition | None:
    return TRANSITIONS.get((source, target))


def forward_targets(stage: Stage) -> tuple[Stage, ...]:
    return tuple(t.target for t in transitions_from(stage) if t.gated)


def check_move(source: Stage, target: Stage, reason: str | None) -> tuple[Transition | None, str | None]:
    """Return the transition for a requested move, or a sentence saying why it is not allowed."""
    if source is Stage.DECOMMISSIONED:
        return None, "The project is decommissioned; it cannot move any further."
    transition = find_transition(source, target)
    if transition is None:
        allowed = ", ".join(t.target.label for t in transitions_from(source))
        return None, (
            f"{source.label} -> {target.label} is not a step in the commissioning cycle; "
            f"from {source.label} a project can move to: {allowed}."
        )
    if not transition.gated and not (reason and reason.strip()):
        return None, (
            f"Moving a project back from {source.label} to {target.label} needs a reason "
            f"(for example why the procurement failed)."
        )
    return transition, None


def mermaid_diagram() -> str:
    """The cycle as a Mermaid state diagram, drawn from the transitions table."""
    lines = ["stateDiagram-v2", "    [*] --> Analyse"]
    for t in _ALL:
        style = "gate" if t.gated else "back, needs a reason"
        lines.append(f"    {t.source.label} --> {t.target.label}: {t.move.value} ({style})")
    lines.append("    Decommissioned --> [*]")
    return "\n".join(lines)
