"""The reconciliation workbook a finance officer files: titled with the contract, saying when it was generated
and by whom, with the extrapolated recovery, a totals row of exact sums on each table that adds up, and each
cap figure named for what it is.

The Q1 run of test_pbr_payments (nine claims, £12,500.00 accepted, £9,500.00 paid in Q1), then a sample of
C-2, C-3 and C-7 with C-7 invalid: £1,500.00 clawed back and £1,090.91 recovered by extrapolation (under a
sampling policy that applies the point estimate).
"""

import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from flows.approvals.service import get_proposal
from flows.common.settings import Settings
from flows.pbr.reconcile import export_xlsx, reconcile
from tests.integration.pbr.test_pbr_payments import AUDIT, CONTRACT
from tests.integration.pbr.test_pbr_samples import point_estimate, results_file, sample
from tests.support.approvals import approved


def exact(value: object) -> Decimal:
    """An amount read back from the workbook (a double, as Excel stores every number), to the penny."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


GENERATED = dt.datetime(2026, 12, 6, 10, 30, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture
def sampled(settings: Settings, tmp_path: Path) -> Settings:
    from tests.integration.pbr.test_pbr_payments import fcf, q1_paid

    paid = point_estimate(q1_paid.__wrapped__(fcf.__wrapped__(settings, tmp_path)), tmp_path)  # type: ignore[attr-defined]
    sample(paid)
    checks = [("C-2", "valid", ""), ("C-3", "valid", ""), ("C-7", "invalid", "certificate is for another learner")]
    concluded = sample(paid, results=results_file(tmp_path, checks)).concluded
    assert concluded is not None
    approved(paid, get_proposal(paid, concluded["proposal"]), as_of=AUDIT)  # the recovery, by a second person
    return paid


def test_the_workbook_has_a_title_who_and_when_the_recovery_and_exact_totals(sampled: Settings, tmp_path: Path) -> None:
    report = reconcile(sampled, CONTRACT)
    path = tmp_path / "reconciliation.xlsx"
    export_xlsx(report, path, generated=GENERATED, actor="a.finance")
    book = load_workbook(path)
    main = book["By period and outcome"]
    assert main["A1"].value == f"{CONTRACT} ({report.provider}): reconciliation by period and outcome (GBP)"
    assert main["A2"].value == "generated 2026-12-06 10:30 GMT by a.finance"
    assert main["A3"].value == "extrapolated recoveries raised (belong to no one claim, so not in the rows below)"
    assert exact(main["B3"].value) == Decimal("1090.91") and main["B3"].number_format == "#,##0.00"
    assert [c.value for c in main[5]][:4] == ["provider", "contract", "period", "outcome"]
    assert main.freeze_panes == "A6"
    rows = [[c.value for c in row] for row in main.iter_rows(min_row=6)]
    *detail, total = rows
    assert total[:2] == ["total", CONTRACT] and main.cell(row=main.max_row, column=1).font.bold
    # claimed ... outstanding: the totals row is the exact sum of the rows above it
    for column in range(4, 14):
        assert exact(total[column]) == sum(exact(r[column]) for r in detail), column
    assert [exact(v) for v in total[7:10]] == [Decimal(report.totals[m]) for m in ("claimed", "accepted", "capped")]
    assert exact(total[12]) == Decimal("1500.00")  # clawed back from claims: the recovery is above, not in it

    payers = book["By payer"]
    assert payers["A2"].value == "generated 2026-12-06 10:30 GMT by a.finance"
    *_, payer_total = [[c.value for c in row] for row in payers.iter_rows(min_row=5)]
    assert payer_total[0] == "total"
    assert exact(payer_total[4]) == Decimal("2590.91")  # clawed back: £1,500.00 for C-7 and £1,090.91 recovered

    caps = book["Caps"]
    assert [c.value for c in caps[4]] == [
        "cap",
        "limit",
        "accepted, net of clawbacks",
        "paid, before clawbacks",
        "headroom",
    ]
    contract = [c.value for c in caps[5]]
    assert contract[0] == "contract"
    # accepted £12,500.00 less C-7's £1,500.00 clawed back; paid £9,500.00 in Q1, before the clawback
    assert (exact(contract[2]), exact(contract[3])) == (Decimal("11000.00"), Decimal("9500.00"))
