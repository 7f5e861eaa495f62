"""A proposed run keeps its ledger lines until it is decided; approval moves them into the ledger as planned.

The 2026-Q1 run of test_pbr_payments (FCF-2025-01), split 30% central fund / 70% council. By hand, the
central fund's 30% of each claim in the order achieved (then by ref): C-1 150.00, C-3 150.00, C-2 1,050.00,
C-4 750.00, C-5 150.00, C-6 150.00, C-7 450.00, paid 2,850.00 (a payment entry of -2,850.00); the council's
70% of the same claims adds up to 6,650.00.

Approval with the kept lines, and approval of a proposal whose kept lines were lost (it plans the run again),
write the same entries, and the same schedules: the final schedule is the draft without its DRAFT cell.
"""

import contextlib
import datetime as dt
import errno
import os
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.contract import contract_id, pbr_contract
from flows.pbr.payment_runs import propose_payment_run
from flows.pbr.run_lines import KeptLines, Line, kept_digest, kept_lines, outcome_lines
from models.approvals import Proposal
from models.db import unit_of_work
from models.pbr.bulk import stage_rows
from models.pbr.ledger import ledger_of
from models.pbr.planned import PLANNED_COLUMNS, SUMS, kept_line_rows
from policies.pbr.payments import DueClaim, RunLine
from tests.integration.pbr.test_pbr_payments import CONTRACT, Q1_RUN, fcf  # noqa: F401  (the fixture)
from tests.integration.pbr.test_pbr_totals import Q1_BY_OUTCOME, read
from tests.support.approvals import approved

# (kind, item, pence) of the central fund's entries, in the order written
CENTRAL_FUND = [
    ("accrual", "outcome", 15000),  # C-1
    ("accrual", "outcome", 15000),  # C-3
    ("accrual", "outcome", 105000),  # C-2
    ("accrual", "outcome", 75000),  # C-4
    ("accrual", "outcome", 15000),  # C-5
    ("accrual", "outcome", 15000),  # C-6
    ("accrual", "outcome", 45000),  # C-7
    ("payment", "run", -285000),  # 150 + 150 + 1,050 + 750 + 150 + 150 + 450 = 2,850.00
]


def kept_as_a_line_a_row(kept: Path, *, sums: bool) -> None:
    """Rewrite a kept file as a proposal made before the groups kept it: a row a line, with or without its sums."""
    old = kept.with_name("old.sqlite")
    stage_rows(old, PLANNED_COLUMNS, list(kept_line_rows(kept)), key="seq")
    if sums:
        with contextlib.closing(sqlite3.connect(old)) as side:
            side.execute("ATTACH DATABASE ? AS new", (str(kept),))
            side.execute(f"CREATE TABLE {SUMS} AS SELECT * FROM new.{SUMS}")
            side.commit()
    old.replace(kept)


def entries(settings: Settings) -> list[tuple[Any, ...]]:
    with unit_of_work(database(settings)) as session:
        cid = contract_id(pbr_contract(session, CONTRACT))
        return [
            (e.payer, e.kind, e.item, e.amount_pence, e.entry_on, e.participant, e.run_id is not None)
            for e in ledger_of(session=session, contract_id=cid)
        ]


def central_fund(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [(kind, item, pence) for payer, kind, item, pence, *_ in rows if payer == "central fund"]


def test_approval_moves_the_kept_lines_and_the_final_schedule_is_the_draft_without_its_draft_cell(
    fcf: Settings,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proposed = propose_payment_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance")
    again = propose_payment_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance")  # pending: shown again
    assert again["pending"] and again["proposal"]["id"] == proposed["proposal"]["id"]
    assert sorted(again["drafts"]) == sorted(proposed["drafts"])

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the approval planned the run again instead of moving the kept lines")

    monkeypatch.setattr("flows.pbr.payment_runs._replanned", never)  # so the entries below are the kept lines'

    kept = kept_lines(fcf, CONTRACT, proposed["proposal"]["id"])
    assert kept.is_file()
    assert entries(fcf) == []  # nothing in the ledger before approval
    draft = next(Path(d) for d in proposed["drafts"] if d.endswith("DRAFT-central-fund.csv"))
    mark = f"DRAFT proposal {proposed['proposal']['id']} - not approved - nothing paid,"
    draft_lines = draft.read_text(encoding="utf-8").splitlines()
    expected = [draft_lines[0].removeprefix("status,")] + [line.removeprefix(mark) for line in draft_lines[1:]]

    result = approved(fcf, proposed["proposal"], as_of=Q1_RUN)

    rows = entries(fcf)
    assert central_fund(rows) == CENTRAL_FUND
    assert sum(pence for payer, kind, _, pence, *_ in rows if payer == "council" and kind == "accrual") == 665000
    assert {(on, with_run) for _, _, _, _, on, _, with_run in rows} == {(dt.date(2026, 4, 2), True)}
    final = fcf.data_dir / "payments" / CONTRACT / "2026-Q1" / "central-fund.csv"
    assert str(final) in result["schedules"]
    assert final.read_text(encoding="utf-8").splitlines() == expected
    assert not kept.exists()  # gone with the drafts once decided


def test_final_schedules_another_user_kept_are_made_from_the_drafts_when_they_cannot_be_linked(
    fcf: Settings,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The scheduled runs' worker proposed Q1 as one system user, and a finance user approves it in the web app as
    another: the kernel refuses to link a file the approver neither owns nor may write (protected hard links,
    EPERM), or one on another disk (EXDEV). The approval is not refused for it: the schedules are made from the
    drafts, the same lines."""
    proposed = propose_payment_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance")
    draft = next(Path(d) for d in proposed["drafts"] if d.endswith("DRAFT-central-fund.csv"))
    mark = f"DRAFT proposal {proposed['proposal']['id']} - not approved - nothing paid,"
    draft_lines = draft.read_text(encoding="utf-8").splitlines()
    expected = [draft_lines[0].removeprefix("status,")] + [line.removeprefix(mark) for line in draft_lines[1:]]
    real_link, refused = os.link, []

    def link(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
        if Path(source).name.startswith(".final-"):
            refused.append(Path(source).name)
            raise PermissionError(errno.EPERM, "Operation not permitted")
        real_link(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "link", link)
    result = approved(fcf, proposed["proposal"], as_of=Q1_RUN)
    assert refused == [".final-central-fund.csv"]  # the first payer's kept schedule could not be linked
    final = fcf.data_dir / "payments" / CONTRACT / "2026-Q1" / "central-fund.csv"
    assert str(final) in result["schedules"]
    assert final.read_text(encoding="utf-8").splitlines() == expected
    assert central_fund(entries(fcf)) == CENTRAL_FUND


def test_a_proposal_whose_kept_lines_were_lost_is_planned_again_at_approval_to_the_same_entries(
    fcf: Settings,  # noqa: F811
) -> None:
    proposed = propose_payment_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance")
    kept_lines(fcf, CONTRACT, proposed["proposal"]["id"]).unlink()

    result = approved(fcf, proposed["proposal"], as_of=Q1_RUN)

    assert central_fund(entries(fcf)) == CENTRAL_FUND
    assert {p: v["payment"] for p, v in result["summary"]["payers"].items()} == {
        "central fund": "2850.00",
        "council": "6650.00",
    }
    final = fcf.data_dir / "payments" / CONTRACT / "2026-Q1" / "central-fund.csv"
    assert final.read_text(encoding="utf-8").splitlines()[-1].endswith(",payment,,,,,2850.00")


def test_kept_files_changed_on_the_disk_after_the_proposal_are_not_used_and_the_approval_pays_the_preview(
    fcf: Settings,  # noqa: F811
) -> None:
    """The approver approved the preview, stored in the database. Someone with the data folder raises the central
    fund's first line in its kept ledger lines and in its DRAFT schedule: the approval sees that the files are not
    as the proposal wrote them (their digest), plans the run again, and pays exactly the preview."""

    proposed = propose_payment_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance")
    kept = kept_lines(fcf, CONTRACT, proposed["proposal"]["id"])
    with sqlite3.connect(kept) as side:
        # the lines' groups and their splits (beside them, their sums for the running totals)
        tables = {r[0] for r in side.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert tables == {"staged", "splits", "totals"}
        changed = side.execute(
            "UPDATE splits SET pence = 9999900 WHERE n = 0 AND split = (SELECT split FROM staged WHERE seq = 1)"
        ).rowcount
    assert changed == 1
    draft = next(Path(d) for d in proposed["drafts"] if d.endswith("DRAFT-central-fund.csv"))
    draft.write_text(draft.read_text(encoding="utf-8").replace(",150.00", ",99999.00", 1), encoding="utf-8")

    result = approved(fcf, proposed["proposal"], as_of=Q1_RUN)

    assert central_fund(entries(fcf)) == CENTRAL_FUND  # C-1's 150.00, not 99,999.00
    assert result["summary"]["payers"]["central fund"]["payment"] == "2850.00"
    final = fcf.data_dir / "payments" / CONTRACT / "2026-Q1" / "central-fund.csv"
    assert "99999.00" not in final.read_text(encoding="utf-8")


@pytest.mark.parametrize("sums", [False, True], ids=["a line a row", "a line a row and their sums"])
def test_a_proposal_kept_in_an_earlier_layout_is_approved_from_its_lines_and_the_totals_agree(
    fcf: Settings,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    sums: bool,
) -> None:
    """A proposal made before its kept file held groups of lines (a row a line, as ``PLANNED_COLUMNS``), with their
    sums by payer and outcome or (earlier still) without, and before the final schedules were kept beside the
    drafts, its digest over what it did keep: the approval still moves its lines (no plan again), sums the running
    totals from the lines themselves, and makes the final schedules from the drafts. After it the totals read as
    after any Q1 run (test_pbr_totals): by outcome EDU_ENTRY 3 x £500.00, ..., each payer's balance nothing, P-003
    paid £500.00 for C-5, and the last entry the ledger's."""
    proposed = propose_payment_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance")
    proposal_id = proposed["proposal"]["id"]
    kept = kept_lines(fcf, CONTRACT, proposal_id)
    kept_as_a_line_a_row(kept, sums=sums)
    finals = sorted(kept.parent.glob(".final-*.csv"))
    assert [p.name for p in finals] == [".final-central-fund.csv", ".final-council.csv"]
    for final in finals:
        final.unlink()
    with unit_of_work(database(fcf)) as session:  # the digest such a proposal took: of what it kept
        proposal = session.get(Proposal, proposal_id)
        assert proposal is not None
        proposal.payload = {**proposal.payload, "kept": kept_digest(fcf, CONTRACT, proposal_id)}
        session.add(proposal)

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the approval planned the run again instead of moving the kept lines")

    monkeypatch.setattr("flows.pbr.payment_runs._replanned", never)
    approved(fcf, proposed["proposal"], as_of=Q1_RUN)

    assert central_fund(entries(fcf)) == CENTRAL_FUND
    assert read(fcf) == ({"P-003": 50_000}, Q1_BY_OUTCOME, {"central fund": 0, "council": 0}, True)
    final = fcf.data_dir / "payments" / CONTRACT / "2026-Q1" / "central-fund.csv"
    assert final.read_text(encoding="utf-8").splitlines()[-1].endswith(",payment,,,,,2850.00")


def test_the_kept_groups_read_back_as_the_lines_planned_and_are_summed_as_those_lines(
    fcf: Settings,  # noqa: F811
) -> None:
    """Claims priced 30/70 for both payers (two of them with the same shares, a third with shares equal but made
    apart), one whose central fund share is nothing (a council line only), one with no share at all (no line), an
    attachment fee for both payers and each payer's payment: the kept file reads back as exactly those lines, in
    order, numbered 1 up, and its sums are theirs: by payer, kind, item and outcome (pence, lines, last seq).
    (What they count towards each participant's cap is summed from the groups at approval, and checked against the
    ledger after every test: tests/support/ledger_totals.py.)"""
    day, pounds = dt.date(2026, 2, 2), Decimal
    both = (("central fund", pounds("150.00")), ("council", pounds("350.00")))
    claims = [
        ("C-1", "P-001", both),
        ("C-2", "P-001", both),
        ("C-3", "P-002", (("central fund", pounds("150.00")), ("council", pounds("350.00")))),
        ("C-4", "P-002", (("central fund", pounds("0")), ("council", pounds("500.00")))),
        ("C-5", "P-003", (("central fund", pounds("0")), ("council", pounds("0")))),
    ]
    kept, planned = KeptLines(fcf, CONTRACT), list[Line]()
    for number, (ref, who, shares) in enumerate(claims, 1):
        line = RunLine(DueClaim(number, ref, who, "EDU_ENTRY", day, pounds("500.00")), pounds("500.00"),
                       pounds("0"), (), shares)  # fmt: skip
        kept.add_claim(line)
        planned += outcome_lines(line)
    closing: list[Line] = [
        ("central fund", "accrual", "attachment_fee", 3000, None, "P-002", None, None, "attachment fee P-002"),
        ("council", "accrual", "attachment_fee", 7000, None, "P-002", None, None, "attachment fee P-002"),
        ("central fund", "payment", "run", -48000, None, None, None, None, "payment for 2026-Q1"),
        ("council", "payment", "run", -162000, None, None, None, None, "payment for 2026-Q1"),
    ]
    kept.add_all(closing)
    kept.keep(99)
    planned += closing

    path = kept_lines(fcf, CONTRACT, 99)
    assert list(kept_line_rows(path)) == [(seq, *line) for seq, line in enumerate(planned, 1)]
    assert [line[4] for line in planned].count(5) == 0 and len(planned) == 11  # C-5: no line
    sums: dict[tuple[str, str, str, str], list[int]] = {}
    for seq, (payer, kind, item, amount, *_, outcome, _, _) in enumerate(planned, 1):
        these = sums.setdefault((payer, kind, item, outcome or ""), [0, 0, 0])
        these[0], these[1], these[2] = these[0] + amount, these[1] + 1, seq
    with contextlib.closing(sqlite3.connect(path)) as side:
        assert side.execute(f"SELECT * FROM {SUMS}").fetchall() == [(*k, *v) for k, v in sorted(sums.items())]
