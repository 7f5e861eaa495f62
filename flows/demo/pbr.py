"""The payment-by-results demo: contract FCF-2025-01 on the Fair Chance Fund rate card, its claims and runs."""

from pathlib import Path
from typing import Any

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.contracts.files import Row
from flows.contracts.importing import add_contracts
from flows.demo.build import ACTOR, demo_instant
from policies.dates import parse_as_of

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PBR_CONTRACT = "FCF-2025-01"
PBR_AS_OF = "2026-11-23T09:00"
PBR_PERIODS = ("2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3")
PROPOSER, CHECKERS = "farah.khan", ("omar.ali", "grace.obi")  # demo finance users (flows/demo/users.py)


def build_payment_by_results(settings: Settings) -> dict[str, Any]:
    """A payment-by-results contract on the Fair Chance Fund rate card, its claims, and a year of quarterly runs.

    Idempotent like the rest of the demo: each import and run happens once.
    The claims import and the runs go through the Prefect flows (call after ``configure_prefect``).
    """
    from functools import partial

    from flows.contracts.detail import contract_detail
    from flows.pbr import pbr_flows
    from flows.pbr.participants import import_participants

    run = partial(pbr_flows.run, here=True)  # the demo's own data dir, whatever the run mode
    from flows.pbr.ratecards import import_rate_card

    when = demo_instant("2025-09-15")
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
    runs = [_paid(settings, run, period, as_of) for period in PBR_PERIODS]
    return {"claims": claims, "runs": runs, "rejected": _rejected_clawback(settings, as_of),
            "reconciliation": run("reconcile", contract=PBR_CONTRACT)}  # fmt: skip


def _paid(settings: Settings, run: Any, period: str, as_of: Any) -> dict[str, Any]:
    """Farah proposes the period's run; Omar, a second finance user, approves it (a paid period shows its run)."""
    from flows.approvals.service import approve

    made = run("payment-run", contract=PBR_CONTRACT, period=period, as_of=as_of.isoformat(), actor=PROPOSER)
    if made["run"] is not None:
        return dict(made["run"])
    p = made["proposal"]
    for checker in CHECKERS[: p["approvals_needed"]]:
        done = approve(settings, p["id"], by=checker, roles={"finance"}, as_of=as_of)
    return dict(done["result"])


def _rejected_clawback(settings: Settings, as_of: Any) -> dict[str, Any] | None:
    """Farah proposes clawing back NB-001 (a query about its evidence); Omar rejects it: the evidence is sound.

    (A rejected clawback, not a rejected recovery: the demo draws no sample.) Once only."""
    from flows.approvals.service import list_proposals, reject
    from flows.pbr.clawbacks import propose_clawback

    if any(p["kind"] == "clawback" for p in list_proposals(settings, status="rejected")):
        return None
    claim = _first_paid_claim(settings)
    made = propose_clawback(settings, PBR_CONTRACT, claim, reason="enrolment evidence queried by audit",
                            as_of=as_of, actor=PROPOSER)  # fmt: skip
    why = "the college confirmed the enrolment; the evidence stands"
    done = reject(settings, made["proposal"]["id"], by=CHECKERS[0], roles={"finance"}, reason=why, as_of=as_of)
    return dict(done["proposal"])


def _first_paid_claim(settings: Settings) -> str:
    from flows.common.runtime import database
    from flows.pbr.contract import contract_id, pbr_contract
    from models.db import unit_of_work
    from models.pbr.claims import claim_facts
    from models.pbr.ledger import ACCRUAL, OUTCOME, ledger_of

    with unit_of_work(database(settings)) as session:
        cid = contract_id(pbr_contract(session, PBR_CONTRACT))
        paid = sorted({e.claim_id for e in ledger_of(session=session, contract_id=cid)
                       if e.kind == ACCRUAL and e.item == OUTCOME and e.claim_id})  # fmt: skip
        return str(claim_facts(session=session, ids=paid[:1])[paid[0]][0])
