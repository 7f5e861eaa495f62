"""Whole numbers taken from a URL path, a query string or a form, bounded once here.

The database holds a whole number in a signed 64-bit integer (SQLite INTEGER, PostgreSQL bigint); a bigger one
reached it and failed there (``OverflowError``, a 500 with a traceback). A route takes a row number from its path
as ``RowNumber`` and a page number as ``PageNumber``; a number out of range, or not a number, is refused by the
app's handler in one sentence (400), the same as any other bad query. A page number past the last page but in
range is an empty page, as an ``offset`` past the end of a list is.

Worked example: ``/contracts?page=99999999999999999999`` is refused "page: 99999999999999999999 is too large
(at most 1,000,000,000)"; ``/contracts?page=5000`` is page 5,000 of 3, with no rows.
"""

from typing import Annotated, Any

from fastapi import HTTPException, Path, Query, Request

INT64 = range(-(2**63), 2**63)  # as flows/cli/common.py's, for the command line
MOST_PAGE = 10**9  # pages of at least 25 rows: far past any list, and its offset far inside INT64
ONCE = ("page", "limit", "offset", "days")  # a number the query string may give once only

RowNumber = Annotated[int, Path(ge=INT64.start, le=INT64.stop - 1)]
PageNumber = Annotated[int, Query(ge=1, le=MOST_PAGE)]


def given_once(request: Request) -> None:
    """Refuse a number given twice in the query string (``?limit=10&limit=100000``), which took the last one,
    or written other than in ASCII digits (a full-width digit, ``+1``, `` 1``), which int() took as a number."""
    for name in ONCE:
        given = request.query_params.getlist(name)
        if len(given) > 1:
            raise HTTPException(400, f"{name}: given more than once in the query; give it once")
        text = given[0] if given else ""
        if given and not (text.removeprefix("-").isascii() and text.removeprefix("-").isdigit()):
            raise HTTPException(400, f"{name}: {text[:40]!r} is not a whole number written in the digits 0-9")


def said(errors: list[Any]) -> str:
    """A request's invalid fields (FastAPI's validation errors) as one sentence, each named as the query does."""
    parts = []
    for error in errors[:5]:
        name = str(error.get("loc", ("", "value"))[-1])
        given = error.get("input")
        context = error.get("ctx") or {}
        kind = str(error.get("type", ""))
        shown = repr(given[:40]) if isinstance(given, str) and not given.lstrip("-").isdigit() else str(given)[:40]
        if kind == "missing":
            parts.append(f"{name}: is missing")
        elif kind == "int_parsing":
            parts.append(f"{name}: {shown} is not a whole number")
        elif kind == "less_than_equal":
            parts.append(f"{name}: {shown} is too large (at most {context.get('le'):,})")
        elif kind == "greater_than_equal":
            parts.append(f"{name}: {shown} is too small (at least {context.get('ge'):,})")
        else:
            parts.append(f"{name}: {str(error.get('msg', 'is not valid')).lower()}")
    return "; ".join(parts) or "the request is not valid"
