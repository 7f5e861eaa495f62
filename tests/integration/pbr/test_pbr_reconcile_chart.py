"""The reconciliation chart: what each payer has been paid, run after run, against the contract cap.

FCF-2025-01 of test_pbr_payments, paid for two quarters on the Fair Chance Fund card (30% central fund, 70%
council; the contract capped at £1,500,000.00, each outcome at its own cohort cap):

  run      period ends   paid        central fund   council     cumulative: central fund   council    total
  2026-Q1  2026-03-31    9,500.00    2,850.00       6,650.00                 2,850.00      6,650.00   9,500.00
  2026-Q2  2026-06-30    3,000.00      900.00       2,100.00                 3,750.00      8,750.00  12,500.00

Only the contract cap is drawn: the outcome caps are each outcome's, not the payments', so a line for them
against the payers' totals would mislead.
"""

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from flows.common.settings import Settings
from flows.pbr.reconcile import export_chart, reconcile
from tests.integration.pbr.test_pbr_payments import CONTRACT, Q1_RUN, Q2_RUN, fcf
from tests.support.approvals import approved_run

D = Decimal


def test_the_chart_plots_each_payers_cumulative_payments_against_the_contract_cap_alone(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    claimed = fcf.__wrapped__(settings, tmp_path)  # type: ignore[attr-defined]
    approved_run(claimed, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance")
    approved_run(claimed, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")
    drawn: dict[str, Any] = {}
    monkeypatch.setattr("flows.pbr.exports.write_chart", lambda path, **chart: drawn.update(chart))
    export_chart(reconcile(claimed, CONTRACT), tmp_path / "chart.png")
    q1, q2 = dt.date(2026, 3, 31), dt.date(2026, 6, 30)  # each point on its period's last day
    assert dict(drawn["series"]) == {
        "total": [(q1, D("9500.00")), (q2, D("12500.00"))],
        "central fund": [(q1, D("2850.00")), (q2, D("3750.00"))],
        "council": [(q1, D("6650.00")), (q2, D("8750.00"))],
    }
    assert drawn["caps"] == {"contract": D("1500000.00")}
    assert drawn["title"] == "FCF-2025-01: cumulative payments against the caps"
