"""What the product knows about a project and its contracts, written as OCDS 1.1.5 releases.

Rule: a project is a process. Its ``tender`` release says the project (tender
id = project reference, title, description) and its buyer; each contract has
its own release with its award and its contract: status, period (with
``maxExtentDate``), value, ``dateSigned``; a milestone for every key date,
coded by kind (``breakNoticeDeadline``, ``extensionDecision``, ...), and a
``termEnd`` milestone for the end of the initial term and of each extension
option, so the term can be read back; an amendment per variation; and an
``implementation.transactions`` entry per payment the ledger made, per payer,
a reversal as its own (negative) transaction. With the UK profile, the award
carries its standstill period and the award notice is a document with
``noticeType`` UK6, and the contract its KPIs, rated readings and published
UK9 notices (``policies.ocds.metrics``). Participants, claims and contact details are never in a
release (contacts only when asked for, from what was imported). A release's id
is the ocid, the contract (or "tender") and a hash of its content: exporting
what has not changed gives the same release.

Worked example: contract HF-2026-01 (3+1+1 years from 2026-04-01) gives
``period`` 2026-04-01 to 2029-03-31, ``maxExtentDate`` 2031-03-31, and
milestones ``termEnd`` 2029-03-31, 2030-03-31, 2031-03-31 and
``extensionDecision`` 2028-12-31 (three months before the first end).
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from policies.money import Money
from policies.ocds.metrics import KpiFacts, NoticeFacts, agreed_metrics, implementation_metrics, notice_documents

CODES = {
    "expiry": "expiry",
    "max_extent": "maxExtent",
    "extension_decision": "extensionDecision",
    "break_notice_deadline": "breakNoticeDeadline",
    "break_date": "breakDate",
    "quarterly_monitoring": "quarterlyMonitoring",
    "annual_review": "annualReview",
    "mid_term_review": "midTermReview",
    "pre_expiry_decision": "preExpiryDecision",
    "recommissioning_start": "recommissioningStart",
    "standstill_end": "standstillEnd",
    "contract_details_notice": "contractDetailsNotice",
    "performance_notice": "performanceNotice",
    "termination_notice": "terminationNotice",
    "breach_notice": "breachNotice",  # recorded with a breach, not derived from the terms
    "term_end": "termEnd",
}
KINDS = {code: kind for kind, code in CODES.items()}
_TYPES = {
    "quarterly_monitoring": "assessment",
    "annual_review": "assessment",
    "mid_term_review": "assessment",
    "pre_expiry_decision": "approval",
    "extension_decision": "approval",
    "contract_details_notice": "reporting",
    "performance_notice": "reporting",
    "termination_notice": "reporting",
    "breach_notice": "reporting",
}
# A project's stage as the tender's status: planning before Do, active in Do, complete once awarded or ended.
TENDER_STATUSES = {"analyse": "planning", "plan": "planning", "do": "active", "review": "complete"}
TENDER_STATUSES["decommissioned"] = "complete"
# The product's contract statuses as OCDS contract statuses (pending, active, cancelled, terminated).
STATUSES = {
    "pending": "pending",
    "active": "active",
    "extended": "active",
    "in_notice": "active",
    "expired": "terminated",
    "terminated": "terminated",
}


@dataclass(frozen=True)
class Payment:
    kind: str  # "payment" or "reversal"
    on: dt.date
    payer: str
    amount: Money  # paid: positive for a payment, negative for its reversal


@dataclass(frozen=True)
class Variation:
    on: dt.datetime
    rationale: str
    description: str


@dataclass(frozen=True)
class ContractFacts:
    ref: str
    title: str
    providers: tuple[str, ...]
    value: Money
    status: str  # the product's status on the day of export
    start: dt.date
    end: dt.date
    max_extent: dt.date
    term_ends: tuple[dt.date, ...]  # the initial term's end, then the end with each option taken
    award_on: dt.date | None
    signed_on: dt.date | None
    standstill_end: dt.date | None
    key_dates: tuple[tuple[str, str, dt.date], ...]  # (key, kind, due on)
    variations: tuple[Variation, ...] = ()
    payments: tuple[Payment, ...] = ()
    contacts: dict[str, Any] = field(default_factory=dict)  # supplier name -> contactPoint, only if asked for
    kpis: tuple[KpiFacts, ...] = ()  # with their readings (UK profile only)
    notices: tuple[NoticeFacts, ...] = ()  # the performance and breach notices published (UK profile only)
    no_kpis_because: str | None = None  # a recorded KPI exemption (UK profile only)


@dataclass(frozen=True)
class ProjectFacts:
    ocid: str
    ref: str
    title: str
    description: str
    buyer: str
    stage: str


def instant(day: dt.date) -> str:
    """A calendar day as an RFC 3339 date-time: midnight UTC of that day."""
    return f"{day.isoformat()}T00:00:00Z"


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _amount(money: Money) -> dict[str, Any]:
    amount = money.amount.quantize(Decimal("0.01"))
    return {"amount": int(amount) if amount == amount.to_integral_value() else amount, "currency": money.currency}


def party_id(role: str, name: str) -> str:
    return f"{role}-{hashlib.sha1(name.encode()).hexdigest()[:10]}"


def _buyer(project: ProjectFacts) -> dict[str, Any]:
    return {"id": party_id("buyer", project.buyer), "name": project.buyer}


def release_id(ocid: str, part: str, content: dict[str, Any]) -> str:
    """The ocid, the part (a contract's reference, or "tender") and a hash of the content: stable and unique."""
    text = json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))
    return f"{ocid}-{part}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def tender_release(project: ProjectFacts, dated: dt.datetime) -> dict[str, Any]:
    content: dict[str, Any] = {
        "ocid": project.ocid,
        "tag": ["tender"],
        "initiationType": "tender",
        "parties": [{**_buyer(project), "roles": ["buyer"]}],
        "buyer": _buyer(project),
        "tender": {
            "id": project.ref,
            "title": project.title,
            "status": TENDER_STATUSES.get(project.stage, "active"),
        },
    }
    if project.description:
        content["tender"]["description"] = project.description
    return {"id": release_id(project.ocid, "tender", content), "date": stamp(dated), **content}


def _milestones(contract: ContractFacts) -> list[dict[str, Any]]:
    found = [
        {"id": f"term_end:{i}", "title": "End of the initial term" if i == 0 else f"End with option {i} taken"}
        | {"type": "delivery", "code": CODES["term_end"], "dueDate": instant(day)}
        for i, day in enumerate(contract.term_ends)
    ]
    for key, kind, due in contract.key_dates:
        title = kind.replace("_", " ").capitalize()
        found.append(
            {
                "id": key,
                "title": title,
                "type": _TYPES.get(kind, "delivery"),
                "code": CODES[kind],
                "dueDate": instant(due),
            }
        )
    return found


def contract_release(
    project: ProjectFacts, contract: ContractFacts, dated: dt.datetime, *, uk: bool, contacts: bool
) -> dict[str, Any]:
    suppliers = [{"id": party_id("supplier", name), "name": name} for name in contract.providers]
    parties = [{**_buyer(project), "roles": ["buyer"]}]
    for supplier in suppliers:
        party = {**supplier, "roles": ["supplier"]}
        if contacts and supplier["name"] in contract.contacts:
            party["contactPoint"] = contract.contacts[supplier["name"]]
        parties.append(party)
    period: dict[str, Any] = {
        "startDate": instant(contract.start),
        "endDate": instant(contract.end),
        "maxExtentDate": instant(contract.max_extent),
    }
    award: dict[str, Any] = {
        "id": contract.ref,
        "title": contract.title,
        "status": "active",
        "value": _amount(contract.value),
        "suppliers": suppliers,
        "contractPeriod": period,
    }
    if contract.award_on is not None:
        award["date"] = instant(contract.award_on)
        if uk and contract.standstill_end is not None:
            award["standstillPeriod"] = {
                "startDate": instant(contract.award_on),
                "endDate": instant(contract.standstill_end),
            }
        if uk:
            award["documents"] = [
                {
                    "id": f"{contract.ref}-UK6",
                    "documentType": "awardNotice",
                    "noticeType": "UK6",
                    "title": "Contract award notice",
                    "datePublished": instant(contract.award_on),
                }
            ]
    entry: dict[str, Any] = {
        "id": contract.ref,
        "awardID": contract.ref,
        "title": contract.title,
        "status": STATUSES.get(contract.status, "active"),
        "period": period,
        "value": _amount(contract.value),
        "milestones": _milestones(contract),
    }
    if contract.signed_on is not None:
        entry["dateSigned"] = instant(contract.signed_on)
    if contract.variations:
        entry["amendments"] = [
            {"id": f"variation-{i}", "date": stamp(v.on), "rationale": v.rationale, "description": v.description}
            for i, v in enumerate(contract.variations, start=1)
        ]
    implementation: dict[str, Any] = {}
    if contract.payments:
        buyer = _buyer(project)
        implementation["transactions"] = [
            {
                "id": f"{p.kind}-{i}",
                "date": instant(p.on),
                "value": _amount(p.amount),
                "payer": {"id": party_id("payer", p.payer), "name": p.payer},
                "payee": suppliers[0] if suppliers else buyer,
            }
            for i, p in enumerate(contract.payments, start=1)
        ]
    if uk:
        _performance(contract, entry, implementation)
    if implementation:
        entry["implementation"] = implementation
    tags = ["award", "contract"] + (["implementation"] if implementation else [])
    content: dict[str, Any] = {
        "ocid": project.ocid,
        "tag": tags,
        "initiationType": "tender",
        "parties": parties,
        "buyer": _buyer(project),
        "tender": {"id": project.ref},
        "awards": [award],
        "contracts": [entry],
    }
    payers = {p.payer for p in contract.payments}
    for name in sorted(payers):
        content["parties"].append({"id": party_id("payer", name), "name": name, "roles": ["payer"]})
    return {"id": release_id(project.ocid, contract.ref, content), "date": stamp(dated), **content}


def _performance(contract: ContractFacts, entry: dict[str, Any], implementation: dict[str, Any]) -> None:
    """UK profile: the KPIs as agreed metrics, their readings and ratings as metrics, the notices as documents."""
    if contract.kpis:
        entry["agreedMetrics"] = agreed_metrics(contract.kpis)
        if metrics := implementation_metrics(contract.kpis):
            implementation["metrics"] = metrics
    elif contract.no_kpis_because:
        entry["noAgreedMetricsRationale"] = contract.no_kpis_because
    if contract.notices:
        entry["documents"] = notice_documents(contract.notices)
