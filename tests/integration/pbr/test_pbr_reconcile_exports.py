"""Reconciliation exports (CSV, workbook, chart) neutralise text a spreadsheet would run as a formula, on both
backends."""

import csv
from pathlib import Path

from flows.common.settings import Settings
from flows.contracts.files import Row
from flows.contracts.importing import add_contracts
from flows.pbr.claims_import import import_claims
from flows.pbr.participants import import_participants
from flows.pbr.ratecards import import_rate_card
from flows.pbr.reconcile import export_chart, export_csv, export_xlsx, reconcile
from tests.integration.pbr.test_pbr_payments import (
    Q1_RUN,
    SENT,
    write_claims,
)
from tests.support.approvals import approved_run
from tests.support.builders import FCF_CARD, fcf_contract

FORMULA_REF = '=HYPERLINK("http://evil.example","C-1")'
FORMULA_PROVIDER = "=cmd|' /C calc'!A0"


def test_exports_neutralise_text_a_spreadsheet_would_run_as_a_formula(settings: Settings, tmp_path: Path) -> None:
    fcf_contract(settings, card=None)
    fields = {
        "ref": "FCF-2025-02",
        "title": "A provider whose name is a formula",
        "provider": FORMULA_PROVIDER,
        "project": "YPH-1",
        "value": "250000",
        "start": "2025-10-01",
        "term": "2 years",
        "payment_model": "payment_by_results",
    }
    add_contracts(settings, [Row("test", fields)], as_of=SENT, actor="a")
    card = FCF_CARD.read_text(encoding="utf-8").replace("contract: FCF-2025-01", "contract: FCF-2025-02")
    card = card.replace('contract_cap: "1500000.00"', 'contract_cap: "250000.00"')  # no more than it is worth
    (tmp_path / "card.yaml").write_text(card, encoding="utf-8")
    import_rate_card(settings, tmp_path / "card.yaml", as_of=SENT, actor="finance")
    (tmp_path / "people.csv").write_text(
        "contract,participant,referral_date,date_of_birth\nFCF-2025-02,=P-1,2025-10-01,2005-01-15\n", encoding="utf-8"
    )
    import_participants(settings, tmp_path / "people.csv", as_of=SENT, actor="finance")
    claims = write_claims(
        tmp_path / "claims.csv", [(FORMULA_REF, "=P-1", "EMP_ENTRY", "2026-01-05", "payslip")], "FCF-2025-02"
    )
    assert import_claims(settings, claims, as_of=SENT, actor="finance").accepted == 1
    run = approved_run(settings, "FCF-2025-02", "2026-Q1", as_of=Q1_RUN, actor="finance")

    with Path(run.schedules[1]).open(encoding="utf-8", newline="") as handle:
        [line, _] = list(csv.reader(handle))[1:]
    assert line[1] == "'" + FORMULA_PROVIDER
    assert (line[5], line[6], line[9]) == ("'" + FORMULA_REF, "'=P-1", "350.00")

    report = reconcile(settings, "FCF-2025-02")
    export_csv(report, tmp_path / "reconciliation.csv")
    export_xlsx(report, tmp_path / "reconciliation.xlsx", generated=Q1_RUN, actor="=finance")
    export_chart(report, tmp_path / "chart.png")

    with (tmp_path / "reconciliation.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:4] == ["provider", "contract", "period", "outcome"]
    money = ["500.00", "500.00", "0.00", "0.00", "500.00", "0.00", "0.00"]  # claimed ... outstanding
    assert rows[1] == ["'" + FORMULA_PROVIDER, "FCF-2025-02", "2026-Q1", "EMP_ENTRY", "1", "1", "0", *money]

    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "reconciliation.xlsx")
    sheet = book.worksheets[0]
    # rows 1-4: the title, who generated it and when, the extrapolated recoveries, a blank; 5: the header
    provider = sheet.cell(row=6, column=1)
    assert (provider.value, provider.data_type) == ("'" + FORMULA_PROVIDER, "s")
    assert sheet.cell(row=6, column=8).value == 500  # claimed, a number
    assert sheet.cell(row=2, column=1).value == "generated 2026-04-02 09:00 UTC by =finance"  # inside the text
    texts = [c.value for ws in book.worksheets for r in ws.iter_rows() for c in r if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@"))]
    caps = book["Caps"]
    assert caps.cell(row=7, column=1).value == "participant (highest: =P-1)"  # inside the text: harmless

    assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
