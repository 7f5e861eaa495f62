"""Long lists a page at a time: the page, how many match, and every row read again for an export, the same rows
in the same order as the whole list. The world is tests/integration/pbr/test_lists.py's: FCF-2025-01 paid for
2026-Q1 (claims C-1 to C-5; ten ledger entries: six accruals, two payments and C-1's two clawbacks).
"""

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.cli import lists as cli_lists
from flows.common.errors import UserError
from flows.common.listing import TEXT, Listing, Page, export_listing, paged
from flows.common.settings import Settings
from flows.contracts.listing import contracts_list
from flows.pbr import exports
from flows.pbr.lists import claims_list, ledger_list, participants_list, ratecards_list, runs_list
from tests.integration.pbr.test_lists import paid  # noqa: F401  (its fixture: FCF-2025-01 paid for 2026-Q1)

SERVICES = [claims_list, ledger_list, participants_list, runs_list, ratecards_list, contracts_list]


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.__name__)
def test_every_page_is_the_whole_lists_rows_in_its_order_and_every_reads_them_all(paid: Settings, service: Any) -> None:  # noqa: F811
    whole = service(paid).rows
    assert whole, "the world has rows in every list"
    pages = [service(paid, page=Page(2, offset)) for offset in range(0, len(whole) + 2, 2)]
    assert [row for p in pages for row in p.rows] == whole
    assert {p.count for p in pages} == {len(whole)}  # how many match, not how many the page holds
    assert [p.offset for p in pages] == list(range(0, len(whole) + 2, 2))
    assert pages[-1].rows == []  # past the end: nothing, and still the count
    assert list(pages[1].all_rows()) == whole  # read again in full, whichever page asked


def test_a_ledger_page_with_filters_and_its_export_holds_every_matching_row(paid: Settings, tmp_path: Path) -> None:  # noqa: F811
    accruals = ledger_list(paid, contract="FCF-2025-01", kind="accrual").rows
    assert len(accruals) == 6  # C-1, C-2, C-3, each to the central fund and the council
    first = ledger_list(paid, contract="FCF-2025-01", kind="accrual", page=Page(4))
    assert (len(first.rows), first.count) == (4, 6)
    out = tmp_path / "ledger.csv"
    export_listing(first, out)
    with open(out, newline="", encoding="utf-8") as f:
        written = list(csv.DictReader(f))
    assert [int(r["Entry"]) for r in written] == [r["id"] for r in accruals]
    assert [r["Amount"] for r in written] == [r["amount"] for r in accruals]


def test_a_list_too_long_for_a_worksheet_is_refused_for_excel_and_nothing_is_written(
    paid: Settings,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(exports, "EXCEL_MAX_ROWS", 6)  # as if a worksheet held 5 rows and a header: the ledger has 10
    found = ledger_list(paid, page=Page(2))
    out = tmp_path / "ledger.xlsx"
    with pytest.raises(UserError) as refused:
        export_listing(found, out)
    assert str(refused.value) == (
        f"--export: {out}: the list has 10 rows and an Excel worksheet holds 5; export it to a .csv file, or filter it"
    )
    assert not out.exists()
    export_listing(found, tmp_path / "ledger.csv")  # the same list as CSV is written whole
    assert len((tmp_path / "ledger.csv").read_text().splitlines()) == 11


def rows_of(n: int) -> Iterator[dict[str, Any]]:
    return ({"ref": f"R-{i}", "note": 'a "quoted", note' if i % 2 else None} for i in range(n))


@pytest.mark.parametrize("n", [0, 3, 1000, 1001, 2500])
def test_json_is_printed_as_the_whole_list_would_be_whether_held_or_read_a_row_at_a_time(
    n: int, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = Listing("Things", (("ref", "Ref", TEXT), ("note", "Note", TEXT)), list(rows_of(n)))
    cli_lists.print_json(whole.rows)
    expected = capsys.readouterr().out
    cli_lists.print_rows(paged(whole, Page(10)))  # the first 10 held, every row read again
    assert capsys.readouterr().out == expected
    assert json.loads(expected) == list(rows_of(n))


def test_the_terminal_table_shows_the_first_rows_and_says_how_many_match(
    paid: Settings,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli_lists.show(ledger_list(paid, page=Page(3)), as_json=False, export=None, empty="none")
    shown = capsys.readouterr().out
    assert "Ledger (10)" in shown
    assert "The first 3 of 10 rows are shown; --export FILE.csv or --json gives every row." in shown
    cli_lists.show(ledger_list(paid, page=Page(10)), as_json=False, export=None, empty="none")
    assert "rows are shown" not in capsys.readouterr().out  # all of them fit: nothing to say


def test_a_long_export_being_read_holds_no_write_lock_and_a_closed_one_ends_its_transaction(
    paid: Settings,  # noqa: F811
) -> None:
    """An export read with a writer's transaction (SQLite's BEGIN IMMEDIATE) locked every approval, import and
    sweep out for as long as it ran: `commission ledger --json | less` until the pager closed."""
    from sqlalchemy import text

    from flows.common.runtime import database

    rows = ledger_list(paid, page=Page(2)).all_rows()
    assert next(rows)["id"] == 1  # reading, part-way
    with database(paid).connect() as writer:  # another process's write goes ahead meanwhile
        writer.execute(text("UPDATE contract SET title = title WHERE id = 0"))
        writer.commit()
    rows.close()
    with pytest.raises(StopIteration):
        next(rows)
