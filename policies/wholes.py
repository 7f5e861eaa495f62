"""Whole numbers read from a file or a form: bounded where they are read, as money is (policies/money.py).

Rule: a whole number is at most what the database holds, a signed 64-bit integer (9,223,372,036,854,775,807);
a length of time counted in days, weeks, months or years (a notice period, a lead, an interval between
outcomes) is at most 200 years of them, since no date the product holds is later than 2200 and a longer one
could only overflow the date arithmetic. A bigger number is refused "too large", and the reader names its
file, line and field, never a traceback or a database error.

Worked example: a contract's ``extensions_used`` of 100000000000000000000000000000 is refused "too large:
at most 9,223,372,036,854,775,807"; a break notice of "3000 months" is refused "too large: at most 2,400
months (200 years)"; "18 months" is read as 18.
"""

import re
from collections.abc import Mapping
from typing import Any

from policies.cycle.evidence import FieldProblem

MOST_WHOLE = 2**63 - 1  # SQLite INTEGER, PostgreSQL bigint
MOST_OF_UNIT = {"days": 73_050, "working_days": 73_050, "weeks": 10_436, "months": 2_400, "years": 200}


def too_large(number: int, unit: str | None = None) -> str | None:
    """Why ``number`` (of ``unit``: days, working_days, weeks, months or years, or None for a plain count)
    cannot be taken, or None."""
    most = MOST_OF_UNIT[unit] if unit is not None else MOST_WHOLE
    if number <= most:
        return None
    if unit is None:
        return f"too large: at most {most:,}"
    return f"too large: at most {most:,} {unit.replace('_', ' ')}" + ("" if unit == "years" else " (200 years)")


def read_whole(
    fields: Mapping[str, Any], name: str, default: int | None, problems: list[FieldProblem], unit: str | None = None
) -> int | None:
    """A field's whole number of ``unit`` (or a plain count when None); ``default`` when it is left out, and
    when it is not a whole number, is negative or is too large, each with its problem."""
    value = fields.get(name)
    if value is None or value == "":
        return default
    text = str(value).strip()
    if not re.fullmatch(r"-?[0-9]+", text):  # int() would also take '1_000', '+5' and other scripts' digits
        problems.append(FieldProblem(name, f"{value!r} is not a whole number (digits 0-9)"))
        return default
    number = int(text)
    if number < 0:
        problems.append(FieldProblem(name, "cannot be negative"))
        return default
    why = too_large(number, unit)
    if why:
        problems.append(FieldProblem(name, why))
        return default
    return number
