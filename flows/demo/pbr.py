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
SAMPLED = "2026-Q1"  # the period the demo samples (the README's walk-through samples 2026-Q2)


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
    return {"claims": claims, "runs": runs, "rejected": _rejected_recovery(settings, run, as_of),
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


def _rejected_recovery(settings: Settings, run: Any, as_of: Any) -> dict[str, Any] | None:
    """Farah samples three of 2026-Q1's paid claims (fewer than the policy's minimum, with her reason) and finds one
    invalid: the sample proposes clawing it back with the extrapolated recovery. Omar rejects the proposal with
    his reason, so nothing of it reaches the ledger. Once only."""
    from flows.approvals.service import list_proposals, reject

    if any(p["kind"] == "sampling_recovery" for p in list_proposals(settings, status="rejected")):
        return None
    sample = {"contract": PBR_CONTRACT, "period": SAMPLED, "size": 3, "seed": 16, "as_of": as_of.isoformat(),
              "actor": PROPOSER, "reason": "Pilot spot check of three claims agreed with the fund"}  # fmt: skip
    drawn = run("sample-validation", results=None, **sample)
    if drawn["concluded"] is None:
        checks = settings.data_dir / "demo" / f"checks-{SAMPLED}.csv"
        checks.parent.mkdir(parents=True, exist_ok=True)
        first, *rest = (i["claim"] for i in drawn["items"])
        rows = [f"{first},invalid,No tenancy record for the quarter"] + [f"{c},valid," for c in rest]
        checks.write_text("claim_ref,result,note\n" + "\n".join(rows) + "\n", encoding="utf-8")
        drawn = run("sample-validation", results=str(checks), **sample)
    why = "The landlord's tenancy record arrived after the check: the claim is to be checked again"
    number = drawn["concluded"]["proposal"]
    return dict(reject(settings, number, by=CHECKERS[0], roles={"finance"}, reason=why, as_of=as_of)["proposal"])
