"""Performance in the cycle, on SQLite and PostgreSQL: a missing reading flagged at the monitoring date (in
`due` and the reminder digest), the Review flow's findings, and `decide extend` warning on Inadequate."""

import datetime as dt
from pathlib import Path

from flows.common.runtime import database, gate_policy
from flows.common.settings import Settings
from flows.contracts.decisions import decide
from flows.contracts.due import due
from flows.cycle.gates import decide_gate
from flows.performance.readings_import import import_readings
from flows.reminders.delivery import with_missing_readings
from models.db import unit_of_work
from policies.cycle.stages import Stage
from tests.integration.performance.conftest import REF

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def readings(settings: Settings, tmp_path: Path, text: str) -> None:
    path = tmp_path / "r.csv"
    path.write_text("contract,kpi,period,value\n" + text, encoding="utf-8")
    import_readings(settings, path, as_of=NOW, actor="t")


def test_a_missing_reading_is_flagged_at_the_monitoring_date(contract: Settings, tmp_path: Path) -> None:
    # The monitoring meeting on 1 October 2026 looks at 2026-Q3; two of the three KPIs have their reading
    # (recorded once the quarter was over: a reading of a period not over is refused).
    readings(contract, tmp_path, f"{REF},Tenancies sustained,2026-Q3,86\n{REF},Cost per person,2026-Q3,11000\n")
    seen_on = dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC)
    [meeting] = [r for r in due(contract, as_of=seen_on, within_days=45) if r["kind"] == "quarterly_monitoring"]
    assert meeting["due_on"] == "2026-10-01"
    assert meeting["action"].endswith(" - no reading yet for 2026-Q3: Days to first appointment")
    with unit_of_work(database(contract)) as session:
        group = [{"ref": REF, "kind": "quarterly_monitoring", "due_on": dt.date(2026, 10, 1), "action": "Meet"},
                 {"ref": REF, "kind": "expiry", "due_on": dt.date(2026, 10, 1), "action": "Ends"}]  # fmt: skip
        told = with_missing_readings(session, group)
    assert [g["action"] for g in told] == ["Meet - no reading yet for 2026-Q3: Days to first appointment", "Ends"]


def test_review_findings_and_the_extend_warning(contract: Settings, tmp_path: Path) -> None:
    # 2026-Q3: 65 is below the requires-improvement edge (70): Inadequate; 9 days is Good.
    readings(contract, tmp_path, f"{REF},Tenancies sustained,2026-Q3,65\n{REF},Days to first appointment,2026-Q3,9\n")
    result = decide_gate(database(contract), gate_policy(contract), ref="HOM-2024-03", expected_stage=Stage.REVIEW,
                         target=None, reason=None, as_of=NOW, actor="t", flow_run_id=None)  # fmt: skip
    assert result["findings"][0] == (
        f"Performance of {REF}, latest ratings: Days to first appointment Good (2026-Q3: 9); "
        "Tenancies sustained Inadequate (2026-Q3: 65)"
    )
    extended = decide(contract, ref=REF, action="extend", reason="review", as_of=NOW, actor="t")
    assert (
        "the latest performance assessment rates Inadequate: Tenancies sustained (2026-Q3: 65)" in extended["warning"]
    )
    assert extended["status"] == "extended"  # the warning does not stop the decision
