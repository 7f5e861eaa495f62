"""Participants of a payment-by-results contract, and who may be referred.

A participant is referred on a date, may have a date of birth and carries named attributes (a local
authority, say). A rate card's eligibility is an age range at referral and allowed values of named
attributes; age is counted in whole years.

Some facts cannot be true, and are refused when a participant is imported (``impossible``): a referral
after the import's date, a birth after the referral, or an age over 110 at referral. Example: imported on
2026-04-01, a participant referred on 2025-11-01 and born on 1890-05-01 would be 135 at referral: refused.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

OLDEST = 110  # an age at referral above this is a mistyped date of birth, not a person


@dataclass(frozen=True, slots=True)
class Participant:
    ref: str
    referral_date: dt.date
    born: dt.date | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Eligibility:
    """Who may be referred: an age range at referral, and allowed values of named participant attributes."""

    min_age: int | None = None
    max_age: int | None = None
    attributes: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def problem(self, referral: dt.date, born: dt.date | None, attributes: Mapping[str, str]) -> str | None:
        """Why a participant is not eligible, or None."""
        if self.min_age is not None or self.max_age is not None:
            if born is None:
                return "has no date of birth, which the age criterion needs"
            age = age_on(born, referral)
            low = self.min_age if self.min_age is not None else 0
            high = self.max_age if self.max_age is not None else 200
            if not low <= age <= high:
                return f"was {age} at referral on {referral}; the contract takes ages {low}-{high}"
        for name, allowed in self.attributes.items():
            value = attributes.get(name, "")
            if value.lower() not in allowed:
                shown = ", ".join(sorted(allowed))
                return f"has {name} {value!r}; the contract takes {shown}" if value else f"has no {name}"
        return None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.min_age is not None or self.max_age is not None:
            out["age_at_referral"] = f"{self.min_age or 0}-{self.max_age or 200}"
        out.update({k: sorted(v) for k, v in self.attributes.items()})
        return out


def age_on(born: dt.date, day: dt.date) -> int:
    """Whole years of age on ``day`` (a 29 February birthday turns over on 1 March in other years)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def impossible(person: Participant, today: dt.date) -> list[tuple[str, str]]:
    """(field, reason) for each fact about ``person`` that cannot be true on ``today`` (the import's date)."""
    found = []
    referral, born = person.referral_date, person.born
    if referral > today:
        found.append(("referral_date", f"{referral} is after the import's date {today}"))
    if born is not None:
        if born > referral:
            found.append(("date_of_birth", f"{born} is after the referral on {referral}"))
        elif (age := age_on(born, referral)) > OLDEST:
            found.append(
                (
                    "date_of_birth",
                    f"{born} makes the participant {age} at referral on {referral}; over {OLDEST} is not credible",
                )
            )
    return found
