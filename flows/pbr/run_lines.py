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
from models.pbr.planned import PLANNED_COLUMNS, SUMS, SUMS_COLUMNS
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


class KeptLines:
    """A proposed run's ledger lines, written to a side file as they are planned (none held), then kept under
    its proposal (``keep``) or discarded."""

    def __init__(self, settings: Settings, contract_ref: str) -> None:
        self.settings, self.contract_ref = settings, contract_ref
        self._rows: StagedRows | None = None  # the side file, made at the first line (a refused run makes none)
        self._seq = 0
        # the running totals' sums of the lines (models.pbr.totals): (payer, kind, item, outcome or '') to
        # [pence, lines, last seq], kept with them so that approval reads a few rows instead of every line
        self._sums: dict[tuple[str, str, str, str], list[int]] = {}

    def _file(self) -> StagedRows:
        if self._rows is None:
            folder = contract_folder(self.settings, self.contract_ref) / DRAFTS
            folder.mkdir(parents=True, exist_ok=True)
            self._rows = StagedRows(folder / f".{secrets.token_hex(6)}.lines", PLANNED_COLUMNS, key="seq")
        return self._rows

    def add_all(self, lines: Iterable[Line]) -> None:
        """Lines in the order planned (a claim's, one per payer), each numbered and counted in the sums."""
        rows, seq, all_sums = [], self._seq, self._sums
        for line in lines:
            seq += 1
            rows.append((seq, *line))
            key = (line[0], line[1], line[2], line[6] or "")
            if (sums := all_sums.get(key)) is None:
                all_sums[key] = [line[3], 1, seq]
            else:
                sums[0] += line[3]
                sums[1] += 1
                sums[2] = seq
        self._seq = seq
        (self._rows or self._file()).extend(rows)

    def keep(self, proposal_id: int) -> None:
        rows = self._file()
        rows.add_table(SUMS, SUMS_COLUMNS, ((*key, *sums) for key, sums in sorted(self._sums.items())))
        rows.close()
        target = kept_lines(self.settings, self.contract_ref, proposal_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        rows.path.replace(target)

    def discard(self) -> None:
        if self._rows is not None:
            self._rows.discard()
