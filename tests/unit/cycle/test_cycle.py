"""Every transition of the commissioning cycle, and every move that is not one."""

import itertools

import pytest

from policies.cycle.stages import (
    STAGE_ORDER,
    TRANSITIONS,
    Move,
    Stage,
    check_move,
    find_transition,
    forward_targets,
    mermaid_diagram,
    transitions_from,
)

A, P, D, R, X = Stage.ANALYSE, Stage.PLAN, Stage.DO, Stage.REVIEW, Stage.DECOMMISSIONED

EXPECTED = {
    (A, P): (Move.START_PLANNING, True),
    (P, D): (Move.START_PROCUREMENT, True),
    (D, R): (Move.START_REVIEW, True),
    (R, A): (Move.RECOMMISSION, True),
    (R, X): (Move.DECOMMISSION, True),
    (D, P): (Move.RETURN_TO_PLANNING, False),
    (P, A): (Move.RETURN_TO_ANALYSIS, False),
}


def test_the_table_holds_exactly_the_cycle_and_its_back_edges() -> None:
    assert {k: (t.move, t.gated) for k, t in TRANSITIONS.items()} == EXPECTED


@pytest.mark.parametrize(("source", "target"), list(EXPECTED))
def test_each_transition_is_allowed(source: Stage, target: Stage) -> None:
    reason = None if EXPECTED[(source, target)][1] else "Tender failed: no compliant bids"
    transition, why = check_move(source, target, reason)
    assert why is None
    assert transition is not None and (transition.source, transition.target) == (source, target)


@pytest.mark.parametrize(
    ("source", "target"),
    [pair for pair in itertools.product(STAGE_ORDER, STAGE_ORDER) if pair not in EXPECTED and pair[0] is not X],
)
def test_every_other_move_is_illegal_and_says_where_the_project_can_go(source: Stage, target: Stage) -> None:
    transition, why = check_move(source, target, "some reason")
    assert transition is None
    assert why is not None and "is not a step in the commissioning cycle" in why
    for allowed in transitions_from(source):
        assert allowed.target.label in why


@pytest.mark.parametrize("target", STAGE_ORDER)
def test_decommissioned_is_final(target: Stage) -> None:
    transition, why = check_move(X, target, "reopen")
    assert transition is None and why == "The project is decommissioned; it cannot move any further."
    assert transitions_from(X) == ()


@pytest.mark.parametrize(("source", "target"), [(D, P), (P, A)])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_step_back_needs_a_reason(source: Stage, target: Stage, reason: str | None) -> None:
    transition, why = check_move(source, target, reason)
    assert transition is None
    assert why is not None and "needs a reason" in why


def test_forward_targets_follow_the_cycle() -> None:
    assert forward_targets(A) == (P,)
    assert forward_targets(P) == (D,)
    assert forward_targets(D) == (R,)
    assert set(forward_targets(R)) == {A, X}


def test_only_recommissioning_starts_a_new_cycle() -> None:
    assert [t.move for t in TRANSITIONS.values() if t.starts_new_cycle] == [Move.RECOMMISSION]


def test_gate_names_are_from_to() -> None:
    transition = find_transition(R, X)
    assert transition is not None and transition.key == "review_to_decommissioned"


def test_the_diagram_is_drawn_from_the_table() -> None:
    diagram = mermaid_diagram()
    for t in TRANSITIONS.values():
        assert f"{t.source.label} --> {t.target.label}: {t.move.value}" in diagram


@pytest.mark.parametrize(("text", "stage"), [("Analyse", A), (" do ", D), ("REVIEW", R), ("nope", None)])
def test_stage_names_parse_case_insensitively(text: str, stage: Stage | None) -> None:
    assert Stage.parse(text) is stage


def test_the_readme_shows_the_diagram_drawn_from_the_table() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[3] / "README.md").read_text()
    assert f"```mermaid\n{mermaid_diagram()}\n```" in readme
