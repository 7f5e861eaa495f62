"""Who may be referred, and what cannot be true of a participant, at the edges.

An import dated 1 April 2026; a card for ages 18-24 at referral in Leeds or Bradford.
"""

import datetime as dt

import pytest

from policies.pbr.participants import OLDEST, Eligibility, Participant, impossible

d = dt.date
IMPORTED = d(2026, 4, 1)
REFERRED = d(2025, 11, 1)


def test_the_docstring_example_a_participant_of_135_is_refused() -> None:
    person = Participant("P-100", REFERRED, d(1890, 5, 1))
    assert impossible(person, IMPORTED) == [
        (
            "date_of_birth",
            "1890-05-01 makes the participant 135 at referral on 2025-11-01; over 110 is not credible",
        )
    ]


@pytest.mark.parametrize(
    ("born", "problem"),
    [
        (d(1914, 11, 2), None),  # 110, a day short of 111: old, but credible
        (d(1914, 11, 1), "1914-11-01 makes the participant 111 at referral on 2025-11-01; over 110 is not credible"),
        (d(2025, 11, 1), None),  # born on the referral day (a baby referred at birth)
        (d(2025, 11, 2), "2025-11-02 is after the referral on 2025-11-01"),
    ],
)
def test_the_oldest_and_youngest_credible_participants(born: dt.date, problem: str | None) -> None:
    assert OLDEST == 110
    found = impossible(Participant("P-101", REFERRED, born), IMPORTED)
    assert found == ([] if problem is None else [("date_of_birth", problem)])


def test_a_referral_on_the_imports_day_is_possible_the_next_day_is_not() -> None:
    assert impossible(Participant("P-102", IMPORTED), IMPORTED) == []
    assert impossible(Participant("P-103", d(2026, 4, 2)), IMPORTED) == [
        ("referral_date", "2026-04-02 is after the import's date 2026-04-01")
    ]


LEEDS_OR_BRADFORD = {"local_authority": frozenset({"leeds", "bradford"})}


@pytest.mark.parametrize(
    ("rule", "born", "attributes", "problem"),
    [
        # Only a lowest age: 17 on referral is too young; the range reads 18-200.
        (
            Eligibility(min_age=18),
            d(2008, 11, 2),
            {},
            "was 16 at referral on 2025-11-01; the contract takes ages 18-200",
        ),
        (Eligibility(min_age=18), d(2007, 11, 1), {}, None),  # 18 that day
        # Only a highest age: 25 is too old; the range reads 0-24.
        (Eligibility(max_age=24), d(2000, 11, 1), {}, "was 25 at referral on 2025-11-01; the contract takes ages 0-24"),
        (Eligibility(max_age=24), d(2000, 11, 2), {}, None),  # 24, a day short of 25
        (Eligibility(min_age=18), None, {}, "has no date of birth, which the age criterion needs"),
        (Eligibility(attributes=LEEDS_OR_BRADFORD), None, {"local_authority": "Leeds"}, None),  # any case
        (
            Eligibility(attributes=LEEDS_OR_BRADFORD),
            None,
            {"local_authority": "York"},
            "has local_authority 'York'; the contract takes bradford, leeds",
        ),
        (Eligibility(attributes=LEEDS_OR_BRADFORD), None, {}, "has no local_authority"),
        (Eligibility(), None, {}, None),  # no criteria: everyone
    ],
)
def test_eligibility_at_its_edges(
    rule: Eligibility, born: dt.date | None, attributes: dict[str, str], problem: str | None
) -> None:
    assert rule.problem(REFERRED, born, attributes) == problem


def test_an_open_ended_age_range_is_described_with_its_defaults() -> None:
    assert Eligibility(min_age=18).describe() == {"age_at_referral": "18-200"}
    assert Eligibility(max_age=24).describe() == {"age_at_referral": "0-24"}
    assert Eligibility().describe() == {}
