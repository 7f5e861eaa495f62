"""Participants of a payment-by-results contract, and who may be referred.

A participant is referred on a date, may have a date of birth and carries named attributes (a local
authority, say). A rate card's eligibility is an age range at referral and allowed values of named
attributes; age is counted in whole years.

One person has one id. Ids that differ only by case, spaces, hyphens or underscores (``P-010``, ``p-010``,
``P010``, ``P 010``, ``P_010``) name the same person (``same_person``): a second such id is refused at import,
and a claim naming one that is not on the list is told the id that is (``Roster.named_like``), so that one
outcome is not paid twice to one person under two ids. What looks alike is alike: any dash (``P-010`` with
the hyphen U+2010, an en dash, a minus sign), a full-width letter (U+FF30 for P), an invisible character (a zero-width
space), an accent typed as a separate mark (``Zoe`` + U+0301 is ``Zoé``), and case as Unicode folds it
(``Straße`` is ``STRASSE``; ``İD`` is ``id``).

Some facts cannot be true, and are refused when a participant is imported (``impossible``): a referral
after the import's date, a birth after the referral, or an age over 110 at referral. Example: imported on
2026-04-01, a participant referred on 2025-11-01 and born on 1890-05-01 would be 135 at referral: refused.
"""

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

OLDEST = 110  # an age at referral above this is a mistyped date of birth, not a person
_IGNORED_KINDS = frozenset({"Pd", "Pc", "Zs", "Zl", "Zp", "Cf"})  # dashes, connectors (_), spaces, invisibles


def _tells_nobody_apart(char: str) -> bool:
    """A character that tells no two people apart: a dash or connector (hyphen, underscore), a space or
    separator, an invisible format character (a zero-width space), white space (a tab), or the minus sign."""
    return unicodedata.category(char) in _IGNORED_KINDS or char.isspace() or char == "\u2212"


# the same rule for an ASCII id (most of them), deleted by str.translate, which keys the millions of a large
# contract's ids in half the time a regular expression takes
_IGNORED = str.maketrans("", "", "".join(c for c in map(chr, range(128)) if _tells_nobody_apart(c)))


@dataclass(frozen=True, slots=True)
class Participant:
    ref: str
    referral_date: dt.date
    born: dt.date | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)


def same_person(ref: str) -> str:
    """The id as people are told apart: without case, spaces, dashes, underscores and invisible characters,
    and with look-alike letters made one ("P-010", and "P-010" in full-width letters, -> "p010"). The key is
    made here only, on both backends (models/pbr/claims_stage.py reads the ids and keys them with this)."""
    if ref.isascii():  # NFKC changes no ASCII text, and casefold() is lower() on it
        return ref.translate(_IGNORED).lower()
    # NFKC makes full-width and compatibility letters plain and composes accents; casefold() folds case as
    # Unicode does (ß -> ss), but leaves İ's dot as a mark of its own (İ -> i + U+0307), which an i shows
    # anyway; the marks deleted, NFKC again composes what they kept apart.
    folded = unicodedata.normalize("NFKC", ref).casefold().replace("i\u0307", "i")
    return unicodedata.normalize("NFKC", "".join(c for c in folded if not _tells_nobody_apart(c)))


def shown(ref: str) -> str:
    """The id as a refusal shows it: as it is if it is ASCII, else quoted and each character outside ASCII
    named, since a look-alike dash or an invisible space cannot be seen ("'P-010' (U+2010 HYPHEN)", the
    hyphen being U+2010)."""
    odd = dict.fromkeys(c for c in ref if not c.isascii())
    named = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed')}" for c in odd)
    return f"{ref!r} ({named})" if named else ref


class Roster(dict[str, Participant]):
    """A contract's participants by id, which also answers which listed id a mistyped one means."""

    _like: dict[str, str] | None = None

    def named_like(self, ref: str) -> str | None:
        """The listed id that is ``ref`` once told apart as ``same_person`` tells people apart, or None. The
        index is made once, at the first id not on the list (an import with none pays nothing for it)."""
        if self._like is None:
            self._like = {}
            for listed in self:
                self._like.setdefault(same_person(listed), listed)
        return self._like.get(same_person(ref))

    def told(self, likes: Iterable[tuple[str, str]]) -> None:
        """Be told, as (id not listed, listed id it is), what ``named_like`` answers, where this roster holds
        only some of the contract's participants (a batch of a large import: flows/pbr/claims_copy.py)."""
        self._like = {same_person(claimed): listed for claimed, listed in likes}


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
