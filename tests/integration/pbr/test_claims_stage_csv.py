"""A claims CSV file staged by the server from its bytes (models/pbr/claims_stage_csv.py) stages exactly what the
row-by-row reading stages (``stage_claims``): the same lines, cells stripped as ``str.strip`` strips them and
blank rows skipped; and a file the server would read otherwise is left, with nothing kept, to the row-by-row
reading. PostgreSQL only (SQLite has no COPY)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from flows.common.errors import UserError
from flows.common.tabular import open_table
from flows.pbr import claims_copy
from flows.pbr.claims_file import CLAIM_OPTIONAL, CLAIM_REQUIRED
from models.db import make_engine
from models.pbr import claims_stage_csv
from models.pbr.claims_stage import STAGE, raw_connection, stage_claims
from tests.integration.conftest import create_pg_database

HEADER = "contract,claim_ref,participant,outcome,achieved_on,amount,evidence"
ROW = "FCF-2025-01,C-{n},P-00{n},EMP_ENTRY,2025-10-06,,payslip"
PLAIN = [ROW.format(n=n) for n in range(1, 4)]
# Each cell Python strips, with every kind of whitespace str.strip() knows at its edges (but the line breaks),
# cells of whitespace alone, and rows left blank: skipped, the lines after them keeping their numbers
SPACED = [
    " FCF-2025-01 ,\tC-1\x0b,\x0cP-001\x1c, EMP_ENTRY\x1d ,\x1e2025-10-06\x1f,\u00a0 ,payslip\u0085",
    ",,,,,,",
    "FCF-2025-01,\u1680C-2\u2000,\u2001P-002\u200a,\u2028EMP_ENTRY\u2029,\u202f2025-10-06\u205f,\u3000,",
    " , ,\t,\u3000,,,",
    "FCF-2025-01,C 3,P-003,EMP ENTRY,2025-10-06,,pay\u00a0slip",  # inner whitespace stays
    "FCF-2025-01,C-4,P-004,EMP_ENTRY,2025-10-06,12.50, ",
    ",,,,,,",
    'FCF-2025-01," C-5 ",P-005,EMP_ENTRY,2025-10-06,"","payslip,photo_id "',  # quoted, stripped inside
    '"",,"",,,," "',
    'FCF-2025-01,"C-""6""",P-006,EMP_ENTRY,2025-10-06,,"a, b"',  # a quote in a cell, doubled
]


@pytest.fixture
def session(request: pytest.FixtureRequest) -> Iterator[Session]:
    engine = make_engine(create_pg_database(request.getfixturevalue("postgres_server_url"), "commissioning_csv"))
    with Session(engine) as session:
        yield session
    engine.dispose()


def write(path: Path, header: str, rows: list[str], ending: str = "\n", *, bom: bool = False) -> Path:
    path.write_bytes((("\ufeff" if bom else "") + ending.join([header, *rows]) + ending).encode())
    return path


def staged(session: Session, path: Path, as_is: bool) -> tuple[int | None, list[tuple[Any, ...]]]:
    """The rows staged (how many were counted, and the rows by line), from the bytes or row by row."""
    table = open_table(path, required=CLAIM_REQUIRED, optional=CLAIM_OPTIONAL)
    raw = raw_connection(session)
    try:
        count = claims_copy._stage_as_is(session, table) if as_is else stage_claims(session, claims_copy._staged(table))
        with raw.cursor() as cursor:
            if count is None:  # nothing kept of the attempt
                cursor.execute(f"SELECT to_regclass('{STAGE}')")
                assert cursor.fetchone() == (None,)
                return None, []
            cursor.execute(f"SELECT * FROM {STAGE} ORDER BY line")
            return count, list(cursor.fetchall())
    finally:
        session.rollback()


def same_both_ways(session: Session, path: Path) -> list[tuple[Any, ...]]:
    count, rows = staged(session, path, as_is=True)
    assert count is not None, "staged from its bytes"
    assert (count, rows) == staged(session, path, as_is=False)
    return rows


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
@pytest.mark.parametrize("block", [claims_stage_csv.BLOCK, 3])  # and whitespace or a blank row across blocks
def test_a_file_staged_from_its_bytes_is_staged_as_row_by_row(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ending: str, block: int
) -> None:
    monkeypatch.setattr(claims_stage_csv, "BLOCK", block)
    assert [r[:3] for r in same_both_ways(session, write(tmp_path / "plain.csv", HEADER, PLAIN, ending))] == [
        (2, "FCF-2025-01", "C-1"),
        (3, "FCF-2025-01", "C-2"),
        (4, "FCF-2025-01", "C-3"),
    ]
    rows = same_both_ways(session, write(tmp_path / "spaced.csv", HEADER, SPACED, ending, bom=True))
    assert rows == [
        (2, "FCF-2025-01", "C-1", "P-001", "EMP_ENTRY", "2025-10-06", "", "payslip"),
        (4, "FCF-2025-01", "C-2", "P-002", "EMP_ENTRY", "2025-10-06", "", ""),
        (6, "FCF-2025-01", "C 3", "P-003", "EMP ENTRY", "2025-10-06", "", "pay\u00a0slip"),
        (7, "FCF-2025-01", "C-4", "P-004", "EMP_ENTRY", "2025-10-06", "12.50", ""),
        (9, "FCF-2025-01", "C-5", "P-005", "EMP_ENTRY", "2025-10-06", "", "payslip,photo_id"),
        (11, "FCF-2025-01", 'C-"6"', "P-006", "EMP_ENTRY", "2025-10-06", "", "a, b"),
    ]
    # the last row blank, with no line break after it
    path = tmp_path / "last.csv"
    path.write_bytes(ending.join([HEADER, *PLAIN, ",,,,,,"]).encode())
    assert len(same_both_ways(session, path)) == 3


def test_columns_in_another_order_and_the_optional_ones_left_out_are_staged_as_row_by_row(
    session: Session, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "order.csv", "achieved_on,participant,claim_ref,contract,outcome", ["2025-10-06,P-1,C-1,F,E"]
    )
    assert same_both_ways(session, path) == [(2, "F", "C-1", "P-1", "E", "2025-10-06", "", "")]


@pytest.mark.parametrize(
    ("header", "rows"),
    [
        (HEADER, [*PLAIN, 'FCF-2025-01,"C-9\n",P-009,EMP_ENTRY,2025-10-06,,payslip']),  # a record of two lines
        (HEADER, [*PLAIN, 'FCF-2025-01,C"9",P-009,EMP_ENTRY,2025-10-06,,payslip']),  # a quote inside a cell
        (HEADER, [*PLAIN, 'FCF-2025-01,"C"9,P-009,EMP_ENTRY,2025-10-06,,payslip']),  # text after a quoted cell
        (HEADER, [*PLAIN, 'FCF-2025-01, "C-9",P-009,EMP_ENTRY,2025-10-06,,payslip']),  # text before a quoted cell
        (HEADER, [*PLAIN, 'FCF-2025-01,"C-9,P-009,EMP_ENTRY,2025-10-06,,payslip']),  # a quote left open
        (HEADER, [*PLAIN, "FCF-2025-01,C\\9,P-009,EMP_ENTRY,2025-10-06,,payslip"]),  # a backslash
        (HEADER, [*PLAIN[:2], "", PLAIN[2]]),  # an empty line: skipped row by row, refused by COPY
        (HEADER, [*PLAIN, "FCF-2025-01,C-9,P-009,EMP_ENTRY,2025-10-06"]),  # a short row: padded row by row
        (HEADER, [*PLAIN, "FCF-2025-01,C-9,P-009,EMP_ENTRY\r,2025-10-06,,payslip"]),  # a carriage return
        (HEADER + ",note", [f"{row},a note" for row in PLAIN]),  # another column
        (HEADER + ",", [f"{row}," for row in PLAIN]),  # an unnamed column
        ("\n" + HEADER, PLAIN),  # the header on line 2
    ],
)
def test_a_file_the_server_would_read_otherwise_is_left_to_the_row_by_row_reading_with_nothing_kept(
    session: Session, tmp_path: Path, header: str, rows: list[str]
) -> None:
    path = write(tmp_path / "other.csv", header, rows)
    assert staged(session, path, as_is=True) == (None, [])
    try:  # which the row-by-row reading stages, or refuses naming the line, by its own rules
        assert staged(session, path, as_is=False)[0]
    except UserError as refused:
        assert f"{path}:" in str(refused)


def test_lines_ended_by_a_carriage_return_alone_are_left_to_the_row_by_row_reading(
    session: Session, tmp_path: Path
) -> None:
    # COPY takes its line ending from the first data line; the checks for a blank row or a space beside a line
    # break looked for LF only, so the blank row and ' FCF-2025-01' were staged as they were (review)
    path = tmp_path / "cr.csv"
    path.write_bytes(
        (HEADER + "\n" + "".join(f"{r}\r" for r in [PLAIN[0], ",,,,,,", " " + PLAIN[1], PLAIN[2]])).encode()
    )
    assert staged(session, path, as_is=True) == (None, [])


def test_bytes_that_are_not_utf8_are_left_to_the_row_by_row_reading(session: Session, tmp_path: Path) -> None:
    # past the first blocks the reader decodes in opening the file
    path = tmp_path / "latin1.csv"
    rows = [ROW.format(n=n) for n in range(1000)]
    path.write_bytes(
        f"{HEADER}\n{chr(10).join(rows)}\nFCF-2025-01,C-9,P-9,EMP_ENTRY,2025-10-06,,pay\xe9\n".encode("latin-1")
    )
    assert staged(session, path, as_is=True) == (None, [])
