"""Payment by results from the web: one contract's claims file imported, a period paid, the schedules listed.

The same checks and the same Prefect flows as `commission claims import` and `commission pay`; a file on a
contract's page must hold that contract's claims only.
"""

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.pbr.payment_runs import check_payment_run
from flows.pbr.schedules import DRAFTS, contract_folder


def import_contract_claims(
    settings: Settings,
    path: Path,
    *,
    contract: str,
    as_of: dt.datetime,
    actor: str,
    progress: Callable[[str], None] = lambda stage: None,
) -> dict[str, Any]:
    """Run the import flow on the file, for this contract only: it reads the file once, names every malformed
    row, and refuses another contract's claims, storing nothing then; ``progress`` is told each stage in words."""
    from flows.common.runtime import start_prefect

    progress("Checking every row of the file, judging the claims against the rate card and storing them "
             "(the import-claims flow)")  # fmt: skip
    start_prefect(settings)
    from flows.pbr.pbr_flows import run

    return run("import-claims", progress=progress, path=str(path.resolve()), as_of=as_of.isoformat(), actor=actor,
               contract=contract)  # fmt: skip


def pay_period(settings: Settings, *, contract: str, period: str, as_of: dt.datetime, actor: str) -> dict[str, Any]:
    """Propose the payment run for a period (a paid period shows its run), by the payment-run flow."""
    check_payment_run(settings, contract, period, as_of=as_of)
    from flows.common.runtime import start_prefect

    start_prefect(settings)
    from flows.pbr.pbr_flows import run

    return run("payment-run", contract=contract, period=period, as_of=as_of.isoformat(), actor=actor)


def schedules(settings: Settings, contract: str) -> list[dict[str, str]]:
    """Each payment run's schedule files (period, file name), newest period first."""
    root = contract_folder(settings, contract)
    if not root.is_dir():
        return []
    return [
        {"period": folder.name, "file": f.name}
        for folder in sorted((p for p in root.iterdir() if p.is_dir() and p.name != DRAFTS), reverse=True)
        for f in sorted(folder.glob("*.csv"))
    ]


def schedule_path(settings: Settings, contract: str, period: str, name: str) -> Path:
    """A schedule's file, only if it is one that ``schedules`` lists (never a path made up from the URL)."""
    if {"period": period, "file": name} not in schedules(settings, contract):
        raise UserError(f"there is no schedule {name} for {contract} {period}")
    return contract_folder(settings, contract) / period / name
