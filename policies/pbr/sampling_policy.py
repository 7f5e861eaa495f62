"""The sampling policy: the confidence and margin that set the minimum sample, and the rate a recovery uses.

Rule: the shipped sampling.toml comes first, and the user's file overrides it
key by key. The confidence level is one of 80, 90, 95, 98 or 99 percent; the
margin is above 0 and at most 50 percentage points; the recovery basis is
``lower_bound`` or ``point_estimate``.

Worked example: a user's file with only ``[recovery] basis = "point_estimate"``
keeps 95% and ±5% from the shipped file, so a run of 1,000 claims still needs a
sample of 278, and its recovery applies the point estimate of the error rate.
"""

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from policies.pbr.sampling import Z_FOR_CONFIDENCE, RecoveryBasis, SamplingPolicy

SECTIONS = ("sample", "recovery")


def build_sampling_policy(
    documents: Sequence[tuple[str, Mapping[str, Any]]],
) -> tuple[SamplingPolicy | None, list[str]]:
    """Merge documents in order (later ones override key by key) and validate."""
    merged: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
    problems: list[str] = []
    for source, doc in documents:
        for section, body in doc.items():
            if section not in merged or not isinstance(body, Mapping):
                problems.append(f"{source}: {section}: is not a section; use {', '.join(SECTIONS)}")
                continue
            merged[section].update(body)
    confidence = _decimal(merged["sample"].get("confidence"))
    if confidence not in Z_FOR_CONFIDENCE:
        levels = ", ".join(str(c) for c in Z_FOR_CONFIDENCE)
        problems.append(f"sample.confidence: {merged['sample'].get('confidence')!r} is not one of {levels} (percent)")
    margin = _decimal(merged["sample"].get("margin"))
    if margin is None or not 0 < margin <= 50:
        problems.append(f"sample.margin: {merged['sample'].get('margin')!r} must be above 0 and at most 50 (percent)")
    try:
        basis = RecoveryBasis(str(merged["recovery"].get("basis")))
    except ValueError:
        problems.append(f"recovery.basis: {merged['recovery'].get('basis')!r} is not lower_bound or point_estimate")
    if problems or confidence is None or margin is None:
        return None, problems
    return SamplingPolicy(confidence, margin, basis), []


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    try:
        found = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return found.normalize() if found.is_finite() else None
