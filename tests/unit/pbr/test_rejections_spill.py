"""An import's rejections wait in temporary files, a sorted run at a time, and come back in line order.

A national claims file rejects about a million claims; the report holds at most ``Rejections.HELD`` of them in
memory. Here HELD is cut to 3, so ten rejections make three runs on disk and one in memory.
"""

import pickle
from pathlib import Path

import pytest

from flows.pbr.claims_report import ClaimsReport, Rejection, Rejections, write_rejections
from flows.pbr.exports import write_csv


def rejection(line: int, ref: str) -> Rejection:
    return Rejection(
        line, ref, "FCF-2025-01", "P-001", "EMP_ENTRY", "rejected", "500.00", "0.00",
        ["evidence_missing", "too_early"], ["no payslip", "before 2025-10-06, when it may first be claimed"],
    )  # fmt: skip


# Lines as two batches of whole participants give them: each batch in line order, the batches interleaved.
# Line 7 twice (C-7a then C-7b, given in that order): ties keep the order given.
GIVEN = [(2, "C-1"), (5, "C-4"), (7, "C-7a"), (11, "C-9"), (3, "C-2"), (4, "C-3"), (7, "C-7b"), (9, "C-8"), (6, "C-5"),
         (8, "C-6")]  # fmt: skip


@pytest.fixture(autouse=True)
def small_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Rejections, "HELD", 3)


def test_rejections_come_back_in_line_order_from_runs_on_disk() -> None:
    rejections = Rejections(rejection(line, ref) for line, ref in GIVEN)
    assert len(rejections) == 10
    assert len(rejections._runs) == 3  # 9 spilled, 3 at a time; the tenth is held
    assert [(r.line, r.claim_ref) for r in rejections] == [
        (2, "C-1"), (3, "C-2"), (4, "C-3"), (5, "C-4"), (6, "C-5"), (7, "C-7a"), (7, "C-7b"), (8, "C-6"),
        (9, "C-8"), (11, "C-9"),
    ]  # fmt: skip
    assert [r.line for r in rejections] == [2, 3, 4, 5, 6, 7, 7, 8, 9, 11]  # read twice: the same


def test_a_workers_share_travels_pickled_and_adds_up_in_line_order() -> None:
    mine, theirs = ClaimsReport("claims.csv"), ClaimsReport("claims.csv")
    mine.rejections.extend(rejection(line, ref) for line, ref in GIVEN[:5])
    theirs.rejections.extend(rejection(line, ref) for line, ref in GIVEN[5:])
    mine.add(pickle.loads(pickle.dumps(theirs)))
    assert [r.claim_ref for r in mine.rejections] == ["C-1", "C-2", "C-3", "C-4", "C-5", "C-7a", "C-7b", "C-6",
                                                      "C-8", "C-9"]  # fmt: skip
    assert [r["line"] for r in mine.as_dict()["rejections"]] == [2, 3, 4, 5, 6, 7, 7, 8, 9, 11]


def test_the_report_file_is_byte_for_byte_what_the_command_wrote_from_the_whole_list(tmp_path: Path) -> None:
    report = ClaimsReport("claims.csv")
    report.rejections.extend(rejection(line, ref) for line, ref in GIVEN)
    write_rejections(report, tmp_path / "streamed.csv")
    # What `claims import --report` wrote before: every rejection of the result, in line order.
    whole = sorted((rejection(line, ref).as_dict() for line, ref in GIVEN), key=lambda r: r["line"])
    header = ("line", "claim_ref", "contract", "participant", "outcome", "verdict", "claimed", "payable", "reasons",
              "why")  # fmt: skip
    rows = [
        [r["line"], r["claim_ref"], r["contract"], r["participant"], r["outcome"], r["verdict"], r["claimed"],
         r["payable"], ";".join(r["reasons"]), " | ".join(r["sentences"])]
        for r in whole
    ]  # fmt: skip
    write_csv(tmp_path / "whole.csv", header, rows)
    assert (tmp_path / "streamed.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert (tmp_path / "streamed.csv").read_bytes().splitlines()[1] == (
        b"2,C-1,FCF-2025-01,P-001,EMP_ENTRY,rejected,500.00,0.00,evidence_missing;too_early,"
        b'"no payslip | before 2025-10-06, when it may first be claimed"'  # quoted: it has a comma
    )
