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

import datetime as dt
import hashlib
import os
import re
import secrets
import shutil
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.pbr.contract import contract_id
from flows.pbr.exports import write_csv
from flows.pbr.ledger import pounds
from models.contracts import Contract
from models.pbr.claims import claim_facts
from models.pbr.ledger import ACCRUAL, PaymentRun, ledger_of

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
DRAFTS = "drafts"  # <contract folder>/drafts/proposal-<id>/DRAFT-<payer>.csv: never listed as a run's schedule


def write_schedules(settings: Settings, session: Any, contract: Contract, run: PaymentRun) -> list[str]:
    """One CSV per payer: every line the run accrued for it, any recovery netted off, and the payment."""
    entries = ledger_of(session=session, contract_id=contract_id(contract), run_id=run.id)
    claims = claim_facts(session=session, ids=sorted({e.claim_id for e in entries if e.claim_id}))
    items: list[Item] = []
    for e in entries:
        if e.kind == ACCRUAL:
            claim = claims.get(e.claim_id) if e.claim_id else None
            items.append((e.payer, e.item, claim[0] if claim else "", e.participant or "", claim[2] if claim else "",
                          claim[3] if claim else None, pounds(e.amount_pence)))  # fmt: skip
    folder = contract_folder(settings, contract.ref) / run.period
    return _write(folder, contract, run.period, run.summary, items, draft=None)


def write_draft_schedules(
    settings: Settings, contract: Contract, period: str, proposal_id: int, summary: dict[str, Any], items: list[Item]
) -> list[str]:
    """The schedules a proposed run would write, each named DRAFT- and marked DRAFT on every line."""
    folder = contract_folder(settings, contract.ref) / DRAFTS / f"proposal-{proposal_id}"
    return _write(folder, contract, period, summary, items, draft=proposal_id)


def discard_drafts(settings: Settings, contract_ref: str, proposal_id: int) -> None:
    """Remove a decided proposal's drafts: approved, the final schedules replace them; otherwise nothing is paid."""
    shutil.rmtree(contract_folder(settings, contract_ref) / DRAFTS / f"proposal-{proposal_id}", ignore_errors=True)


def draft_schedules(settings: Settings, contract_ref: str, proposal_id: int) -> list[Path]:
    folder = contract_folder(settings, contract_ref) / DRAFTS / f"proposal-{proposal_id}"
    return sorted(folder.glob("DRAFT-*.csv")) if folder.is_dir() else []


def _write(
    folder: Path, contract: Contract, period: str, summary: dict[str, Any], items: list[Item], *, draft: int | None
) -> list[str]:
    stems = file_stems(summary["payers"])
    paths = []
    for payer, totals in sorted(summary["payers"].items()):
        rows: list[list[Any]] = [
            [contract.ref, contract.provider, period, payer, item, ref, who, outcome, achieved, amount]
            for (to, item, ref, who, outcome, achieved, amount) in items
            if to == payer
        ]
        before, recovered = Decimal(totals["owed_before"]), Decimal(totals["recovered"])
        if recovered:
            rows.append([contract.ref, contract.provider, period, payer, "recovery", "", "", "", None, -recovered])
        elif before > 0:
            rows.append([contract.ref, contract.provider, period, payer, "brought forward", "", "", "", None, before])
        rows.append([contract.ref, contract.provider, period, payer, "payment", "", "", "", None,
                     Decimal(totals["payment"])])  # fmt: skip
        if draft is None:
            paths.append(str(_place(folder, stems[payer], rows)))
        else:
            mark = f"DRAFT proposal {draft} - not approved - nothing paid"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"DRAFT-{stems[payer]}.csv"
            write_csv(path, ("status", *SCHEDULE_HEADER), ([mark, *row] for row in rows))
            paths.append(str(path))
    return paths


def file_stems(payers: Sequence[str]) -> dict[str, str]:
    """Each payer's file name (without .csv): its name made safe, and distinct from every other payer's."""
    safe = {payer: _safe(payer) for payer in payers}
    taken = Counter(stem.lower() for stem in safe.values())  # Council.csv and council.csv are one file on some disks
    return {
        payer: stem if taken[stem.lower()] == 1 else f"{stem}-{hashlib.sha256(payer.encode()).hexdigest()[:8]}"
        for payer, stem in safe.items()
    }


def _place(folder: Path, stem: str, rows: list[list[Any]]) -> Path:
    """The schedule at ``stem``.csv, or ``stem``-2.csv and on: the first that already holds exactly this schedule,
    else the first free name. A file with other contents is never written over."""
    folder.mkdir(parents=True, exist_ok=True)
    draft = folder / f".{stem}.{secrets.token_hex(4)}.draft"
    try:
        write_csv(draft, SCHEDULE_HEADER, rows)
        content = draft.read_bytes()
        for n in range(1, NAMES_TRIED + 1):
            path = folder / (f"{stem}.csv" if n == 1 else f"{stem}-{n}.csv")
            try:
                os.link(draft, path)  # made only if nothing is there: atomic, and never over another file
                return path
            except FileExistsError:
                if path.is_file() and path.read_bytes() == content:
                    return path  # written by this run before
            except OSError as exc:
                raise UserError(f"{path}: cannot be written: {exc.strerror or exc}") from None
    finally:
        draft.unlink(missing_ok=True)
    raise UserError(
        f"{folder}: {stem}.csv to {stem}-{NAMES_TRIED}.csv are all files this run did not write; "
        "move them elsewhere and ask for the run again to write its schedule"
    )


def contract_folder(settings: Settings, contract_ref: str) -> Path:
    """Where a contract's payment schedules are written, a folder per period."""
    return settings.data_dir / "payments" / _safe(contract_ref)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "payer"
