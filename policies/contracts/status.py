"""A contract's status: pending -> active -> extended -> in notice -> terminated or expired.

Rule: transitions are a table of (status, action) -> next status; anything
not in it is refused with a sentence saying what can happen instead. A
contract starts (pending -> active), may be extended once per unused option
(active or extended -> extended), may have break notice served (-> in
notice), and ends either by expiring at the end of its term or by
termination (the end of a notice period, or an early termination).
Terminated and expired are final. On a given day the dates decide where they
can (``status_on``): pending before the start, expired (or terminated, if it
ended early) after the end; in notice and extended are what was recorded.

Worked example: "Carers' support" is active; the authority serves 3 months'
break notice on 30 December 2027 (-> in notice) and the contract terminates
on 31 March 2028 (-> terminated). ``next_status(EXPIRED, "extend")`` is
refused: "An expired contract cannot be extended; it is final."
"""

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from policies.contracts.clauses import ContractTerms, expiry


class ContractStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    EXTENDED = "extended"
    IN_NOTICE = "in_notice"
    TERMINATED = "terminated"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def is_live(self) -> bool:
        """Live contracts are delivering a service (and so open the Do -> Review gate)."""
        return self in (ContractStatus.ACTIVE, ContractStatus.EXTENDED, ContractStatus.IN_NOTICE)


class ContractAction(StrEnum):
    START = "start"
    EXTEND = "extend"
    SERVE_NOTICE = "serve_notice"
    TERMINATE = "terminate"
    EXPIRE = "expire"


_P, _A, _X, _N, _T, _E = (
    ContractStatus.PENDING,
    ContractStatus.ACTIVE,
    ContractStatus.EXTENDED,
    ContractStatus.IN_NOTICE,
    ContractStatus.TERMINATED,
    ContractStatus.EXPIRED,
)
TRANSITIONS: Mapping[tuple[ContractStatus, ContractAction], ContractStatus] = MappingProxyType(
    {
        (_P, ContractAction.START): _A,
        (_P, ContractAction.TERMINATE): _T,  # cancelled before it began
        (_A, ContractAction.EXTEND): _X,
        (_X, ContractAction.EXTEND): _X,
        (_A, ContractAction.SERVE_NOTICE): _N,
        (_X, ContractAction.SERVE_NOTICE): _N,
        (_A, ContractAction.TERMINATE): _T,
        (_X, ContractAction.TERMINATE): _T,
        (_N, ContractAction.TERMINATE): _T,
        (_A, ContractAction.EXPIRE): _E,
        (_X, ContractAction.EXPIRE): _E,
    }
)


def next_status(status: ContractStatus, action: ContractAction) -> tuple[ContractStatus | None, str | None]:
    """The status after ``action``, or a sentence saying why it cannot happen."""
    target = TRANSITIONS.get((status, action))
    if target is not None:
        return target, None
    if status in (_T, _E):
        return None, f"A {status.label} contract cannot be {_PAST[action]}; it is final."
    allowed = sorted(a.value for (s, a) in TRANSITIONS if s is status)
    return None, f"A {status.label} contract cannot be {_PAST[action]}; it can: {', '.join(allowed)}."


_PAST = {
    ContractAction.START: "started",
    ContractAction.EXTEND: "extended",
    ContractAction.SERVE_NOTICE: "put in notice",
    ContractAction.TERMINATE: "terminated",
    ContractAction.EXPIRE: "expired",
}


def status_on(terms: ContractTerms, stored: ContractStatus, day: dt.date) -> ContractStatus:
    """The status on ``day``: pending before the start and expired after the end follow from the dates;
    terminated, in notice and extended are what was recorded."""
    if stored is ContractStatus.TERMINATED:
        return stored
    if day < terms.start:
        return ContractStatus.PENDING
    if day > expiry(terms):
        return ContractStatus.TERMINATED if terms.ended_on is not None else ContractStatus.EXPIRED
    if stored in (ContractStatus.IN_NOTICE, ContractStatus.EXTENDED):
        return stored
    return ContractStatus.EXTENDED if terms.extensions_used else ContractStatus.ACTIVE


def contract_in_force(terms: ContractTerms, status: ContractStatus, day: dt.date) -> bool:
    """Is the contract delivering on ``day``: live (active, extended or in notice) on that day?"""
    return status_on(terms, status, day).is_live
