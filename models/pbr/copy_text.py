"""Rows as the text ``COPY ... FROM STDIN`` reads, and a ``COPY`` sent by a thread of its own while the caller makes
the next block (PostgreSQL only): how the claims import writes its claims at the speed of two cores."""

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlmodel import Session

from models.pbr.claims_stage import raw_connection

COPY_NULL = "\\N"  # an empty cell in COPY text
_SPECIAL = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_line(row: Sequence[Any]) -> str:
    """One row (in the driver's form: texts, ints, dates, None) as a line of the text ``COPY ... FROM STDIN``
    reads, each cell escaped (a backslash, tab or line break in it). Made here, not by psycopg row by row,
    so that it can be made while the connection is busy sending the rows before (``CopyInBehind``)."""
    null, special = COPY_NULL, _SPECIAL
    return "\t".join(null if value is None else str(value).translate(special) for value in row)


def copy_block(lines: Iterable[str]) -> bytes:
    """Lines of ``COPY`` text (``copy_line``, or made as it makes them) as the block ``CopyInBehind`` sends."""
    text = "\n".join(lines)
    return (text + "\n").encode() if text else b""


class CopyInBehind:
    """``COPY`` of one block of rows at a time into a table, sent and finished by a thread of its own while
    the caller makes the next block: the server stores (and checks keys and indexes) on one core while
    Python decides on the other. The caller uses the connection only between ``wait()`` and the next
    ``send``; the import stays one transaction. Use as a context manager: leaving it waits for the last."""

    def __init__(self, session: Session, table: str, columns: Sequence[str]) -> None:
        self._raw = raw_connection(session)
        self._sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="copy-in")
        self._sending: Future[Any] | None = None

    def send(self, block: bytes, then: Callable[[], Any] | None = None) -> None:
        """Start sending ``block`` (``copy_block``) and then, on the same connection and thread, run ``then``
        (the next rows read back, say: the server works out the next batches while Python decides these),
        whose result ``wait`` gives. The one before must have been waited for."""
        assert self._sending is None, "wait() for the block before"
        if block or then is not None:
            self._sending = self._pool.submit(self._copy, block, then)

    def wait(self) -> Any:
        """Wait until the block sent is stored and ``then`` has run (raising what either raised): the connection
        is free again. Returns what ``then`` returned (None without one)."""
        sending, self._sending = self._sending, None
        return None if sending is None else sending.result()

    def _copy(self, block: bytes, then: Callable[[], Any] | None) -> Any:
        if block:
            with self._raw.cursor() as cursor, cursor.copy(self._sql) as copy:
                copy.write(block)
        return None if then is None else then()

    def __enter__(self) -> "CopyInBehind":
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._sending is not None:
                if exc[0] is None:
                    self.wait()
                else:  # already failing: wait, but let the first error be the one seen
                    self._sending.exception()
                    self._sending = None
        finally:
            self._pool.shutdown(wait=True)
