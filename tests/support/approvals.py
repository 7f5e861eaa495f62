"""Maker-checker in tests: propose as one finance user, approve as another (two others over the threshold)."""

import datetime as dt
from typing import TYPE_CHECKING, Any

from flows.approvals.service import approve
from flows.common.settings import Settings
from flows.pbr.payment_runs import RunResult, propose_payment_run

if TYPE_CHECKING:  # imported where used: bench/pbr_runs.py's payment runs time a process that loads no clawback code
    from flows.pbr.clawbacks import ClawbackResult
    from flows.pbr.recovery_corrections import RecoveryResult

FINANCE = frozenset({"finance"})
CHECKERS = ("checker.one", "checker.two")


def approved(settings: Settings, proposal: dict[str, Any], *, as_of: dt.datetime, now: dt.datetime | None = None
             ) -> dict[str, Any]:  # fmt: skip
    """Approve a pending proposal with as many finance users (none its proposer) as it needs; the last result."""
    result: dict[str, Any] = {}
    for checker in CHECKERS[: proposal["approvals_needed"]]:
        result = approve(settings, proposal["id"], by=checker, roles=FINANCE, as_of=as_of, now=now)["result"]
    return result


def approved_run(
    settings: Settings, contract: str, period: str, *, as_of: dt.datetime, actor: str, now: dt.datetime | None = None
) -> RunResult:
    """A payment run proposed by ``actor`` and approved by the checkers (or the period's run, if already paid)."""
    proposed = propose_payment_run(settings, contract, period, as_of=as_of, actor=actor, now=now)
    if proposed["run"] is not None:
        return RunResult(**proposed["run"])
    return RunResult(**approved(settings, proposed["proposal"], as_of=as_of, now=now))


def approved_clawback(
    settings: Settings, contract: str, claim: str, *, reason: str, as_of: dt.datetime, actor: str, reverse: bool = False
) -> "ClawbackResult":
    """A clawback (or its reversal) proposed by ``actor`` and approved by the checkers."""
    from flows.pbr.clawbacks import ClawbackResult, propose_clawback

    proposed = propose_clawback(settings, contract, claim, reason=reason, as_of=as_of, actor=actor, reverse=reverse)
    return ClawbackResult(**approved(settings, proposed["proposal"], as_of=as_of))


def approved_withdrawal(
    settings: Settings, contract: str, period: str, *, reason: str, as_of: dt.datetime, actor: str
) -> "RecoveryResult":
    """A sample's recovery withdrawal proposed by ``actor`` and approved (or "unchanged", with no proposal)."""
    from flows.pbr.recovery_corrections import RecoveryResult
    from flows.pbr.recovery_proposals import propose_withdrawal

    proposed = propose_withdrawal(settings, contract, period, reason=reason, as_of=as_of, actor=actor)
    if proposed["proposal"] is None:
        return RecoveryResult(**proposed["result"])
    return RecoveryResult(**approved(settings, proposed["proposal"], as_of=as_of))


def approved_correction(
    settings: Settings, contract: str, period: str, claim: str, *, result: str, reason: str, as_of: dt.datetime,
    actor: str,
) -> "RecoveryResult":  # fmt: skip
    """A sampled claim's check corrected and its recovery recomputed, proposed by ``actor`` and approved."""
    from flows.pbr.recovery_corrections import RecoveryResult
    from flows.pbr.recovery_proposals import propose_correction

    proposed = propose_correction(settings, contract, period, claim, result=result, reason=reason, as_of=as_of,
                                  actor=actor)  # fmt: skip
    if proposed["proposal"] is None:
        return RecoveryResult(**proposed["result"])
    return RecoveryResult(**approved(settings, proposed["proposal"], as_of=as_of))
