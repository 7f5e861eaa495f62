"""JSON text with Decimal amounts written exactly, as the numbers they are (never through float)."""

import hashlib
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


def canonical_digest(value: Any) -> str:
    """SHA-256 of ``value``'s contents whatever its key order, spacing or way of writing a number (1500.5, 1500.50
    and 1.5005E3 are one amount): what a release said, to tell a release id given again with other contents."""
    text = json.dumps(_canonical(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _exact(number: Decimal) -> str:
    """One way of writing ``number``, exactly, without a decimal context (whose normalize() rounds past 28 digits
    and overflows on 1e1000000): its digits without trailing zeros, and its exponent."""
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite
    kept = "".join(map(str, digits)).rstrip("0")
    if not kept:
        return "0"
    return f"{'-' if sign else ''}{kept}e{exponent + len(digits) - len(kept)}"


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        return {"\u0000number": _exact(number) if number.is_finite() else str(number)}
    raise TypeError(f"{type(value).__name__} is not JSON")
