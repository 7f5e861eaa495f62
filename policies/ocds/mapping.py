"""A compiled OCDS release read as commissioning data: the project a process becomes, and its contracts.

Rule: a process (ocid) is a commissioning project. With no award it is at
tender, so it is onboarded in Do (in Plan while its tender is ``planning``);
once an award or contract is in force, or its tender is ``complete``, in
Review. Each award (or contract) that is not cancelled or unsuccessful becomes
a contract: the suppliers are its provider (several joined, in order), its
value is the contract's value or else the award's, its period the contract's
``period`` or else the award's ``contractPeriod`` (or else the tender's),
kept to the day; ``maxExtentDate`` is the end with every option used; the
award's date is the award notice, the contract's ``dateSigned`` the day
signed. An award with no period or no value cannot be a contract, and is
listed as skipped, with why.

Worked example: a Contracts Finder award of 14,393,173 GBP to "Everyone
Health Ltd" and "Cambridge City Council" for 2020-06-01 to 2025-05-31, dated
2020-05-05, is a contract with provider "Everyone Health Ltd; Cambridge City
Council", value £14,393,173.00, a 60-month term, award notice 2020-05-05.
"""

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policies.contracts.clauses import ContractTerms, ExtensionOption, ReviewSchedule
from policies.contracts.notice import NoticePeriod, NoticeUnit
from policies.money import Money
from policies.ocds.metrics import KpiFacts, NoticeFacts
from policies.ocds.metrics_read import read_kpis, read_notices
from policies.ocds.releases import amount_of, day_of, instant_of
from policies.ocds.restoring import restored_terms, rough_months, whole_months

REF_RE = re.compile(r"^[A-Z0-9][A-Z0-9\-_/.]{1,39}$")
NOT_A_CONTRACT = frozenset({"cancelled", "unsuccessful"})
EXTENSION_NOTICE = NoticePeriod(3, NoticeUnit.MONTHS)  # the product's default notice to take up an option
PROVIDER_LIMIT = 200
TITLE_LIMIT = 200


@dataclass(frozen=True)
class ContractPlan:
    key: str  # the award's id, or "contract:" and the id of a contract with no award
    ocds_id: str  # the contract's (or award's) id as published
    title: str
    provider: str
    value: Money
    start: dt.date
    end: dt.date
    max_extent: dt.date | None
    award_on: dt.date | None
    signed_on: dt.date | None
    status: str = ""  # the contract's (or award's) status as published
    milestones: tuple[tuple[str, dt.date], ...] = ()  # (id, due)
    amendments: tuple[tuple[dt.datetime, str, str], ...] = ()  # (date, rationale, description)
    transactions: tuple[tuple[str, dt.date, Money, str], ...] = ()  # (id, date, value, payer's name)
    kpis: tuple[KpiFacts, ...] = ()  # agreedMetrics with their readings (implementation.metrics)
    notices: tuple[NoticeFacts, ...] = ()  # UK9 documents published
    kpis_not_read: tuple[str, ...] = ()  # each metric or observation that is no KPI or reading, and why


@dataclass(frozen=True)
class ProcessPlan:
    ocid: str
    tender_id: str | None
    title: str
    description: str
    buyer: str
    stage: str  # "do" or "review"
    contracts: tuple[ContractPlan, ...]
    skipped: tuple[str, ...]  # each award that became no contract, and why


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _list(value: Any) -> list[Any]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _day(value: Any) -> dt.date | None:
    return day_of(value)[0]


def _money(value: Any) -> Money | None:
    if not isinstance(value, Mapping):
        return None
    amount = amount_of(value.get("amount"))[0]
    if amount is None:
        return None
    currency = value.get("currency")
    return Money(amount, currency if isinstance(currency, str) and currency else "GBP")


def _names(refs: list[Any], parties: Mapping[str, str]) -> list[str]:
    names = []
    for ref in refs:
        if isinstance(ref, Mapping):
            name = _text(ref.get("name")) or parties.get(str(ref.get("id")), "")
            if name and name not in names:
                names.append(name)
    return names


def read_process(compiled: Mapping[str, Any]) -> ProcessPlan:
    """The project and contracts a compiled release (already checked by ``check_release``) describes."""
    tender: Mapping[str, Any] = compiled["tender"] if isinstance(compiled.get("tender"), Mapping) else {}
    parties = {str(p.get("id")): _text(p.get("name")) for p in _list(compiled.get("parties"))}
    buyer_ref = compiled.get("buyer")
    buyer = _names([buyer_ref], parties) if isinstance(buyer_ref, Mapping) else []
    if not buyer:
        roles = [(_text(p.get("name")), p.get("roles")) for p in _list(compiled.get("parties"))]
        buyer = [name for name, r in roles if name and isinstance(r, list) and "buyer" in r]
    ocid = str(compiled["ocid"])
    title = _text(tender.get("title")) or _text(compiled.get("title")) or ocid
    contracts_by_award: dict[str, Mapping[str, Any]] = {}
    loose: list[Mapping[str, Any]] = []
    for contract in _list(compiled.get("contracts")):
        award_id = contract.get("awardID")
        if award_id is not None and str(award_id) not in contracts_by_award:
            contracts_by_award[str(award_id)] = contract
        else:
            loose.append(contract)
    plans: list[ContractPlan] = []
    skipped: list[str] = []
    awards = _list(compiled.get("awards"))
    award_ids = {str(a.get("id")) for a in awards}
    loose += [c for a, c in contracts_by_award.items() if a not in award_ids]
    sources: list[tuple[str, Mapping[str, Any], Mapping[str, Any]]] = []
    for award in awards:
        key = str(award.get("id"))
        sources.append((key, award, contracts_by_award.get(key, {})))
    for contract in loose:
        sources.append((f"contract:{contract.get('id')}", {}, contract))
    for key, award, contract in sources:
        status = _text(contract.get("status")) or _text(award.get("status"))
        if status in NOT_A_CONTRACT:
            skipped.append(f"{key}: {status}, not a contract")
            continue
        period = contract.get("period") or award.get("contractPeriod") or tender.get("contractPeriod") or {}
        start, end = _day(period.get("startDate")), _day(period.get("endDate"))
        value = _money(contract.get("value")) or _money(award.get("value"))
        if start is None or end is None:
            skipped.append(f"{key}: no contract period (startDate and endDate), so no contract")
            continue
        if value is None:
            skipped.append(f"{key}: no value, so no contract")
            continue
        providers = _names(award.get("suppliers") or [], parties) or _names(contract.get("suppliers") or [], parties)
        kpis, not_kpis = read_kpis(contract)
        plans.append(
            ContractPlan(
                key=key,
                ocds_id=str(contract.get("id") or award.get("id")),
                title=_cut(_text(contract.get("title")) or _text(award.get("title")) or title, TITLE_LIMIT),
                provider=_cut("; ".join(providers) or "(no supplier named)", PROVIDER_LIMIT),
                value=value,
                start=start,
                end=end,
                max_extent=_day(period.get("maxExtentDate")),
                award_on=_day(award.get("date")),
                signed_on=_day(contract.get("dateSigned")),
                status=status,
                milestones=_milestones(contract),
                amendments=_amendments(contract),
                transactions=_transactions(contract),
                kpis=kpis,
                kpis_not_read=not_kpis,
                notices=read_notices(contract),
            )
        )
    return ProcessPlan(
        ocid=ocid,
        tender_id=_text(tender.get("id")) or None,
        title=_cut(title, TITLE_LIMIT),
        description=_text(tender.get("description")),
        buyer=_cut(buyer[0] if buyer else "", 120),
        stage=_stage(plans, _text(tender.get("status"))),
        contracts=tuple(plans),
        skipped=tuple(skipped),
    )


def _stage(plans: list[ContractPlan], tender_status: str) -> str:
    """Review once anything is awarded (or the tender is complete); Plan while the tender is being planned; else Do."""
    if plans or tender_status == "complete":
        return "review"
    return "plan" if tender_status in ("planning", "planned") else "do"


def _milestones(contract: Mapping[str, Any]) -> tuple[tuple[str, dt.date], ...]:
    found = []
    for milestone in _list(contract.get("milestones")):
        due = _day(milestone.get("dueDate"))
        if due is not None and milestone.get("id") is not None:
            found.append((str(milestone["id"]), due))
    return tuple(found)


def _amendments(contract: Mapping[str, Any]) -> tuple[tuple[dt.datetime, str, str], ...]:
    found = []
    for amendment in _list(contract.get("amendments")):
        on = instant_of(amendment.get("date"))
        if on is not None:
            found.append((on, _text(amendment.get("rationale")), _text(amendment.get("description"))))
    return tuple(found)


def _transactions(contract: Mapping[str, Any]) -> tuple[tuple[str, dt.date, Money, str], ...]:
    implementation = contract.get("implementation")
    if not isinstance(implementation, Mapping):
        return ()
    found = []
    for transaction in _list(implementation.get("transactions")):
        on, value = _day(transaction.get("date")), _money(transaction.get("value"))
        payer = transaction.get("payer")
        name = _text(payer.get("name")) if isinstance(payer, Mapping) else ""
        if on is not None and value is not None:
            found.append((str(transaction.get("id")), on, value, name or "(payer not published)"))
    return tuple(found)


def terms_of(plan: ContractPlan, ref: str) -> ContractTerms:
    """The contract terms of a planned contract: read back from the product's own milestones where there are
    any; else a published end is kept to the day (``published_end``) where it is not a whole number of months
    after the start, and so is a maxExtentDate past the end."""
    restored = restored_terms(
        ref, plan.start, plan.end, plan.value, plan.milestones, award_on=plan.award_on, signed_on=plan.signed_on
    )
    if restored is not None:
        return restored
    months = whole_months(plan.start, plan.end)
    published_end = None if months is not None else plan.end
    initial = months or rough_months(plan.start, plan.end)
    extensions: tuple[ExtensionOption, ...] = ()
    published_max_extent = None
    if plan.max_extent is not None and plan.max_extent > plan.end:
        after = plan.end + dt.timedelta(days=1)
        option = whole_months(after, plan.max_extent)
        if option is None:
            published_max_extent = plan.max_extent
            option = rough_months(after, plan.max_extent)
        extensions = (ExtensionOption(option, EXTENSION_NOTICE),)
    return ContractTerms(
        ref=ref,
        start=plan.start,
        initial_term_months=initial,
        value=plan.value,
        extensions=extensions,
        reviews=ReviewSchedule(),
        award_notice_on=plan.award_on,
        signed_on=plan.signed_on,
        published_end=published_end,
        published_max_extent=published_max_extent,
    )


def reference_for(candidate: str | None) -> str | None:
    """``candidate`` as a reference (upper case), if it is one: 2-40 letters, digits or - _ / ."""
    if not candidate:
        return None
    ref = candidate.strip().upper()
    return ref if REF_RE.match(ref) else None
