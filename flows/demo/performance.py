"""The performance demo: Housing First (HOM-2024-03-C1) with three KPIs, two years of quarterly readings (one
Requires improvement) and its second-year UK9 notice published. Idempotent like the rest of the demo.

The readings run to 2026-Q2, so they are imported once that quarter is over (a reading waits for its period's
end, policies/performance/periods.py): on 6 July 2026, and the notice prepared and published after them."""

from pathlib import Path
from typing import Any

from flows.common.runtime import database
from flows.common.settings import Settings
from flows.demo.build import ACTOR, demo_instant
from flows.performance.definitions import read_kpi_file, set_kpis
from flows.performance.notices import prepare_uk9, publish_notice
from flows.performance.readings_import import import_readings
from models.contracts import get_contract
from models.db import unit_of_work
from models.performance.repository import notices_of

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PERFORMANCE_CONTRACT = "HOM-2024-03-C1"
UK9_PERIOD = "2025-06-01..2026-05-31"
UK9_REFERENCE = "031416-2026"


def build_performance(settings: Settings) -> dict[str, Any]:
    """KPIs set as a variation, the readings imported, the UK9 notice prepared and published (each once)."""
    items, _ = read_kpi_file(EXAMPLES / "hf-kpis.yaml")
    reason = "KPIs defined with targets for the contract performance notice (Procurement Act 2023 s.71)"
    set_kpis(settings, ref=PERFORMANCE_CONTRACT, items=items, exemption=None, exemption_reason=None, reason=reason,
             as_of=demo_instant("2026-06-01"), actor=ACTOR)  # fmt: skip
    readings = import_readings(
        settings, EXAMPLES / "hf-kpi-readings.csv", as_of=demo_instant("2026-07-06"), actor=ACTOR
    )
    with unit_of_work(database(settings)) as session:
        contract = get_contract(session=session, ref=PERFORMANCE_CONTRACT)
        assert contract is not None and contract.id is not None
        published = [n for n in notices_of(session=session, contract_id=contract.id, kind="uk9") if n.published_on]
    if not published:
        prepare_uk9(
            settings, ref=PERFORMANCE_CONTRACT, period=UK9_PERIOD, as_of=demo_instant("2026-07-08"), actor=ACTOR
        )
        publish_notice(settings, ref=PERFORMANCE_CONTRACT, on=demo_instant("2026-07-15").date(),
                       reference=UK9_REFERENCE, period=UK9_PERIOD, breach=None, as_of=demo_instant("2026-07-15"),
                       actor=ACTOR)  # fmt: skip
    return {"readings": readings.added + readings.unchanged, "ratings": readings.ratings}
