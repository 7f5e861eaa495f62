"""The ledger lines a payment run writes, made once from its plan (flows/pbr/run_plan.py): an accrual per claim
and payer, an accrual per fee and payer, and a payment per payer.

A proposal keeps them (``KeptLines``) in a side file beside its draft schedules, so that its approval moves
them into the ledger (models/pbr/planned.py) instead of planning the run again: the approval's staleness
check (flows/pbr/payment_runs.py) has already found nothing the plan was made from changed since.
"""

import hashlib
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

from flows.common.settings import Settings
from flows.pbr.ledger import pence
from flows.pbr.run_plan import PlannedRun
from flows.pbr.schedules import DRAFTS, contract_folder
from models.pbr.bulk import StagedRows
from models.pbr.ledger import ACCRUAL, OUTCOME, PAYMENT
from models.pbr.planned import (
    KEPT_COLUMNS,
    SPLITS,
    SPLITS_COLUMNS,
    SPLITS_KEY,
    SUMS,
    SUMS_COLUMNS,
)
from policies.pbr.payments import RunLine

# (payer, kind, item, pence, claim id, participant, outcome, month, memo): a ledger entry as the plan decides it
Line = tuple[str, str, str, int, int | None, str | None, str | None, str | None, str]
KEPT = "ledger-lines.sqlite"  # in drafts/proposal-<id>/, removed with the drafts when the proposal is decided


def outcome_lines(line: RunLine) -> list[Line]:
    """A claim's accrual for each payer with a share of it."""
    c = line.claim
    memo = f"{c.outcome} {c.ref}"
    return [
        (payer, ACCRUAL, OUTCOME, pence(share), c.claim_id, c.participant, c.outcome, None, memo)
        for payer, share in line.shares
        if share
    ]


def closing_lines(plan: PlannedRun, period: str) -> Iterator[Line]:
    """After the claims: each fee's accrual per payer, then each payer's payment."""
    for fee in plan.fees:
        memo = f"attachment fee {fee.participant}" if fee.participant else f"service fee {fee.month}"
        for payer, share in fee.shares:
            if share:
                yield payer, ACCRUAL, fee.item, pence(share), None, fee.participant, None, fee.month, memo
    for total in plan.payers:
        if total.payment:
            yield total.payer, PAYMENT, "run", -pence(total.payment), None, None, None, None, f"payment for {period}"


def kept_lines(settings: Settings, contract_ref: str, proposal_id: int) -> Path:
    """Where a proposed run's ledger lines are kept until it is decided."""
    return contract_folder(settings, contract_ref) / DRAFTS / f"proposal-{proposal_id}" / KEPT


def kept_digest(settings: Settings, contract_ref: str, proposal_id: int) -> str | None:
    """A SHA-256 over a proposal's kept files (its ledger lines and DRAFT schedules, by name), or None when the
    lines are missing. The proposal stores it, and its approval uses the files only if they are as they were
    written: a file changed or lost on the disk since means the run is planned again from the database."""
    lines = kept_lines(settings, contract_ref, proposal_id)
    if not lines.is_file():
        return None
    sha = hashlib.sha256()
    for path in sorted(lines.parent.iterdir()):
        if path.is_file():
            sha.update(f"{path.name}\0{path.stat().st_size}\0".encode())
            with open(path, "rb") as data:
                while block := data.read(1 << 20):
                    sha.update(block)
    return sha.hexdigest()


# a group of lines' (payer, kind, item, pence), one a payer: a claim's accrual per payer with a share of it, say
Split = tuple[tuple[str, str, str, int], ...]
SPLITS_BY_SHARES = 4096  # the claims' shares' splits remembered by identity (a run prices a few hundred amounts)


class KeptLines:
    """A proposed run's ledger lines, written to a side file as they are planned (none held), then kept under
    its proposal (``keep``) or discarded.

    A row of the file is a group of lines that differ only in payer, kind, item and pence (a claim's accrual per
    payer, a fee's), numbered by its first line, and names its ``split``: those lines' payer, kind, item and pence,
    written once for all the groups with the same (a run's claims are paid a few dozen amounts: 34 splits at a
    million claims). There the run's 410,000 lines are 205,000 rows of 7 values, not 410,000 of 10: 0.3 s of CPU to
    write against 1.2 s, in a file of 15 MB, not 34 MB (models/pbr/planned.py expands them)."""

    def __init__(self, settings: Settings, contract_ref: str) -> None:
        self.settings, self.contract_ref = settings, contract_ref
        self._rows: StagedRows | None = None  # the side file, made at the first line (a refused run makes none)
        self._seq = 0  # the last line's
        self._splits: dict[Split, int] = {}
        self._split_lines: list[Split] = []  # by split, its lines
        self._by_shares: dict[int, tuple[object, int | None]] = {}  # id(a claim's shares): (shares, split or None)
        # the running totals' sums (models.pbr.totals) by payer, kind, item and outcome, gathered by split and
        # outcome: (groups, the last one's seq), kept with the lines so that approval reads a few rows, not each line
        self._groups: dict[tuple[int, str | None], list[int]] = {}

    def _file(self) -> StagedRows:
        if self._rows is None:
            folder = contract_folder(self.settings, self.contract_ref) / DRAFTS
            folder.mkdir(parents=True, exist_ok=True)
            self._rows = StagedRows(folder / f".{secrets.token_hex(6)}.lines", KEPT_COLUMNS, key="seq")
        return self._rows

    def _split(self, lines: Split) -> int:
        split = self._splits.get(lines)
        if split is None:
            split = self._splits[lines] = len(self._split_lines)
            self._split_lines.append(lines)
        return split

    def _add(self, split: int, claim: int | None, who: str | None, outcome: str | None, month: str | None,
             memo: str) -> None:  # fmt: skip
        seq = self._seq + 1
        self._seq += len(self._split_lines[split])
        (self._rows or self._file()).add((seq, claim, who, outcome, month, memo, split))
        if (group := self._groups.get((split, outcome))) is None:
            self._groups[split, outcome] = [1, seq]
        else:
            group[0] += 1
            group[1] = seq

    def add_claim(self, line: RunLine) -> None:
        """A priced claim's lines, ``outcome_lines``: its accrual for each payer with a share of it."""
        shares = line.shares
        known = self._by_shares.get(id(shares))
        if known is None or known[0] is not shares:  # the id of another tuple, since freed: not that one's split
            split = [(payer, ACCRUAL, OUTCOME, pence(share)) for payer, share in shares if share]
            if len(self._by_shares) >= SPLITS_BY_SHARES:
                self._by_shares.clear()
            known = self._by_shares[id(shares)] = (shares, self._split(tuple(split)) if split else None)
        if (split_id := known[1]) is not None:
            c = line.claim
            self._add(split_id, c.claim_id, c.participant, c.outcome, None, f"{c.outcome} {c.ref}")

    def add_all(self, lines: Iterable[Line]) -> None:
        """Lines in the order planned, each numbered and counted in the sums; lines in a row that differ only in
        payer, kind, item and pence are one group."""
        group: list[tuple[str, str, str, int]] = []
        rest: tuple[int | None, str | None, str | None, str | None, str] | None = None
        for payer, kind, item, amount, claim, who, outcome, month, memo in lines:
            if group and rest != (claim, who, outcome, month, memo):
                assert rest is not None
                self._add(self._split(tuple(group)), *rest)
                group = []
            rest = (claim, who, outcome, month, memo)
            group.append((payer, kind, item, amount))
        if group:
            assert rest is not None
            self._add(self._split(tuple(group)), *rest)

    def _sums(self) -> Iterator[tuple[str, str, str, str, int, int, int]]:
        """By payer, kind, item and outcome ('' for none): the lines' pence, number and last seq, in that order."""
        sums: dict[tuple[str, str, str, str], list[int]] = {}
        for (split, outcome), (groups, last) in self._groups.items():
            for n, (payer, kind, item, amount) in enumerate(self._split_lines[split]):
                if (these := sums.get((payer, kind, item, outcome or ""))) is None:
                    sums[payer, kind, item, outcome or ""] = [amount * groups, groups, last + n]
                else:
                    these[0] += amount * groups
                    these[1] += groups
                    these[2] = max(these[2], last + n)
        return ((*key, *values) for key, values in sorted(sums.items()))  # type: ignore[misc]

    def keep(self, proposal_id: int) -> None:
        rows = self._file()
        splits = ((split, n, *line) for split, lines in enumerate(self._split_lines) for n, line in enumerate(lines))
        rows.add_table(SPLITS, SPLITS_COLUMNS, splits, key=SPLITS_KEY)
        rows.add_table(SUMS, SUMS_COLUMNS, self._sums())
        rows.close()
        target = kept_lines(self.settings, self.contract_ref, proposal_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        rows.path.replace(target)

    def discard(self) -> None:
        if self._rows is not None:
            self._rows.discard()
