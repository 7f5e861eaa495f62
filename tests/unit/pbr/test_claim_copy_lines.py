"""The claim rows the PostgreSQL import sends as ``COPY`` text, made straight from each decision
(flows/pbr/claims_store.py, ``as_copy``), are the rows the SQLite import stores, each cell written as
``COPY`` reads it: an empty cell as ``\\N``, and a tab, line break or backslash in a text escaped."""

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from flows.pbr.claims_report import ClaimsReport
from flows.pbr.claims_store import _claim_rows
from models.contracts import Contract
from models.pbr.copy_text import copy_block, copy_line
from policies.pbr.claims import Claim, Decision, Finding, Reason, Verdict, fingerprint
from policies.pbr.ratecard import RateCard
from policies.pbr.ratecard_reading import read_rate_card

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "fair-chance-fund.yaml"


def fcf() -> RateCard:
    card, problems = read_rate_card(yaml.safe_load(EXAMPLE.read_text()))
    assert problems == [] and card is not None
    return card


def decisions(card: RateCard) -> list[Decision]:
    unknown = Finding(Reason.UNKNOWN_PARTICIPANT, "participant P-9\\9 is not on this contract's list")
    above = Finding(Reason.ABOVE_PRICE, "£600.00 claimed for ACC_ENTRY; the rate card pays £500.00")
    return [
        # Accepted at the card price: no amount given (an empty cell), the card's row id 3.
        Decision(Claim(2, "C-1", "P-001", "ACC_ENTRY", dt.date(2024, 5, 1), None, "tenancy"), Verdict.ACCEPTED,
                 50000, 50000, 50000, 0, (), card),
        # £600.00 claimed, the card pays £500.00: partly accepted, with its finding in the notes.
        Decision(Claim(3, "C-2", "P-002", "ACC_ENTRY", dt.date(2024, 5, 2), Decimal("600.00"), "tenancy"),
                 Verdict.PARTLY_ACCEPTED, 60000, 50000, 50000, 0, (above,), card),
        # A tab and a backslash in the evidence, a backslash in the participant, "\N" as a reference, and no
        # card: every cell that needs it escaped, the card an empty cell.
        Decision(Claim(4, "\\N", "P-9\\9", "ACC_ENTRY", dt.date(2024, 5, 3), None, "a\tb\\c"), Verdict.REJECTED,
                 0, 0, 0, 0, (unknown,), None),
    ]  # fmt: skip


def made(as_copy: bool) -> list[Any]:
    card = fcf()
    contract = Contract(id=7, ref="FCF-2025-01")
    return list(
        _claim_rows(
            ClaimsReport("claims.csv"),
            decisions(card),
            contract=contract,
            import_id=12,
            card_ids={card.effective_from: 3},
            as_date=lambda day: day,
            as_copy=as_copy,
        )
    )


def test_each_claim_goes_as_the_line_copy_would_make_of_its_row() -> None:
    rows, lines = made(as_copy=False), made(as_copy=True)
    assert lines == [copy_line(row) for row in rows]
    printed = fingerprint("C-1", "P-001", "ACC_ENTRY", "2024-05-01", "None", "tenancy")
    # contract 7, import 12, line 2, ..., no amount (\N), £500.00 claimed, priced, payable, nothing capped, card 3
    assert lines[0].split("\t") == [
        "7", "12", "2", "C-1", printed, "P-001", "ACC_ENTRY", "2024-05-01", "tenancy", "\\N",
        "50000", "50000", "50000", "0", "accepted", "", "", "3",
    ]  # fmt: skip
    assert lines[1].split("\t")[9:] == [
        "60000", "60000", "50000", "50000", "0", "partly_accepted", "above_price",
        "£600.00 claimed for ACC_ENTRY; the rate card pays £500.00", "3",
    ]  # fmt: skip
    # Escaped: the reference \N as \\N (not an empty cell), P-9\9 as P-9\\9, the tab as \t; no card: \N.
    cells = lines[2].split("\t")
    assert cells[3] == "\\\\N" and cells[5] == "P-9\\\\9" and cells[8] == "a\\tb\\\\c" and cells[17] == "\\N"
    assert copy_block(lines) == ("\n".join(lines) + "\n").encode() and copy_block([]) == b""
