"""The contracts list: searchable and paginated, with each contract's next decision date.

A search matches the reference, title or provider (case-insensitive); ``providers`` narrows the list to those
provider names (a provider user's organisation) and is applied in the query, so another provider's contract is
never loaded. The next decision date is the soonest of a contract's decision key dates from today on: the
extension decision, the break notice deadline, the pre-expiry decision and the start of recommissioning.
"""

import datetime as dt
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import col, select

from flows.common.runtime import database
from flows.common.settings import Settings
from models.contracts import Contract, ContractKeyDate
from models.db import unit_of_work
from policies.contracts.key_dates import KeyDateKind
from policies.contracts.status import ContractStatus, status_on
from policies.dates import local_date

DECISION_KINDS = (
    KeyDateKind.EXTENSION_DECISION,
    KeyDateKind.BREAK_NOTICE_DEADLINE,
    KeyDateKind.PRE_EXPIRY_DECISION,
    KeyDateKind.RECOMMISSIONING_START,
)
PER_PAGE = 25


def list_contracts(
    settings: Settings,
    *,
    search: str = "",
    providers: tuple[str, ...] | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    as_of: dt.datetime | None = None,
) -> dict[str, Any]:
    """One page of contracts, by reference, with the total that match."""
    today = local_date(as_of or dt.datetime.now(dt.UTC), settings.timezone)
    page, per_page = max(1, page), min(max(1, per_page), 200)
    conditions = []
    text = search.strip()
    if text:
        like = f"%{text.lower()}%"
        conditions.append(
            or_(
                func.lower(col(Contract.ref)).like(like),
                func.lower(col(Contract.title)).like(like),
                func.lower(col(Contract.provider)).like(like),
            )
        )
    if providers is not None:
        conditions.append(col(Contract.provider).in_(list(providers) or [""]))
    with unit_of_work(database(settings)) as session:
        total = session.exec(select(func.count()).select_from(Contract).where(*conditions)).one()
        contracts = list(
            session.exec(
                select(Contract)
                .where(*conditions)
                .order_by(col(Contract.ref))
                .offset((page - 1) * per_page)
                .limit(per_page)
            )
        )
        ids = [c.id for c in contracts]
        next_dates = dict(
            session.exec(
                select(ContractKeyDate.contract_id, func.min(ContractKeyDate.due_on))
                .where(
                    col(ContractKeyDate.contract_id).in_(ids or [0]),
                    col(ContractKeyDate.due_on) >= today,
                    col(ContractKeyDate.kind).in_([k.value for k in DECISION_KINDS]),
                )
                .group_by(col(ContractKeyDate.contract_id))
            ).all()
        )
        rows = []
        for c in contracts:
            nxt = next_dates.get(c.id or 0)
            rows.append(
                {
                    "ref": c.ref,
                    "title": c.title,
                    "provider": c.provider,
                    "status": status_on(c.to_terms(), ContractStatus(c.status), today).value,
                    "value": str(c.value.amount),
                    "currency": c.currency,
                    "ends_on": c.ends_on.isoformat(),
                    "next_decision_on": nxt.isoformat() if nxt else None,
                    "days_to_decision": (nxt - today).days if nxt else None,
                }
            )
    return {"total": int(total), "page": page, "per_page": per_page, "rows": rows}
