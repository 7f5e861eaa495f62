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


def build_payment_by_results(settings: Settings) -> dict[str, Any]:
    """A payment-by-results contract on the Fair Chance Fund rate card, its claims, and a year of quarterly runs.

    Idempotent like the rest of the demo: each import and run happens once.
    The claims import and the runs go through the Prefect flows (call after ``configure_prefect``).
    """
    from flows.contracts.detail import contract_detail
    from flows.pbr.participants import import_participants
    from flows.pbr.pbr_flows import run
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
    runs = [
        run("payment-run", contract=PBR_CONTRACT, period=period, as_of=as_of.isoformat(), actor=ACTOR)
        for period in PBR_PERIODS
    ]
    return {"claims": claims, "runs": runs, "reconciliation": run("reconcile", contract=PBR_CONTRACT)}
