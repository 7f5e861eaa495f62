"""Reading claims and participant files: CSV and Excel rows, and every refusal naming the file and line."""

import datetime as dt
import re
from pathlib import Path

import pytest
from openpyxl import Workbook

from flows.common.errors import UserError
from flows.common.tabular import Table, open_table

CLAIMS = ("ref", "outcome", "amount")
SAVE_AS_UTF8 = "save it as UTF-8 (CSV UTF-8 in Excel)"


def write(tmp_path: Path, content: str | bytes, name: str = "claims.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


def starts(message: str) -> str:
    return f"^{re.escape(message)}"


def rows(table: Table) -> list[tuple[int, list[str]]]:
    return list(table.rows())


# --------------------------------------------------------------------------- CSV


def test_a_byte_order_mark_does_not_stick_to_the_first_column(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffRef, Outcome ,AMOUNT\r\nC-1,housed,1500.50\r\n")
    table = open_table(path, required=CLAIMS)
    assert table.columns == {"ref": 0, "outcome": 1, "amount": 2}
    assert table.sheet is None
    assert rows(table) == [(2, ["C-1", "housed", "1500.50"])]


def test_cells_are_stripped_and_a_short_row_is_padded(tmp_path: Path) -> None:
    table = open_table(write(tmp_path, "ref,outcome,amount,notes\n  C-1 , housed\n"), required=CLAIMS)
    assert rows(table) == [(2, ["C-1", "housed", "", ""])]


def test_line_numbers_are_the_physical_line_each_record_starts_on(tmp_path: Path) -> None:
    content = (
        "ref,outcome,amount\n"  # 1
        "\n"  # 2 blank
        'C-1,"housed\n'  # 3: a quoted cell over three lines
        "for six\n"  # 4
        'months",100\n'  # 5
        " , ,\n"  # 6 blank but for spaces and commas
        "C-2,sustained,200\n"  # 7
        "\r\n"  # 8 blank
        "C-3,housed,300"  # 9, no final newline
    )
    table = open_table(write(tmp_path, content), required=CLAIMS)
    assert rows(table) == [
        (3, ["C-1", "housed\nfor six\nmonths", "100"]),
        (7, ["C-2", "sustained", "200"]),
        (9, ["C-3", "housed", "300"]),
    ]
    assert [line for line, _ in table.rows()] == [3, 7, 9]  # rows() reads afresh each time
    assert table.where(7) == f"{tmp_path / 'claims.csv'}:7"


def test_blank_lines_before_the_header_are_skipped(tmp_path: Path) -> None:
    table = open_table(write(tmp_path, "\n\nref,outcome,amount\nC-1,housed,5\n"), required=CLAIMS)
    assert table.header_line == 3
    assert rows(table) == [(4, ["C-1", "housed", "5"])]


def test_a_header_with_no_rows_is_an_empty_claims_file_not_an_error(tmp_path: Path) -> None:
    assert rows(open_table(write(tmp_path, "ref,outcome,amount\r\n"), required=CLAIMS)) == []


@pytest.mark.parametrize("content", ["", "   \r\n\r\n\t\n", ",,\n"])
def test_a_file_with_no_header_is_empty(tmp_path: Path, content: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(UserError, match=exactly(f"{path}: is empty")):
        open_table(path, required=CLAIMS)


def test_every_missing_column_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "ref,notes\nC-1,x\n")
    with pytest.raises(UserError, match=exactly(f"{path}:1: missing column(s): outcome, amount")):
        open_table(path, required=CLAIMS)


@pytest.mark.parametrize(("sep", "shown"), [(";", "';'"), ("\t", "tabs"), ("|", "'|'")])
def test_a_header_separated_by_another_mark_says_so(tmp_path: Path, sep: str, shown: str) -> None:
    """A spreadsheet saved with ';' between columns was refused as missing every column, with no hint why."""
    path = write(tmp_path, sep.join(["ref", "outcome", "amount"]) + "\nC-1;EDU;500\n")
    said = f"{path}:1: missing column(s): ref, outcome, amount; the header is one column with {shown} in it: "
    with pytest.raises(UserError, match=exactly(said + "separate the columns with commas")):
        open_table(path, required=CLAIMS)


def test_a_misspelt_column_is_suggested(tmp_path: Path) -> None:
    path = write(tmp_path, "ref,outcome,amout,notes\n")
    with pytest.raises(UserError, match=r"missing column\(s\): amount; did you mean 'amout' for 'amount'\?"):
        open_table(path, required=CLAIMS, optional=["notes"])


def test_a_column_named_twice_is_refused_whatever_its_case(tmp_path: Path) -> None:
    path = write(tmp_path, "ref,Amount,outcome,amount \n")
    with pytest.raises(UserError, match=exactly(f"{path}:1: column(s) named more than once: amount")):
        open_table(path, required=CLAIMS)


def test_a_row_wider_than_the_header_names_its_line(tmp_path: Path) -> None:
    # An unquoted thousands separator shifts every cell after it: the classic way a claim is mispriced.
    path = write(tmp_path, "ref,outcome,amount\nC-1,housed,500\n\nC-2,housed,1,500\n")
    table = open_table(path, required=CLAIMS)
    with pytest.raises(UserError, match=exactly(f"{path}:4: has 4 cells but the header has 3 columns")):
        rows(table)


def test_excel_padding_of_unnamed_columns_is_allowed(tmp_path: Path) -> None:
    table = open_table(write(tmp_path, "ref,outcome,amount,,\nC-1,housed,5,,\n"), required=CLAIMS)
    assert table.columns == {"ref": 0, "outcome": 1, "amount": 2}
    assert rows(table) == [(2, ["C-1", "housed", "5", "", ""])]


NEVER_CLOSED = "a quoted cell starts here and is never closed"


def test_an_unclosed_quote_names_the_line_it_opens_on(tmp_path: Path) -> None:
    path = write(tmp_path, 'ref,outcome,amount\nC-1,housed,5\nC-2,"housed,5\nC-3,housed,5\n')
    table = open_table(path, required=CLAIMS)
    with pytest.raises(UserError, match=exactly(f"{path}:3: is not valid CSV: {NEVER_CLOSED}")):
        rows(table)


@pytest.mark.parametrize(("encoding", "name"), [("utf-16", "UTF-16"), ("utf-32", "UTF-32")])
def test_utf16_and_utf32_are_refused(tmp_path: Path, encoding: str, name: str) -> None:
    path = write(tmp_path, "ref,outcome,amount\n".encode(encoding))
    with pytest.raises(UserError, match=exactly(f"{path}: is {name} text; {SAVE_AS_UTF8}")):
        open_table(path, required=CLAIMS)


def test_a_windows_1252_pound_sign_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "ref,outcome,amount\nC-1,housed,£5\nC-2,housed,£6\n".encode("cp1252"))
    pound = "(byte 0xA3, '£' in Windows-1252)"
    with pytest.raises(UserError, match=exactly(f"{path}:2: is not UTF-8 text {pound}; {SAVE_AS_UTF8}")):
        open_table(path, required=CLAIMS)


def test_a_bad_byte_deep_in_a_large_file_is_found_while_reading_rows(tmp_path: Path) -> None:
    good = "".join(f"C-{n},housed,5\n" for n in range(20_000))
    path = write(tmp_path, b"ref,outcome,amount\n" + good.encode() + "C-x,housed,£5\n".encode("cp1252"))
    table = open_table(path, required=CLAIMS)
    with pytest.raises(UserError, match=starts(f"{path}:20002: is not UTF-8 text (byte 0xA3")):
        rows(table)


def test_an_excel_workbook_named_csv_is_refused(tmp_path: Path) -> None:
    Workbook().save(tmp_path / "book.xlsx")
    path = write(tmp_path, (tmp_path / "book.xlsx").read_bytes())
    with pytest.raises(UserError, match="is an Excel workbook, not CSV text"):
        open_table(path, required=CLAIMS)


# --------------------------------------------------------------------------- files and suffixes


@pytest.mark.parametrize(
    ("name", "kind"),
    [("claims.txt", "a .txt file"), ("claims.xls", "a .xls file"), ("claims", "a file without a suffix")],
)
def test_other_kinds_of_file_are_refused_naming_what_is_accepted(tmp_path: Path, name: str, kind: str) -> None:
    path = write(tmp_path, "ref,outcome,amount\n", name)
    accepted = "give a .csv (CSV UTF-8) or an Excel workbook (.xlsx, .xlsm)"
    with pytest.raises(UserError, match=exactly(f"{path}: is {kind}; {accepted}")):
        open_table(path, required=CLAIMS)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=exactly(f"{tmp_path / 'nope.csv'}: no such file")):
        open_table(tmp_path / "nope.csv", required=CLAIMS)


def test_upper_case_suffixes_are_accepted(tmp_path: Path) -> None:
    assert open_table(write(tmp_path, "ref,outcome,amount\n", "CLAIMS.CSV"), required=CLAIMS).width == 3


# --------------------------------------------------------------------------- Excel


def workbook(tmp_path: Path, *sheets: tuple[str, list[list[object]]], name: str = "claims.xlsx") -> Path:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, lines in sheets:
        sheet = book.create_sheet(title)
        for line in lines:
            sheet.append(line)
    path = tmp_path / name
    book.save(path)
    return path


def test_excel_cells_read_as_the_text_the_user_sees(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        (
            "Claims",
            [
                [None],  # row 1 blank: the header is the first non-empty row
                ["Ref", "Outcome", "Amount", "Achieved on", "Verified", "Notes"],
                ["C-1", "housed", 1500.5, dt.date(2026, 7, 1), True, None],
                ["C-2", " sustained ", 2000, dt.datetime(2026, 7, 2, 0, 0), False, 0.1],
                [None, None, None],
                ["C-3", "housed", 1000.1 + 500.4, dt.datetime(2026, 7, 3, 9, 30), None, 1e-05],
            ],
        ),
    )
    table = open_table(path, required=CLAIMS)
    assert table.sheet == "Claims"
    assert table.columns == {"ref": 0, "outcome": 1, "amount": 2, "achieved on": 3, "verified": 4, "notes": 5}
    assert rows(table) == [
        (3, ["C-1", "housed", "1500.5", "2026-07-01", "true", ""]),
        (4, ["C-2", "sustained", "2000", "2026-07-02", "false", "0.1"]),
        (6, ["C-3", "housed", "1500.5", "2026-07-03T09:30:00", "", "0.00001"]),
    ]
    assert table.where(6) == f"{path}:Claims!6"


def test_a_worksheet_is_chosen_by_name_whatever_its_case(tmp_path: Path) -> None:
    path = workbook(tmp_path, ("Read me", [["Instructions"]]), ("Claims", [list(CLAIMS), ["C-1", "housed", 5]]))
    assert rows(open_table(path, required=CLAIMS, sheet="claims")) == [(2, ["C-1", "housed", "5"])]
    with pytest.raises(UserError, match=r"has no worksheet named 'payments' \(it has: Read me, Claims\)"):
        open_table(path, required=CLAIMS, sheet="payments")
    first = f"{path}: worksheets 'Read me', 'Claims' hold rows, and only the first worksheet, 'Read me', is read"
    with pytest.raises(UserError, match="^" + re.escape(first)):  # by default: rows on two sheets are refused
        open_table(path, required=CLAIMS)


def test_excel_rows_with_a_value_beyond_the_header_name_the_row(tmp_path: Path) -> None:
    path = workbook(tmp_path, ("Claims", [list(CLAIMS), ["C-1", "housed", 5, None], ["C-2", "housed", 5, None, "x"]]))
    table = open_table(path, required=CLAIMS)
    with pytest.raises(UserError, match=exactly(f"{path}:Claims!3: has 5 cells but the header has 3 columns")):
        rows(table)


def test_an_excel_sheet_with_only_a_header_has_no_rows_and_an_empty_one_is_refused(tmp_path: Path) -> None:
    assert rows(open_table(workbook(tmp_path, ("Claims", [list(CLAIMS)])), required=CLAIMS)) == []
    path = workbook(tmp_path, ("Claims", []), name="empty.xlsx")
    with pytest.raises(UserError, match=exactly(f"{path}: worksheet 'Claims' is empty")):
        open_table(path, required=CLAIMS)


def test_rows_on_a_second_worksheet_are_refused_naming_the_sheet_read_and_the_sheets_found(tmp_path: Path) -> None:
    """Readings on a second sheet behind an empty or a cover sheet were refused without saying why."""
    behind_empty = workbook(tmp_path, ("Notes", []), ("Readings", [list(CLAIMS), ["R1", "O1", "10"]]))
    why = "the first worksheet, 'Notes', was read: the rows must be on the first worksheet"
    with pytest.raises(
        UserError,
        match=exactly(f"{behind_empty}: worksheet 'Notes' is empty ({why}; the workbook has 'Notes', 'Readings')"),
    ):
        open_table(behind_empty, required=CLAIMS)
    behind_cover = workbook(tmp_path, ("Cover", [["KPI readings, Q1"]]), ("Readings", [list(CLAIMS)]), name="c.xlsx")
    with pytest.raises(
        UserError,
        match=r"c\.xlsx: worksheets 'Cover', 'Readings' hold rows, and only the first worksheet, 'Cover', is "
        r"read: .* \(the workbook has 'Cover', 'Readings'\)$",
    ):
        open_table(behind_cover, required=CLAIMS)
    not_rows = workbook(tmp_path, ("Cover", [["KPI readings, Q1"]]), ("Notes", [[None, ""]]), name="n.xlsx")
    first = r"n\.xlsx:Cover!1: missing column\(s\): ref, outcome, amount \(the first worksheet, 'Cover', was read"
    with pytest.raises(UserError, match=first):  # an empty cell, or one holding only spaces, is no row
        open_table(not_rows, required=CLAIMS)
    alone = workbook(tmp_path, ("Notes", []), name="alone.xlsx")  # one sheet: nothing else to name
    with pytest.raises(UserError, match=exactly(f"{alone}: worksheet 'Notes' is empty")):
        open_table(alone, required=CLAIMS)


def test_rows_on_two_worksheets_are_refused_rather_than_the_second_left_out(tmp_path: Path) -> None:
    """Claims on sheets 1 and 2 imported sheet 1's alone, and said nothing of sheet 2's."""
    path = workbook(
        tmp_path,
        ("Claims", [list(CLAIMS), ["C-1", "housed", 5]]),
        ("Empty", []),
        ("More", [list(CLAIMS), ["C-2", "housed", 5]]),
    )
    with pytest.raises(UserError) as refused:
        open_table(path, required=CLAIMS)
    assert str(refused.value) == (
        f"{path}: worksheets 'Claims', 'More' hold rows, and only the first worksheet, 'Claims', is read: put the "
        "rows to import on the first worksheet and clear or delete the others (the workbook has 'Claims', 'Empty', "
        "'More')"
    )


def test_a_hidden_first_worksheet_is_refused_rather_than_read(tmp_path: Path) -> None:
    """A hidden first sheet's rows were imported, while Excel showed the second, visible and active."""
    book = Workbook()
    hidden = book.active
    assert hidden is not None
    hidden.title = "Old"
    hidden.append(list(CLAIMS))
    hidden.append(["C-9", "housed", 5])
    hidden.sheet_state = "hidden"
    shown = book.create_sheet("Claims")
    shown.append(list(CLAIMS))
    book.active = 1
    path = tmp_path / "hidden.xlsx"
    book.save(path)
    with pytest.raises(UserError) as refused:
        open_table(path, required=CLAIMS)
    assert str(refused.value) == (
        f"{path}: the first worksheet, 'Old', is hidden, and the first worksheet is the one read: unhide it, or "
        "delete it or move the worksheet with the rows to the front (the workbook has 'Old' (hidden), 'Claims')"
    )


def test_one_sheet_of_rows_among_empty_ones_is_read(tmp_path: Path) -> None:
    path = workbook(tmp_path, ("Claims", [list(CLAIMS), ["C-1", "housed", 5]]), ("Notes", []), ("Empty", [[None]]))
    assert rows(open_table(path, required=CLAIMS)) == [(2, ["C-1", "housed", "5"])]


@pytest.mark.parametrize("content", [b"ref,outcome,amount\n", b"PK\x03\x04 not really a zip"])  # b"": is empty
def test_a_file_that_is_not_a_workbook_is_refused(tmp_path: Path, content: bytes) -> None:
    path = write(tmp_path, content, "claims.xlsx")
    with pytest.raises(UserError, match=exactly(f"{path}: is not an Excel .xlsx workbook")):
        open_table(path, required=CLAIMS)


def test_a_formula_with_no_saved_value_is_refused_naming_the_cell(tmp_path: Path) -> None:
    # openpyxl saves formulas without their values, as a program that never calculates would:
    # read for cached values, such a cell is empty, and an empty amount would mean the card price.
    path = workbook(
        tmp_path, ("Claims", [["ref", "outcome", "amount"], ["C-1", "housed", 1500], ["C-2", "housed", "=C2*2"]])
    )
    table = open_table(path, required=CLAIMS)
    with pytest.raises(
        UserError,
        match=exactly(
            f"{path}:Claims!3: cell C3 (amount) holds a formula with no saved value; "
            "open the workbook in Excel and save it, or enter the value itself"
        ),
    ):
        rows(table)
