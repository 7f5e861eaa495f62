"""A payment run's schedules are written a line at a time from cells made once (flows/pbr/schedules.py
``ScheduleFiles``, flows/pbr/exports.py ``csv_text``): byte for byte what ``write_csv`` writes, whatever the text,
quoted where the CSV needs it and neutralised where a spreadsheet would run it. No database."""

import csv
import datetime as dt
import errno
import io
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from flows.pbr.exports import CsvRows, csv_cell, csv_text, write_csv
from flows.pbr.schedules import SCHEDULE_HEADER, ScheduleFiles

TRICKY = ["C-1", "", " ", "a,b", 'say "no"', '"', "two\r\nlines", "cr\ronly", "lf\nonly", "tab\there", "=1+1",
          "-5", "@sum", "\tx", "Zoë ’quoted’", "NHS Leeds, ICB", "'already", ",", "\r", "\n"]  # fmt: skip


@pytest.mark.parametrize("text", TRICKY)
def test_a_cell_is_written_as_the_csv_module_writes_it_among_others(text: str) -> None:
    cell = csv_cell(text)
    out = io.StringIO()
    csv.writer(out).writerow(["x", cell, "y"])
    assert f"x,{csv_text(cell)},y\r\n" == out.getvalue()


def test_a_schedule_is_written_as_write_csv_writes_its_lines(tmp_path: Path) -> None:
    contract: Any = SimpleNamespace(ref="FCF,2025", provider='Acme "Works"')
    files = ScheduleFiles(tmp_path / "side", contract, "2026-Q1")
    day, expected = dt.date(2026, 1, 5), []
    for n, text in enumerate(TRICKY):
        shares = [("central fund", Decimal("150.00")), ("=council", Decimal(n) / 100)]
        files.add_shares("outcome", text, f"P{text}", f"O,{n}", day if n % 2 else None, shares)
        expected += [("central fund", "outcome", text, f"P{text}", f"O,{n}", day if n % 2 else None, amount)
                     for payer, amount in shares if payer == "central fund"]  # fmt: skip
    files.add(("central fund", "attachment fee", "", "P-9", "", None, Decimal("12.5")))
    expected.append(("central fund", "attachment fee", "", "P-9", "", None, Decimal("12.5")))
    payers = {payer: {"owed_before": "0.00", "recovered": "0.00", "payment": "162.50"}
              for payer in ("central fund", "=council")}  # fmt: skip
    written = dict(files.finish({"payers": payers}))
    expected.append(("central fund", "payment", "", "", "", None, Decimal("162.50")))
    write_csv(tmp_path / "whole.csv", SCHEDULE_HEADER,
              [(contract.ref, contract.provider, "2026-Q1", *line) for line in expected])  # fmt: skip
    assert written["central-fund"].read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_a_schedule_file_that_fails_on_a_full_disk_fails_once_with_the_disks_error() -> None:
    # a proposal on a full disk: the first close fails with the disk's error (one line for the user); closing
    # again as the proposal is discarded has nothing left to write, not "I/O operation on closed file"
    rows = CsvRows(Path("/dev/full"), ["payer", "amount"])
    for n in range(999):  # more than the file's buffer, fewer than a batch: written by the close
        rows.write_line(f"council,{n}.00,{'x' * 100}\r\n")
    with pytest.raises(OSError) as failed:
        rows.close()
    assert failed.value.errno == errno.ENOSPC
    rows.close()


def test_a_claims_nil_share_makes_no_line_on_that_payers_schedule(tmp_path: Path) -> None:
    # a claim a cap cut to nothing, or a payer's 0% share of it: the draft shows no line of £0.00 for it
    contract: Any = SimpleNamespace(ref="FCF-2025-01", provider="Acme")
    files = ScheduleFiles(tmp_path / "side", contract, "2026-Q1")
    day = dt.date(2026, 1, 5)
    files.add_shares(
        "outcome", "C-1", "P-1", "ACC", day, [("central fund", Decimal("150.00")), ("council", Decimal(0))]
    )
    files.add_shares("outcome", "C-2", "P-2", "ACC", day, [("central fund", Decimal("0.00")), ("council", Decimal(0))])
    payers = {
        payer: {"owed_before": "0.00", "recovered": "0.00", "payment": "0.00"} for payer in ("central fund", "council")
    }
    written = dict(files.finish({"payers": payers}))
    claims = {
        name: [row[5] for row in csv.reader(io.StringIO(path.read_text()))][1:-1] for name, path in written.items()
    }
    assert claims == {"central-fund": ["C-1"], "council": []}
