"""What a claims import reports: claims by verdict, money claimed, payable and capped, rejections by reason.

Every rejected or partly accepted claim is listed with its line and reasons
(what it claimed: none, rather than 0.00, when it gave no amount and no rate
card in force priced its outcome),
in line order (``Rejections``: a national file's million of them wait in
temporary files, not in memory). When the claims are decided in several
processes, each counts its own share into a report of its own, sent back
pickled, and the shares are added up (``ClaimsReport.add``).
"""

import heapq
import itertools
import pickle
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from flows.pbr.exports import write_csv
from policies.pbr.claims import NO_AMOUNT

LISTED = 1_000  # rejections listed in ``as_dict`` (the command's --json, a flow's result); --report has them all
REJECTIONS_HEADER = (
    "line", "claim_ref", "contract", "participant", "outcome", "verdict", "claimed", "payable", "reasons", "why"
)  # fmt: skip


@dataclass
class Rejection:
    line: int
    claim_ref: str
    contract: str
    participant: str
    outcome: str
    verdict: str
    claimed: str | None  # None: the claim gave no amount and no rate card priced it (not a made-up 0.00)
    payable: str
    reasons: list[str]
    sentences: list[str]

    def __post_init__(self) -> None:
        if self.claimed == "0.00" and any(s.endswith(NO_AMOUNT) for s in self.sentences):
            self.claimed = None

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


class Rejections:
    """Rejected or partly accepted claims, given in any order and read back in line order (ties in the order
    given). Up to ``HELD`` wait in memory, as plain tuples; more go to a temporary file a sorted run at a
    time, and reading merges the runs. Memory stays flat however many there are."""

    HELD = 20_000

    def __init__(self, given: Iterable[Rejection] = ()) -> None:
        self._held: list[tuple[Any, ...]] = []
        self._runs: list[IO[bytes]] = []
        self._count = 0
        self.extend(given)

    def append(self, rejection: Rejection) -> None:
        self._held.append(tuple(rejection.__dict__.values()))
        self._count += 1
        if len(self._held) >= self.HELD:
            self._spill()

    def extend(self, rejections: Iterable[Rejection]) -> None:
        for rejection in rejections:
            self.append(rejection)

    def _spill(self) -> None:
        self._held.sort(key=_by_line)  # stable: ties keep the order given
        run = tempfile.TemporaryFile(prefix="commissioning-rejections-")  # noqa: SIM115  (closed with self)
        for start in range(0, len(self._held), 1_000):
            pickle.dump(self._held[start : start + 1_000], run, protocol=pickle.HIGHEST_PROTOCOL)
        run.seek(0)
        self._runs.append(run)
        self._held = []

    def __iter__(self) -> Iterator[Rejection]:
        held = sorted(self._held, key=_by_line)
        for run in self._runs:
            run.seek(0)
        runs = [_read_run(run) for run in self._runs]
        for row in heapq.merge(*runs, held, key=_by_line):
            yield Rejection(*row)

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __getstate__(self) -> list[tuple[Any, ...]]:  # a worker's share, sent back whole (see ClaimsReport)
        return [tuple(r.__dict__.values()) for r in self]

    def __setstate__(self, rows: list[tuple[Any, ...]]) -> None:
        self.__init__(Rejection(*row) for row in rows)  # type: ignore[misc]

    def __del__(self) -> None:
        for run in getattr(self, "_runs", ()):
            run.close()


def _by_line(row: tuple[Any, ...]) -> int:
    return int(row[0])


def _read_run(run: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    while True:
        try:
            yield from pickle.load(run)
        except EOFError:
            return


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
    rejections: Rejections = field(default_factory=Rejections)  # rejected or partly accepted, read by line
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
            "rejections": [r.as_dict() for r in itertools.islice(self.rejections, LISTED)],  # by line
            "workers": self.workers,
        }


def write_rejections(report: ClaimsReport, path: Path) -> None:
    """Every rejected or partly accepted claim, by line, to a CSV (the import's ``--report``), streamed."""
    rows = (
        (r.line, r.claim_ref, r.contract, r.participant, r.outcome, r.verdict, r.claimed, r.payable,
         ";".join(r.reasons), " | ".join(r.sentences))
        for r in report.rejections
    )  # fmt: skip
    write_csv(path, REJECTIONS_HEADER, rows)
