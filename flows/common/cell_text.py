"""An Excel cell's value as the text the user sees in Excel, exactly: money and dates never go through float
text. Example: a cell holding 1000.1 + 500.4 (stored as 1500.4999999999998) reads "1500.5"; a date cell
2026-07-01 reads "2026-07-01"; TRUE reads "true".
"""

import datetime as dt
from decimal import Decimal


def cell_text(value: object) -> str:
    """A cell value as the text the user sees in Excel, exactly; money and dates never go through float text."""
    if isinstance(value, str):
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _float_text(value: float) -> str:
    """1500.5 -> "1500.5", 3.0 -> "3", 1000.1 + 500.4 -> "1500.5".

    Excel keeps 15 significant digits and shows no more, so a sum it stored as
    1500.4999999999998 reads as the 1500.5 the user sees, never as the float's noise.
    """
    if value.is_integer():
        return str(int(value))
    text = f"{value:.15g}"
    if "e" in text and "n" not in text:  # 1e-05 -> 0.00001; leave "nan" and "inf" alone
        text = format(Decimal(text), "f")
    return text
