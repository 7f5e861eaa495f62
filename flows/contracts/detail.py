"""One contract as a commissioner reads it: its terms, its status today, its key dates and its history.

Contracts are added or imported by flows/contracts/importing.py, from the files read by
flows/contracts/files.py.
"""

import datetime as dt
from typing import Any

from sqlmodel import select

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.contracts.importing import public_terms
from flows.performance.assessment import contract_performance
from models.contracts import Contract, ContractKeyDate, KeyDateHandled, get_contract, key_dates_of
from models.db import reading
from models.events import events_for
from policies.contracts.clauses import expiry, max_extent
from policies.contracts.status import ContractStatus, status_on
from policies.dates import local_date


def _id(contract: Contract) -> int:
    if contract.id is None:
        raise ValueError("contract not saved")
    return contract.id


# --------------------------------------------------------------------------- queries


def contract_detail(settings: Settings, ref: str) -> dict[str, Any]:
    with reading(database(settings)) as session:
        contract = get_contract(session=session, ref=ref)
        if contract is None:
            raise UserError(f"no contract with reference {ref!r}")
        terms = contract.to_terms()
        today = local_date(dt.datetime.now(dt.UTC), settings.timezone)
        marks = session.exec(select(KeyDateHandled).where(KeyDateHandled.contract_id == _id(contract)))
        handled = {(h.key, h.due_on): h for h in marks}  # for the date it was handled on (flows/contracts/handling.py)
        return {
            **public_terms(contract),
            "status": status_on(terms, ContractStatus(contract.status), today).value,
            "expiry": expiry(terms).isoformat(),
            "max_extent": max_extent(terms).isoformat(),
            "key_dates": [
                _key_date_public(k, handled.get((k.key, k.due_on)))
                for k in key_dates_of(session=session, contract_id=_id(contract))
            ],
            "history": [e.public() for e in events_for(session=session, entity="contract", entity_ref=contract.ref)],
            "performance": contract_performance(session, _id(contract)),
        }


def _key_date_public(k: ContractKeyDate, handled: KeyDateHandled | None) -> dict[str, Any]:
    return {
        "key": k.key,
        "kind": k.kind,
        "due_on": k.due_on.isoformat(),
        "action": k.action,
        "who": k.who,
        "guards": k.guards.isoformat() if k.guards else None,
        "handled": None
        if handled is None
        else {
            "as": handled.handled_as,
            "on": handled.handled_on.isoformat(),
            "by": handled.actor,
            "note": handled.note,
        },
    }
