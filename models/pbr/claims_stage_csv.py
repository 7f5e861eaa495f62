"""A plain claims CSV file staged as it is: its bytes sent to ``COPY ... (FORMAT csv)``, with no work per row in
Python. At a million claims, reading the rows with ``csv``, stripping them and formatting them for ``COPY``
(``stage_claims``, row by row) took 3.1 s of the importer's CPU; here the server parses the file as it parses
the ``COPY`` text it was sent before.

Only a file whose every row the server reads exactly as ``Table.rows()`` reads it is taken this way; any other
is left to ``stage_claims`` (``stage_csv`` returns None, and nothing of the attempt is kept: it is made inside
a savepoint), which reads it in Python and names each problem by file, line, field and reason as before:
- its header is on line 1 and names only the claims' columns (no other, no unnamed one), so that every cell
  has its staged column;
- it has no backslash (no line can then be ``COPY``'s end-of-data marker ``\\.``), and each line with a
  double quote has only cells either unquoted with no quote in them or wholly quoted, their quotes doubled,
  with no line break (``_QUOTED_LINE``; checked a block of whole lines at a time as the file is sent): the
  two readers then split a line alike, and each record is one physical line, so that the n-th row is on
  line n + 1 (the line ``claims_stage`` numbers it with);
- the server takes every row: a row short of or past the header's width, an empty line, a NUL byte, bytes
  that are not UTF-8, or a carriage return that is not part of every line's ending make ``COPY`` fail, and
  the file goes row by row (where a short row is padded, an empty line skipped, and the rest refused).
Python strips each cell (``str.strip``: Unicode whitespace) and skips a row whose every cell is then empty;
the server does neither. Both are done in SQL (``_tidy``), with the same whitespace, when the bytes sent
show a cell that may start or end with whitespace or a row that may be blank (``_check``, a
superset: most files need neither, and are not read again).
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlmodel import Session

from models.pbr.claims_stage import STAGE, create_stage, raw_connection

BLOCK = 1 << 20  # bytes sent at a time
# What str.strip() strips: every character for which str.isspace() is true, but the line breaks (\n, \r),
# which end an unquoted record
WHITESPACE = (
    "\t\x0b\x0c\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)
# What may show a cell that starts or ends with whitespace, looked for with ``in`` (no pass in Python over the
# bytes): an ASCII space beside a comma, a quote or a line break (looked for when there is a space at all), any
# other ASCII whitespace anywhere, and any other whitespace (looked for when there is a byte past ASCII)
_SPACED = (b" ,", b", ", b' "', b'" ', b" \r", b" \n", b"\n ")
_CONTROL_SPACE = tuple(bytes([c]) for c in b"\t\x0b\x0c\x1c\x1d\x1e\x1f")
_OTHER_SPACE = re.compile(rb"\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80")
# A row whose every cell is empty (or, before stripping, whitespace: found above), quoted or not
_BLANK_ROW = re.compile(rb'\n[,"]*\r?\n')
# A line with quotes that both readers take alike, as one record: each cell unquoted (no quote in it) or wholly
# quoted, a quote in it doubled, with no line break in it
_FIELD = rb'(?:"(?:[^"\r\n]|"")*"|[^",\r\n]*)'
_LONE_CR = re.compile(rb"\r(?!\n)")  # a line ended by CR alone: the checks below look for LF
_QUOTED_LINE = re.compile(_FIELD + rb"(?:," + _FIELD + rb")*\r?")


class _NotAsIs(Exception):
    """The file has a byte that ``COPY`` would not read as ``Table.rows()`` reads it."""


def _lines(handle: Any) -> Iterator[bytes]:
    """The file's rest, a block of whole lines at a time (the last perhaps without its line break)."""
    pending = b""
    while block := handle.read(BLOCK):
        block = pending + block
        cut = block.rfind(b"\n") + 1
        pending = block[cut:]
        if cut:
            yield block[:cut]
    if pending:
        yield pending


def _check(lines: bytes) -> bool:
    """Whether ``lines`` (whole lines) may need tidying (``_SPACED``, ``_CONTROL_SPACE``, ``_OTHER_SPACE``,
    ``_BLANK_ROW``); raises ``_NotAsIs`` for a backslash, or a quote on a line not taken alike (``_QUOTED_LINE``)."""
    if b"\\" in lines or (b"\r" in lines and _LONE_CR.search(lines)):  # a lone CR: COPY may end lines with it
        raise _NotAsIs
    quote = lines.find(b'"')
    while quote >= 0:
        start, end = lines.rfind(b"\n", 0, quote) + 1, lines.find(b"\n", quote)
        end = len(lines) if end < 0 else end
        if _QUOTED_LINE.fullmatch(lines, start, end) is None:
            raise _NotAsIs
        quote = lines.find(b'"', end)
    seen = b"\n" + lines + (b"" if lines.endswith(b"\n") else b"\n")  # each line between two line breaks
    if b" " in seen and any(mark in seen for mark in _SPACED):
        return True
    if any(mark in seen for mark in _CONTROL_SPACE) or (not seen.isascii() and _OTHER_SPACE.search(seen)):
        return True
    return _BLANK_ROW.search(seen) is not None


def stage_csv(session: Session, path: Path, columns: list[str]) -> int | None:
    """Stage the claims CSV file ``path`` as it is (see the module) into a new ``claims_stage``, whose
    ``columns`` are the file's columns in order (STAGED names), and return how many rows it holds; or None,
    with nothing staged, when the file must be read row by row (``stage_claims``)."""
    import psycopg  # PostgreSQL only: see stage_claims

    raw = raw_connection(session)
    if raw.info.encoding != "utf-8":  # the bytes are checked by the server as the connection's encoding
        return None
    with path.open("rb") as handle:
        header = handle.readline()
        ending = header[:-2] if header.endswith(b"\r\n") else header[:-1]
        if not header.endswith(b"\n") or any(mark in ending for mark in (b'"', b"\\", b"\r")):
            return None
        listed = ", ".join(columns)
        with raw.cursor() as cursor:
            cursor.execute("SAVEPOINT claims_as_is")
            try:
                create_stage(cursor, numbered_from=2)
                tidy = False
                sql = f"COPY {STAGE} ({listed}) FROM STDIN (FORMAT csv, FORCE_NOT_NULL ({listed}))"
                with cursor.copy(sql) as copy:
                    for lines in _lines(handle):
                        tidy = _check(lines) or tidy
                        copy.write(lines)
                rows = int(cursor.rowcount)
            except (_NotAsIs, psycopg.DataError):
                cursor.execute("ROLLBACK TO SAVEPOINT claims_as_is")
                cursor.execute("RELEASE SAVEPOINT claims_as_is")
                return None
            cursor.execute("RELEASE SAVEPOINT claims_as_is")
            if tidy:
                rows -= _tidy(cursor, columns)
            cursor.execute(f"ANALYZE {STAGE}")
    return rows


def _tidy(cursor: Any, columns: list[str]) -> int:
    """Strip every staged cell as ``str.strip`` strips it, then drop the rows left with every cell empty, as
    ``Table.rows()`` skips them; returns how many were dropped."""
    stripped = {column: f"btrim({column}, %(space)s)" for column in columns}
    cursor.execute(
        f"UPDATE {STAGE} SET {', '.join(f'{c} = {s}' for c, s in stripped.items())} "
        f"WHERE {' OR '.join(f'{c} <> {s}' for c, s in stripped.items())}",
        {"space": WHITESPACE},
    )
    cursor.execute(f"DELETE FROM {STAGE} WHERE {' AND '.join(f'{c} = %(empty)s' for c in columns)}", {"empty": ""})
    return int(cursor.rowcount)
