"""A payment run's final schedules, placed only once its approval has committed (flows/pbr/payment_runs.py).

Placed inside the approval's transaction, an approval killed or failing before its commit (kill -9, a full
disk, a lost connection) left final schedules for a period nothing had paid; if the proposal was then
rejected, they stayed. Now nothing final reaches the disk before the ledger holds the run: the schedules are
placed just after the commit, from the proposal's drafts where they are as written, else from the ledger; a
run whose schedules could not be placed then (or whose process died in between) has them written again from
the ledger whenever it is shown (``commission pbr run`` again)."""

import logging
from typing import Any

from sqlalchemy import event

from flows.common.errors import UserError
from flows.common.failures import failure_line
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.contract import pbr_contract
from flows.pbr.schedules import schedules_from_drafts, write_schedules
from models.contracts import Contract
from models.db import unit_of_work
from models.pbr.ledger import PaymentRun

log = logging.getLogger("commissioning.pbr")


def placed_once_committed(
    settings: Settings, session: Any, contract: Contract, run: PaymentRun, proposal_id: int | None
) -> tuple[list[str], list[str]]:
    """The paths of run ``run``'s final schedules, filled in once ``session`` commits: from proposal
    ``proposal_id``'s drafts (None: the run was planned again, so from the ledger). Empty if the transaction
    never commits, or if they could not be placed: then the second list says why, and how to write them (the
    run is paid; showing it again writes them from the ledger)."""
    placed: list[str] = []
    problems: list[str] = []
    ref, run_id, period = contract.ref, run.id, run.period

    def place(_session: Any) -> None:
        try:
            with unit_of_work(database(settings)) as again:
                committed, paid = pbr_contract(again, ref), again.get(PaymentRun, run_id)
                assert paid is not None
                made = None if proposal_id is None else schedules_from_drafts(settings, committed, paid, proposal_id)
                placed.extend(made if made is not None else write_schedules(settings, again, committed, paid))
        except Exception as exc:  # the run is paid; its schedules are written from the ledger when it is shown
            why = str(exc) if isinstance(exc, UserError) else failure_line(exc) or type(exc).__name__
            problems.append(
                f"the run is paid, but its schedules were not written ({why}); to write them from the ledger, "
                f"show the run again: commission pay --contract {ref} --period {period}"
            )
            log.warning("payment run %s for %s: %s", run_id, ref, problems[-1])

    event.listen(session, "after_commit", place, once=True)
    return placed, problems
