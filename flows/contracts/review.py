"""A review decision with its consequence: recorded on the contract, and for recommission or decommission the
project's Review flow then run, so it moves on (the CLI's `decide` and the web's decision form both)."""

import datetime as dt
from typing import Any

from flows.common.settings import Settings
from flows.contracts.decisions import decide
from flows.cycle.advance import advance_project


def record_review_decision(
    settings: Settings,
    *,
    ref: str,
    action: str,
    reason: str,
    as_of: dt.datetime,
    actor: str,
    value: str | None = None,
    end: dt.date | None = None,
) -> dict[str, Any]:
    """Record the decision; a recommission or decommission also runs the project's Review flow."""
    result = decide(settings, ref=ref, action=action, reason=reason, as_of=as_of, actor=actor, value=value, end=end)
    if result.get("project_record") in ("recommission", "decommission"):
        moved = advance_project(settings, ref=result["project"], to=None, reason=None, as_of=as_of, actor=actor)
        result["project_stage"] = moved.get("stage_now", result["project_stage"])
    return result
