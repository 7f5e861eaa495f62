"""Payment schedules: what a payment run pays each payer, one CSV per payer, beside the database.

A run's schedules sit in ``<data dir>/payments/<contract>/<period>/``, one file
per payer, named after the payer as the rate card names it (``central fund``:
``central-fund.csv``). When two payers' names make the same file name (``NHS
Leeds`` and ``NHS-Leeds``), each takes a short fingerprint of its exact name as
well (``NHS-Leeds-1a2b3c4d.csv``), so no payer's schedule is ever another's.
A run never writes over a file it did not write: if the name is taken by a file
with other contents, the schedule goes to the next free name (``council-2.csv``)
and the run prints where. A missing schedule is written again from the ledger.
"""

import hashlib
import os
import re
import secrets
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


def write_schedules(settings: Settings, session: Any, contract: Contract, run: PaymentRun) -> list[str]:
    """One CSV per payer: every line the run accrued for it, any recovery netted off, and the payment."""
    folder = contract_folder(settings, contract.ref) / run.period
    stems = file_stems(run.summary["payers"])
    entries = ledger_of(session=session, contract_id=contract_id(contract), run_id=run.id)
    claims = claim_facts(session=session, ids=sorted({e.claim_id for e in entries if e.claim_id}))
    paths = []
    for payer, summary in sorted(run.summary["payers"].items()):
        rows: list[list[Any]] = []
        for e in entries:
            if e.payer != payer or e.kind != ACCRUAL:
                continue
            claim = claims.get(e.claim_id) if e.claim_id else None
            rows.append(
                [
                    contract.ref,
                    contract.provider,
                    run.period,
                    payer,
                    e.item,
                    claim[0] if claim else "",
                    e.participant or "",
                    claim[2] if claim else "",
                    claim[3] if claim else None,
                    pounds(e.amount_pence),
                ]
            )
        before, recovered = Decimal(summary["owed_before"]), Decimal(summary["recovered"])
        if recovered:
            rows.append([contract.ref, contract.provider, run.period, payer, "recovery", "", "", "", None, -recovered])
        elif before > 0:
            rows.append(
                [contract.ref, contract.provider, run.period, payer, "brought forward", "", "", "", None, before]
            )
        rows.append(
            [
                contract.ref,
                contract.provider,
                run.period,
                payer,
                "payment",
                "",
                "",
                "",
                None,
                Decimal(summary["payment"]),
            ]
        )
        paths.append(str(_place(folder, stems[payer], rows)))
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
