"""Every condition of the shipped stage gates, met and unmet, on worked examples."""

import pytest

from policies.cycle.gates import Assessment, ProjectFacts, assess
from policies.cycle.stages import Stage
from tests.support.builders import READY_TO_PROCURE, evidence, facts, shipped_policy

POLICY = shipped_policy()
JSNA = evidence("local_need", "sms:1", source="Joint Strategic Needs Assessment 2025")
HOUSING_FIRST = evidence("what_works", "sms:4", source="Housing First England evaluation")


def codes(result: Assessment) -> list[str]:
    return [u.code for u in result.unmet]


# -- Analyse -> Plan -----------------------------------------------------------------------


def test_analyse_with_no_evidence_is_refused_on_both_kinds() -> None:
    result = assess(facts(Stage.ANALYSE), POLICY)
    assert result.outcome == "refused"
    assert result.transition is not None and result.transition.target is Stage.PLAN
    assert codes(result) == ["evidence_missing:local_need", "evidence_missing:what_works"]
    assert result.unmet[0].sentence == (
        "No evidence of local need has been recorded; the gate needs at least 1 item at "
        "EIF level 1 or SMS level 1 or above."
    )


def test_rough_sleeping_count_alone_lacks_what_works() -> None:
    result = assess(facts(Stage.ANALYSE, JSNA), POLICY)
    assert codes(result) == ["evidence_missing:what_works"]
    assert "EIF level 3 or SMS level 3 or above" in result.unmet[0].sentence


def test_what_works_without_local_need_is_refused() -> None:
    assert codes(assess(facts(Stage.ANALYSE, HOUSING_FIRST), POLICY)) == ["evidence_missing:local_need"]


def test_local_need_and_strong_what_works_pass_to_plan() -> None:
    result = assess(facts(Stage.ANALYSE, JSNA, HOUSING_FIRST), POLICY)
    assert result.outcome == "passed" and result.unmet == ()
    assert result.transition is not None and result.transition.target is Stage.PLAN


@pytest.mark.parametrize("weak", ["eif:2", "sms:2", "eif:1"])
def test_weak_what_works_is_refused_with_the_strongest_named(weak: str) -> None:
    result = assess(facts(Stage.ANALYSE, JSNA, evidence("what_works", weak)), POLICY)
    assert codes(result) == ["evidence_weak:what_works"]
    scale, level = weak.split(":")
    assert f"the strongest recorded is {scale.upper()} level {level}" in result.unmet[0].sentence


@pytest.mark.parametrize("strong", ["eif:3", "eif:4", "sms:3", "sms:5"])
def test_what_works_at_or_above_the_bar_counts(strong: str) -> None:
    assert assess(facts(Stage.ANALYSE, JSNA, evidence("what_works", strong)), POLICY).outcome == "passed"


def test_evidence_of_another_kind_does_not_stand_in_for_what_works() -> None:
    market = evidence("market", "sms:5")
    voice = evidence("user_voice", "eif:4")
    assert codes(assess(facts(Stage.ANALYSE, JSNA, market, voice), POLICY)) == ["evidence_missing:what_works"]


# -- Plan -> Do ----------------------------------------------------------------------------


def test_plan_with_everything_in_place_passes_to_do() -> None:
    result = assess(facts(Stage.PLAN, **READY_TO_PROCURE), POLICY)
    assert result.outcome == "passed"
    assert result.transition is not None and result.transition.target is Stage.DO


def test_plan_with_nothing_lists_all_four_conditions() -> None:
    result = assess(facts(Stage.PLAN), POLICY)
    assert codes(result) == [
        "record_missing:business_case",
        "record_missing:specification",
        "record_missing:outcomes_framework",
        "record_missing:procurement_route",
    ]
    assert result.unmet[0].sentence == (
        "No business case has been recorded in this cycle; the gate needs it to be approved."
    )
    assert result.unmet[3].sentence == "No procurement route has been recorded in this cycle."


@pytest.mark.parametrize("missing", sorted(READY_TO_PROCURE))
def test_each_plan_record_is_required(missing: str) -> None:
    present = {k: v for k, v in READY_TO_PROCURE.items() if k != missing}
    assert codes(assess(facts(Stage.PLAN, **present), POLICY)) == [f"record_missing:{missing}"]


@pytest.mark.parametrize(
    ("record", "value", "needed"),
    [
        ("business_case", "draft", "approved"),
        ("business_case", "submitted", "approved"),
        ("business_case", "rejected", "approved"),
        ("specification", "draft", "final"),
        ("outcomes_framework", "draft", "agreed"),
    ],
)
def test_a_plan_record_with_the_wrong_status_is_refused(record: str, value: str, needed: str) -> None:
    result = assess(facts(Stage.PLAN, **{**READY_TO_PROCURE, record: value}), POLICY)
    assert codes(result) == [f"record_value:{record}"]
    assert result.unmet[0].sentence.endswith(f"is recorded as '{value}'; the gate needs it to be {needed}.")


@pytest.mark.parametrize("route", ["open", "competitive_flexible", "direct_award", "light_touch", "grant"])
def test_any_procurement_route_will_do(route: str) -> None:
    assert assess(facts(Stage.PLAN, **{**READY_TO_PROCURE, "procurement_route": route}), POLICY).outcome == "passed"


# -- Do -> Review --------------------------------------------------------------------------


def test_do_without_a_contract_in_force_is_refused() -> None:
    result = assess(facts(Stage.DO, award="Northbridge Young People's Trust"), POLICY)
    assert [u.code for u in result.unmet] == ["contract_missing"]
    assert result.unmet[0].sentence.startswith("No contract linked to this project is in force")


def test_do_with_a_contract_in_force_passes_to_review() -> None:
    result = assess(ProjectFacts(Stage.DO, live_contracts=("HF-2024-01",)), POLICY)
    assert result.outcome == "passed"
    assert result.transition is not None and result.transition.target is Stage.REVIEW
    assert "Contract(s) in force: HF-2024-01." in result.findings


# -- Review -> Analyse / Decommissioned ----------------------------------------------------


def test_review_without_a_decision_is_refused() -> None:
    result = assess(facts(Stage.REVIEW), POLICY)
    assert result.outcome == "refused" and result.transition is None
    assert codes(result) == ["record_missing:review_decision"]


def test_a_recommission_decision_leads_back_to_analyse() -> None:
    result = assess(facts(Stage.REVIEW, review_decision="recommission"), POLICY)
    assert result.outcome == "passed"
    assert result.transition is not None and result.transition.target is Stage.ANALYSE
    assert result.transition.starts_new_cycle


def test_a_decommission_decision_ends_the_project() -> None:
    result = assess(facts(Stage.REVIEW, review_decision="decommission"), POLICY)
    assert result.outcome == "passed"
    assert result.transition is not None and result.transition.target is Stage.DECOMMISSIONED


@pytest.mark.parametrize("decision", ["continue", "vary", "extend", "break"])
def test_other_decisions_keep_the_project_in_review(decision: str) -> None:
    result = assess(facts(Stage.REVIEW, review_decision=decision), POLICY)
    assert result.outcome == "stayed" and result.transition is None and result.unmet == ()
    assert result.findings[-1] == f"The review decided to {decision}; the project stays in Review."


@pytest.mark.parametrize(
    ("decision", "target"),
    [("decommission", Stage.ANALYSE), ("recommission", Stage.DECOMMISSIONED), ("continue", Stage.ANALYSE)],
)
def test_asking_for_the_other_exit_than_the_decision_is_refused(decision: str, target: Stage) -> None:
    result = assess(facts(Stage.REVIEW, review_decision=decision), POLICY, target)
    assert result.outcome == "refused"
    assert codes(result) == ["record_value:review_decision"]
    assert f"recorded as '{decision}'" in result.unmet[0].sentence


# -- back-edges and the end state -----------------------------------------------------------


@pytest.mark.parametrize(("stage", "target"), [(Stage.DO, Stage.PLAN), (Stage.PLAN, Stage.ANALYSE)])
def test_steps_back_have_no_gate(stage: Stage, target: Stage) -> None:
    result = assess(facts(stage), POLICY, target)
    assert result.outcome == "passed"
    assert result.transition is not None and not result.transition.gated


def test_a_decommissioned_project_has_nothing_to_assess() -> None:
    result = assess(facts(Stage.DECOMMISSIONED), POLICY)
    assert result.outcome == "stayed" and result.transition is None


def test_findings_say_what_the_flow_saw() -> None:
    result = assess(facts(Stage.PLAN, JSNA, HOUSING_FIRST, business_case="draft"), POLICY)
    assert "1 item(s) of evidence of local need (SMS level 1)." in result.findings
    assert "The business case is recorded as 'draft' (2026-03-16)." in result.findings
