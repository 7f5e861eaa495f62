"""The DRAFT schedule a proposed run writes per payer, line by line, and the final one its approval writes.

The 2026-Q1 run of test_pbr_payments (FCF-2025-01): the central fund's 30% of each of the seven claims, in the
order achieved, then the payment. By hand: C-1 150.00 + C-3 150.00 + C-2 1,050.00 + C-4 750.00 + C-5 150.00
+ C-6 150.00 + C-7 450.00 = 2,850.00, the payment.
"""

import csv
import os
import time
from decimal import Decimal
from pathlib import Path

from flows.common.settings import Settings
from flows.pbr.participants import import_participants
from flows.pbr.payment_runs import propose_payment_run
from flows.pbr.ratecards import import_rate_card
from tests.integration.pbr.test_pbr_payments import CONTRACT, Q1_RUN, SENT, fcf, schedule
from tests.support.approvals import approved
from tests.support.builders import FCF_CARD, fcf_contract

CENTRAL_FUND = [
    ("outcome", "C-1", "P-001", "EDU_ENTRY", "150.00"),
    ("outcome", "C-3", "P-002", "EDU_ENTRY", "150.00"),
    ("outcome", "C-2", "P-001", "EDU_L2", "1050.00"),
    ("outcome", "C-4", "P-002", "EDU_L1", "750.00"),
    ("outcome", "C-5", "P-003", "EMP_ENTRY", "150.00"),
    ("outcome", "C-6", "P-004", "EDU_ENTRY", "150.00"),
    ("outcome", "C-7", "P-004", "EDU_ENTRY_LEVEL", "450.00"),
    ("payment", "", "", "", "2850.00"),
]


def lines(rows: list[list[str]]) -> list[tuple[str, ...]]:
    """(item, claim, participant, outcome, amount) of each schedule row, the header left out."""
    return [(r[4], r[5], r[6], r[7], f"{Decimal(r[9]):.2f}") for r in rows]


def test_the_draft_lists_each_claims_share_and_the_payment_and_the_final_schedule_matches(
    settings: Settings, tmp_path: Path
) -> None:
    claimed = fcf.__wrapped__(settings, tmp_path)  # type: ignore[attr-defined]
    proposed = propose_payment_run(claimed, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance")
    draft = next(Path(d) for d in proposed["drafts"] if d.endswith("DRAFT-central-fund.csv"))
    with draft.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    assert all(r[0].startswith("DRAFT proposal") for r in rows)
    assert lines([r[1:] for r in rows]) == CENTRAL_FUND
    shares = sum(Decimal(r[10]) for r in rows if r[5] == "outcome")
    assert shares == Decimal("2850.00")

    approved(claimed, proposed["proposal"], as_of=Q1_RUN)
    assert lines(schedule(claimed, "2026-Q1", "central-fund.csv")) == CENTRAL_FUND


def draft_lines(proposed: dict[str, object], payer_file: str) -> list[tuple[str, ...]]:
    drafts = proposed["drafts"]
    assert isinstance(drafts, list)
    path = next(Path(d) for d in drafts if d.endswith(payer_file))
    with path.open(encoding="utf-8", newline="") as handle:
        return lines([r[1:] for r in list(csv.reader(handle))[1:]])


def test_an_attachment_fee_on_the_first_card_only_is_still_paid_and_its_draft_line_names_the_participant(
    settings: Settings, tmp_path: Path
) -> None:
    # FCF-2025-02: the first card (from 2025-10-01) pays a £400.00 attachment fee; a second version from 2026-01-01
    # pays none. P-001, referred on 2025-10-01 under the first, earns the fee in the 2025-Q4 run: 30% = £120.00 to
    # the central fund, 70% = £280.00 to the council. P-002, referred on 2026-01-10 under the second, earns none.
    ref = fcf_contract(settings, ref="FCF-2025-02", card=None)
    first = FCF_CARD.read_text(encoding="utf-8").replace("contract: FCF-2025-01", f"contract: {ref}")
    (tmp_path / "v1.yaml").write_text(first.replace('attachment_fee: "0.00"', 'attachment_fee: "400.00"'), "utf-8")
    second = first.replace("effective_from: 2025-10-01", "effective_from: 2026-01-01")
    (tmp_path / "v2.yaml").write_text(second, encoding="utf-8")
    for card in ("v1.yaml", "v2.yaml"):
        import_rate_card(settings, tmp_path / card, as_of=SENT, actor="finance")
    people = tmp_path / "participants.csv"
    people.write_text(
        "contract,participant,referral_date,date_of_birth\n"
        f"{ref},P-001,2025-10-01,2005-01-15\n"
        f"{ref},P-002,2026-01-10,2003-06-01\n",
        encoding="utf-8",
    )
    import_participants(settings, people, as_of=SENT, actor="finance")
    proposed = propose_payment_run(settings, ref, "2025-Q4", as_of=Q1_RUN, actor="finance")
    assert draft_lines(proposed, "DRAFT-council.csv") == [
        ("attachment_fee", "", "P-001", "", "280.00"),
        ("payment", "", "", "", "280.00"),
    ]
    assert draft_lines(proposed, "DRAFT-central-fund.csv")[0] == ("attachment_fee", "", "P-001", "", "120.00")


def test_side_files_a_killed_run_left_a_day_ago_go_at_the_next_proposal_and_approval(
    settings: Settings, tmp_path: Path
) -> None:
    """kill -9 during a proposal leaves its hidden side files in drafts/ (the lines as planned, per payer, and the
    ledger lines), and during an approval in the period's folder; nothing else removes them. A live run's are
    newer than a day, and stay."""
    claimed = fcf.__wrapped__(settings, tmp_path)  # type: ignore[attr-defined]
    drafts = claimed.data_dir / "payments" / CONTRACT / "drafts"
    period = claimed.data_dir / "payments" / CONTRACT / "2026-Q1"
    drafts.mkdir(parents=True)
    period.mkdir(parents=True)
    two_days_ago = time.time() - 2 * 86400
    stale = [
        drafts / ".0e6e56fb7792.lines",
        drafts / ".e9f93c9c3306.db272180.draft",
        period / ".DRAFT-council.56eaa9c9.draft",
        period / ".council.csv.def032af.tmp",
    ]
    live = [drafts / ".a0c7ec73f6d7.lines", drafts / ".a0c7ec73f6d7.ab8621d2.draft"]
    theirs = [drafts / "notes.txt", period / ".keep"]  # not side files of ours, however old: left alone
    for path in stale + theirs:
        path.write_text("x")
        os.utime(path, (two_days_ago, two_days_ago))
    for path in live:
        path.write_text("x")

    proposed = propose_payment_run(claimed, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance")
    assert [path for path in stale[:2] if path.exists()] == []
    approved(claimed, proposed["proposal"], as_of=Q1_RUN)
    assert [path for path in stale if path.exists()] == []
    assert all(path.exists() for path in live + theirs)
