"""Payment schedules: what a payment run pays each payer, one CSV per payer, beside the database.

A run's schedules sit in ``<data dir>/payments/<contract>/<period>/``, one file
per payer, named after the payer as the rate card names it (``central fund``:
``central-fund.csv``). When two payers' names make the same file name (``NHS
Leeds`` and ``NHS-Leeds``), each takes a short fingerprint of its exact name as
well (``NHS-Leeds-1a2b3c4d.csv``), so no payer's schedule is ever another's.
A run never writes over a file it did not write: if the name is taken by a file
with other contents, the schedule goes to the next free name (``council-2.csv``)
and the run prints where. A missing schedule is written again from the ledger.
A proposed run's schedules are drafts, in ``drafts/proposal-<id>/``, each named
``DRAFT-<payer>.csv`` with a first column saying DRAFT on every line; they go
when the proposal is decided, and an approved run writes its final schedules.
"""

import csv
import datetime as dt
import filecmp
import hashlib
import io
import os
import re
import secrets
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import suppress
from decimal import Decimal
from pathlib import Path
from typing import Any

from flows.common.errors import UserError
from flows.common.files import remove_stale, replacing
from flows.common.settings import Settings
from flows.pbr.exports import FORMULA_TRIGGERS, QUOTED, CsvRows, csv_cell, csv_text, neutralise
from flows.pbr.ledger import pounds
from models.contracts import Contract
from models.pbr.bulk import date_from_driver
from models.pbr.ledger import PaymentRun, run_accruals

NAMES_TRIED = 100  # council.csv, council-2.csv, ... council-100.csv

SCHEDULE_HEADER = (
    "contract",
    "provider",
    "period",
    "payer",
    "item",
    "claim_ref",
    "participant",
    "outcome",
    "achieved_on",
    "amount",
)


# One line a schedule shows: (payer, item, claim ref, participant, outcome, achieved on, amount).
Item = tuple[str, str, str, str, str, dt.date | None, Decimal]
# The hidden side files a run writes beside its schedules before placing them: .<payer hash>.<token>.draft,
# .<DRAFT-payer>.<token>.draft, .<name>.<token>.tmp (flows/common/files.py) and the kept lines, .<token>.lines
# with SQLite's own files. kill -9 leaves them; a day old, they are no live run's (a 1M-claim run takes a minute).
SIDE_FILE = re.compile(r"\.(?:.+\.[0-9a-f]{8}\.(?:draft|tmp)|[0-9a-f]{12}\.lines(?:-journal|-wal|-shm)?)")
DRAFTS = "drafts"  # <contract folder>/drafts/proposal-<id>/DRAFT-<payer>.csv: never listed as a run's schedule
PROPOSAL_FOLDER = re.compile(r"proposal-([1-9][0-9]{0,17})")  # drafts/proposal-<id>
FINAL = ".final-"  # drafts/proposal-<id>/.final-<payer>.csv: the schedule approval places, without the DRAFT marks


def write_schedules(settings: Settings, session: Any, contract: Contract, run: PaymentRun) -> list[str]:
    """One CSV per payer: every line the run accrued for it, any recovery netted off, and the payment; read
    from the ledger a batch at a time and written as read."""
    files = ScheduleFiles(contract_folder(settings, contract.ref) / run.period, contract, run.period)
    try:
        for payer, item, ref, who, outcome, achieved, amount in run_accruals(session=session, run_id=run.id):
            files.add((payer, item, ref or "", who or "", outcome or "", achieved and date_from_driver(achieved),
                       pounds(amount)))  # fmt: skip
        done = files.finish(run.summary)
        return [str(_place(files.folder, stems, temporary)) for stems, temporary in done]
    finally:
        files.discard()


def schedules_from_drafts(
    settings: Settings, contract: Contract, run: PaymentRun, proposal_id: int
) -> list[str] | None:
    """The final schedules of a run approved as proposed, made from its proposal's drafts: each line as the draft
    has it, without its DRAFT cell (the proposal keeps them so, ``FINAL``: placed as they are, nothing copied;
    else made from the drafts). The lines are the ones the ledger now holds (they were written from the
    same plan), so nothing is read back; None if any draft is missing or not as written, and the caller writes
    them from the ledger (``write_schedules``)."""
    drafts = contract_folder(settings, contract.ref) / DRAFTS / f"proposal-{proposal_id}"
    stems = file_stems(run.summary["payers"])
    found = [drafts / f"DRAFT-{stems[payer]}.csv" for payer in sorted(run.summary["payers"])]
    if not all(path.is_file() for path in found):
        return None
    finals = [drafts / f"{FINAL}{stems[payer]}.csv" for payer in sorted(run.summary["payers"])]
    folder = contract_folder(settings, contract.ref) / run.period
    folder.mkdir(parents=True, exist_ok=True)
    clear_stale_side_files(folder)
    if all(path.is_file() for path in finals):  # kept by the proposal as well: placed as they are
        try:
            return [str(_place(folder, p.name.removeprefix(FINAL)[: -len(".csv")], p, linked=True)) for p in finals]
        except CannotLink:
            pass  # another user's file (a worker proposed it) or another disk: made from the drafts, as below
    mark = io.StringIO()
    csv.writer(mark).writerow([f"DRAFT proposal {proposal_id} - not approved - nothing paid"])
    prefix, header = mark.getvalue().rstrip("\r\n") + ",", "status,"
    made, placed = [], []
    try:
        for path in found:
            temporary = folder / f".{path.stem}.{secrets.token_hex(4)}.draft"
            made.append(temporary)
            with open(path, encoding="utf-8", newline="") as lines, \
                    open(temporary, "w", encoding="utf-8", newline="") as out:  # fmt: skip
                first = next(lines, "")
                if not first.startswith(header):
                    return None
                out.write(first[len(header) :])
                for line in lines:
                    if not line.startswith(prefix):
                        return None
                    out.write(line[len(prefix) :])
        for path, temporary in zip(found, made, strict=True):
            placed.append(str(_place(folder, path.stem.removeprefix("DRAFT-"), temporary)))
        return placed
    finally:
        for temporary in made:
            temporary.unlink(missing_ok=True)


def draft_writer(settings: Settings, contract: Contract, period: str) -> "ScheduleFiles":
    """Where a proposed run's lines go as it is planned, before its proposal (and so its folder) is known."""
    return ScheduleFiles(contract_folder(settings, contract.ref) / DRAFTS, contract, period)


def write_draft_schedules(files: "ScheduleFiles", proposal_id: int, summary: dict[str, Any]) -> list[str]:
    """The schedules a proposed run would write, each named DRAFT- and marked DRAFT on every line."""
    folder = files.folder / f"proposal-{proposal_id}"
    folder.mkdir(parents=True, exist_ok=True)
    clear_stale_side_files(folder)  # on SQLite a killed proposal's number is given again, with its folder
    mark = io.StringIO()
    csv.writer(mark).writerow([f"DRAFT proposal {proposal_id} - not approved - nothing paid"])
    status = io.StringIO()
    csv.writer(status).writerow(["status"])
    paths = []
    try:
        for stem, temporary in files.finish(summary):
            path = folder / f"DRAFT-{stem}.csv"
            with replacing(path) as target, open(temporary, encoding="utf-8", newline="") as lines, \
                    open(target, "w", encoding="utf-8", newline="") as out:  # fmt: skip
                out.write(status.getvalue().rstrip("\r\n") + ",")
                out.write(next(lines))
                prefix = mark.getvalue().rstrip("\r\n") + ","
                while batch := lines.readlines(1 << 20):  # the lines a batch at a time: a write per line cost more
                    out.write(prefix + prefix.join(batch))
            paths.append(str(path))
            # the schedule as approval will place it, kept beside its draft (in the proposal's digest with it)
            temporary.replace(folder / f"{FINAL}{stem}.csv")
    finally:
        files.discard()
    return paths


def discard_drafts(settings: Settings, contract_ref: str, proposal_id: int) -> None:
    """Remove a decided proposal's drafts: approved, the final schedules replace them; otherwise nothing is paid."""
    shutil.rmtree(contract_folder(settings, contract_ref) / DRAFTS / f"proposal-{proposal_id}", ignore_errors=True)


def clear_stale_drafts(settings: Settings, contract_ref: str, pending: set[int]) -> None:
    """Remove the drafts folders over a day old of the contract's proposals that are not pending (``pending``:
    their ids). A process killed between a decision's commit and the removal of its drafts left them, as did a
    proposal killed before its commit on PostgreSQL (which never gives its number again); nothing else would.
    A proposal being made now is not yet pending, but its folder is minutes old."""

    def stale(name: str) -> bool:
        found = PROPOSAL_FOLDER.fullmatch(name)
        return found is not None and int(found[1]) not in pending

    remove_stale(contract_folder(settings, contract_ref) / DRAFTS, stale, folders=True)


def prune_drafts(settings: Settings, contract_ref: str) -> None:
    """Remove the drafts folder of a refused proposal, and the folders above it, if nothing else is in them: a
    refusal leaves nothing behind."""
    folder, top = contract_folder(settings, contract_ref) / DRAFTS, settings.data_dir
    while folder != top and top in folder.parents:
        try:
            folder.rmdir()
        except OSError:  # not empty (another proposal's drafts, a run's schedules), or not there
            return
        folder = folder.parent


def draft_schedules(settings: Settings, contract_ref: str, proposal_id: int) -> list[Path]:
    folder = contract_folder(settings, contract_ref) / DRAFTS / f"proposal-{proposal_id}"
    return sorted(folder.glob("DRAFT-*.csv")) if folder.is_dir() else []


class ScheduleFiles:
    """A run's schedules as they are written, one side file per payer, a line at a time: however many lines a
    run pays, none is held. ``finish`` adds each payer's closing lines (a recovery netted off or a balance
    brought forward, then the payment) and gives (file stem, side file) per payer, in payer order."""

    def __init__(self, folder: Path, contract: Contract, period: str) -> None:
        self.folder, self.contract, self.period = folder, contract, period
        clear_stale_side_files(folder)  # a killed run's, in drafts/ (a proposal) or the period's folder (a run)
        self._token = secrets.token_hex(4)
        self._files: dict[str, tuple[CsvRows, str]] = {}
        self._cells: dict[Any, str] = {}  # a value's cell as the CSV has it, by the value (text, a day, an amount)

    def _file(self, payer: str) -> tuple[CsvRows, str]:
        """A payer's side file, and the first four cells of each of its lines (the same on all of them)."""
        found = self._files.get(payer)
        if found is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            name = f".{hashlib.sha256(payer.encode()).hexdigest()[:12]}.{self._token}.draft"
            head = "".join(f"{csv_text(csv_cell(cell))}," for cell in (self.contract.ref, self.contract.provider,
                                                                        self.period, payer))  # fmt: skip
            found = self._files[payer] = (CsvRows(self.folder / name, SCHEDULE_HEADER), head)
        return found

    def add(self, line: Item) -> None:
        """One line, its cells made as ``write_csv`` makes them; the four the payer's lines share made once, and
        each distinct item, outcome, day and amount once (a run pays few prices, on a few hundred days)."""
        payer, item, ref, who, outcome, achieved, amount = line
        self.add_shares(item, ref, who, outcome, achieved, ((payer, amount),))

    def add_shares(
        self, item: str, ref: str, who: str, outcome: str, achieved: dt.date | None, shares: Iterable[tuple[str, Any]]
    ) -> None:
        """A line on each payer's schedule of ``shares`` (payer, amount) but a nil one's: what the lines share (the
        claim's cells) made once for all of them, and the line itself once per payer, as ``add`` makes them."""
        cells = self._cells
        if (item_cell := cells.get(item)) is None:
            item_cell = cells[item] = csv_text(csv_cell(item))
        if (outcome_cell := cells.get(outcome)) is None:
            outcome_cell = cells[outcome] = csv_text(csv_cell(outcome))
        if (day := cells.get(achieved)) is None:
            day = cells[achieved] = "" if achieved is None else achieved.isoformat()
        # a reference and a participant are almost always plain text, written as they are: that is checked here,
        # without a call for each (one claim after another, it added up)
        if ref.startswith(FORMULA_TRIGGERS) or not QUOTED.isdisjoint(ref):
            ref = csv_text(neutralise(ref))
        if who.startswith(FORMULA_TRIGGERS) or not QUOTED.isdisjoint(who):
            who = csv_text(neutralise(who))
        claim = f"{item_cell},{ref},{who},{outcome_cell},{day},"
        files = self._files
        for payer, amount in shares:
            if not amount:
                continue
            out, head = files.get(payer) or self._file(payer)
            if (money := cells.get(amount)) is None:  # whole pence: equal amounts are written alike
                money = cells[amount] = csv_text(csv_cell(amount))
            out.write_line(f"{head}{claim}{money}\r\n")

    def finish(self, summary: dict[str, Any]) -> list[tuple[str, Path]]:
        c, period = self.contract, self.period
        stems = file_stems(summary["payers"])
        done = []
        for payer, totals in sorted(summary["payers"].items()):
            out, _ = self._file(payer)
            before, recovered = Decimal(totals["owed_before"]), Decimal(totals["recovered"])
            if recovered:
                out.write([c.ref, c.provider, period, payer, "recovery", "", "", "", None, -recovered])
            elif before > 0:
                out.write([c.ref, c.provider, period, payer, "brought forward", "", "", "", None, before])
            out.write([c.ref, c.provider, period, payer, "payment", "", "", "", None, Decimal(totals["payment"])])
            out.close()
            done.append((stems[payer], out.path))
        return done

    def discard(self) -> None:
        """Remove every file begun, whatever closing one of them raises (a full disk)."""
        for out, _ in self._files.values():
            with suppress(OSError):
                out.close()
            out.path.unlink(missing_ok=True)


def file_stems(payers: Sequence[str]) -> dict[str, str]:
    """Each payer's file name (without .csv): its name made safe, and distinct from every other payer's."""
    safe = {payer: _safe(payer) for payer in payers}
    taken = Counter(stem.lower() for stem in safe.values())  # Council.csv and council.csv are one file on some disks
    return {
        payer: stem if taken[stem.lower()] == 1 else f"{stem}-{hashlib.sha256(payer.encode()).hexdigest()[:8]}"
        for payer, stem in safe.items()
    }


class CannotLink(Exception):
    """A file kept elsewhere could not be linked into place (EPERM for another user's file, EXDEV across disks)."""


def _place(folder: Path, stem: str, written: Path, *, linked: bool = False) -> Path:
    """The schedule at ``stem``.csv, or ``stem``-2.csv and on: the first that already holds exactly this schedule
    (``written``, a side file in ``folder``; with ``linked``, a file kept elsewhere, and CannotLink if it cannot
    be linked), else the first free name. A file with other contents is never written over."""
    for n in range(1, NAMES_TRIED + 1):
        path = folder / (f"{stem}.csv" if n == 1 else f"{stem}-{n}.csv")
        try:
            os.link(written, path)  # made only if nothing is there: atomic, and never over another file
            return path
        except FileExistsError:
            if path.is_file() and filecmp.cmp(path, written, shallow=False):
                return path  # written by this run before
        except OSError as exc:
            if linked:
                raise CannotLink from None
            raise UserError(f"{path}: cannot be written: {exc.strerror or exc}") from None
    raise UserError(
        f"{folder}: {stem}.csv to {stem}-{NAMES_TRIED}.csv are all files this run did not write; "
        "move them elsewhere and ask for the run again to write its schedule"
    )


def clear_stale_side_files(folder: Path) -> None:
    """Remove the side files (``SIDE_FILE``) over a day old in ``folder``: a run killed mid-way left them, and
    nothing else would. Other files, and a live run's, stay."""
    remove_stale(folder, lambda name: SIDE_FILE.fullmatch(name) is not None)


def contract_folder(settings: Settings, contract_ref: str) -> Path:
    """Where a contract's payment schedules are written, a folder per period."""
    return settings.data_dir / "payments" / _safe(contract_ref)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "payer"
