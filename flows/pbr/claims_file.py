"""A claims file read: every row parsed into a claim, or named as malformed with its line, field and reason.

A claims file may hold a million rows, so values repeated across rows (dates,
amounts, outcome codes, participants, evidence) are parsed once, and a row's
cells are taken apart in one call. The contract and outcome codes are checked
in the same pass, through ``codes_of`` (asked once per contract), so that one
reading names every problem of the file. Whether a well-formed claim is
payable is for the rules in policies/pbr/claim_rules.py, not for this reading.
"""

import datetime as dt
import itertools
from collections.abc import Callable, Container, Mapping, Sequence
from decimal import Decimal
from operator import itemgetter
from pathlib import Path

from flows.common.columns import refuse_near_misses
from flows.common.errors import UserError
from flows.common.tabular import open_table
from flows.pbr.problems import Problems
from policies.dates import parse_iso_date
from policies.money import PENNY, TOO_LARGE, parse_money
from policies.pbr.claims import Claim
from policies.text import CONTROL, has_control

CLAIM_REQUIRED = ("contract", "claim_ref", "participant", "outcome", "achieved_on")
CLAIM_OPTIONAL = ("amount", "evidence")

Codes = Container[str] | str  # the outcome codes a contract's rate cards know, or why it cannot be claimed on


class _AnyCode:
    def __contains__(self, code: object) -> bool:
        return True


ANY_CODE = _AnyCode()  # for a reading with no contracts to check against (a benchmark of the rules)


def read_claims(
    path: Path,
    *,
    codes_of: Callable[[str], Codes] = lambda contract: ANY_CODE,
    problems: Problems | None = None,
    keep: bool = True,
    first: int | None = None,
) -> tuple[dict[str, list[Claim]], Problems, int]:
    """Every row parsed, or named as malformed; values repeated across rows are parsed once.

    ``codes_of(contract)``: the outcome codes a contract takes, or the reason it takes none (no such contract,
    no rate card); a row naming another contract or code is malformed. ``keep=False``: check every row the
    same way, but keep no claims (a check before the import, which reads the file again). ``first``: read
    only the header and that many rows."""
    table = open_table(path, required=CLAIM_REQUIRED, optional=CLAIM_OPTIONAL)
    refuse_near_misses(table, CLAIM_OPTIONAL)
    if problems is None:
        problems = Problems(path)
    columns = table.columns
    has_amount, has_evidence = "amount" in columns, "evidence" in columns
    cells_of = cells_getter(columns)
    dates: dict[str, dt.date | str] = {}
    amounts: dict[str, Decimal | str] = {}
    outcomes: dict[str, str] = {}
    people: dict[str, str] = {}  # one string for each participant, however many claims
    evidences: dict[str, str] = {"": ""}
    codes: dict[str, Codes] = {"": ()}  # by contract; an empty contract is named as empty, not looked up
    by_contract: dict[str, list[Claim]] = {}
    rows = 0
    claim = tuple.__new__  # Claim(...) without a Python call: a million are made here
    printable, control = str.isprintable, has_control  # the first, in C, clears every usual cell at once
    reading = table.rows()
    for line, cells in reading if first is None else itertools.islice(reading, first):
        rows += 1
        contract, ref, participant, code, day, amount_text, evidence_text = cells_of(cells)
        participant = people.setdefault(participant, participant)
        known = codes.get(contract)
        if known is None:
            known = codes[contract] = codes_of(contract)
        outcome = outcomes.get(code)
        if outcome is None:
            outcome = outcomes[code] = code.upper()
        achieved = dates.get(day)
        if achieved is None:
            achieved = dates[day] = date_or_reason(day)
        amount: Decimal | str | None = None
        if has_amount and amount_text:
            amount = amounts.get(amount_text)
            if amount is None:
                amount = amounts[amount_text] = amount_or_reason(amount_text)
        evidence: str | None = ""
        if has_evidence:
            evidence = evidences.get(evidence_text)
            if evidence is None:
                evidence = normal_evidence(evidence_text)
                if evidence is not None:
                    evidences[evidence_text] = evidence
        if (
            not contract
            or not ref
            or len(ref) > 60
            or (not printable(ref) and control(ref))
            or not participant
            or len(participant) > 60
            or (not printable(participant) and control(participant))
            or not outcome
            or known.__class__ is str
            or outcome not in known
            or isinstance(achieved, str)
            or isinstance(amount, str)
            or evidence is None
        ):
            claim_row_problems(
                problems, table.where(line), line, contract, known, ref, participant, outcome, achieved, amount
            )
            continue
        if not keep:
            continue
        claims = by_contract.get(contract)
        if claims is None:
            claims = by_contract[contract] = []
        claims.append(claim(Claim, (line, ref, participant, outcome, achieved, amount, evidence)))
    reading.close()  # the file, at once, when only the first rows were read
    if not rows:
        raise UserError(f"{path}: has a header but no claims")
    return by_contract, problems, rows


def cells_getter(columns: Mapping[str, int]) -> Callable[[Sequence[str]], tuple[str, ...]]:
    """One C call that takes a row's cells apart: the required columns, then the optional ones; a column the
    file lacks reads the contract's cell, unused."""
    return itemgetter(
        *(columns[name] for name in CLAIM_REQUIRED),
        *(columns.get(name, columns["contract"]) for name in CLAIM_OPTIONAL),
    )


def claim_row_problems(
    problems: Problems,
    where: str,
    line: int,
    contract: str,
    known: Codes,
    ref: str,
    participant: str,
    outcome: str,
    achieved: dt.date | str,
    amount: Decimal | str | None,
) -> None:
    """Name what is wrong with one row; the evidence only when nothing else is."""
    bad = False
    if not contract:
        problems.add(where, line, "contract", "is empty")
        bad = True
    elif has_control(contract):
        problems.add(where, line, "contract", CONTROL)
        bad = True
    elif isinstance(known, str):
        problems.add(where, line, "contract", known)
        bad = True
    if not ref or len(ref) > 60 or has_control(ref):
        problems.add(where, line, "claim_ref", _long_or_control(ref, "is over 60 characters"))
        bad = True
    if not participant or len(participant) > 60 or has_control(participant):
        problems.add(where, line, "participant", _long_or_control(participant, "is over 60 characters"))
        bad = True
    if not outcome:
        problems.add(where, line, "outcome", "is empty")
        bad = True
    elif has_control(outcome):
        problems.add(where, line, "outcome", CONTROL)
        bad = True
    elif contract and not isinstance(known, str) and outcome not in known:
        problems.add(where, line, "outcome", f"{outcome!r} is not an outcome code on {contract}'s rate card")
        bad = True
    if isinstance(achieved, str):
        problems.add(where, line, "achieved_on", achieved)
        bad = True
    if isinstance(amount, str):
        problems.add(where, line, "amount", amount)
        bad = True
    if not bad:
        problems.add(where, line, "evidence", "is over 200 characters")


def _long_or_control(text: str, too_long: str) -> str:
    return "is empty" if not text else CONTROL if has_control(text) else too_long


def normal_evidence(text: str) -> str | None:
    """The evidence types named, lower case, comma-separated; None when the cell is over 200 characters."""
    if len(text) > 200:
        return None
    return ",".join(e.strip().lower() for e in text.split(",") if e.strip())


def date_or_reason(text: str) -> dt.date | str:
    if not text:
        return "is empty (the date the outcome was achieved, e.g. 2026-03-31)"
    day, why = parse_iso_date(text)
    return day if day is not None else (why or "is not a date")


def amount_or_reason(text: str) -> Decimal | str:
    money, why = parse_money(text)
    if why == TOO_LARGE:
        return why
    if money is None:
        return f"{text!r} is not an amount of money (e.g. 1500.00)"
    if money.amount < 0:
        return f"{text} is negative; claim a positive amount (a correction is a clawback, not a negative claim)"
    return money.amount.quantize(PENNY)
