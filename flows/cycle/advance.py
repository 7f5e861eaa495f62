"""Advance a project: check the request, then run its current stage's Prefect flow (the CLI and the web both).

Prefect is imported only here, inside the call, after its environment is set (flows/common/runtime.py): a
command or page that never advances never loads it. The result is the gate's decision as the flow saved it.
"""

import datetime as dt
from typing import Any

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.cycle.gates import check_advance


def advance_project(
    settings: Settings, *, ref: str, to: str | None, reason: str | None, as_of: dt.datetime, actor: str
) -> dict[str, Any]:
    """Run the flow for the project's current stage; a refused gate is a result, a conflict a UserError."""
    from flows.common.runtime import gate_policy, start_prefect

    request = check_advance(settings, ref=ref.strip().upper(), to=to, reason=reason, as_of=as_of)
    gate_policy(settings)  # a bad policy file is refused here, before Prefect starts
    start_prefect(settings)
    from flows.cycle.stage_flows import run_stage_flow

    result = run_stage_flow(request, as_of=as_of, actor=actor)
    if result["outcome"] == "conflict":
        raise UserError(result["message"])
    return result
