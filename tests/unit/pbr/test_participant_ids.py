"""One person, one id: ids that differ only by case, spaces, hyphens or underscores are the same person."""

import datetime as dt
import pickle

import pytest

from policies.pbr.participants import Participant, Roster, same_person

REFERRED = dt.date(2025, 10, 1)


@pytest.mark.parametrize("written", ["P-010", "p-010", "P010", "P 010", "p_010", "P\t-010", "P--010"])
def test_the_ways_of_writing_one_id_are_one_person(written: str) -> None:
    assert same_person(written) == same_person("P-010") == "p010"


@pytest.mark.parametrize("other", ["P-0100", "P-01", "Q-010", "P.010"])
def test_other_ids_are_other_people(other: str) -> None:
    assert same_person(other) != same_person("P-010")


def test_a_roster_names_the_listed_id_a_mistyped_one_means() -> None:
    roster = Roster({ref: Participant(ref, REFERRED) for ref in ("P-010", "P-011")})
    assert (roster.named_like("p 010"), roster.named_like("P011"), roster.named_like("P-012")) == (
        "P-010",
        "P-011",
        None,
    )
    again = pickle.loads(pickle.dumps(roster))  # as a process deciding a share of the claims gets it
    assert again.named_like("p-010") == "P-010" and again == roster


def test_a_roster_holding_part_of_a_contract_is_told_the_listed_ids() -> None:
    roster = Roster({"P-010": Participant("P-010", REFERRED)})
    roster.told([("p-099", "P-099")])
    assert (roster.named_like("P 099"), roster.named_like("p-010")) == ("P-099", None)
