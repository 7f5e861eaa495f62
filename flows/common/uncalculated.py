"""Excel formulas with no saved value: seen, named by their cell, and refused.

A workbook saved by a program that never calculates (a script, some exports)
holds formulas without their results. Read for cached values, such a cell looks
empty, and an empty claim amount means the card price; so it is refused instead.
"""

from collections.abc import Sequence
from typing import Any

from flows.common.errors import UserError


class _Uncalculated:
    """A formula cell whose workbook holds no saved value (a program that never calculated saved it)."""


UNCALCULATED = _Uncalculated()


def see_uncalculated_formulas() -> None:
    """Make openpyxl's read-only reader say UNCALCULATED, not None, for a formula with no saved value.

    Read for cached values (data_only), such a cell is otherwise indistinguishable from an empty one,
    and an empty amount would silently mean the card price.
    """
    from openpyxl.worksheet import _read_only
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    reader: Any = _read_only  # the read-only worksheet builds its parser from this module's name
    if getattr(reader.WorkSheetParser, "sees_uncalculated", False):
        return

    class Parser(WorkSheetParser):
        sees_uncalculated = True

        def parse_cell(self, element: Any) -> Any:
            cell = super().parse_cell(element)
            if cell["value"] is None and self.data_only and element.find(FORMULA_TAG) is not None:
                cell["value"] = UNCALCULATED
            return cell

    reader.WorkSheetParser = Parser


def refuse_uncalculated(table: Any, line: int, row: Sequence[object]) -> None:
    from openpyxl.utils import get_column_letter

    for index, value in enumerate(row):
        if value is UNCALCULATED:
            name = next((f" ({n})" for n, i in table.columns.items() if i == index), "")
            raise UserError(
                f"{table.where(line)}: cell {get_column_letter(index + 1)}{line}{name} holds a formula with no "
                "saved value; open the workbook in Excel and save it, or enter the value itself"
            )
