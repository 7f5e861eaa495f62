"""Contracts files: the rows of a YAML or CSV file, each with the file and line it came from.

A CSV file is streamed (``read_rows`` gives an iterator), so a portfolio of any
size is read in bounded memory; its header is checked first, whole: a missing
column, a column named twice, and a column that is not a contract field (a
misspelling such as ``brake_on``, named with the field it is nearest to) are
each an error before any row is read. A YAML file is read whole (it is small
by nature: written by hand): a key that is not a contract field is an error
naming the nearest field, as for a CSV column, and an impossible date in it
(``2027-02-30``) is named with its field among the row's other problems.
"""

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from flows.common.columns import refuse_unknown_columns
from flows.common.errors import UserError
from flows.common.files import check_input_file
from flows.common.tabular import open_table, separator_hint
from flows.common.yaml_lines import load_yaml_with_lines


@dataclass(frozen=True)
class Row:
    """One contract as read from a file or the command line, with where it came from."""

    where: str  # "contracts.csv:3" or "command line"
    fields: Mapping[str, Any]
    line: int | None = None  # the line in the file, for a report of problems


REQUIRED_COLUMNS = ("ref", "title", "provider", "project", "value", "start")
OPTIONAL_COLUMNS = (
    "term",
    "end",
    "extension_notice",
    "break_on",
    "break_rolling_from",
    "break_notice",
    "break_party",
    "nation",
    "payment_model",
    "kpis",
    "kpi_exemption",
    "kpi_exemption_reason",
    "award_notice_on",
    "signed_on",
    "quarterly_monitoring",
    "annual_review",
    "mid_term_review",
    "pre_expiry_months",
    "recommissioning_lead_months",
    "extensions_used",
)

SUB_KEYS = {"breaks": ("on", "rolling_from", "notice", "party"), "extensions": ("from", "to", "notice")}
YAML_KEYS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *SUB_KEYS)


def read_rows(path: Path) -> Iterator[Row]:
    """The rows of a YAML or CSV contracts file, each with its line number; the file's structure is
    checked now, its rows as they are read."""
    check_input_file(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path)
    elif suffix in (".yaml", ".yml"):
        rows = iter(_yaml_rows(path, _text(path)))
    else:
        raise UserError(f"{path}: unknown file type {suffix!r}; use .csv, .yaml or .yml")
    first = next(rows, None)  # a file of no contracts is refused, as claims and participants files are
    if first is None:
        raise UserError(f"{path}: has no contracts")
    return itertools.chain([first], rows)


def _text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    if not text.strip():
        raise UserError(f"{path}: is empty")
    return text


def _csv_rows(path: Path) -> Iterator[Row]:
    table = open_table(path, required=())
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if "term" not in table.columns and "end" not in table.columns:
        missing.append("term (or end)")
    if missing:
        raise UserError(
            f"{table.where(table.header_line)}: missing column(s): {', '.join(missing)}{separator_hint(table)}"
        )
    refuse_unknown_columns(table, (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))
    return _records(table)


def _records(table: Any) -> Iterator[Row]:
    names = sorted(table.columns, key=table.columns.__getitem__)
    indexes = [table.columns[name] for name in names]
    for line, cells in table.rows():
        yield Row(table.where(line), {name: cells[i] for name, i in zip(names, indexes, strict=True)}, line)


def _yaml_rows(path: Path, text: str) -> list[Row]:
    document = load_yaml_with_lines(path, text)
    items = document.get("contracts") if isinstance(document, dict) else document
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise UserError(f"{path}: expected a list of contracts under 'contracts:'")
    unknown = [said for item in items for said in _unknown_keys(path, item, YAML_KEYS)]
    if unknown:  # as an unknown CSV column is: a misspelt field must not be dropped without a word
        raise UserError("\n".join(unknown))
    rows = []
    for item in items:
        line = item.pop("__line__")
        rows.append(Row(f"{path}:{line}", _strip_lines(item), line))
    return rows


def _unknown_keys(path: Path, item: Mapping[str, Any], known: Sequence[str], within: str = "") -> Iterator[str]:
    """Each key of a YAML contract entry (or of its breaks and extensions) that is not a field, with the
    nearest field's name, as ``refuse_unknown_columns`` names a CSV column."""
    line = item.get("__line__")
    for key, value in item.items():
        if key == "__line__":
            continue
        if key not in known:
            close = get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; the known fields are {', '.join(known)}"
            yield f"{path}:{line}: unknown field {within}{key!r}{hint}"
        elif key in SUB_KEYS and isinstance(value, list):
            for sub in value:
                if isinstance(sub, Mapping):
                    yield from _unknown_keys(path, sub, SUB_KEYS[key], f"{key}: ")


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value
