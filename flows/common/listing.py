"""What every list shares (contracts, claims, runs, rate cards, participants, the ledger): its rows and columns,
filters checked in words, and export to CSV or Excel.

Rows are JSON-ready (money as text with pence, dates in ISO form), so ``--json``, the API and the web page show
the same values; ``cells()`` turns them back into exact Decimals and dates for a spreadsheet.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from flows.common.errors import UserError

TEXT, MONEY, DATE, NUMBER = "text", "money", "date", "number"
EXPORT_SUFFIXES = (".csv", ".xlsx")


@dataclass(frozen=True)
class Listing:
    """Rows of one list and its columns: (key, header, kind)."""

    sheet: str
    columns: tuple[tuple[str, str, str], ...]
    rows: list[dict[str, Any]]

    def header(self) -> list[str]:
        return [title for _, title, _ in self.columns]

    def cells(self) -> list[tuple[Any, ...]]:
        """The rows as export cells: money as exact Decimals, dates as dates, the rest as they are."""
        convert: dict[str, Callable[[str], Any]] = {MONEY: Decimal, DATE: dt.date.fromisoformat}
        return [
            tuple(
                None if row[k] is None else convert[kind](row[k]) if kind in convert else row[k]
                for k, _, kind in self.columns
            )
            for row in self.rows
        ]


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


def export(path: Path, sheet: str, header: list[str], rows: list[tuple[Any, ...]], *, option: str = "--export") -> None:
    """Write rows to a CSV or an Excel workbook (by the file's suffix), whole or not at all."""
    from flows.pbr.exports import write_csv, write_xlsx

    if export_suffix(option, path) == ".csv":
        write_csv(path, header, rows)
    else:
        write_xlsx(path, [(sheet, header, rows)])


def export_listing(listing: Listing, path: Path, *, option: str = "--export") -> None:
    export(path, listing.sheet, listing.header(), listing.cells(), option=option)
