"""What a claims import reports: claims by verdict, money claimed, payable and capped, rejections by reason.

Every rejected or partly accepted claim is listed with its line and reasons.
When the claims are decided in several processes, each counts its own share
into a report of its own, sent back pickled, and the shares are added up
(``ClaimsReport.add``).
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass
class Rejection:
    line: int
    claim_ref: str
    contract: str
    participant: str
    outcome: str
    verdict: str
    claimed: str
    payable: str
    reasons: list[str]
    sentences: list[str]

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class ClaimsReport:
    source: str
    rows: int = 0
    added: int = 0
    unchanged: int = 0
    accepted: int = 0
    partly_accepted: int = 0
    rejected: int = 0
    claimed: Decimal = Decimal(0)
    payable: Decimal = Decimal(0)
    capped: Decimal = Decimal(0)
    by_reason: Counter[str] = field(default_factory=Counter)
    rejections: list[Rejection] = field(default_factory=list)  # rejected or partly accepted, by line
    workers: int = 1  # the most processes that decided one contract's claims at once

    def add(self, part: "ClaimsReport") -> None:
        """Count in the claims another process decided (its rows, added and unchanged are counted here)."""
        self.accepted += part.accepted
        self.partly_accepted += part.partly_accepted
        self.rejected += part.rejected
        self.claimed += part.claimed
        self.payable += part.payable
        self.capped += part.capped
        self.by_reason.update(part.by_reason)
        self.rejections.extend(part.rejections)

    def __getstate__(self) -> dict[str, Any]:
        # A worker sends its report back pickled: its rejections as plain tuples pickle and load in a third
        # of the time (a second, at a million claims, while the other process waits).
        state = self.__dict__.copy()
        state["rejections"] = [tuple(r.__dict__.values()) for r in self.rejections]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state["rejections"] = [Rejection(*r) for r in state["rejections"]]
        self.__dict__.update(state)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows": self.rows,
            "added": self.added,
            "unchanged": self.unchanged,
            "accepted": self.accepted,
            "partly_accepted": self.partly_accepted,
            "rejected": self.rejected,
            "claimed": f"{self.claimed:.2f}",
            "payable": f"{self.payable:.2f}",
            "capped": f"{self.capped:.2f}",
            "by_reason": dict(sorted(self.by_reason.items())),
            "rejections": [r.as_dict() for r in self.rejections],
            "workers": self.workers,
        }


def rejection_rows(report: ClaimsReport) -> Sequence[Sequence[Any]]:
    return [
        (
            r.line,
            r.claim_ref,
            r.contract,
            r.participant,
            r.outcome,
            r.verdict,
            r.claimed,
            r.payable,
            ";".join(r.reasons),
            " | ".join(r.sentences),
        )
        for r in report.rejections
    ]
