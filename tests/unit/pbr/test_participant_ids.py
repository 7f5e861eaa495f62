"""One person, one id: ids that differ only by case, spaces, dashes, underscores, invisible characters or
look-alike letters are the same person."""

import datetime as dt
import pickle

import pytest

from policies.pbr.participants import Participant, Roster, same_person, shown

REFERRED = dt.date(2025, 10, 1)


@pytest.mark.parametrize("written", ["P-010", "p-010", "P010", "P 010", "p_010", "P\t-010", "P--010"])
def test_the_ways_of_writing_one_id_are_one_person(written: str) -> None:
    assert same_person(written) == same_person("P-010") == "p010"


# What a hostile trial stored as a second person beside P-010: each looks like it, or is it once normalised.
LOOK_ALIKES = [
    "P\u2010010",  # hyphen
    "P\u2011010",  # non-breaking hyphen
    "P\u2013010",  # en dash
    "P\u2014010",  # em dash
    "P\u2212010",  # minus sign (a math symbol, not a dash)
    "P\uff0d010",  # full-width hyphen-minus
    "\uff30-010",  # full-width P
    "\uff30\uff0d\uff10\uff11\uff10",  # all full-width
    "P-0\u200b10",  # zero-width space
    "P-010\u200d",  # zero-width joiner
    "\ufeffP-010",  # byte order mark
    "P\u00ad-010",  # soft hyphen
    "P\u3000010",  # ideographic space
    "P\u00a0010",  # no-break space
    "P\u203f010",  # undertie (connector punctuation)
]


@pytest.mark.parametrize("written", LOOK_ALIKES)
def test_look_alike_dashes_spaces_and_letters_are_one_person(written: str) -> None:
    assert same_person(written) == "p010"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ZOe\u0301-1", "ZOé-1"),  # an accent typed as its own mark, and as one letter
        ("STRASSE-1", "Straße-1"),  # case as Unicode folds it
        ("İD-1", "id-1"),  # a capital I with its dot, and a small i
        ("I\u0307D-1", "id-1"),  # the same, the dot typed as its own mark
        ("ＺＯＥ-1", "zoe_1"),
    ],
)
def test_one_name_written_in_other_unicode_is_one_person(one: str, other: str) -> None:
    assert same_person(one) == same_person(other)


def test_an_ascii_id_is_keyed_as_a_unicode_one_would_be() -> None:
    # the ASCII short cut deletes what the rule deletes, no more: white space (a tab, a unit separator) goes, any
    # other control character stays
    assert (same_person("P-010\x07"), same_person("P-010\x07\u00e9")) == ("p010\x07", "p010\x07é")
    assert same_person("P\x1f\t-010") == same_person("P\x1f\t\u2010010") == "p010"


@pytest.mark.parametrize("other", ["P-0100", "P-01", "Q-010", "P.010", "ZOE-1\u0301", "Zoe-1", "ıd-1", "P\u2026010"])
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


def test_a_refusal_names_what_cannot_be_seen() -> None:
    assert (shown("P-010"), shown("P\u2010010"), shown("P-0\u200b10")) == (
        "P-010",
        "'P\u2010010' (U+2010 HYPHEN)",
        "'P-0\\u200b10' (U+200B ZERO WIDTH SPACE)",
    )


@pytest.mark.parametrize("written", LOOK_ALIKES)
def test_a_roster_names_the_listed_id_a_look_alike_means(written: str) -> None:
    roster = Roster({ref: Participant(ref, REFERRED) for ref in ("P-010", "Straße-1")})
    assert (roster.named_like(written), roster.named_like("STRASSE 1")) == ("P-010", "Straße-1")
