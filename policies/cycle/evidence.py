"""The evidence register: what a piece of evidence must say, and how strong it is.

Rule: every item of evidence has a kind (local need, what works, market, user
voice, local evaluation), a source, who produced it, whether it was
independently reviewed, its method, how well its context fits ours, and a
strength on a named scale: the Early Intervention Foundation levels 1-4 or the
Maryland Scientific Methods Scale 1-5. Strengths on different scales are never
compared with each other: a gate sets a threshold per scale.

Worked example: a randomised trial of Family Nurse Partnership in England,
produced by Cardiff University and peer reviewed, is evidence of *what works*
with strength ``eif:4`` (effectiveness) and a *high* context fit. The 2025
Joint Strategic Needs Assessment of the borough is *local need* evidence of
strength ``sms:1`` (descriptive data) produced by the public health team.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class EvidenceKind(StrEnum):
    LOCAL_NEED = "local_need"
    WHAT_WORKS = "what_works"
    MARKET = "market"
    USER_VOICE = "user_voice"
    LOCAL_EVALUATION = "local_evaluation"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]

    @classmethod
    def parse(cls, text: str) -> "EvidenceKind | None":
        """Forgiving about case and separators: 'Local need', 'local-need' and 'LOCAL_NEED' all parse."""
        try:
            return cls((text or "").strip().lower().replace("-", "_").replace(" ", "_"))
        except ValueError:
            return None


_KIND_LABELS = {
    EvidenceKind.LOCAL_NEED: "local need",
    EvidenceKind.WHAT_WORKS: "what works",
    EvidenceKind.MARKET: "the market",
    EvidenceKind.USER_VOICE: "user voice",
    EvidenceKind.LOCAL_EVALUATION: "local evaluation",
}


class StrengthScale(StrEnum):
    EIF = "eif"
    SMS = "sms"

    @property
    def label(self) -> str:
        return "EIF" if self is StrengthScale.EIF else "SMS"

    @property
    def levels(self) -> range:
        return range(1, 5) if self is StrengthScale.EIF else range(1, 6)


SCALE_LEVEL_MEANINGS: Mapping[StrengthScale, Mapping[int, str]] = {
    StrengthScale.EIF: {
        1: "logic model",
        2: "preliminary evidence",
        3: "efficacy",
        4: "effectiveness",
    },
    StrengthScale.SMS: {
        1: "correlation or description",
        2: "before and after, or comparison without control",
        3: "comparison with a control group",
        4: "comparison with controls for other factors",
        5: "randomised controlled trial",
    },
}


class ContextFit(StrEnum):
    """How close the study's setting is to ours (an English local authority)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return {"low": 1, "medium": 2, "high": 3}[self.value]


@dataclass(frozen=True, order=True)
class Strength:
    scale: StrengthScale
    level: int

    def __str__(self) -> str:
        return f"{self.scale.label} level {self.level}"

    @property
    def code(self) -> str:
        return f"{self.scale.value}:{self.level}"

    @property
    def meaning(self) -> str:
        return SCALE_LEVEL_MEANINGS[self.scale][self.level]


_STRENGTH_RE = re.compile(r"^\s*(?P<scale>[a-zA-Z]+)\s*[:\- ]\s*(?P<level>-?[0-9]+)\s*$")


def parse_strength(text: str) -> tuple[Strength | None, str | None]:
    """Parse ``eif:3`` or ``SMS 4``; return the strength or a sentence saying what is wrong."""
    match = _STRENGTH_RE.match(text or "")
    if not match:
        return None, (
            f"{text!r} is not a strength; write the scale and level, e.g. eif:3 (levels 1-4) or sms:4 (levels 1-5)"
        )
    try:
        scale = StrengthScale(match["scale"].lower())
    except ValueError:
        return None, f"{match['scale']!r} is not a known strength scale; use eif (1-4) or sms (1-5)"
    level = int(match["level"])
    if level not in scale.levels:
        return None, (
            f"{text.strip()!r} is off the {scale.label} scale (levels {scale.levels.start}-{scale.levels.stop - 1})"
        )
    return Strength(scale, level), None


@dataclass(frozen=True)
class EvidenceItem:
    kind: EvidenceKind
    source: str
    produced_by: str
    independently_reviewed: bool
    method: str
    context_fit: ContextFit
    strength: Strength
    summary: str
    link: str | None = None


@dataclass(frozen=True)
class FieldProblem:
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


_REQUIRED_TEXT = ("source", "produced_by", "method", "summary")
MAX_LENGTHS = {"source": 300, "produced_by": 200, "method": 200, "link": 500}
_URL_RE = re.compile(r"^(https?://\S+|doi:\S+)$", re.IGNORECASE)


def validate_evidence(fields: Mapping[str, str | bool | None]) -> tuple[EvidenceItem | None, list[FieldProblem]]:
    """Check raw evidence fields; return the item, or every problem found (field and reason)."""
    problems: list[FieldProblem] = []

    def text(name: str) -> str:
        value = fields.get(name)
        return value.strip() if isinstance(value, str) else ""

    kind = EvidenceKind.parse(text("kind"))
    if not text("kind"):
        problems.append(FieldProblem("kind", "is missing"))
    elif kind is None:
        known = ", ".join(k.value for k in EvidenceKind)
        problems.append(FieldProblem("kind", f"{text('kind')!r} is not a kind of evidence; use one of {known}"))

    for name in _REQUIRED_TEXT:
        if not text(name):
            problems.append(FieldProblem(name, "is missing"))
    for name, limit in MAX_LENGTHS.items():
        if len(text(name)) > limit:
            problems.append(FieldProblem(name, f"is {len(text(name))} characters long; the most is {limit}"))

    reviewed = fields.get("independently_reviewed")
    if not isinstance(reviewed, bool):
        problems.append(FieldProblem("independently_reviewed", "must be said: reviewed or not reviewed"))

    fit: ContextFit | None = None
    raw_fit = text("context_fit").lower()
    if not raw_fit:
        problems.append(FieldProblem("context_fit", "is missing"))
    else:
        try:
            fit = ContextFit(raw_fit)
        except ValueError:
            problems.append(FieldProblem("context_fit", f"{raw_fit!r} is not a context fit; use high, medium or low"))

    strength: Strength | None = None
    if not text("strength"):
        problems.append(FieldProblem("strength", "is missing; e.g. eif:3 or sms:4"))
    else:
        strength, why = parse_strength(text("strength"))
        if why:
            problems.append(FieldProblem("strength", why))

    link = text("link") or None
    if link and not _URL_RE.match(link):
        problems.append(FieldProblem("link", f"{link!r} is not a web address (http:// or https://) or doi:"))

    if problems or kind is None or fit is None or strength is None or not isinstance(reviewed, bool):
        return None, problems
    return (
        EvidenceItem(
            kind=kind,
            source=text("source"),
            produced_by=text("produced_by"),
            independently_reviewed=reviewed,
            method=text("method"),
            context_fit=fit,
            strength=strength,
            summary=text("summary"),
            link=link,
        ),
        [],
    )
