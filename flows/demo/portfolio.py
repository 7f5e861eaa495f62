"""A realistic demonstration portfolio for Northbridge Borough Council: seven projects and their contracts.

Seven projects, each with a dated history that goes through the real stage
flows: one stuck in Analyse on weak evidence, one refused at the Plan gate,
a youth-justice tender that failed and went back to Plan, a service under
review that continues, one recommissioned into a second cycle, and one
decommissioned. This module is the script as data (each step a day and an
action); ``flows.demo.build`` plays it through the services.
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Step:
    day: str
    action: str  # evidence | record | contract | advance
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoProject:
    ref: str
    title: str
    area: str
    owner: str
    description: str
    start_day: str
    start_stage: str
    steps: tuple[Step, ...]


def ev(
    day: str,
    kind: str,
    source: str,
    by: str,
    strength: str,
    *,
    reviewed: bool = True,
    method: str = "quasi-experimental",
    fit: str = "high",
    summary: str = "",
) -> Step:
    return Step(
        day,
        "evidence",
        {
            "kind": kind,
            "source": source,
            "produced_by": by,
            "strength": strength,
            "independently_reviewed": reviewed,
            "method": method,
            "context_fit": fit,
            "summary": summary or source,
        },
    )


def rec(day: str, kind: str, value: str, note: str = "") -> Step:
    return Step(day, "record", {"kind": kind, "value": value, "note": note})


def contract(day: str, **fields: str) -> Step:
    return Step(day, "contract", fields)


def adv(day: str, to: str | None = None, reason: str | None = None) -> Step:
    return Step(day, "advance", {"to": to, "reason": reason})


JSNA = ("local_need", "Northbridge Joint Strategic Needs Assessment 2025", "Northbridge Public Health", "sms:1")

PORTFOLIO: tuple[DemoProject, ...] = (
    DemoProject(
        "FAM-2026-01",
        "Family hubs and early help",
        "Children and families",
        "Priya Shah",
        "Bring early help for families with children under 5 into four family hubs.",
        "2025-09-01",
        "analyse",
        (
            ev(
                "2025-09-15",
                *JSNA,
                method="descriptive statistics",
                summary="1 in 5 under-5s live in low-income families",
            ),
            ev(
                "2025-10-06",
                "what_works",
                "Family Nurse Partnership: Building Blocks 2-6 follow-up",
                "Cardiff University",
                "eif:4",
                method="RCT",
                summary="Reduced child maltreatment by age 6",
            ),
            ev(
                "2025-10-20",
                "user_voice",
                "Parents' panel on early help, autumn 2025",
                "Healthwatch Northbridge",
                "sms:1",
                reviewed=False,
                method="focus groups",
                summary="Parents want one front door",
            ),
            adv("2025-11-03"),
            rec("2025-12-01", "business_case", "draft", "Drafted for Cabinet in March"),
            rec("2026-01-12", "specification", "draft"),
            adv("2026-02-02"),
        ),
    ),
    DemoProject(
        "YJP-2025-02",
        "Youth justice prevention (ages 10-17)",
        "Community safety",
        "Tom Okafor",
        "Divert young people from first-time entry to the youth justice system.",
        "2025-01-06",
        "analyse",
        (
            ev(
                "2025-01-20",
                "local_need",
                "Youth Justice Board first-time entrants data 2024",
                "Youth Justice Board",
                "sms:2",
                method="before and after",
                summary="First-time entrants up 14% in two years",
            ),
            ev(
                "2025-02-03",
                "what_works",
                "Turnaround programme evaluation",
                "Ministry of Justice",
                "sms:3",
                method="quasi-experimental",
                fit="high",
                summary="Lower reoffending at 12 months",
            ),
            adv("2025-02-17"),
            rec("2025-03-10", "business_case", "approved", "Cabinet 10 March 2025"),
            rec("2025-03-24", "specification", "final"),
            rec("2025-03-24", "outcomes_framework", "agreed"),
            rec("2025-03-31", "procurement_route", "open"),
            adv("2025-04-01"),
            adv(
                "2025-06-16",
                to="plan",
                reason="Tender YJP-T1 closed with no compliant bid; lots too large for local VCS",
            ),
            rec(
                "2025-07-14", "procurement_route", "competitive_flexible", "Re-let in two lots after market engagement"
            ),
            adv("2025-07-21"),
            adv("2025-10-06"),
        ),
    ),
    DemoProject(
        "HOM-2024-03",
        "Housing First for young people (18-24)",
        "Housing",
        "Aisha Rahman",
        "Housing First places for young people sleeping rough, with payment by outcomes.",
        "2024-04-01",
        "do",
        (
            rec("2024-05-20", "award", "Northbridge Young People's Trust", "Awarded after open procedure"),
            contract(
                "2024-05-28",
                ref="HOM-2024-03-C1",
                title="Housing First for young people (18-24)",
                provider="Northbridge Young People's Trust",
                value="2400000.00",
                start="2024-06-01",
                term="3+1+1",
                extension_notice="12 weeks",
                break_on="2026-05-31",
                break_notice="3 months",
                payment_model="hybrid",
                kpis="Tenancies sustained at 12 months; Entries to education or work",
                award_notice_on="2024-05-07",
                signed_on="2024-05-28",
            ),
            adv("2024-06-03"),
            rec("2026-05-18", "review_decision", "continue", "Annual review: 3 of 4 KPIs met"),
            adv("2026-05-19"),
        ),
    ),
    DemoProject(
        "DAS-2026-01",
        "Domestic abuse safe accommodation",
        "Community safety",
        "Grace Bell",
        "Refuge and dispersed safe accommodation under the Domestic Abuse Act 2021 duty.",
        "2026-01-05",
        "analyse",
        (
            ev(
                "2026-01-19",
                "local_need",
                "Domestic Abuse Act needs assessment 2026",
                "Northbridge DA Partnership",
                "sms:1",
                method="mixed methods",
            ),
            ev(
                "2026-02-09",
                "what_works",
                "Local refuge outcomes snapshot",
                "Northbridge Refuge",
                "eif:2",
                reviewed=False,
                method="case file review",
                fit="high",
                summary="Promising but unreviewed",
            ),
            adv("2026-02-16"),
        ),
    ),
    DemoProject(
        "CAR-2023-01",
        "Carers' support service",
        "Adult social care",
        "Ben Hughes",
        "Information, breaks and assessments for unpaid carers.",
        "2023-04-03",
        "review",
        (
            ev(
                "2026-03-02",
                "local_evaluation",
                "Carers' service evaluation 2025",
                "Northbridge Insight Team",
                "sms:2",
                method="mixed methods",
                summary="High satisfaction, low reach among young carers",
            ),
            rec("2026-03-16", "review_decision", "recommission", "Contract expires March 2027; reach must improve"),
            adv("2026-03-17"),
            ev(
                "2026-04-13",
                "user_voice",
                "Young carers' survey 2026",
                "Carers Northbridge",
                "sms:1",
                reviewed=False,
                method="survey",
                summary="Young carers want support in schools",
            ),
        ),
    ),
    DemoProject(
        "DAY-2021-01",
        "Day centres for older people",
        "Adult social care",
        "Ben Hughes",
        "Three building-based day centres, replaced by community day opportunities.",
        "2021-04-01",
        "review",
        (
            rec("2025-11-10", "review_decision", "decommission", "Cabinet 10 Nov 2025: replaced by community offer"),
            adv("2025-11-11"),
        ),
    ),
    DemoProject(
        "SMT-2025-01",
        "Substance misuse treatment and recovery",
        "Public health",
        "Priya Shah",
        "Integrated drug and alcohol treatment, funded by the public health grant.",
        "2025-03-03",
        "analyse",
        (
            ev("2025-03-17", "local_need", "Drug and alcohol needs assessment 2024", "OHID", "sms:1"),
            ev(
                "2025-03-17",
                "what_works",
                "NICE guideline NG64 evidence review",
                "NICE",
                "sms:4",
                method="systematic review",
                fit="medium",
            ),
            adv("2025-03-31"),
            rec("2025-05-12", "business_case", "approved"),
            rec("2025-05-12", "specification", "final"),
            rec("2025-05-12", "outcomes_framework", "agreed"),
            rec("2025-05-19", "procurement_route", "light_touch"),
            adv("2025-05-26"),
            rec("2025-09-01", "award", "Recovery Partnership CIC"),
            contract(
                "2025-09-22",
                ref="SMT-2025-01-C1",
                title="Integrated drug and alcohol treatment",
                provider="Recovery Partnership CIC",
                value="6750000.00",
                start="2025-10-01",
                term="4+2+1",
                extension_notice="6 months",
                break_rolling_from="2027-10-01",
                break_notice="6 months",
                break_party="either",
                kpis="Successful completions; Waiting times under 3 weeks; Naloxone supplied; Deaths in treatment",
                award_notice_on="2025-09-01",
                signed_on="2025-09-22",
            ),
            adv("2025-10-01"),
        ),
    ),
)

SHOWCASE = "YJP-2025-02"
