"""The contracts list: searchable and paginated, with each contract's next decision date; and filtered whole
(``contracts_list``: status, provider, owner, ending within N days) for `commission contracts list` and its
page and API, with CSV/Excel export.

A search matches the reference, title or provider (case-insensitive); ``providers`` narrows the list to those
provider names (a provider user's organisation) and is applied in the query, so another provider's contract is
never loaded. The next decision date is the soonest of a contract's decision key dates from today on: the
extension decision, the break notice deadline, the pre-expiry decision and the start of recommissioning.

Filters: the status is the contract's status today (an active contract past its last day is expired), so it
is one of pending, active, extended, in_notice, terminated, expired; provider and owner (the project's) match
any part of the name, in any case; ``ending_within`` N days keeps contracts whose last day falls from today to
N days on (0: today). Worked example: on 1 December 2026, HF-2024-01 ending 31 March 2027 is in
``ending_within=120`` (its last day is 120 days on) and not in ``ending_within=119``.
"""

import datetime as dt
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import col, select

from flows.common.errors import UserError
from flows.common.listing import DATE, MONEY, NUMBER, TEXT, Listing, Page, one_of, paged
from flows.common.runtime import database
from flows.common.settings import Settings
from models.contracts import Contract, ContractKeyDate
from models.cycle import Project
from models.db import reading
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
    with reading(database(settings)) as session:
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
        rows = _rows(session, contracts, today)
    return {"total": int(total), "page": page, "per_page": per_page, "rows": rows}


def _rows(session: Any, contracts: list[Contract], today: dt.date) -> list[dict[str, Any]]:
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
    return rows


COLUMNS = (
    ("ref", "Contract", TEXT), ("title", "Title", TEXT), ("provider", "Provider", TEXT), ("owner", "Owner", TEXT),
    ("status", "Status", TEXT), ("value", "Value", MONEY), ("ends_on", "Ends on", DATE),
    ("days_to_end", "Days to end", NUMBER), ("next_decision_on", "Next decision", DATE),
)  # fmt: skip
MOST_DAYS = 36_600  # a hundred years: the longest --ending-within that means anything


def contracts_list(
    settings: Settings,
    *,
    status: str | None = None,
    provider: str | None = None,
    owner: str | None = None,
    ending_within: int | None = None,
    providers: tuple[str, ...] | None = None,
    as_of: dt.datetime | None = None,
    page: Page | None = None,
) -> Listing:
    """Every contract that passes the filters, by reference, with its status today and its project's owner."""
    wanted = one_of("--status", status, tuple(s.value for s in ContractStatus), "a contract status")
    if ending_within is not None and not 0 <= ending_within <= MOST_DAYS:
        raise UserError(f"--ending-within: {ending_within} is not a number of days from 0 to {MOST_DAYS}")
    today = local_date(as_of or dt.datetime.now(dt.UTC), settings.timezone)
    stmt = select(Contract, Project.owner).join(Project, col(Project.id) == col(Contract.project_id))
    if provider is not None and provider.strip():
        stmt = stmt.where(func.lower(col(Contract.provider)).like(f"%{provider.strip().lower()}%"))
    if owner is not None and owner.strip():
        stmt = stmt.where(func.lower(col(Project.owner)).like(f"%{owner.strip().lower()}%"))
    if ending_within is not None:
        stmt = stmt.where(col(Contract.ends_on) >= today, col(Contract.ends_on) <= today + dt.timedelta(ending_within))
    if providers is not None:
        stmt = stmt.where(col(Contract.provider).in_(list(providers) or [""]))
    with reading(database(settings)) as session:
        found = list(session.exec(stmt.order_by(col(Contract.ref))).all())
        rows = _rows(session, [c for c, _ in found], today)
    for row, (c, project_owner) in zip(rows, found, strict=True):
        row["owner"], row["days_to_end"] = project_owner, (c.ends_on - today).days
        row["value"] = f"{c.value.amount:.2f}"  # with pence, as every list shows money
    return paged(Listing("Contracts", COLUMNS, [r for r in rows if wanted is None or r["status"] == wanted]), page)
