"""Read a CSV or Excel file of rows, fast, and say exactly where a bad row is.

Rule: a file is a header row and data rows. Header names are stripped and
lower-cased; a name given twice is an error; every required column must be
there; extra columns are allowed unless the caller refuses them
(``flows.common.columns``).
Each data row comes back as strings, stripped, as wide as the header, with
the line the user sees when they open the file: the physical line a CSV
record starts on (a quoted cell may span lines), or the Excel row number.
Wholly blank rows are skipped. Anything the file cannot be read as is a
``UserError`` naming the file and, where there is one, the line. A workbook's
first worksheet is read; a hidden one, or rows on two worksheets, is refused.

Worked example: ``claims.csv`` saved from Excel as "CSV UTF-8" starts with a
byte-order mark and reads ``Ref,Outcome,Achieved On`` then
``C-001,"housed\\n6 months",2026-07-01``. ``open_table(path, required=["ref"])``
gives ``columns == {"ref": 0, "outcome": 1, "achieved on": 2}`` and ``rows()``
yields ``(2, ["C-001", "housed\\n6 months", "2026-07-01"])``; the next record
starts on line 4. In an Excel workbook a cell holding 1500.5 reads "1500.5" and
a date cell reads "2026-07-01".

CSV files are streamed, never read whole, so a million claims cost about as
much as ``csv.reader`` itself. A file that is not UTF-8 is refused with the
line of its first bad byte, even when that is deep in the file and only found
while iterating ``rows()``.
"""

import codecs
import csv
import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from itertools import islice
from pathlib import Path
from typing import Any

from flows.common.cell_text import cell_text as _text
from flows.common.errors import UserError
from flows.common.files import check_input_file
from flows.common.uncalculated import UNCALCULATED, refuse_uncalculated, see_uncalculated_formulas

CSV_SUFFIXES = (".csv",)
XLSX_SUFFIXES = (".xlsx", ".xlsm")
SAVE_AS_UTF8 = "save it as UTF-8 (CSV UTF-8 in Excel)"

_SNIFF_BYTES = 4096
_XLSX_BATCH = 1000  # rows parsed at a time with openpyxl's warnings silenced
_BAD_BYTE = re.compile("[\udc80-\udcff]")  # what surrogateescape turns an undecodable byte into


@dataclass(frozen=True)
class Table:
    """A readable file of rows; ``rows()`` reads it afresh each time it is called."""

    path: Path
    columns: dict[str, int]  # normalised header name -> cell index
    sheet: str | None  # the worksheet read, None for CSV
    header_line: int = 1  # where the header is (blank lines before it are allowed)
    width: int = 0  # cells in every row rows() yields
    _skip: int = field(default=1, repr=False)  # CSV records up to and including the header
    others: tuple[str, ...] = ()  # a workbook's other worksheets, when the first was read by default

    def sheet_hint(self) -> str:
        """Words for a refusal of the first worksheet of a workbook that has others: which was read, and why."""
        if not self.others:
            return ""
        names = ", ".join(repr(name) for name in (self.sheet, *self.others))
        first = f"the first worksheet, {self.sheet!r}, was read: the rows must be on the first worksheet"
        return f" ({first}; the workbook has {names})"

    def rows(self) -> Generator[tuple[int, list[str]], None, None]:
        """(line number as the user sees it, cells as stripped strings) for every non-blank data row."""
        return self._csv_rows() if self.sheet is None else self._xlsx_rows()

    def where(self, line: int) -> str:
        """Where a row is, for messages: "claims.csv:12" or "claims.xlsx:Claims!12"."""
        return f"{self.path}:{line}" if self.sheet is None else f"{self.path}:{self.sheet}!{line}"

    def _too_wide(self, line: int, cells: int) -> UserError:
        return UserError(f"{self.where(line)}: has {cells} cells but the header has {self.width} columns")

    def _csv_rows(self) -> Generator[tuple[int, list[str]], None, None]:
        width = self.width
        strip = str.strip
        end = 0  # the physical line the last record ended on
        with _open_csv(self.path) as text:
            reader = csv.reader(text, strict=True)
            try:
                for _ in range(self._skip):
                    next(reader)
                end = reader.line_num
                for record in reader:
                    start = end + 1
                    end = reader.line_num
                    cells = list(map(strip, record))
                    if not any(cells):
                        continue
                    if len(cells) != width:
                        if len(cells) > width:
                            raise self._too_wide(start, len(cells))
                        cells += [""] * (width - len(cells))
                    yield start, cells
            except UnicodeDecodeError:
                raise _not_utf8(self.path) from None
            except csv.Error as exc:
                raise _csv_error(self.path, end + 1, exc) from None

    def _xlsx_rows(self) -> Generator[tuple[int, list[str]], None, None]:
        width = self.width
        workbook, worksheet = _open_workbook(self.path, self.sheet)
        try:
            values = worksheet.iter_rows(min_row=self.header_line + 1, values_only=True)
            line = self.header_line
            while batch := _parse(self, line + 1, lambda: list(islice(values, _XLSX_BATCH))):
                for row in batch:
                    line += 1
                    if UNCALCULATED in row:
                        refuse_uncalculated(self, line, row)
                    cells = [_text(value) for value in row]
                    if len(cells) != width:
                        if len(cells) > width:
                            if any(cells[width:]):
                                raise self._too_wide(line, _used_width(cells))
                            del cells[width:]
                        else:
                            cells += [""] * (width - len(cells))
                    if any(cells):
                        yield line, cells
        finally:
            workbook.close()


def open_table(path: Path, *, required: Sequence[str], optional: Sequence[str] = (), sheet: str | None = None) -> Table:
    """Open a .csv, .xlsx or .xlsm file and check its header; ``sheet`` names a worksheet (default: the first)."""
    check_input_file(path)
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        table = _open_csv_table(path)
    elif suffix in XLSX_SUFFIXES:
        table = _open_xlsx_table(path, sheet)
    else:
        kind = f"a {suffix} file" if suffix else "a file without a suffix"
        raise UserError(f"{path}: is {kind}; give a .csv (CSV UTF-8) or an Excel workbook ({', '.join(XLSX_SUFFIXES)})")
    _check_columns(table, required, optional)
    return table


# --------------------------------------------------------------------------- header


def _header(where: str, cells: Sequence[str]) -> tuple[dict[str, int], int]:
    """Column indexes by normalised name, and the header's width (unnamed columns count, for Excel's padding)."""
    columns: dict[str, int] = {}
    twice: list[str] = []
    for index, cell in enumerate(cells):
        name = cell.strip().lower()
        if not name:
            continue
        if name in columns and name not in twice:
            twice.append(name)
        columns.setdefault(name, index)
    if twice:
        raise UserError(f"{where}: column(s) named more than once: {', '.join(twice)}")
    return columns, len(cells)


def _check_columns(table: Table, required: Sequence[str], optional: Sequence[str]) -> None:
    wanted = [name.strip().lower() for name in required]
    missing = [name for name in wanted if name not in table.columns]
    if not missing:
        return
    known = set(wanted) | {name.strip().lower() for name in optional}
    unknown = [name for name in table.columns if name not in known]
    guesses = []
    for name in missing:
        close = get_close_matches(name, unknown, n=1, cutoff=0.75)
        if close:
            guesses.append(f"{close[0]!r} for {name!r}")
            unknown.remove(close[0])
    hint = f"; did you mean {', '.join(guesses)}?" if guesses else separator_hint(table)
    raise UserError(
        f"{table.where(table.header_line)}: missing column(s): {', '.join(missing)}{hint}{table.sheet_hint()}"
    )


def separator_hint(table: Table) -> str:
    """Words for a header read as one column that holds another separator (a spreadsheet saved with ';')."""
    if len(table.columns) != 1:
        return ""
    (name,) = table.columns
    found = [shown for mark, shown in ((";", "';'"), ("\t", "tabs"), ("|", "'|'")) if mark in name]
    return f"; the header is one column with {found[0]} in it: separate the columns with commas" if found else ""


# --------------------------------------------------------------------------- CSV


def _open_csv(path: Path) -> io.TextIOWrapper:
    try:
        # newline="" lets the csv module see line endings inside quoted cells.
        return open(path, encoding="utf-8-sig", newline="", buffering=1 << 20)
    except OSError as exc:
        raise _unreadable(path, exc) from None


def _open_csv_table(path: Path) -> Table:
    _sniff_csv(path)
    with _open_csv(path) as text:
        reader = csv.reader(text, strict=True)
        end = skipped = 0
        try:
            for record in reader:
                skipped += 1
                start, end = end + 1, reader.line_num
                if any(cell.strip() for cell in record):
                    columns, width = _header(f"{path}:{start}", record)
                    return Table(path, columns, None, header_line=start, width=width, _skip=skipped)
        except UnicodeDecodeError:
            raise _not_utf8(path) from None
        except csv.Error as exc:
            raise _csv_error(path, end + 1, exc) from None
    raise UserError(f"{path}: is empty")


def _sniff_csv(path: Path) -> None:
    """Refuse, by their first bytes, the files that are plainly not UTF-8 text."""
    try:
        with open(path, "rb") as raw:
            head = raw.read(_SNIFF_BYTES)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise UserError(f"{path}: is UTF-32 text; {SAVE_AS_UTF8}")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UserError(f"{path}: is UTF-16 text; {SAVE_AS_UTF8}")
    if head.startswith(b"PK\x03\x04"):
        raise UserError(f"{path}: is an Excel workbook, not CSV text; name it .xlsx or {SAVE_AS_UTF8}")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UserError(f"{path}: is an old Excel .xls workbook, not CSV text; {SAVE_AS_UTF8}")
    if b"\x00" in head:
        raise UserError(f"{path}: has NUL bytes, so is not UTF-8 text (UTF-16 with no BOM?); {SAVE_AS_UTF8}")


def _not_utf8(path: Path) -> UserError:
    """Find the first byte that is not UTF-8 (only after decoding failed, so the cost is on the error path)."""
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")
        for line, content in enumerate(text, start=1):
            bad = _BAD_BYTE.search(content)
            if bad:
                byte = ord(bad.group()) - 0xDC00
                guess = bytes([byte]).decode("cp1252", errors="replace")
                seen_as = f", {guess!r} in Windows-1252" if guess.isprintable() and guess != "\ufffd" else ""
                return UserError(f"{path}:{line}: is not UTF-8 text (byte 0x{byte:02X}{seen_as}); {SAVE_AS_UTF8}")
    return UserError(f"{path}: is not UTF-8 text; {SAVE_AS_UTF8}")  # a truncated sequence at the very end


def _csv_error(path: Path, line: int, exc: csv.Error) -> UserError:
    reason = str(exc)
    if "unexpected end of data" in reason:
        reason = "a quoted cell starts here and is never closed"
    elif "expected after" in reason:
        reason = 'a quote (") inside a quoted cell must be doubled ("")'
    return UserError(f"{path}:{line}: is not valid CSV: {reason}")


def _unreadable(path: Path, exc: OSError) -> UserError:
    if isinstance(exc, FileNotFoundError):
        return UserError(f"{path}: no such file")
    if isinstance(exc, IsADirectoryError):
        return UserError(f"{path}: is a folder, not a file; give the file itself")
    return UserError(f"{path}: cannot be read: {exc.strerror or exc}")


# --------------------------------------------------------------------------- Excel

# What a damaged workbook makes openpyxl raise: zip and deflate errors, XML syntax errors
# (ElementTree's and lxml's both derive from SyntaxError), a missing part (KeyError), bad values.
_BROKEN_WORKBOOK = (zipfile.BadZipFile, zlib.error, EOFError, SyntaxError, KeyError, ValueError, TypeError)


def _open_workbook(path: Path, sheet: str | None) -> tuple[Any, Any]:
    """The workbook (read-only, cached values) and the worksheet named ``sheet`` or the first one."""
    from openpyxl import load_workbook  # costs ~0.2 s; CSV imports never pay it
    from openpyxl.utils.exceptions import InvalidFileException

    see_uncalculated_formulas()

    try:
        with open(path, "rb") as raw:
            head = raw.read(8)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UserError(f"{path}: is an old .xls or a password-protected workbook; save it as .xlsx with no password")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it drops; we read values only
            workbook = load_workbook(path, read_only=True, data_only=True)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    except (*_BROKEN_WORKBOOK, InvalidFileException):
        raise UserError(f"{path}: is not an Excel .xlsx workbook") from None
    worksheets = workbook.worksheets
    if sheet is None:
        chosen = worksheets[0] if worksheets else None
    else:
        chosen = next((ws for ws in worksheets if ws.title.strip().lower() == sheet.strip().lower()), None)
    if chosen is None:
        workbook.close()
        names = ", ".join(ws.title for ws in worksheets) or "none"
        raise UserError(f"{path}: has no worksheet named {sheet!r} (it has: {names})")
    # A workbook written by some other program can declare a wrong size (e.g. "A1"), and openpyxl's
    # read-only mode would then cut every row to it; read each row as far as its cells go instead.
    chosen.reset_dimensions()
    return workbook, chosen


def _parse(table: Table, line: int, read: Any) -> Any:
    """Run one openpyxl read with its warnings silenced and its failures said as a UserError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return read()
    except OSError as exc:
        raise _unreadable(table.path, exc) from None
    except _BROKEN_WORKBOOK:
        raise UserError(f"{table.where(line)}: the workbook is damaged at or after this row") from None


def _refuse_unclear_workbook(path: Path, workbook: Any) -> None:
    """Refuse a workbook whose first worksheet, the one read, is hidden (Excel shows another), or one of
    several holding rows (the others' would be left out without a word), naming every worksheet."""
    sheets = workbook.worksheets
    if len(sheets) < 2:
        return
    first = sheets[0]
    names = ", ".join(repr(ws.title) + ("" if ws.sheet_state == "visible" else " (hidden)") for ws in sheets)
    if first.sheet_state != "visible":
        raise UserError(
            f"{path}: the first worksheet, {first.title!r}, is hidden, and the first worksheet is the one read: "
            f"unhide it, or delete it or move the worksheet with the rows to the front (the workbook has {names})"
        )
    holding = [ws.title for ws in sheets if _holds_a_value(path, ws)]
    if len(holding) > 1:
        raise UserError(
            f"{path}: worksheets {', '.join(map(repr, holding))} hold rows, and only the first worksheet, "
            f"{first.title!r}, is read: put the rows to import on the first worksheet and clear or delete the others "
            f"(the workbook has {names})"
        )


def _holds_a_value(path: Path, worksheet: Any) -> bool:
    """Whether any cell of ``worksheet`` holds a value (read until the first that does)."""
    worksheet.reset_dimensions()  # as _open_workbook: a wrong declared size would cut the rows
    probe, values, line = Table(path, {}, worksheet.title), worksheet.iter_rows(values_only=True), 0
    while batch := _parse(probe, line + 1, lambda: list(islice(values, _XLSX_BATCH))):
        line += len(batch)
        if any(_text(value) for row in batch for value in row if value is not None):
            return True
    return False


def _open_xlsx_table(path: Path, sheet: str | None) -> Table:
    workbook, worksheet = _open_workbook(path, sheet)
    title = worksheet.title
    # Readings on a second sheet behind an empty one were refused without saying why: name them.
    others = tuple(ws.title for ws in workbook.worksheets[1:]) if sheet is None else ()
    try:
        if sheet is None:
            _refuse_unclear_workbook(path, workbook)
        probe = Table(path, {}, title, others=others)
        values = worksheet.iter_rows(min_row=1, values_only=True)
        line = 0
        while batch := _parse(probe, line + 1, lambda: list(islice(values, _XLSX_BATCH))):
            for row in batch:
                line += 1
                if UNCALCULATED in row:
                    refuse_uncalculated(probe, line, row)
                cells = [_text(value) for value in row]
                if any(cells):
                    columns, width = _header(probe.where(line), cells[: _used_width(cells)])
                    return Table(path, columns, title, header_line=line, width=width, _skip=line, others=others)
    finally:
        workbook.close()
    raise UserError(f"{path}: worksheet {title!r} is empty{probe.sheet_hint()}")


def _used_width(cells: list[str]) -> int:
    """Cells up to the last non-empty one: Excel pads rows to the sheet's used range."""
    width = len(cells)
    while width and not cells[width - 1]:
        width -= 1
    return width
