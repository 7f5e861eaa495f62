"""Maker-checker: who may approve a proposal, how many must, and when it lapses.

Rule: a payment run, a recovery raised from sampling, a single clawback or its
reversal, and a new rate-card version are *proposed* with a full preview and
take effect only when approved. An approver holds the finance role, is not the
proposer, and has not already approved it; an auditor or a provider never
approves. A proposal moving more than the policy's threshold needs a second
approver, distinct from the first. A pending proposal expires after the
policy's hours. Decided proposals stay decided: the states are a table.

Worked example (threshold £50,000, expiry 168 hours): Asha (finance) proposes
the 2026-Q1 run of FCF-2025-01 paying £3,500.00 on 2 April 2026 at 09:00.
Asha approving is refused ("asha proposed it; the approver must be someone
else"); Sam (auditor) is refused ("only a finance user approves"); Ben
(finance) approves and the run is paid. Had it paid £51,000.00, Ben's approval
would leave it pending ("1 of 2 approvals") until Chloe (finance) approved.
Left undecided, it would expire at 09:00 on 9 April 2026.
"""

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    EXPIRE = "expire"


# (state, action) -> next state. Approval of a proposal needing two approvers stays PROPOSED until the last.
TRANSITIONS: Mapping[tuple[Status, Action], Status] = {
    (Status.PROPOSED, Action.APPROVE): Status.APPROVED,
    (Status.PROPOSED, Action.REJECT): Status.REJECTED,
    (Status.PROPOSED, Action.EXPIRE): Status.EXPIRED,
}

APPROVER_ROLE = "finance"
UNAUTHENTICATED = " (unauthenticated)"
OS_PREFIX = "os:"


@dataclass(frozen=True)
class ControlsPolicy:
    """Built by ``build_controls_policy``, which holds the defaults for a key no file sets."""

    second_approver_over: Decimal
    expires_after: dt.timedelta
    refuse_unauthenticated_writes: str  # always, never, or postgresql

    def approvals_needed(self, amount: Decimal) -> int:
        """One approver; two when the proposal moves more than the threshold (either way: paid or recovered)."""
        return 2 if abs(amount) > self.second_approver_over else 1

    def refuses_unauthenticated(self, database: str) -> bool:
        """Whether a write without a user token is refused on this kind of database (sqlite, postgresql)."""
        rule = self.refuse_unauthenticated_writes
        return rule == "always" or (rule == "postgresql" and database == "postgresql")


REFUSAL_RULES = ("always", "never", "postgresql")


def build_controls_policy(
    documents: Sequence[tuple[str, Mapping[str, Any]]],
) -> tuple[ControlsPolicy | None, list[str]]:
    """The policy from TOML documents (later override earlier, key by key), or the problems naming file and key."""
    merged: dict[str, tuple[str, Any]] = {}
    problems: list[str] = []
    known = {
        "approvals": ("second_approver_over", "expires_after_hours"),
        "identity": ("refuse_unauthenticated_writes",),
    }
    for source, doc in documents:
        for section, body in doc.items():
            if section not in known or not isinstance(body, Mapping):
                problems.append(f"{source}: {section}: is not a section; use approvals, identity")
                continue
            for key, value in body.items():
                if key not in known[section]:
                    problems.append(f"{source}: {section}.{key}: is not a setting; use {', '.join(known[section])}")
                merged[key] = (source, value)
    threshold, hours, rule = Decimal("50000.00"), 168, "postgresql"
    if "second_approver_over" in merged:
        source, value = merged["second_approver_over"]
        try:
            threshold = Decimal(str(value))
            if not threshold.is_finite() or threshold < 0 or threshold != threshold.quantize(Decimal("0.01")):
                raise InvalidOperation
        except InvalidOperation:
            problems.append(f"{source}: approvals.second_approver_over: {value!r} is not an amount in pounds and pence")
    if "expires_after_hours" in merged:
        source, value = merged["expires_after_hours"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 24 * 366:
            problems.append(
                f"{source}: approvals.expires_after_hours: {value!r} is not a whole number of hours (1-8784)"
            )
        else:
            hours = value
    if "refuse_unauthenticated_writes" in merged:
        source, value = merged["refuse_unauthenticated_writes"]
        if value not in REFUSAL_RULES:
            problems.append(
                f"{source}: identity.refuse_unauthenticated_writes: {value!r} is not one of {REFUSAL_RULES}"
            )
        else:
            rule = value
    if problems:
        return None, problems
    return ControlsPolicy(threshold, dt.timedelta(hours=hours), rule), []


def same_person(a: str, b: str) -> bool:
    """Whether two recorded actors are one person: an account, or the same name typed at a terminal unsigned."""
    return bare_name(a) == bare_name(b)


def bare_name(actor: str) -> str:
    """``os:alice (unauthenticated)`` -> ``alice``; an account's user name is itself."""
    name = actor.removesuffix(UNAUTHENTICATED)
    return name.removeprefix(OS_PREFIX).strip().lower()


def approval_refusals(
    *,
    status: Status,
    approver: str,
    approver_roles: Collection[str],
    proposer: str,
    approved_by: Collection[str],
    expires_at: dt.datetime,
    at: dt.datetime,
) -> list[str]:
    """Why ``approver`` may not approve now (empty: they may). Each reason is a sentence for the user."""
    if status is not Status.PROPOSED:
        return [f"it is already {status.value}; only a pending proposal is decided"]
    reasons = []
    if at >= expires_at:
        reasons.append(f"it expired at {expires_at.isoformat(timespec='minutes')}; propose it again")
    if approver.endswith(UNAUTHENTICATED):
        reasons.append("an approval needs a signed-in user or a user token (COMMISSIONING_TOKEN or --token)")
    elif APPROVER_ROLE not in approver_roles:
        reasons.append(
            f"only a finance user approves; {approver} holds {', '.join(sorted(approver_roles)) or 'no role'}"
        )
    if same_person(approver, proposer):
        reasons.append(f"{bare_name(proposer)} proposed it; the approver must be someone else")
    if any(same_person(approver, earlier) for earlier in approved_by):
        reasons.append(f"{bare_name(approver)} has already approved it; the second approval must be someone else's")
    return reasons


def rejection_refusals(*, status: Status, who: str, roles: Collection[str], proposer: str) -> list[str]:
    """Why ``who`` may not reject: the proposer may withdraw their own; otherwise a finance user decides."""
    if status is not Status.PROPOSED:
        return [f"it is already {status.value}; only a pending proposal is decided"]
    if who.endswith(UNAUTHENTICATED):
        return ["a rejection needs a signed-in user or a user token (COMMISSIONING_TOKEN or --token)"]
    if APPROVER_ROLE not in roles:
        return [f"only a finance user rejects; {who} holds {', '.join(sorted(roles)) or 'no role'}"]
    return []


def next_status(status: Status, action: Action) -> Status | None:
    """The state after ``action``, or None when the table has no such move."""
    return TRANSITIONS.get((status, action))


def unauthenticated(os_user: str) -> str:
    """How a write without a token is recorded: ``os:alice (unauthenticated)``."""
    return f"{OS_PREFIX}{os_user.strip() or 'unknown'}{UNAUTHENTICATED}"
