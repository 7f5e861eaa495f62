"""Payment by results, step two: payment runs, clawbacks, reversals and post-payment samples.

Everything here writes to the append-only ledger (models/pbr.py) in one
transaction with its event. A run for a contract and period happens once;
asking again shows the first. A payment schedule per payer is written
beside the database (``<data dir>/payments/<contract>/<period>/<payer>.csv``)
and rewritten from the ledger if it is missing.
"""

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.common.tabular import open_table
from flows.pbr.claims_import import cards_for, contract_id, pbr_contract
from flows.pbr.exports import write_csv
from models.contracts import Contract
from models.db import unit_of_work
from models.events import append_event
from models.pbr.bulk import bulk_insert, driver_value
from models.pbr.claims import PbrClaim, accepted_claims, claim_facts, claims_by_ref, participant_facts
from models.pbr.ledger import (
    ACCRUAL,
    ATTACHMENT_FEE,
    CLAWBACK,
    LEDGER_COLUMNS,
    OUTCOME,
    PAYMENT,
    RECOVERY,
    REVERSAL,
    SERVICE_FEE,
    LedgerEntry,
    LedgerRow,
    PaymentRun,
    SampleItem,
    ValidationSample,
    accrued_fees,
    ledger_balances,
    ledger_of,
    net_paid,
    run_for,
    sample_for,
    sample_items,
)
from policies.dates import local_date
from policies.pbr.participants import Participant
from policies.pbr.payments import ContractFacts, DueClaim, PaidSoFar, Period, parse_period, plan_run, split
from policies.pbr.ratecard import RateCard, version_for
from policies.pbr.sampling import draw, extrapolate

ZERO = Decimal(0)


def pounds(pence: int) -> Decimal:
    return Decimal(pence) / 100


def pence(amount: Decimal) -> int:
    return int(amount * 100)


def _period(cards: Sequence[RateCard], text: str) -> Period:
    period, why = parse_period(text, cards[-1].frequency)
    if period is None:
        raise UserError(f"--period: {why}")
    return period


def _cards(session: Any, contract: Contract) -> list[RateCard]:
    cards = cards_for(session, contract)
    if not cards:
        raise UserError(f"contract {contract.ref} has no rate card; import one with `commission ratecard import`")
    return cards


# --------------------------------------------------------------------------- payment runs


@dataclass
class RunResult:
    contract: str
    provider: str
    period: str
    existing: bool
    run_on: str
    summary: dict[str, Any]
    schedules: list[str]

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def payment_run(
    settings: Settings, contract_ref: str, period_text: str, *, as_of: dt.datetime, actor: str
) -> RunResult:
    """Pay a period in arrears, once; a second request shows the first run."""
    today = local_date(as_of, settings.timezone)
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, contract_ref)
        cid = contract_id(contract)
        cards = _cards(session, contract)
        period = _period(cards, period_text)
        existing = run_for(session=session, contract_id=cid, period=period.label)
        if existing is not None:
            return _result(settings, session, contract, existing, existing=True)
        if today <= period.end:
            raise UserError(
                f"{period.label} ends on {period.end}; it is paid in arrears, from {period.end + dt.timedelta(days=1)}"
            )
        attachment_fees = any(card.attachment_fee for card in cards)
        plan = plan_run(
            period,
            cards,
            _due(session, cid, period.end),
            _paid_so_far(session, cid),
            unpaid_referrals=_unpaid_referrals(session, cid) if attachment_fees else (),
            service_months_paid=frozenset(
                accrued_fees(session=session, contract_id=cid, item=SERVICE_FEE, column="month")
            ),
            contract=ContractFacts(pounds(contract.value_pence), contract.start, contract.initial_term_months),
            balances={p: pounds(v) for p, v in ledger_balances(session=session, contract_id=cid).items()},
        )
        summary = {
            "claims": len(plan.lines),
            "outcomes": f"{sum((line.paid for line in plan.lines), ZERO):.2f}",
            "capped_at_run": f"{sum((line.capped for line in plan.lines), ZERO):.2f}",
            "fees": f"{sum((f.amount for f in plan.fees), ZERO):.2f}",
            "paid": f"{plan.total_paid:.2f}",
            "payers": {
                p.payer: {
                    "outcomes": f"{p.outcomes:.2f}",
                    "fees": f"{p.fees:.2f}",
                    "owed_before": f"{p.owed_before:.2f}",
                    "recovered": f"{p.recovered:.2f}",
                    "payment": f"{p.payment:.2f}",
                    "carried": f"{p.carried:.2f}",
                }
                for p in plan.payers
            },
            "capped": [
                {"claim": line.claim.ref, "capped": f"{line.capped:.2f}", "why": list(line.notes)}
                for line in plan.lines
                if line.capped
            ],
        }
        run = PaymentRun(
            contract_id=cid,
            period=period.label,
            period_start=period.start,
            period_end=period.end,
            run_on=today,
            summary=summary,
            created_at=as_of,
            actor=actor,
        )
        session.add(run)
        session.flush()
        assert run.id is not None
        # Every entry is written on the same day by the same run: its dates go in the driver's form once.
        base = {
            "contract_id": cid,
            "entry_on": driver_value(session, today),
            "run_id": run.id,
            "created_at": driver_value(session, as_of),
            "actor": actor,
        }
        entries: list[dict[str, Any]] = []
        for line in plan.lines:
            for payer, share in line.shares:
                if share:
                    entries.append(
                        {
                            **base,
                            "payer": payer,
                            "kind": ACCRUAL,
                            "item": OUTCOME,
                            "amount_pence": pence(share),
                            "claim_id": line.claim.claim_id,
                            "participant": line.claim.participant,
                            "memo": f"{line.claim.outcome} {line.claim.ref}",
                        }
                    )
        for fee in plan.fees:
            for payer, share in fee.shares:
                if share:
                    memo = f"attachment fee {fee.participant}" if fee.participant else f"service fee {fee.month}"
                    entries.append(
                        {
                            **base,
                            "payer": payer,
                            "kind": ACCRUAL,
                            "item": fee.item,
                            "amount_pence": pence(share),
                            "participant": fee.participant,
                            "month": fee.month,
                            "memo": memo,
                        }
                    )
        for total in plan.payers:
            if total.payment:
                entries.append(
                    {
                        **base,
                        "payer": total.payer,
                        "kind": PAYMENT,
                        "item": "run",
                        "amount_pence": -pence(total.payment),
                        "memo": f"payment for {period.label}",
                    }
                )
        bulk_insert(session, "pbr_ledger", LEDGER_COLUMNS, (_ledger_row(e) for e in entries), prepared=True)
        append_event(
            session=session,
            effective_at=as_of,
            actor=actor,
            entity="contract",
            entity_ref=contract.ref,
            action="payment_run",
            reason=f"payment run for {period.label}",
            after={"period": period.label, "paid": summary["paid"], "claims": summary["claims"]},
        )
        return _result(settings, session, contract, run, existing=False)


def _ledger_row(entry: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(entry.get(c, "" if c == "memo" else None) for c in LEDGER_COLUMNS)


def _due(session: Any, cid: int, end: dt.date) -> list[DueClaim]:
    """Accepted claims achieved by ``end`` that no run has paid yet, in the order achieved."""
    return [
        DueClaim(claim_id, ref, participant, outcome, achieved_on, pounds(payable))
        for claim_id, ref, participant, outcome, achieved_on, payable in accepted_claims(
            session=session, contract_id=cid, unpaid_by=end
        )
    ]


def _paid_so_far(session: Any, cid: int) -> PaidSoFar:
    """Net paid per participant and outcome: accruals, less clawbacks, plus reversals of clawbacks."""
    participant, outcome = net_paid(session=session, contract_id=cid)
    return PaidSoFar(
        {who: pounds(amount) for who, amount in participant.items()},
        {what: pounds(amount) for what, amount in outcome.items()},
        pounds(sum(outcome.values())),
    )


def _unpaid_referrals(session: Any, cid: int) -> list[Participant]:
    paid = accrued_fees(session=session, contract_id=cid, item=ATTACHMENT_FEE, column="participant")
    return [
        Participant(ref, referral, born, attributes or {})
        for ref, referral, born, attributes in participant_facts(session=session, contract_id=cid)
        if ref not in paid
    ]


def _result(settings: Settings, session: Any, contract: Contract, run: PaymentRun, *, existing: bool) -> RunResult:
    schedules = write_schedules(settings, session, contract, run)
    return RunResult(
        contract.ref, contract.provider, run.period, existing, run.run_on.isoformat(), run.summary, schedules
    )


SCHEDULE_HEADER = (
    "contract",
    "provider",
    "period",
    "payer",
    "item",
    "claim_ref",
    "participant",
    "outcome",
    "achieved_on",
    "amount",
)


def write_schedules(settings: Settings, session: Any, contract: Contract, run: PaymentRun) -> list[str]:
    """One CSV per payer: every line the run accrued for it, any recovery netted off, and the payment."""
    folder = settings.data_dir / "payments" / _safe(contract.ref) / run.period
    entries = ledger_of(session=session, contract_id=contract_id(contract), run_id=run.id)
    claims = claim_facts(session=session, ids=sorted({e.claim_id for e in entries if e.claim_id}))
    paths = []
    for payer, summary in sorted(run.summary["payers"].items()):
        rows: list[list[Any]] = []
        for e in entries:
            if e.payer != payer or e.kind != ACCRUAL:
                continue
            claim = claims.get(e.claim_id) if e.claim_id else None
            rows.append(
                [
                    contract.ref,
                    contract.provider,
                    run.period,
                    payer,
                    e.item,
                    claim[0] if claim else "",
                    e.participant or "",
                    claim[2] if claim else "",
                    claim[3] if claim else None,
                    pounds(e.amount_pence),
                ]
            )
        before, recovered = Decimal(summary["owed_before"]), Decimal(summary["recovered"])
        if recovered:
            rows.append([contract.ref, contract.provider, run.period, payer, "recovery", "", "", "", None, -recovered])
        elif before > 0:
            rows.append(
                [contract.ref, contract.provider, run.period, payer, "brought forward", "", "", "", None, before]
            )
        rows.append(
            [
                contract.ref,
                contract.provider,
                run.period,
                payer,
                "payment",
                "",
                "",
                "",
                None,
                Decimal(summary["payment"]),
            ]
        )
        path = folder / f"{_safe(payer)}.csv"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_csv(path, SCHEDULE_HEADER, rows)
        paths.append(str(path))
    return paths


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "payer"


# --------------------------------------------------------------------------- clawbacks and reversals


@dataclass
class ClawbackResult:
    contract: str
    claim: str
    entries: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def clawback(
    settings: Settings,
    contract_ref: str,
    claim_ref: str,
    *,
    reason: str,
    as_of: dt.datetime,
    actor: str,
    reverse: bool = False,
) -> ClawbackResult:
    """Claw back a paid claim found invalid (recovered from the next run), or reverse such a clawback."""
    if not reason.strip():
        raise UserError("--reason: say why (it goes in the ledger and the audit log)")
    today = local_date(as_of, settings.timezone)
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, contract_ref)
        cid = contract_id(contract)
        claim = claims_by_ref(session=session, contract_id=cid, refs=[claim_ref]).get(claim_ref)
        if claim is None:
            raise UserError(f"contract {contract_ref} has no accepted claim {claim_ref!r}")
        assert claim.id is not None
        mine = ledger_of(session=session, contract_id=cid, claim_id=claim.id)
        open_clawbacks = _open_clawbacks(mine)
        base = {
            "contract_id": cid,
            "entry_on": today,
            "claim_id": claim.id,
            "participant": claim.participant,
            "created_at": as_of,
            "actor": actor,
        }
        entries: list[dict[str, Any]] = []
        if reverse:
            if not open_clawbacks:
                raise UserError(f"claim {claim_ref} has no clawback to reverse")
            for e in open_clawbacks:
                entries.append(
                    {
                        **base,
                        "payer": e.payer,
                        "kind": REVERSAL,
                        "item": e.item,
                        "amount_pence": -e.amount_pence,
                        "reverses_id": e.id,
                        "memo": reason,
                    }
                )
        else:
            if open_clawbacks:
                raise UserError(f"claim {claim_ref} was already clawed back on {open_clawbacks[0].entry_on}")
            net = _held_by_payer(mine, claim.id)
            if not any(net.values()):
                raise UserError(f"claim {claim_ref} has not been paid; nothing to claw back")
            for payer, amount in sorted(net.items()):
                if amount:
                    entries.append(
                        {
                            **base,
                            "payer": payer,
                            "kind": CLAWBACK,
                            "item": OUTCOME,
                            "amount_pence": -amount,
                            "memo": reason,
                        }
                    )
        for entry in entries:
            session.add(LedgerEntry(**entry))
        append_event(
            session=session,
            effective_at=as_of,
            actor=actor,
            entity="contract",
            entity_ref=contract.ref,
            action="clawback_reversed" if reverse else "clawback",
            reason=reason,
            after={"claim": claim_ref, "amount": f"{pounds(-sum(e['amount_pence'] for e in entries)):.2f}"},
        )
    shown = [{"payer": e["payer"], "kind": e["kind"], "amount": f"{pounds(e['amount_pence']):.2f}"} for e in entries]
    return ClawbackResult(contract_ref, claim_ref, shown)


def _open_clawbacks(ledger: Sequence[LedgerRow]) -> list[LedgerRow]:
    """Clawbacks of single claims that no reversal has undone."""
    reversed_ids = {e.reverses_id for e in ledger if e.reverses_id}
    return [e for e in ledger if e.kind == CLAWBACK and e.claim_id is not None and e.id not in reversed_ids]


def _held_by_payer(ledger: Iterable[LedgerRow], claim_id: int | None) -> dict[str, int]:
    """What each payer has paid for a claim and not clawed back (pence): the most a clawback takes."""
    net: dict[str, int] = defaultdict(int)
    for e in ledger:
        if e.claim_id == claim_id and e.kind in (ACCRUAL, CLAWBACK, REVERSAL):
            net[e.payer] += e.amount_pence
    return dict(net)


# --------------------------------------------------------------------------- post-payment samples


@dataclass
class SampleResult:
    contract: str
    period: str
    seed: int
    size: int
    population: int
    population_value: str
    existing: bool
    items: list[dict[str, Any]]
    concluded: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def sample_validation(
    settings: Settings,
    contract_ref: str,
    period_text: str,
    *,
    size: int,
    seed: int,
    results: Path | None,
    as_of: dt.datetime,
    actor: str,
) -> SampleResult:
    """Draw (once) a seeded sample of the claims a run paid; record checks; when all are checked, recover."""
    if size < 1:
        raise UserError("--size: at least 1")
    today = local_date(as_of, settings.timezone)
    checks = _read_results(results) if results else {}
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, contract_ref)
        cid = contract_id(contract)
        cards = _cards(session, contract)
        period = _period(cards, period_text)
        run = run_for(session=session, contract_id=cid, period=period.label)
        if run is None or run.id is None:
            raise UserError(f"{period.label} has no payment run for {contract_ref}; a sample checks what a run paid")
        sample = sample_for(session=session, contract_id=cid, period=period.label)
        existing = sample is not None
        if sample is None:
            paid: dict[int, int] = defaultdict(int)
            for e in ledger_of(session=session, contract_id=cid, run_id=run.id):
                if e.kind == ACCRUAL and e.item == OUTCOME and e.claim_id:
                    paid[e.claim_id] += e.amount_pence
            refs = {fact[0]: claim_id for claim_id, fact in claim_facts(session=session, ids=sorted(paid)).items()}
            chosen = draw(list(refs), size, contract=contract.ref, period=period.label, seed=seed)
            sample = ValidationSample(
                contract_id=cid,
                period=period.label,
                run_id=run.id,
                seed=seed,
                size=size,
                population=len(paid),
                population_pence=sum(paid.values()),
                drawn_at=as_of,
                actor=actor,
            )
            session.add(sample)
            session.flush()
            assert sample.id is not None
            for ref in chosen:
                claim_id = refs[ref]
                session.add(SampleItem(sample_id=sample.id, claim_id=claim_id, paid_pence=paid[claim_id]))
            append_event(
                session=session,
                effective_at=as_of,
                actor=actor,
                entity="contract",
                entity_ref=contract.ref,
                action="sample_drawn",
                after={"period": period.label, "seed": seed, "size": len(chosen), "population": len(paid)},
            )
            session.flush()
        elif (sample.seed, sample.size) != (seed, size):
            raise UserError(
                f"the sample for {period.label} was drawn with --seed {sample.seed} --size {sample.size}; "
                "a period has one sample, so give those to see or record it"
            )
        assert sample.id is not None
        items = sample_items(session=session, sample_id=sample.id)
        if checks:
            _record_checks(session, results, checks, items, as_of=as_of, actor=actor, contract=contract)
        concluded = _conclude(session, contract, cards, sample, items, today=today, as_of=as_of, actor=actor)
        shown = [
            {
                "claim": c.ref,
                "participant": c.participant,
                "outcome": c.outcome,
                "paid": f"{pounds(i.paid_pence):.2f}",
                "result": i.result,
                "note": i.note,
            }
            for i, c in items
        ]
        return SampleResult(
            contract.ref,
            period.label,
            sample.seed,
            sample.size,
            sample.population,
            f"{pounds(sample.population_pence):.2f}",
            existing,
            shown,
            concluded,
        )


def _read_results(path: Path) -> dict[str, tuple[int, str, str]]:
    table = open_table(path, required=("claim_ref", "result"), optional=("note",))
    found: dict[str, tuple[int, str, str]] = {}
    problems = []
    for line, cells in table.rows():
        ref = cells[table.columns["claim_ref"]]
        result = cells[table.columns["result"]].lower()
        note = cells[table.columns["note"]] if "note" in table.columns and table.columns["note"] < len(cells) else ""
        if result not in ("valid", "invalid"):
            problems.append(f"{table.where(line)}: result: {result!r} is not valid or invalid")
        elif ref in found:
            problems.append(f"{table.where(line)}: claim_ref: {ref} is already given on line {found[ref][0]}")
        elif result == "invalid" and not note:
            problems.append(f"{table.where(line)}: note: say why {ref} is invalid")
        else:
            found[ref] = (line, result, note)
    if problems:
        raise UserError("no check results were recorded:\n" + "\n".join(f"  {p}" for p in problems[:20]))
    return found


def _record_checks(
    session: Any,
    path: Path | None,
    checks: dict[str, tuple[int, str, str]],
    items: list[tuple[SampleItem, PbrClaim]],
    *,
    as_of: dt.datetime,
    actor: str,
    contract: Contract,
) -> None:
    by_ref = {c.ref: i for i, c in items}
    problems = []
    for ref, (line, result, note) in checks.items():
        item = by_ref.get(ref)
        if item is None:
            problems.append(f"{path}:{line}: claim_ref: {ref} is not in this sample")
        elif item.result is not None and (item.result, item.note or "") != (result, note):
            problems.append(f"{path}:{line}: result: {ref} was already recorded as {item.result}; a result is final")
    if problems:
        raise UserError("no check results were recorded:\n" + "\n".join(f"  {p}" for p in problems[:20]))
    recorded = 0
    for ref, (_, result, note) in checks.items():
        item = by_ref[ref]
        if item.result is None:
            item.result, item.note, item.checked_at, item.checked_by = result, note or None, as_of, actor
            session.add(item)
            recorded += 1
    if recorded:
        append_event(
            session=session,
            effective_at=as_of,
            actor=actor,
            entity="contract",
            entity_ref=contract.ref,
            action="sample_checked",
            after={"recorded": recorded, "source": str(path)},
        )


def _conclude(
    session: Any,
    contract: Contract,
    cards: Sequence[RateCard],
    sample: ValidationSample,
    items: list[tuple[SampleItem, PbrClaim]],
    *,
    today: dt.date,
    as_of: dt.datetime,
    actor: str,
) -> dict[str, Any] | None:
    """Once every sampled claim is checked: claw back the invalid ones and raise the extrapolated recovery."""
    if not items or any(i.result is None for i, _ in items):
        return None
    outcome = extrapolate(
        pounds(sample.population_pence), [(pounds(i.paid_pence), i.result == "valid") for i, _ in items]
    )
    summary = {
        "sampled_value": f"{outcome.sampled_value:.2f}",
        "invalid_value": f"{outcome.invalid_value:.2f}",
        "error_rate": f"{outcome.error_rate * 100:.2f}%",
        "unsampled_value": f"{outcome.unsampled_value:.2f}",
        "recovery": f"{outcome.recovery:.2f}",
    }
    cid = contract_id(contract)
    ledger = ledger_of(session=session, contract_id=cid)
    if any(e.sample_id == sample.id for e in ledger):
        return summary  # concluded before
    base: dict[str, Any] = {
        "contract_id": cid,
        "entry_on": today,
        "sample_id": sample.id,
        "created_at": as_of,
        "actor": actor,
    }
    clawed = {e.claim_id for e in _open_clawbacks(ledger)}
    for item, claim in items:
        if item.result != "invalid" or claim.id in clawed:
            continue
        for payer, amount in sorted(_held_by_payer(ledger, claim.id).items()):
            if amount:
                session.add(
                    LedgerEntry(
                        **base,
                        payer=payer,
                        kind=CLAWBACK,
                        item=OUTCOME,
                        amount_pence=-amount,
                        claim_id=claim.id,
                        participant=claim.participant,
                        memo=f"sample {sample.period}: {item.note or 'invalid'}",
                    )
                )
    if outcome.recovery:
        card = version_for(cards, today) or cards[-1]
        for payer, share in zip((p.name for p in card.payers), split(outcome.recovery, card.payers), strict=True):
            if share:
                session.add(
                    LedgerEntry(
                        **base,
                        payer=payer,
                        kind=CLAWBACK,
                        item=RECOVERY,
                        amount_pence=-pence(share),
                        memo=f"extrapolated recovery, sample {sample.period} ({summary['error_rate']} by value)",
                    )
                )
    append_event(
        session=session,
        effective_at=as_of,
        actor=actor,
        entity="contract",
        entity_ref=contract.ref,
        action="sample_concluded",
        after={"period": sample.period, **summary},
    )
    return summary
