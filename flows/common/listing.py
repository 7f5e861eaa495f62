"""What every list shares (contracts, claims, runs, rate cards, participants, the ledger): its rows and columns,
filters checked in words, and export to CSV or Excel.

Rows are JSON-ready (money as text with pence, dates in ISO form), so ``--json``, the API and the web page show
the same values; ``cells()`` turns them back into exact Decimals and dates for a spreadsheet.

A list asked for a ``Page`` holds that page of its rows and how many match in all (``total``), and reads every
row again a chunk at a time for an export (``every``): a national outcomes fund's ledger has millions of entries,
and the web page, the API, the terminal and an export each hold at most a page of them, never the whole list.
"""

import contextlib
import datetime as dt
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from flows.common.errors import UserError

TEXT, MONEY, DATE, NUMBER = "text", "money", "date", "number"
EXPORT_SUFFIXES = (".csv", ".xlsx")


@dataclass(frozen=True)
class Page:
    """Which rows of a list to hold: ``limit`` of them from row ``offset`` (0 is the first)."""

    limit: int
    offset: int = 0


@dataclass(frozen=True)
class Listing:
    """Rows of one list and its columns: (key, header, kind).

    ``rows`` are every row, or one page of them: then ``total`` is how many match, ``offset`` where the page
    starts, and ``every`` reads them all again, a chunk at a time."""

    sheet: str
    columns: tuple[tuple[str, str, str], ...]
    rows: list[dict[str, Any]]
    total: int | None = None
    offset: int = 0
    every: Callable[[], Iterator[dict[str, Any]]] | None = None

    @property
    def count(self) -> int:
        """How many rows match (all of them, not the page's)."""
        return len(self.rows) if self.total is None else self.total

    def all_rows(self) -> Generator[dict[str, Any]]:
        """Every matching row, in order: read again when ``rows`` is a page. Close it (``contextlib.closing``)
        to end the reading's transaction at once if it is not read to the end."""
        yield from (self.rows if self.every is None else self.every())

    def header(self) -> list[str]:
        return [title for _, title, _ in self.columns]

    def cells(self) -> Generator[tuple[Any, ...]]:
        """Every row as export cells: money as exact Decimals, dates as dates, the rest as they are."""
        convert: dict[str, Callable[[str], Any]] = {MONEY: Decimal, DATE: dt.date.fromisoformat}
        with contextlib.closing(self.all_rows()) as rows:
            for row in rows:
                yield tuple(
                    None if row[k] is None else convert[kind](row[k]) if kind in convert else row[k]
                    for k, _, kind in self.columns
                )


def paged(listing: Listing, page: Page | None) -> Listing:
    """A list held whole (a few thousand contracts), cut to ``page``; itself when no page is asked for."""
    if page is None:
        return listing
    rows = listing.rows
    return Listing(listing.sheet, listing.columns, rows[page.offset : page.offset + page.limit], len(rows),
                   page.offset, lambda: iter(rows))  # fmt: skip


def one_of(option: str, value: str | None, valid: tuple[str, ...], what: str) -> str | None:
    """``value`` if it is one of ``valid`` (case and spaces forgiven), else a UserError listing them."""
    if value is None:
        return None
    cleaned = value.strip().lower().replace(" ", "_")
    if cleaned not in valid:
        raise UserError(f"{option}: {value!r} is not {what}; use {', '.join(valid[:-1])} or {valid[-1]}")
    return cleaned


def export_suffix(option: str, path: Path) -> str:
    """The export's kind from its name (.csv or .xlsx), checked before any work is done."""
    suffix = path.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise UserError(f"{option}: {path} must end .csv or .xlsx")
    return suffix


def export(
    path: Path, sheet: str, header: list[str], rows: Iterable[tuple[Any, ...]], *, option: str = "--export"
) -> None:
    """Write rows to a CSV or an Excel workbook (by the file's suffix), whole or not at all."""
    from flows.pbr.exports import write_csv, write_xlsx

    if export_suffix(option, path) == ".csv":
        write_csv(path, header, rows)
    else:
        write_xlsx(path, [(sheet, header, rows)])


def export_listing(listing: Listing, path: Path, *, option: str = "--export") -> None:
    """Write every row of ``listing`` (read again, a chunk at a time, if it holds a page) to ``path``; the reading
    is closed (its transaction ended) however the writing ends."""
    from flows.pbr.exports import EXCEL_MAX_ROWS

    most = EXCEL_MAX_ROWS - 1  # a worksheet's rows, less the header
    if export_suffix(option, path) == ".xlsx" and listing.count > most:
        raise UserError(
            f"{option}: {path}: the list has {listing.count:,} rows and an Excel worksheet holds {most:,}; "
            "export it to a .csv file, or filter it"
        )
    with contextlib.closing(listing.cells()) as cells:
        export(path, listing.sheet, listing.header(), cells, option=option)
