"""An id, a reference or a name with a line break or a control character in it is refused, naming the file, the
line, the field and why, and nothing is kept: claims (CSV, which PostgreSQL takes through COPY, and .xlsx) and
participants, on both backends. The hostile trial's case: claim_ref "C-2\\nC-3" was stored, and split every
report and CSV that showed it across two lines."""

from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.pbr.claims_import import import_claims
from flows.pbr.participants import import_participants
from tests.integration.pbr import test_pbr_imports
from tests.integration.pbr.test_pbr_imports import CONTRACT, SENT, counts

fcf = test_pbr_imports.fcf  # the fixture: the contract, its card and its participants

CLAIM_COLUMNS = ["contract", "claim_ref", "participant", "outcome", "achieved_on", "amount", "evidence"]
GOOD = [CONTRACT, "C-1", "P-001", "EMP_ENTRY", "2025-10-06", "", "payslip"]
CONTROL = "contains a line break/control character"
BAD = {"a line feed": "C-2\nC-3", "a carriage return": "C-2\rX", "a tab": "C-2\tX", "an escape": "C-2\x1b[2J",
       "a line separator": "C-2\u2028X", "a C1 control": "C-2\x85X"}  # fmt: skip


def _write(path: Path, columns: list[str], rows: list[list[str]]) -> Path:
    if path.suffix == ".xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        for row in [columns, *rows]:
            sheet.append(row)
        book.save(path)
    else:
        import csv

        with path.open("w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerows([columns, *rows])
    return path


def _refused(settings: Settings, run: object, path: Path, where: str) -> None:
    before = counts(settings)
    with pytest.raises(UserError) as refused:
        run(settings, path, as_of=SENT, actor="finance")  # type: ignore[operator]
    assert where in str(refused.value), str(refused.value)
    assert counts(settings) == before


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("kind", list(BAD))
def test_a_claim_ref_with_a_line_break_or_control_character_is_refused(
    fcf: Settings, tmp_path: Path, kind: str, suffix: str
) -> None:
    if suffix == ".xlsx" and ILLEGAL_CHARACTERS_RE.search(BAD[kind]):
        pytest.skip("a workbook cannot hold it (openpyxl and Excel refuse it)")
    bad = [CONTRACT, BAD[kind], "P-002", "EMP_ENTRY", "2025-11-10", "", "payslip"]
    path = _write(tmp_path / f"claims{suffix}", CLAIM_COLUMNS, [GOOD, bad])
    line = f"{path}:3" if suffix == ".csv" else f"{path}:Sheet!3"
    _refused(fcf, import_claims, path, f"{line}: claim_ref: {CONTROL}")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_claimed_participant_with_a_line_break_is_refused(fcf: Settings, tmp_path: Path, suffix: str) -> None:
    bad = [CONTRACT, "C-2", "P-002\nP-003", "EMP_ENTRY", "2025-11-10", "", "payslip"]
    path = _write(tmp_path / f"claims{suffix}", CLAIM_COLUMNS, [GOOD, bad])
    line = f"{path}:3" if suffix == ".csv" else f"{path}:Sheet!3"
    _refused(fcf, import_claims, path, f"{line}: participant: {CONTROL}")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_participant_id_with_a_line_break_is_refused(fcf: Settings, tmp_path: Path, suffix: str) -> None:
    rows = [[CONTRACT, "P-010", "2025-10-01"], [CONTRACT, "P-011\rP-012", "2025-10-01"]]
    path = _write(tmp_path / f"participants{suffix}", ["contract", "participant", "referral_date"], rows)
    line = f"{path}:3" if suffix == ".csv" else f"{path}:Sheet!3"
    _refused(fcf, import_participants, path, f"{line}: participant: {CONTROL}")
