"""Participants of a payment-by-results contract, and who may be referred.

A participant is referred on a date, may have a date of birth and carries named attributes (a local
authority, say). A rate card's eligibility is an age range at referral and allowed values of named
attributes; age is counted in whole years.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


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
