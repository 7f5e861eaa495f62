"""A realistic demonstration portfolio for Northbridge Borough Council.

Seven projects, each with a dated history that goes through the real stage
flows: one stuck in Analyse on weak evidence, one refused at the Plan gate,
a youth-justice tender that failed and went back to Plan, a service under
review that continues, one recommissioned into a second cycle, and one
decommissioned. Building it is idempotent and resumable: a finished project
is left as it is, and one that was interrupted carries on from its next step.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import col, func, select

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.contracts.register import Row, add_contracts
from flows.cycle.evidence import add_evidence
from flows.cycle.gates import check_advance
from flows.cycle.projects import create_project
from flows.cycle.records import add_record
from models.cycle import get_project
from models.db import unit_of_work
from models.events import Event
from policies.dates import parse_as_of

ACTOR = "demo"


def _instant(day: str) -> dt.datetime:
    instant, why = parse_as_of(f"{day}T10:00:00")
    if instant is None:
        raise ValueError(why)
    return dt.datetime.fromtimestamp(instant.timestamp(), dt.UTC)


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

Advance = Callable[..., dict[str, Any]]


def demo_progress(engine: Any) -> dict[str, int]:
    """How many steps of each demo project are done (creation counts as one).

    Every step writes exactly one event as the demo actor, in the same
    transaction as its change, so counting those events says where a project's
    script stopped, even after a crash or Ctrl-C part-way through.
    """
    refs = [p.ref for p in PORTFOLIO]
    with unit_of_work(engine) as session:
        rows = session.exec(
            select(Event.entity_ref, func.count())
            .where(Event.actor == ACTOR, Event.entity == "project", col(Event.entity_ref).in_(refs))
            .group_by(col(Event.entity_ref))
        ).all()
        taken = {p.ref for p in PORTFOLIO if get_project(session=session, ref=p.ref) is not None}
    done = {ref: int(n) for ref, n in rows}
    for ref in taken - set(done):
        raise UserError(f"project {ref} exists but was not made by the demo; use another data dir for the demo")
    return done


def unfinished(engine: Any) -> list[tuple[DemoProject, int]]:
    """Demo projects not fully built yet, with the number of steps already done."""
    done = demo_progress(engine)
    return [(p, done.get(p.ref, 0)) for p in PORTFOLIO if done.get(p.ref, 0) < len(p.steps) + 1]


def build_portfolio(settings: Settings, run_flow: Advance, engine: Any) -> list[str]:
    """Build, or finish building, every demo project; return the refs touched."""
    touched = []
    for project, done in unfinished(engine):
        _play(settings, project, run_flow, done)
        touched.append(project.ref)
    return touched


def _play(settings: Settings, project: DemoProject, run_flow: Advance, done: int) -> None:
    if done == 0:
        create_project(
            settings,
            ref=project.ref,
            title=project.title,
            service_area=project.area,
            owner=project.owner,
            description=project.description,
            stage=project.start_stage,
            as_of=_instant(project.start_day),
            actor=ACTOR,
        )
    for step in project.steps[max(done - 1, 0) :]:
        when = _instant(step.day)
        if step.action == "evidence":
            add_evidence(settings, ref=project.ref, fields=step.args, as_of=when, actor=ACTOR)
        elif step.action == "record":
            add_record(
                settings,
                ref=project.ref,
                kind=step.args["kind"],
                value=step.args["value"],
                on=dt.date.fromisoformat(step.day),
                note=step.args["note"],
                link=None,
                as_of=when,
                actor=ACTOR,
            )
        elif step.action == "contract":
            add_contracts(
                settings, [Row(f"demo {project.ref}", {**step.args, "project": project.ref})], as_of=when, actor=ACTOR
            )
        elif step.action == "advance":
            request = check_advance(
                settings, ref=project.ref, to=step.args["to"], reason=step.args["reason"], as_of=when
            )
            result = run_flow(request, as_of=when, actor=ACTOR)
            if result["outcome"] == "conflict":
                raise UserError(result["message"])
        else:
            raise ValueError(f"unknown demo step {step.action}")


# --------------------------------------------------------------------------- payment by results

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PBR_CONTRACT = "FCF-2025-01"
PBR_AS_OF = "2026-11-23T09:00"
PBR_PERIODS = ("2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3")


def build_payment_by_results(settings: Settings) -> dict[str, Any]:
    """A payment-by-results contract on the Fair Chance Fund rate card, its claims, and a year of quarterly runs.

    Idempotent like the rest of the demo: each import and run happens once.
    The claims import and the runs go through the Prefect flows (call after ``configure_prefect``).
    """
    from flows.contracts.register import contract_detail
    from flows.pbr.participants import import_participants
    from flows.pbr.pbr_flows import run
    from flows.pbr.ratecards import import_rate_card

    when = _instant("2025-09-15")
    try:
        contract_detail(settings, PBR_CONTRACT)
    except UserError:
        fields = {
            "ref": PBR_CONTRACT,
            "title": "Young people's homelessness: outcomes contract (Fair Chance Fund rate card)",
            "provider": "Northbridge Young People's Trust",
            "project": "HOM-2024-03",
            "value": "1500000.00",
            "start": "2025-10-01",
            "term": "3 years",
            "payment_model": "payment_by_results",
            "kpis": "Accommodation sustained at 12 months; Entries to education or work",
            "signed_on": "2025-09-15",
        }
        add_contracts(settings, [Row("demo", fields)], as_of=when, actor=ACTOR)
    import_rate_card(settings, EXAMPLES / "fair-chance-fund.yaml", as_of=when, actor=ACTOR)
    as_of = parse_as_of(PBR_AS_OF, settings.timezone)[0]
    assert as_of is not None
    # Imported with the claims, after the last referral (2026-10-01): a referral after its import is refused.
    import_participants(settings, EXAMPLES / "fcf-participants.csv", as_of=as_of, actor=ACTOR)
    claims = run("import-claims", path=str(EXAMPLES / "fcf-claims.csv"), as_of=as_of.isoformat(), actor=ACTOR)
    runs = [
        run("payment-run", contract=PBR_CONTRACT, period=period, as_of=as_of.isoformat(), actor=ACTOR)
        for period in PBR_PERIODS
    ]
    return {"claims": claims, "runs": runs, "reconciliation": run("reconcile", contract=PBR_CONTRACT)}
