"""Malformed rows of an imported file (rate card, participants, claims), gathered and reported together.

A file with a malformed row is refused whole: every problem is collected with
its line, field and reason, the first ``SHOWN`` are named in full and all are
counted, by field, and one error names them all. Given a ``report`` path,
every problem is also written, as it is found, to a CSV of line, field and
reason: it replaces the file whole when the refusal is raised, and is never
left half-written.
"""

import csv
from collections import Counter
from pathlib import Path
from typing import Any

from flows.common.errors import UserError

SHOWN = 100  # problems named one by one; the rest are counted (and all written to the report, if asked for)


class Problems:
    """Malformed rows: the first SHOWN named in full, all counted by field, all written to ``report``."""

    def __init__(self, path: Path, *, report: Path | None = None, report_option: str | None = None) -> None:
        """``report_option``: the command's option that writes the report, named when there are more problems
        than are shown and no report was asked for."""
        self.path = path
        self.first: list[str] = []
        self.count = 0
        self.rows: set[int] = set()
        self.by_field: Counter[str] = Counter()
        self.report = report
        self.report_option = report_option
        self._file: Any = None
        self._writer: Any = None

    def add(self, where: str, line: int, name: str, reason: str) -> None:
        self.count += 1
        self.rows.add(line)
        self.by_field[name] += 1
        if len(self.first) < SHOWN:
            self.first.append(f"{where}: {name}: {reason}")
        if self.report is not None:
            if self._writer is None:
                self._open_report(self.report)
            self._writer.writerow([line, name, _cell(reason)])

    def _open_report(self, report: Path) -> None:
        try:
            self._file = _partial(report).open("w", encoding="utf-8", newline="")
        except OSError as exc:
            raise UserError(f"{report}: cannot be written: {exc.strerror or exc}") from None
        self._writer = csv.writer(self._file)
        self._writer.writerow(["line", "field", "reason"])

    def discard(self) -> None:
        """Reading stopped before the end (the file could not be read on): no report, rather than half of one."""
        if self._file is not None:
            self._file.close()
            self._file = self._writer = None
            assert self.report is not None
            _partial(self.report).unlink(missing_ok=True)

    def raise_if_any(self, what: str) -> None:
        if not self.count:
            return
        if self._file is not None:
            assert self.report is not None
            try:
                self._file.close()
                _partial(self.report).replace(self.report)
            except OSError as exc:
                _partial(self.report).unlink(missing_ok=True)
                raise UserError(f"{self.report}: cannot be written: {exc.strerror or exc}") from None
            finally:
                self._file = self._writer = None
        lines = [f"{self.path}: {len(self.rows):,} malformed row(s); no {what} from this file were imported:"]
        lines += [f"  {p}" for p in self.first]
        if self.count > len(self.first):
            fields = ", ".join(f"{name} {n:,}" for name, n in self.by_field.most_common())
            more = f"  ... and {self.count - len(self.first):,} more problem(s); by field: {fields}"
            if self.report is not None:
                more += f"; all of them are in {self.report}"
            elif self.report_option:
                more += f"; {self.report_option} FILE writes them all"
            lines.append(more)
        raise UserError("\n".join(lines))


def _partial(report: Path) -> Path:
    return report.with_name(report.name + ".part")


def _cell(text: str) -> str:
    """Text a spreadsheet would read as a formula, with a leading apostrophe."""
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text
