"""A claims file read and checked against the database: every malformed row named, or the claims by contract.

One pass over the file checks each row's cells, its contract (there, paid by
results, with a rate card) and its outcome code (on one of that contract's
cards), so one run names every problem. The import reads the file through
``read_checked_claims`` inside its transaction; the command calls
``check_claims`` first, in its own process, so that a bad file is refused
before the Prefect engine starts, by the same reading: of its header and
first ``PRECHECKED`` rows only (a national file's ten million rows are read
once, by the import, which names every problem the same way).
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.claims_file import Codes, read_claims
from flows.pbr.contract import cards_for, pbr_contract
from flows.pbr.problems import Problems
from models.contracts import Contract
from models.db import unit_of_work
from policies.pbr.claims import Claim
from policies.pbr.ratecard import RateCard

Checked = list[tuple[Contract, list[RateCard], list[Claim]]]
PRECHECKED = 1_000  # rows the check before the import reads: a wrong header, contract or code shows at once


Found = dict[str, tuple[Contract, list[RateCard]]]


def codes_reader(session: Any, found: Found, only: str | None = None) -> Callable[[str], Codes]:
    """``codes_of(ref)``: the outcome codes a contract's rate cards know, or why it takes no claims; each
    contract found, with its cards, goes into ``found``. With ``only`` (a file uploaded on that contract's page),
    any other contract takes none, in the same words whether it exists or not (no one learns which do)."""

    def codes_of(ref: str) -> Codes:
        if only is not None and ref != only:
            return f"'{ref}' is not {only}; this file may hold {only}'s claims only"
        try:
            contract = pbr_contract(session, ref)
        except UserError as exc:
            return str(exc)
        cards = cards_for(session, contract)
        if not cards:
            return f"{ref} has no rate card; import one first"
        found[ref] = (contract, cards)
        return frozenset(code for card in cards for code in card.outcomes)

    return codes_of


def read_checked_claims(
    session: Any,
    path: Path,
    *,
    report: Path | None = None,
    keep: bool = True,
    first: int | None = None,
    only: str | None = None,
) -> tuple[Checked, int]:
    """Each contract with its rate cards and its claims (none with ``keep=False``), and the number of rows; or a
    UserError naming every problem (all of them written to ``report``, a CSV of line, field and reason)."""
    found: Found = {}
    codes_of = codes_reader(session, found, only)
    problems = Problems(path, report=report, report_option="--report")
    try:
        by_contract, _, rows = read_claims(path, codes_of=codes_of, problems=problems, keep=keep, first=first)
    except BaseException:
        problems.discard()
        raise
    problems.raise_if_any("claims")
    return [(*found[ref], claims) for ref, claims in by_contract.items()], rows


def check_claims(settings: Settings, path: Path, *, report: Path | None = None, first: int | None = PRECHECKED) -> int:
    """Read and check the header and ``first`` rows of a claims file (None: every row), store nothing, and say
    how many rows were read; a malformed row among them is refused as the import would refuse it (``report``
    gets every problem found)."""
    with unit_of_work(database(settings)) as session:
        _, rows = read_checked_claims(session, path, report=report, keep=False, first=first)
    return rows
