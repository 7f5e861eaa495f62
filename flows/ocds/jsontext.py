"""JSON text with Decimal amounts written exactly, as the numbers they are (never through float)."""

import json
import re
from decimal import Decimal
from typing import Any

_MARK = "\u0000dec:"
_MARKED = re.compile(r'"\\u0000dec:([-0-9.Ee+]+)"')


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{_MARK}{value}"
    raise TypeError(f"{type(value).__name__} is not JSON")


def dumps(value: Any, *, indent: int | None = None) -> str:
    """``value`` as JSON text; a Decimal is written as its exact number (1500.50 stays 1500.50)."""
    text = json.dumps(
        value, default=_default, ensure_ascii=False, indent=indent, separators=None if indent else (",", ":")
    )
    return _MARKED.sub(r"\1", text) if _MARK in text or "\\u0000dec:" in text else text


def loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)
