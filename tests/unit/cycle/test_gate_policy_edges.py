"""Gate policy files that are wrong in more than one place: every problem is named, each where it is, and
nothing is reported twice. (Mutation testing showed each of these could change unnoticed.)"""

from tests.unit.cycle.test_gate_policy import all_problems


def test_a_gates_section_that_is_not_a_table_does_not_hide_the_next_files_problems() -> None:
    assert all_problems("gates = 5\n", "[gates.plan_to_nowhere]\n").splitlines() == [
        "file0.toml: gates: must be a table of gates",
        "file1.toml: gates.plan_to_nowhere: is not a gate; the gates are "
        "analyse_to_plan, plan_to_do, do_to_review, review_to_analyse, review_to_decommissioned",
    ]


def test_two_stages_that_are_not_a_step_are_named_as_stages() -> None:
    assert all_problems("[gates.analyse_to_review]\n") == (
        "file0.toml: gates.analyse_to_review: Analyse -> Review is not a step in the commissioning cycle"
    )


def test_a_contradicting_rule_is_named_by_its_place_in_the_list_counting_from_one() -> None:
    text = """
    [gates.plan_to_do]
    evidence = [
      { kind = "local_need", min_strength = { sms = 1 } },
      { kind = "what_works", min_strength = { eif = 2 } },
      { kind = "what_works", min_strength = { eif = 3 } },
    ]
    records = [{ record = "business_case" }, { record = "business_case", values = ["approved"] }]
    """
    assert all_problems(text).splitlines() == [
        "file0.toml: gates.plan_to_do.evidence[3]: contradicts an earlier rule: evidence of what works is "
        "already set for this gate",
        "file0.toml: gates.plan_to_do.records[2]: contradicts an earlier rule: the business case is already "
        "required by this gate",
    ]


def test_every_bad_scale_in_a_minimum_strength_is_named() -> None:
    text = """
    [gates.analyse_to_plan]
    evidence = [{ kind = "local_need", min_strength = { smss = 3, eif = 9, sms = 0 } }]
    """
    assert all_problems(text).splitlines() == [
        "file0.toml: gates.analyse_to_plan.evidence[1].min_strength.smss: is not a scale; use eif or sms",
        "file0.toml: gates.analyse_to_plan.evidence[1].min_strength.eif: 9 is off the EIF scale (levels 1-4)",
        "file0.toml: gates.analyse_to_plan.evidence[1].min_strength.sms: 0 is off the SMS scale (levels 1-5)",
    ]


def test_a_rule_refused_for_its_own_fault_is_not_also_called_a_contradiction() -> None:
    # The first what-works rule asks for 0 items; the second is sound. One problem, the 0: the refused rule
    # sets nothing, so the second contradicts nothing.
    text = """
    [gates.analyse_to_plan]
    evidence = [
      { kind = "what_works", min_items = 0, min_strength = { eif = 3 } },
      { kind = "what_works", min_strength = { eif = 3 } },
    ]
    """
    assert all_problems(text) == (
        "file0.toml: gates.analyse_to_plan.evidence[1].min_items: must be a whole number of at least 1, not 0"
    )


def test_the_values_a_record_must_have_are_a_non_empty_list_of_words() -> None:
    for values in ('["approved", 3]', "[]", '"approved"'):
        text = f'[gates.plan_to_do]\nrecords = [{{ record = "business_case", values = {values} }}]\n'
        assert all_problems(text) == (
            "file0.toml: gates.plan_to_do.records[1].values: must be a non-empty list of words"
        ), values


def test_a_review_gate_cannot_require_the_decision_that_leads_elsewhere() -> None:
    text = """
    [gates.review_to_decommissioned]
    records = [
      { record = "review_decision", values = ["decommission"] },
      { record = "review_decision", values = ["recommission"] },
    ]
    """
    assert all_problems(text).splitlines()[-1] == (
        "file0.toml: gates.review_to_decommissioned.records[2].values: contradicts the cycle: a project leaves "
        "Review for Decommissioned only on a 'decommission' decision, so the gate cannot require recommission"
    )
