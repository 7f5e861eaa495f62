"""An attachment fee paid once per eligible referral, on both backends (the FCF-2025-01 set-up of
test_pbr_payments.py, on a second contract)."""

import csv
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event

from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.participants import import_participants
from flows.pbr.ratecards import import_rate_card
from tests.integration.pbr.test_pbr_payments import (
    Q1_RUN,
    Q2_RUN,
    Q3_RUN,
    SENT,
    ledger,
    payments,
)
from tests.support.approvals import approved_run
from tests.support.builders import FCF_CARD, fcf_contract


def test_an_attachment_fee_is_paid_once_per_eligible_referral(settings: Settings, tmp_path: Path) -> None:
    ref = fcf_contract(settings, ref="FCF-2025-02", card=None)
    card = FCF_CARD.read_text(encoding="utf-8").replace("contract: FCF-2025-01", f"contract: {ref}")
    card = card.replace('attachment_fee: "0.00"', 'attachment_fee: "400.00"')
    assert 'attachment_fee: "400.00"' in card and f"contract: {ref}" in card
    (tmp_path / "card.yaml").write_text(card, encoding="utf-8")
    import_rate_card(settings, tmp_path / "card.yaml", as_of=SENT, actor="finance")
    people = tmp_path / "participants.csv"
    people.write_text(
        "contract,participant,referral_date,date_of_birth\n"
        f"{ref},P-001,2025-10-01,2005-01-15\n"  # eligible, referred in Q4 2025
        f"{ref},P-002,2026-03-31,2003-06-01\n"  # eligible, referred on the last day of Q1
        f"{ref},P-003,2026-01-10,1999-01-01\n"  # 27 at referral: no fee
        f"{ref},P-004,2026-04-15,2006-09-30\n"  # eligible, referred in Q2
        f"{ref},P-005,2026-10-01,2005-05-05\n",  # after the window: no fee
        encoding="utf-8",
    )
    # imported after the last referral (a referral after the import's date is refused)
    import_participants(settings, people, as_of=dt.datetime(2026, 10, 2, 9, 0, tzinfo=dt.UTC), actor="finance")

    q1 = approved_run(settings, ref, "2026-Q1", as_of=Q1_RUN, actor="finance")
    # Two fees of £400.00: £120.00 each to the central fund, £280.00 each to the council.
    assert (q1.summary["claims"], q1.summary["fees"], q1.summary["paid"]) == (0, "800.00", "800.00")
    assert payments(q1.summary) == {"central fund": "240.00", "council": "560.00"}
    q2 = approved_run(settings, ref, "2026-Q2", as_of=Q2_RUN, actor="finance")
    assert (q2.summary["fees"], payments(q2.summary)) == ("400.00", {"central fund": "120.00", "council": "280.00"})
    looked_up: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, _context: Any, _many: bool) -> None:
        if "SELECT DISTINCT participant FROM pbr_ledger" in statement:
            looked_up.append((statement, params))

    event.listen(database(settings), "before_cursor_execute", capture)
    try:
        q3 = approved_run(settings, ref, "2026-Q3", as_of=Q3_RUN, actor="finance")
    finally:
        event.remove(database(settings), "before_cursor_execute", capture)
    assert q3.summary["fees"] == "0.00"  # never twice; P-005 never
    assert looked_up
    if settings.database_url.startswith("sqlite"):
        # the fees already paid are read from the fees' own small index (migration 0025) alone, not found among
        # every entry of the contract (two a claim) through its payer index
        with sqlite3.connect(Path(settings.database_url.removeprefix("sqlite:///"))) as db:
            for statement, params in looked_up:
                plan = " ".join(step[-1] for step in db.execute("EXPLAIN QUERY PLAN " + statement, params))
                assert "USING COVERING INDEX ix_pbr_ledger_fees" in plan, plan

    fees = sorted((e.participant, e.payer, e.amount_pence) for e in ledger(settings) if e.item == "attachment_fee")
    assert fees == [
        ("P-001", "central fund", 12000),
        ("P-001", "council", 28000),
        ("P-002", "central fund", 12000),
        ("P-002", "council", 28000),
        ("P-004", "central fund", 12000),
        ("P-004", "council", 28000),
    ]
    path = settings.data_dir / "payments" / ref / "2026-Q1" / "council.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))[1:]
    assert [(r[4], r[6], r[9]) for r in lines] == [
        ("attachment_fee", "P-001", "280.00"),
        ("attachment_fee", "P-002", "280.00"),
        ("payment", "", "560.00"),
    ]
