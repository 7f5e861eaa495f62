"""Reconciliation exports: CSV, an Excel workbook, and a chart of cumulative payments against caps.

Rule: what a commissioner opens in a spreadsheet must never run as a formula,
and money must stay exact. Text that starts with = + - @ or a tab, carriage
return or line feed gets a leading apostrophe (OWASP's advice on CSV
injection), and in a workbook every text cell is a string cell. Amounts are
``Decimal`` and are written as numbers, never as text and never through a
float (except as the chart's plotting coordinates, and as the double that the
.xlsx format itself stores). Each file is written to a temporary file beside
it and renamed into place, so a reader never sees half a file.

Worked example: a claim whose reference a provider typed as
``=HYPERLINK("http://evil.example","C-1")`` and a payment of
``Decimal("1500.5")`` on 1 July 2026 are written to CSV as
``'=HYPERLINK(""http://evil.example"",""C-1"")``, ``1500.50`` and
``2026-07-01``; in the workbook they are the string cell
``'=HYPERLINK(...)``, the number 1500.5 shown as ``1,500.50`` and a date
cell shown as ``2026-07-01``.
"""

import atexit
import csv
import datetime as dt
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path
from typing import Any

from flows.common.errors import UserError
from flows.common.files import replacing as _replacing
from policies.money import PENNY

Cell = str | int | Decimal | dt.date | None

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
QUOTED = frozenset(',"\r\n\0')  # what the csv module quotes (a comma, a quote, a line end); NUL: left to it
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
EXCEL_MAX_ROWS = 1_048_576  # the header is one of them
_WIDTH_SAMPLE = 1000  # rows looked at to fit column widths; the rest are streamed
_TITLE_FORBIDDEN = str.maketrans({c: "-" for c in "[]:*?/\\"})


def neutralise(text: str) -> str:
    """Text a spreadsheet would read as a formula, with a leading apostrophe; any other text unchanged."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


# --------------------------------------------------------------------------- CSV


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> None:
    """Write a UTF-8 CSV (no BOM, CRLF line ends), streaming the rows; replaces ``path`` only when complete."""
    with _replacing(path) as temporary, open(temporary, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([neutralise(name) for name in header])
        width = len(header)
        for row in rows:
            _check_width(row, width)
            writer.writerow([_csv_cell(value) for value in row])


class CsvRows:
    """A UTF-8 CSV written as ``write_csv`` writes it, a row at a time, placed by the caller once closed."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self.path, self.width = path, len(header)
        self._out = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115  (closed by close)
        self._writer = csv.writer(self._out)
        self._writer.writerow([neutralise(name) for name in header])
        self._lines: list[str] = []  # written a batch at a time: a write per line cost as much as making it

    def write(self, row: Sequence[Cell]) -> None:
        _check_width(row, self.width)
        self._flush()
        self._writer.writerow([_csv_cell(value) for value in row])

    def write_line(self, line: str) -> None:
        """A row as the CSV has it: ``csv_text`` cells joined by commas, then CRLF (cells made once for many)."""
        self._lines.append(line)
        if len(self._lines) >= 1000:
            self._flush()

    def _flush(self) -> None:
        if self._lines:
            self._out.write("".join(self._lines))
            self._lines.clear()

    def close(self) -> None:  # once: a full disk fails the first, and a second has nothing left to write
        try:
            self._flush()
        finally:
            self._lines.clear()
            self._out.close()


def csv_text(cell: str | int) -> str:
    """A cell ``csv_cell`` made, as ``csv.writer`` writes it among others: as it is, or quoted (by csv itself)."""
    if QUOTED.isdisjoint(text := str(cell)):
        return text
    csv.writer(out := io.StringIO()).writerow([text, ""])
    return out.getvalue()[: -len(",\r\n")]


def csv_cell(value: Cell) -> str | int:
    """A value as ``write_csv`` writes it: text neutralised, a date in ISO form, money to at least the penny."""
    return _csv_cell(value)


def _csv_cell(value: Cell) -> str | int:
    if isinstance(value, str):
        return neutralise(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, dt.date):  # a datetime too: ISO, with its offset if it has one
        return value.isoformat()
    raise _not_a_cell(value)


def _decimal_text(amount: Decimal) -> str:
    """Plain digits, at least two places: 1234.5 -> "1234.50"; a rate with more places keeps them, unrounded."""
    if not amount.is_finite():
        raise ValueError(f"cannot export {amount}: amounts are finite")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:
        amount = amount.quantize(PENNY)  # adds places, never removes them, so nothing is rounded
    if amount.is_zero():
        amount = abs(amount)  # no "-0.00"
    return format(amount, "f")


def _check_width(row: Sequence[Cell], width: int) -> None:
    if len(row) != width:
        raise ValueError(f"a row of {len(row)} cells under a header of {width} columns: {row!r}")


def _not_a_cell(value: object) -> TypeError:
    return TypeError(f"cannot export {type(value).__name__} {value!r}: use str, int, Decimal, date or None")


# --------------------------------------------------------------------------- Excel


def write_xlsx(
    path: Path,
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Cell]]]],
    *,
    headings: Mapping[str, Sequence[Sequence[Cell]]] | None = None,
    totals: Mapping[str, Sequence[Cell]] | None = None,
) -> None:
    """Write a workbook, one worksheet per (title, header, rows), streaming the rows; replaces ``path`` when complete.

    ``headings``: rows written above a sheet's header (a title, when it was made), by sheet title, the first
    in bold; ``totals``: a last row in bold, by sheet title. Titles Excel cannot take are made safe:
    []:*?/\\ become "-", at most 31 characters, no two the same.
    """
    from openpyxl import Workbook  # ~0.2 s to import; only exports pay it
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    if not sheets:
        raise ValueError("a workbook needs at least one worksheet")
    book = Workbook(write_only=True)
    taken: set[str] = set()
    bold = Font(bold=True)

    def text_cell(sheet: Any, text: str) -> Any:
        # Control characters are not allowed in a worksheet; show where one was instead of failing the export.
        cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("\ufffd", neutralise(text)))
        cell.data_type = "s"  # never a formula, and never an error value such as "#N/A"
        return cell

    def cell_of(sheet: Any, value: Cell) -> Any:
        if isinstance(value, str):
            return text_cell(sheet, value)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise ValueError(f"cannot export {value}: amounts are finite")
            cell = WriteOnlyCell(sheet)
            cell.value = value  # a number: Excel stores it as a double, as it stores every number
            cell.number_format = MONEY_FORMAT
            return cell
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:  # Excel has no time zones: keep the instant exact, as ISO text
                return text_cell(sheet, value.isoformat())
            cell = WriteOnlyCell(sheet, value)
            cell.number_format = DATETIME_FORMAT
            return cell
        if isinstance(value, dt.date):
            cell = WriteOnlyCell(sheet)
            cell.value = value
            cell.number_format = DATE_FORMAT
            return cell
        raise _not_a_cell(value)

    try:
        for title, header, rows in sheets:
            sheet = book.create_sheet(_sheet_title(title, taken))
            above = list((headings or {}).get(title, ()))
            sheet.freeze_panes = f"A{len(above) + 2}"
            stream = iter(rows)
            sample = list(islice(stream, _WIDTH_SAMPLE))
            # Column widths must be set before the first row is written; fit them to the header and a sample.
            for index, width in enumerate(_fitted_widths(header, sample), start=1):
                sheet.column_dimensions[get_column_letter(index)].width = width
            for index, line in enumerate(above):
                cells = [cell_of(sheet, value) for value in line]
                if index == 0 and cells and not isinstance(cells[0], (int, type(None))):
                    cells[0].font = bold
                sheet.append(cells)
            heading = []
            for name in header:
                cell = text_cell(sheet, name)
                cell.font = bold
                heading.append(cell)
            sheet.append(heading)
            last = (totals or {}).get(title)
            tail = [] if last is None else [last]
            for count, row in enumerate(chain(sample, stream, tail), start=len(above) + 2):
                if count > EXCEL_MAX_ROWS:
                    raise UserError(
                        f"{path}: sheet {title!r} has more rows than Excel can hold; export it as CSV instead"
                    )
                _check_width(row, len(header))
                cells = [cell_of(sheet, value) for value in row]
                if row is last:
                    for cell in cells:
                        if not isinstance(cell, (int, type(None))):
                            cell.font = bold
                sheet.append(cells)
        with _replacing(path) as temporary, open(temporary, "wb") as out:
            # Zipped in memory, then written: a zip file that fails half-way (a full disk) fails again when
            # collected, with a traceback; bytes in memory cannot.
            packed = io.BytesIO()
            book.save(packed)
            out.write(packed.getbuffer())
            out.flush()
    except BaseException:
        _discard(book)
        raise


def _discard(book: Any) -> None:
    """Finish a workbook that will not be saved, so its half-written sheets do not fail again when collected."""
    for sheet in book.worksheets:
        with suppress(Exception):
            sheet.close()
        out = getattr(getattr(sheet, "_writer", None), "out", None)
        if out:
            with suppress(OSError):
                os.unlink(out)


def _sheet_title(title: str, taken: set[str]) -> str:
    """A worksheet title Excel accepts, unique (Excel ignores case) among ``taken``, which it joins."""
    # Excel also refuses a title that starts or ends with an apostrophe.
    base = title.translate(_TITLE_FORBIDDEN).strip(" '")[:31].rstrip(" '") or "Sheet"
    if base.lower() == "history":  # Excel reserves it
        base = "History (1)"
    candidate, number = base, 1
    while candidate.lower() in taken:
        number += 1
        suffix = f" ({number})"
        candidate = base[: 31 - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate


def _fitted_widths(header: Sequence[str], sample: Sequence[Sequence[Cell]]) -> list[float]:
    widths = [len(name) + 2 for name in header]  # bold needs a little more
    for row in sample:
        for index, value in enumerate(row[: len(widths)]):
            widths[index] = max(widths[index], _shown_length(value))
    return [min(max(width, 8), 60) + 2 for width in widths]


def _shown_length(value: Cell) -> int:
    if isinstance(value, str):
        return max((len(line) for line in neutralise(value).splitlines()), default=0)
    if isinstance(value, Decimal):
        return len(f"{value:,.2f}") if value.is_finite() else 0
    if isinstance(value, dt.datetime):
        return 19
    if isinstance(value, dt.date):
        return 10
    return 0 if value is None else len(str(value))


# --------------------------------------------------------------------------- chart


def write_chart(
    path: Path,
    *,
    title: str,
    series: Mapping[str, Sequence[tuple[dt.date, Decimal]]],
    caps: Mapping[str, Decimal],
    currency: str = "GBP",
) -> None:
    """Draw cumulative payments as steps against dates, each cap as a dashed line, to a PNG; replaces ``path``."""
    _quiet_matplotlib_config()
    from matplotlib import rc_context
    from matplotlib.figure import Figure  # a Figure of its own needs no pyplot and no GUI backend
    from matplotlib.ticker import FuncFormatter

    symbol = "£" if currency == "GBP" else f"{currency} "
    names = list(series) + [name for name in caps if name not in series]
    colour = {name: f"C{index % 10}" for index, name in enumerate(names)}  # a series and its cap share a colour

    paid = any(series.values())
    plotted: list[float] = []  # plotting coordinates only; the amounts themselves stay Decimal
    # Dates on the x axis are labelled concisely (the year once, not on every tick); the setting is read at plot time.
    with rc_context({"date.converter": "concise"}):
        figure = Figure(figsize=(10, 5.6), dpi=100, layout="constrained")
        axes = figure.add_subplot()
        for name, points in series.items():
            if points:
                ordered = sorted(points)
                days: list[Any] = [day for day, _ in ordered]
                amounts = [float(amount) for _, amount in ordered]
                axes.step(days, amounts, where="post", label=name, color=colour[name], marker="o", markersize=3)
                plotted += amounts
        for name, cap in caps.items():
            label = f"{name} cap {_amount(cap, symbol)}"
            axes.axhline(float(cap), linestyle="--", linewidth=1.2, color=colour[name], label=label)
            plotted.append(float(cap))
    if not paid:
        axes.set_xticks([])
        axes.text(0.5, 0.5, "no payments yet", transform=axes.transAxes, ha="center", va="center", color="0.4")
    if not plotted or min(plotted) >= 0:
        axes.set_ylim(bottom=0, top=max(plotted, default=0) * 1.15 or 1)  # room above the highest cap for the legend
    axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _: ("-" if y < 0 else "") + f"{symbol}{abs(y):,.0f}"))
    axes.set_title(title)
    axes.set_ylabel(f"Paid to date ({currency})")
    axes.grid(axis="y", color="0.9")
    if names:
        axes.legend(loc="best")
    with _replacing(path) as temporary:
        figure.savefig(temporary, format="png")


def _amount(amount: Decimal, symbol: str) -> str:
    """£1,500,000 for whole pounds, £1,500,000.50 otherwise."""
    sign = "-" if amount < 0 else ""
    places = 0 if amount == amount.to_integral_value() else 2
    return f"{sign}{symbol}{abs(amount):,.{places}f}"


def _quiet_matplotlib_config() -> None:
    """Give matplotlib a writable config and cache directory before it is imported, so it neither fails nor warns.

    Without MPLCONFIGDIR, matplotlib uses ~/.config/matplotlib and ~/.cache/matplotlib on Linux (where it keeps its
    font list, which takes a moment to build); when those cannot be written, as for a service with a read-only
    home, this points it at a private temporary directory instead.
    """
    if os.environ.get("MPLCONFIGDIR") or _matplotlib_home_is_writable():
        return
    private = tempfile.mkdtemp(prefix="commissioning-matplotlib-")
    atexit.register(shutil.rmtree, private, ignore_errors=True)
    os.environ["MPLCONFIGDIR"] = private


def _matplotlib_home_is_writable() -> bool:
    if not sys.platform.startswith(("linux", "freebsd")):
        return True  # elsewhere matplotlib's defaults (~/.matplotlib, %LOCALAPPDATA%) are the user's own
    try:
        home = Path.home()
    except RuntimeError:
        return False
    config = os.environ.get("XDG_CONFIG_HOME") or home / ".config"
    cache = os.environ.get("XDG_CACHE_HOME") or home / ".cache"
    for base in (config, cache):
        folder = Path(base) / "matplotlib"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return False
        if not os.access(folder, os.W_OK):
            return False
    return True
