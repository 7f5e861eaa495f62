"""Reconciliation: for a contract, by period and outcome and by payer, where every penny claimed went.

Rule, per period (of the achieved date, by the card's payment frequency) and outcome:
  claimed = accepted + capped + rejected   (to the penny)
  accepted = paid + outstanding + capped at run (accepted but not paid because a run-time cap bit)
and clawed back is what was later recovered from paid claims. Rejected value
(what was claimed and neither accepted nor capped) is attributed to the
claim's first reason that is not a cap: a claim's caps take only what it
capped, so an accepted claim's rejected part is what it claimed above the card
price (above_price), and so is a capped-out one's. Counts are per reason. Per
payer: accrued, paid, clawed back, reversed, and the balance (positive: owed
to the provider; negative: owed back). Headroom is each cap less what has
been accepted, net of clawbacks (the caps table names it so: "accepted, net of clawbacks"; "paid,
before clawbacks" is what runs paid, gross). Every amount reads in pounds and pence.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.contract import cards_for, contract_id, pbr_contract
from models.db import unit_of_work
from models.pbr.ledger import (
    ACCRUAL,
    CLAWBACK,
    OUTCOME,
    PAYMENT,
    REVERSAL,
    clawed_by_day,
    payments_by_run,
    runs_of,
)
from models.pbr.reconcile_sums import claim_sums, contract_claims, reason_sums, top_participant
from models.pbr.totals import sums_by_kind
from policies.dates import YEARS
from policies.pbr.payments import period_of
from policies.pbr.ratecard import RateCard

ZERO = Decimal(0)
OUTSIDE_PERIODS = f"dated outside {YEARS.start}-{YEARS.stop - 1}"  # the period of a claim no period can hold
MONEY = ("claimed", "accepted", "capped", "rejected", "paid", "clawed_back", "outstanding")


def _pounds(pence: int) -> Decimal:
    return Decimal(pence) / 100


@dataclass
class Reconciliation:
    contract: str
    provider: str
    currency: str
    rows: list[dict[str, Any]]  # per period and outcome
    totals: dict[str, Any]
    rejected_by_reason: list[dict[str, Any]]
    payers: list[dict[str, Any]]
    caps: list[dict[str, Any]]
    timeline: list[dict[str, Any]]  # cumulative paid per run

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def reconcile(settings: Settings, contract_ref: str) -> Reconciliation:
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, contract_ref)
        cid = contract_id(contract)
        cards = cards_for(session, contract)
        if not cards:
            raise UserError(f"contract {contract_ref} has no rate card yet; nothing to reconcile")
        frequency = cards[-1].frequency
        clawed_by_claim_day = clawed_by_day(session=session, contract_id=cid)
        by_payer = sums_by_kind(session=session, contract_id=cid)  # the running totals: a few rows
        by_run = payments_by_run(session=session, contract_id=cid)
        runs = runs_of(session=session, contract_id=cid)
        claims = contract_claims(session, cid)
        grouped = claim_sums(session, claims)  # one pass over the claims and what runs accrued for them
        with_reasons = reason_sums(session, claims)
        # the participant with the most accepted: read only for the participant cap's row
        top = top_participant(session, claims) if cards[-1].participant_cap is not None else None

    periods: dict[Any, str] = {}  # a few thousand days, each read once

    def key(day: Any, outcome: str) -> tuple[str, str]:
        label = periods.get(day)
        if label is None:
            on = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
            # a claim stored before its day was bounded (0001-01-01, rejected) has no period: a row of its own
            label = periods[day] = period_of(on, frequency).label if on.year in YEARS else OUTSIDE_PERIODS
        return label, outcome

    cells: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"claims": 0, "accepted_claims": 0, "rejected_claims": 0, **dict.fromkeys(MONEY, 0)}
    )
    reasons: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for day, outcome, count, rejected, claimed, payable, capped, unpaid, accrued in grouped:
        cell = cells[key(day, outcome)]
        cell["outstanding"] += unpaid
        cell["paid"] += accrued
        cell["claims"] += count
        cell["claimed"] += claimed
        cell["accepted"] += payable
        cell["capped"] += capped
        cell["rejected"] += claimed - payable - capped
        cell["rejected_claims"] += rejected
        cell["accepted_claims"] += count - rejected
    for codes, count, value in with_reasons:
        code_list = [c for c in codes.split(",") if c]
        for code in code_list:
            reasons[code][0] += count
        if code_list:  # an accepted claim's only reason not a cap is above_price: its rejected part is that
            first = next((c for c in code_list if not c.startswith("over_")), code_list[0])
            reasons[first][1] += value
    for day, outcome, clawed in clawed_by_claim_day:
        cell = cells[key(day, outcome)]
        cell["clawed_back"] += clawed
    rows = []
    for (period, outcome), cell in sorted(cells.items()):
        rows.append({"period": period, "outcome": outcome, **_money(cell)})
    totals: dict[str, Any] = {"claims": 0, "accepted_claims": 0, "rejected_claims": 0, **dict.fromkeys(MONEY, 0)}
    for cell in cells.values():
        for name in totals:
            totals[name] += cell[name]
    recoveries = sum(-total for _, kind, _, for_claim, total in by_payer if kind == CLAWBACK and not for_claim)
    recoveries -= sum(total for _, kind, _, for_claim, total in by_payer if kind == REVERSAL and not for_claim)
    totals = {**_money(totals), "extrapolated_recoveries": f"{_pounds(recoveries):.2f}"}
    by_reason = [
        {"reason": code, "claims": n, "value": f"{_pounds(v):.2f}"} for code, (n, v) in sorted(reasons.items())
    ]
    return Reconciliation(
        contract.ref,
        contract.provider,
        contract.currency,
        rows,
        totals,
        by_reason,
        _payers(by_payer),
        _caps(cards[-1], cells, top),
        _timeline(runs, by_run),
    )


def _money(cell: dict[str, Any]) -> dict[str, Any]:
    return {k: (f"{_pounds(v):.2f}" if k in MONEY else v) for k, v in cell.items()}


def _payers(by_payer: list[tuple[str, str, str, bool, int]]) -> list[dict[str, Any]]:
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for payer, kind, item, _, total in by_payer:
        row = out[payer]
        if kind == ACCRUAL:
            row["fees" if item != OUTCOME else "outcomes"] += total
        elif kind == PAYMENT:
            row["paid"] += -total
        elif kind == CLAWBACK:
            row["clawed_back"] += -total
        elif kind == REVERSAL:
            row["reversed"] += total
        row["balance"] += total
    names = ("outcomes", "fees", "paid", "clawed_back", "reversed", "balance")
    return [{"payer": p, **{n: f"{_pounds(row[n]):.2f}" for n in names}} for p, row in sorted(out.items())]


def _caps(
    card: RateCard, cells: dict[tuple[str, str], dict[str, Any]], top: tuple[str, int] | None
) -> list[dict[str, Any]]:
    clawed: dict[str, int] = defaultdict(int)
    accepted: dict[str, int] = defaultdict(int)
    paid: dict[str, int] = defaultdict(int)
    for (_, outcome), cell in cells.items():
        clawed[outcome] += cell["clawed_back"]
        accepted[outcome] += cell["accepted"]
        paid[outcome] += cell["paid"]
    rows = []

    def row(name: str, cap: Decimal | None, used: int, paid_pence: int | None) -> None:
        if cap is None:
            return
        rows.append(
            {
                "cap": name,
                "limit": f"{cap:.2f}",
                "accepted": f"{_pounds(used):.2f}",
                "paid": "" if paid_pence is None else f"{_pounds(paid_pence):.2f}",  # None: runs do not pay by it
                "headroom": f"{max(cap - _pounds(used), ZERO):.2f}",
            }
        )

    row("contract", card.contract_cap, sum(accepted.values()) - sum(clawed.values()), sum(paid.values()))
    for code, line in card.outcomes.items():
        row(f"outcome {code}", line.cap, accepted.get(code, 0) - clawed.get(code, 0), paid.get(code, 0))
    if card.participant_cap is not None:
        who, used = top or ("none yet", 0)
        row(f"participant (highest: {who})", card.participant_cap, used, None)
    return rows


def _timeline(runs: list[Any], by_run: dict[int, dict[str, int]]) -> list[dict[str, Any]]:
    running: dict[str, int] = defaultdict(int)
    out = []
    for run in runs:
        for payer, amount in by_run.get(run.id, {}).items():
            running[payer] += amount
        out.append(
            {
                "period": run.period,
                "date": run.period_end.isoformat(),
                "paid": {p: f"{_pounds(v):.2f}" for p, v in sorted(running.items())},
                "total": f"{_pounds(sum(running.values())):.2f}",
            }
        )
    return out


# --------------------------------------------------------------------------- exports

ROW_HEADER = ("provider", "contract", "period", "outcome", "claims", "accepted_claims", "rejected_claims", *MONEY)


def _table_rows(report: Reconciliation) -> list[list[Any]]:
    return [
        [
            report.provider,
            report.contract,
            r["period"],
            r["outcome"],
            r["claims"],
            r["accepted_claims"],
            r["rejected_claims"],
            *(Decimal(r[m]) for m in MONEY),
        ]
        for r in report.rows
    ]


def export_csv(report: Reconciliation, path: Path) -> None:
    from flows.pbr.exports import write_csv

    write_csv(path, ROW_HEADER, _table_rows(report))


CAPS_HEADER = ("cap", "limit", "accepted, net of clawbacks", "paid, before clawbacks", "headroom")
PAYER_MONEY = ("outcomes", "fees", "paid", "clawed_back", "reversed", "balance")
MAIN, REASONS, PAYERS, CAPS = "By period and outcome", "Rejected by reason", "By payer", "Caps"


def export_xlsx(report: Reconciliation, path: Path, *, generated: dt.datetime, actor: str) -> None:
    """Every table, a worksheet each, under a title naming the contract, when and by whom it was generated
    (``generated`` in the organisation's zone), with a totals row of exact sums, and on the first sheet the
    extrapolated recoveries, which belong to no one claim and so to no row."""
    from flows.pbr.exports import write_xlsx

    made = f"generated {generated:%Y-%m-%d %H:%M} {generated.tzname() or ''} by {actor}".replace("  ", " ")
    money = f"({report.currency})"

    def heading(what: str, *more: list[Any]) -> list[list[Any]]:
        return [[f"{report.contract} ({report.provider}): {what} {money}"], [made], *more, []]

    t = report.totals
    recovered = Decimal(t["extrapolated_recoveries"])
    reasons_value = sum((Decimal(r["value"]) for r in report.rejected_by_reason), ZERO)
    payers_total = [sum((Decimal(p[n]) for p in report.payers), ZERO) for n in PAYER_MONEY]
    write_xlsx(
        path,
        [
            (MAIN, ROW_HEADER, _table_rows(report)),
            (
                REASONS,
                ("reason", "claims", "value"),
                [[r["reason"], r["claims"], Decimal(r["value"])] for r in report.rejected_by_reason],
            ),
            (
                PAYERS,
                ("payer", *PAYER_MONEY),
                [[p["payer"], *(Decimal(p[n]) for n in PAYER_MONEY)] for p in report.payers],
            ),
            (
                CAPS,
                CAPS_HEADER,
                [
                    [
                        c["cap"],
                        *(
                            Decimal(c[n]) if c[n] else c[n]  # "" is a participant cap's paid: no amount
                            for n in ("limit", "accepted", "paid", "headroom")
                        ),
                    ]
                    for c in report.caps
                ],
            ),
        ],
        headings={
            MAIN: heading(
                "reconciliation by period and outcome",
                ["extrapolated recoveries raised (belong to no one claim, so not in the rows below)", recovered],
            ),
            REASONS: heading("rejected by reason (a claim counts under each of its reasons)"),
            PAYERS: heading("by payer"),
            CAPS: heading("caps and headroom"),
        },
        totals={
            MAIN: [
                "total",
                report.contract,
                "",
                "",
                t["claims"],
                t["accepted_claims"],
                t["rejected_claims"],
                *(Decimal(t[m]) for m in MONEY),
            ],
            REASONS: ["total", None, reasons_value],
            PAYERS: ["total", *payers_total],
        },
    )


def export_chart(report: Reconciliation, path: Path) -> None:
    from flows.pbr.exports import write_chart

    series: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for point in report.timeline:
        day = dt.date.fromisoformat(point["date"])
        series["total"].append((day, Decimal(point["total"])))
        for payer, amount in point["paid"].items():
            series[payer].append((day, Decimal(amount)))
    caps = {c["cap"]: Decimal(c["limit"]) for c in report.caps if c["cap"] == "contract"}
    write_chart(path, title=f"{report.contract}: cumulative payments against the caps", series=series, caps=caps)
