"""The gate policy file: overrides, the optional evidence conditions, and files that are wrong."""

import textwrap

import pytest

from policies.cycle.gate_policy import PolicyProblem, build_gate_policy, parse_policy_text
from policies.cycle.gates import GatePolicy, assess
from policies.cycle.stages import Stage
from tests.support.builders import evidence, facts, shipped_policy


def load(*texts: str) -> tuple[GatePolicy | None, list[PolicyProblem]]:
    documents = []
    for i, text in enumerate(texts):
        doc, problems = parse_policy_text(textwrap.dedent(text), f"file{i}.toml")
        if problems:
            return None, problems
        assert doc is not None
        documents.append((f"file{i}.toml", doc))
    return build_gate_policy(documents)


def all_problems(*texts: str) -> str:
    policy, problems = load(*texts)
    assert policy is None and problems
    return "\n".join(str(p) for p in problems)


STRICT_WHAT_WORKS = """
[gates.analyse_to_plan]
evidence = [
  { kind = "local_need", min_strength = { sms = 1 } },
  { kind = "what_works", min_items = 2, min_strength = { eif = 3 }, independently_reviewed = true, \
min_context_fit = "medium" },
]
"""


def test_the_shipped_defaults_set_every_forward_gate() -> None:
    assert sorted(shipped_policy().gates) == [
        "analyse_to_plan",
        "do_to_review",
        "plan_to_do",
        "review_to_analyse",
        "review_to_decommissioned",
    ]


def test_a_users_gate_replaces_the_default_of_that_name_only() -> None:
    from importlib.resources import files

    shipped = files("policies").joinpath("gates.toml").read_text()
    policy, problems = load(shipped, "[gates.do_to_review]\nrecords = []\n")
    assert problems == [] and policy is not None
    assert policy.sources == ("file0.toml", "file1.toml")
    # do_to_review now opens with no conditions; plan_to_do keeps its four from the defaults.
    assert assess(facts(Stage.DO), policy).outcome == "passed"
    assert len(assess(facts(Stage.PLAN), policy).unmet) == 4


def test_two_items_are_needed_when_the_policy_says_so() -> None:
    policy, _ = load(STRICT_WHAT_WORKS)
    assert policy is not None
    need = evidence("local_need", "sms:1")
    one = evidence("what_works", "eif:4", source="FNP trial")
    two = evidence("what_works", "eif:3", source="Incredible Years trial")
    result = assess(facts(Stage.ANALYSE, need, one), policy)
    assert [u.code for u in result.unmet] == ["evidence_weak:what_works"]
    assert "1 of 1 item(s) meet the bar and the gate needs at least 2 items" in result.unmet[0].sentence
    assert assess(facts(Stage.ANALYSE, need, one, two), policy).outcome == "passed"


def test_only_independently_reviewed_evidence_counts_when_required() -> None:
    policy, _ = load(STRICT_WHAT_WORKS)
    assert policy is not None
    need = evidence("local_need", "sms:1")
    unreviewed = [evidence("what_works", "eif:4", reviewed=False, source=f"s{i}") for i in range(3)]
    result = assess(facts(Stage.ANALYSE, need, *unreviewed), policy)
    assert "independently reviewed" in result.unmet[0].sentence
    assert "0 of 3 item(s) meet the bar" in result.unmet[0].sentence


def test_a_us_trial_with_low_context_fit_does_not_count_when_medium_is_required() -> None:
    policy, _ = load(STRICT_WHAT_WORKS)
    assert policy is not None
    need = evidence("local_need", "sms:1")
    us_trials = [evidence("what_works", "eif:4", fit="low", source=f"US trial {i}") for i in range(2)]
    assert assess(facts(Stage.ANALYSE, need, *us_trials), policy).outcome == "refused"
    uk = [evidence("what_works", "eif:3", fit="medium", source=f"UK trial {i}") for i in range(2)]
    assert assess(facts(Stage.ANALYSE, need, *uk), policy).outcome == "passed"


def test_a_scale_the_gate_does_not_name_does_not_count() -> None:
    policy, _ = load(STRICT_WHAT_WORKS)
    assert policy is not None
    result = assess(facts(Stage.ANALYSE, evidence("local_need", "eif:4")), policy)
    assert "evidence_weak:local_need" in [u.code for u in result.unmet]


# -- malformed files -------------------------------------------------------------------------


def test_a_toml_syntax_error_names_the_line() -> None:
    message = all_problems("[gates.analyse_to_plan]\nevidence = [\n  { kind = 'local_need' \n")
    assert message.startswith("file0.toml: is not valid TOML")
    assert "line" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[gates.analyse_to_review]\n",
            "gates.analyse_to_review: Analyse -> Review is not a step in the commissioning cycle",
        ),
        ("[gates.plan_to_analyse]\n", "is a step back, which needs a reason, not a gate"),
        ("[gates.to_the_moon]\n", "gates.to_the_moon: is not a gate"),
        ("[gate.analyse_to_plan]\n", "file0.toml: gate: is not a known section"),
        (
            "[gates.analyse_to_plan]\nevidence = [{ kind = 'vibes', min_strength = { eif = 2 } }]\n",
            "gates.analyse_to_plan.evidence[1].kind: 'vibes' is not a kind of evidence",
        ),
        (
            "[gates.analyse_to_plan]\nevidence = [{ kind = 'what_works', min_strength = { eif = 5 } }]\n",
            "gates.analyse_to_plan.evidence[1].min_strength.eif: 5 is off the EIF scale (levels 1-4)",
        ),
        (
            "[gates.analyse_to_plan]\nevidence = [{ kind = 'what_works', min_strength = { sms = 0 } }]\n",
            "min_strength.sms: 0 is off the SMS scale (levels 1-5)",
        ),
        (
            "[gates.analyse_to_plan]\nevidence = [{ kind = 'what_works', min_strength = { nice = 3 } }]\n",
            "min_strength.nice: is not a scale",
        ),
        (
            "[gates.analyse_to_plan]\nevidence = [{ kind = 'what_works', min_strength = {} }]\n",
            "otherwise no evidence could meet it",
        ),
        (
            "[gates.analyse_to_plan]\n"
            "evidence = [{ kind = 'what_works', min_items = 0, min_strength = { eif = 3 } }]\n",
            "min_items: must be a whole number of at least 1, not 0",
        ),
        (
            "[gates.analyse_to_plan]\nevidence = [{ kind = 'what_works', min_strenght = { eif = 3 } }]\n",
            "evidence[1].min_strenght: is not a known setting",
        ),
        (
            "[gates.plan_to_do]\nrecords = [{ record = 'business_case', values = ['signed'] }]\n",
            "'signed' is not a business case value",
        ),
        ("[gates.plan_to_do]\nrecords = [{ record = 'budget' }]\n", "'budget' is not a record"),
        ("[gates.plan_to_do]\nrecords = 'business_case'\n", "gates.plan_to_do.records: must be a list of tables"),
        ("[gates.plan_to_do]\nrecord = []\n", "gates.plan_to_do.record: is not a known gate setting"),
    ],
)
def test_a_malformed_policy_is_refused_with_where_and_why(text: str, expected: str) -> None:
    assert expected in all_problems(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[gates.analyse_to_plan]\nevidence = [\n { kind = 'what_works', min_strength = { eif = 3 } },\n"
            " { kind = 'what_works', min_strength = { eif = 2 } },\n]\n",
            "evidence[2]: contradicts an earlier rule: evidence of what works is already set for this gate",
        ),
        (
            "[gates.plan_to_do]\nrecords = [{ record = 'business_case', values = ['approved'] },"
            " { record = 'business_case', values = ['draft'] }]\n",
            "records[2]: contradicts an earlier rule: the business case is already required",
        ),
        (
            "[gates.review_to_analyse]\nrecords = [{ record = 'review_decision', values = ['decommission'] }]\n",
            "contradicts the cycle: a project leaves Review for Analyse only on a 'recommission' decision",
        ),
        (
            "[gates.review_to_decommissioned]\nrecords = [{ record = 'review_decision', values = ['continue'] }]\n",
            "leaves Review for Decommissioned only on a 'decommission' decision",
        ),
    ],
)
def test_a_contradictory_policy_is_refused(text: str, expected: str) -> None:
    assert expected in all_problems(text)


def test_every_problem_in_a_file_is_reported_not_just_the_first() -> None:
    policy, problems = load(
        "[gates.analyse_to_plan]\nevidence = [{ kind = 'vibes', min_strength = { eif = 9 } }]\n[gates.up_to_eleven]\n"
    )
    assert policy is None
    assert len(problems) == 3
