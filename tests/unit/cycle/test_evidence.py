"""The evidence register's fields: what is required, and what is refused with a reason."""

import pytest

from policies.cycle.evidence import ContextFit, EvidenceKind, Strength, StrengthScale, parse_strength, validate_evidence

GOOD = {
    "kind": "what_works",
    "source": "Family Nurse Partnership: Building Blocks 2-6",
    "produced_by": "Cardiff University",
    "independently_reviewed": True,
    "method": "RCT",
    "context_fit": "high",
    "strength": "eif:4",
    "summary": "Reduced maltreatment by age 6",
    "link": "https://example.org/fnp",
}


def test_a_complete_item_is_accepted() -> None:
    item, problems = validate_evidence(GOOD)
    assert problems == []
    assert item is not None
    assert item.kind is EvidenceKind.WHAT_WORKS
    assert item.strength == Strength(StrengthScale.EIF, 4)
    assert item.strength.meaning == "effectiveness"
    assert item.context_fit is ContextFit.HIGH


@pytest.mark.parametrize(
    ("text", "expected"),
    [("eif:1", ("eif", 1)), ("EIF 4", ("eif", 4)), ("sms-5", ("sms", 5)), (" sms:3 ", ("sms", 3))],
)
def test_strengths_on_both_scales_parse(text: str, expected: tuple[str, int]) -> None:
    strength, why = parse_strength(text)
    assert why is None and strength is not None
    assert (strength.scale.value, strength.level) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("eif:5", "'eif:5' is off the EIF scale (levels 1-4)"),
        ("eif:0", "'eif:0' is off the EIF scale (levels 1-4)"),
        ("sms:6", "'sms:6' is off the SMS scale (levels 1-5)"),
        ("sms:-1", "'sms:-1' is off the SMS scale (levels 1-5)"),
        ("gold:3", "'gold' is not a known strength scale"),
        ("strong", "'strong' is not a strength"),
    ],
)
def test_a_strength_off_the_scale_is_refused(text: str, reason: str) -> None:
    strength, why = parse_strength(text)
    assert strength is None and why is not None and why.startswith(reason)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("kind", "gossip", "'gossip' is not a kind of evidence"),
        ("kind", "", "is missing"),
        ("source", "  ", "is missing"),
        ("produced_by", "", "is missing"),
        ("method", "", "is missing"),
        ("summary", "", "is missing"),
        ("independently_reviewed", None, "must be said"),
        ("context_fit", "perfect", "'perfect' is not a context fit"),
        ("strength", "eif:7", "off the EIF scale"),
        ("strength", "", "is missing"),
        ("link", "www.example.org", "is not a web address"),
    ],
)
def test_each_bad_field_is_named_with_its_reason(field: str, value: object, reason: str) -> None:
    item, problems = validate_evidence({**GOOD, field: value})
    assert item is None
    assert [p.field for p in problems] == [field]
    assert reason in problems[0].reason


def test_every_problem_is_reported_at_once() -> None:
    item, problems = validate_evidence({"kind": "nope", "strength": "sms:9"})
    assert item is None
    assert {p.field for p in problems} == {
        "kind",
        "source",
        "produced_by",
        "method",
        "summary",
        "independently_reviewed",
        "context_fit",
        "strength",
    }


@pytest.mark.parametrize("kind", ["local need", "Local-Need", "USER_VOICE", "local_evaluation", "market"])
def test_kinds_are_forgiving_about_case_and_separators(kind: str) -> None:
    item, problems = validate_evidence({**GOOD, "kind": kind})
    assert problems == [] and item is not None


@pytest.mark.parametrize(("field", "limit"), [("source", 300), ("produced_by", 200), ("method", 200)])
def test_overlong_fields_are_refused_the_same_on_every_database(field: str, limit: int) -> None:
    item, problems = validate_evidence({**GOOD, field: "x" * (limit + 1)})
    assert item is None
    assert [str(p) for p in problems] == [f"{field}: is {limit + 1} characters long; the most is {limit}"]
    item, problems = validate_evidence({**GOOD, field: "x" * limit})
    assert problems == [] and item is not None


@pytest.mark.parametrize(
    ("scale", "level", "meaning"),
    [
        (StrengthScale.EIF, 1, "logic model"),
        (StrengthScale.EIF, 2, "preliminary evidence"),
        (StrengthScale.EIF, 3, "efficacy"),
        (StrengthScale.EIF, 4, "effectiveness"),
        (StrengthScale.SMS, 1, "correlation or description"),
        (StrengthScale.SMS, 2, "before and after, or comparison without control"),
        (StrengthScale.SMS, 3, "comparison with a control group"),
        (StrengthScale.SMS, 4, "comparison with controls for other factors"),
        (StrengthScale.SMS, 5, "randomised controlled trial"),
    ],
)
def test_each_level_of_each_scale_says_what_it_means(scale: StrengthScale, level: int, meaning: str) -> None:
    # The Early Intervention Foundation's levels 1-4 and the Maryland Scientific Methods Scale's 1-5.
    assert Strength(scale, level).meaning == meaning


def test_a_study_set_closer_to_ours_ranks_higher() -> None:
    # Low, then medium, then high: a medium fit never ties with a high one.
    assert sorted(ContextFit, key=lambda fit: fit.rank) == [ContextFit.LOW, ContextFit.MEDIUM, ContextFit.HIGH]


def test_a_link_is_at_most_500_characters() -> None:
    at_most = "https://example.org/" + "p" * (500 - len("https://example.org/"))
    item, problems = validate_evidence({**GOOD, "link": at_most})
    assert problems == [] and item is not None
    item, problems = validate_evidence({**GOOD, "link": at_most + "p"})
    assert item is None
    assert [str(p) for p in problems] == ["link: is 501 characters long; the most is 500"]
