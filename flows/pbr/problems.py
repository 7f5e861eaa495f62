"""Malformed rows of an imported file (rate card, participants, claims), gathered and reported together.

A file with a malformed row is refused whole: every problem is collected with
its line, field and reason, the first few are named in full and the rest are
counted by field, and one error names them all.
"""

from collections import Counter
from pathlib import Path

from flows.common.errors import UserError

SHOWN = 20  # problems named one by one; the rest are counted


class Problems:
    """Malformed rows: the first few named in full, all counted by field."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.first: list[str] = []
        self.count = 0
        self.rows: set[int] = set()
        self.by_field: Counter[str] = Counter()

    def add(self, where: str, line: int, name: str, reason: str) -> None:
        self.count += 1
        self.rows.add(line)
        self.by_field[name] += 1
        if len(self.first) < SHOWN:
            self.first.append(f"{where}: {name}: {reason}")

    def raise_if_any(self, what: str) -> None:
        if not self.count:
            return
        lines = [f"{self.path}: {len(self.rows):,} malformed row(s); no {what} from this file were imported:"]
        lines += [f"  {p}" for p in self.first]
        if self.count > len(self.first):
            fields = ", ".join(f"{name} {n:,}" for name, n in self.by_field.most_common())
            lines.append(f"  ... and {self.count - len(self.first):,} more problem(s); by field: {fields}")
        raise UserError("\n".join(lines))
