"""Gates with several items of one kind, gates a policy writes differently, and where a record may be made."""

from policies.cycle.evidence import ContextFit, EvidenceKind, StrengthScale
from policies.cycle.gates import (
    EvidenceRule,
    Gate,
    GatePolicy,
    ProjectFacts,
    RecordRule,
    assess,
    findings_for,
    record_refusal,
    stages_using,
)
from policies.cycle.records import RecordKind
from policies.cycle.stages import Stage, find_transition
from tests.support.builders import evidence, facts, shipped_policy

POLICY = shipped_policy()
JSNA = evidence("local_need", "sms:1", source="Joint Strategic Needs Assessment 2025")


def test_a_refusal_after_several_weak_what_works_items_names_the_strongest() -> None:
    # Three studies, none at the bar (EIF 3 or SMS 3): a local pilot at SMS 1, reviewed; a before-and-after
    # study at SMS 2, not reviewed; an EIF level 2 evaluation, reviewed but from a US setting (low fit).
    # The strongest is level 2, and of the two at level 2 the reviewed one: EIF level 2.
    items = (
        evidence("what_works", "sms:1", source="Local pilot 2024"),
        evidence("what_works", "sms:2", reviewed=False, source="Before and after, 2023"),
        evidence("what_works", "eif:2", fit="low", source="US programme evaluation"),
    )
    [unmet] = assess(facts(Stage.ANALYSE, JSNA, *items), POLICY).unmet
    assert unmet.code == "evidence_weak:what_works"
    assert unmet.sentence == (
        "Evidence of what works is not yet enough: 0 of 3 item(s) meet the bar and the gate needs at least 1 item "
        "at EIF level 3 or SMS level 3 or above; the strongest recorded is EIF level 2, independently reviewed."
    )


def test_the_strongest_of_two_is_named_whichever_comes_first() -> None:
    weak, weaker = evidence("what_works", "sms:2", reviewed=False), evidence("what_works", "sms:1")
    for items in ((weak, weaker), (weaker, weak)):
        [unmet] = assess(facts(Stage.ANALYSE, JSNA, *items), POLICY).unmet
        assert unmet.sentence.endswith("the strongest recorded is SMS level 2, not independently reviewed.")


def test_an_evidence_rule_asks_only_for_what_it_says() -> None:
    # Written without review or context fit, a rule asks for neither; "at least low" fit is no condition.
    plain = EvidenceRule(EvidenceKind.WHAT_WORKS, 1, {StrengthScale.SMS: 3})
    assert plain.describe() == "evidence of what works: at least 1 at SMS level 3 or above"
    low = EvidenceRule(EvidenceKind.WHAT_WORKS, 1, {StrengthScale.SMS: 3}, min_context_fit=ContextFit.LOW)
    assert low.criteria() == "SMS level 3 or above"
    medium = EvidenceRule(EvidenceKind.WHAT_WORKS, 2, {StrengthScale.SMS: 3}, True, ContextFit.MEDIUM)
    assert medium.criteria() == "SMS level 3 or above, independently reviewed, with at least medium context fit"


# --------------------------------------------------------------------------- gates a policy writes

TO_ANALYSE = find_transition(Stage.REVIEW, Stage.ANALYSE)
TO_DO = find_transition(Stage.PLAN, Stage.DO)
assert TO_ANALYSE is not None and TO_DO is not None
RECOMMISSION = RecordRule(RecordKind.REVIEW_DECISION, ("recommission",))
APPROVED_CASE = RecordRule(RecordKind.BUSINESS_CASE, ("approved",))


def test_leaving_review_always_needs_the_decision_that_points_there_but_only_once() -> None:
    assert Gate(TO_ANALYSE).conditions() == (RECOMMISSION,)
    # A policy that asks for a refreshed business case and the decision itself: exactly those two.
    assert Gate(TO_ANALYSE, records=(APPROVED_CASE, RECOMMISSION)).conditions() == (APPROVED_CASE, RECOMMISSION)
    # Other gates get no review decision, and a live contract only when asked for.
    assert Gate(TO_DO).conditions() == ()
    assert Gate(TO_DO, records=(APPROVED_CASE,)).conditions() == (APPROVED_CASE,)


def test_a_record_may_be_made_in_its_own_stage_and_where_a_gate_out_uses_it() -> None:
    # With the shipped gates an award is made in Do only; a policy whose Review -> Analyse gate asks for an
    # approved business case lets the business case be recorded in Review as well as Plan.
    assert stages_using(RecordKind.AWARD, POLICY) == (Stage.DO,)
    assert stages_using(RecordKind.BUSINESS_CASE, POLICY) == (Stage.PLAN,)
    refresh = GatePolicy({TO_ANALYSE.key: Gate(TO_ANALYSE, records=(APPROVED_CASE, RECOMMISSION))})
    assert stages_using(RecordKind.BUSINESS_CASE, refresh) == (Stage.PLAN, Stage.REVIEW)
    assert record_refusal(RecordKind.BUSINESS_CASE, Stage.REVIEW, refresh) is None
    assert record_refusal(RecordKind.BUSINESS_CASE, Stage.PLAN, refresh) is None
    assert record_refusal(RecordKind.BUSINESS_CASE, Stage.DO, refresh) == (
        "Do, whose gate does not use a business case; record it in Plan or Review"
    )
    assert record_refusal(RecordKind.AWARD, Stage.PLAN, POLICY) == (
        "Plan, whose gate does not use a contract award; record it in Do"
    )


# --------------------------------------------------------------------------- what the flow saw


def test_contracts_in_force_beyond_those_named_are_counted() -> None:
    named = ("HF-2026-01", "HF-2026-02")
    many = findings_for(ProjectFacts(Stage.DO, live_contracts=named, live_count=1236))
    assert "Contract(s) in force: HF-2026-01, HF-2026-02 and 1,234 more." in many
    one_more = findings_for(ProjectFacts(Stage.DO, live_contracts=named, live_count=3))
    assert "Contract(s) in force: HF-2026-01, HF-2026-02 and 1 more." in one_more
    for count in (2, None):  # all of them named, or no count given
        exact = findings_for(ProjectFacts(Stage.DO, live_contracts=named, live_count=count))
        assert "Contract(s) in force: HF-2026-01, HF-2026-02." in exact
