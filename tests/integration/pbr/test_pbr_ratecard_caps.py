"""A rate card whose contract cap is more than the contract is worth is refused, unless allowed with a reason.

FCF-2025-01 is worth £1,500,000.00. A card capping it at £600,000,000.00 is almost certainly a typing slip
(three digits too many); a commissioner who means it says so, and why, and the audit log keeps the reason.
"""

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import select

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.ratecards import import_rate_card
from models.db import unit_of_work
from models.events import Event
from tests.integration.pbr.test_pbr_imports import counts, variant
from tests.integration.pbr.test_pbr_ratecard_imports import card_rows
from tests.support.builders import fcf_contract

SENT = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
CAP = ('contract_cap: "1500000.00"', 'contract_cap: "600000000.00"')


@pytest.fixture
def contract(settings: Settings) -> Settings:
    fcf_contract(settings, card=None)
    return settings


def test_a_cap_over_the_contract_value_is_refused_naming_file_field_and_amounts(
    contract: Settings, tmp_path: Path
) -> None:
    card = variant(tmp_path, "big-cap.yaml", CAP)
    before = counts(contract)
    with pytest.raises(UserError) as refused:
        import_rate_card(contract, card, as_of=SENT, actor="finance")
    assert str(refused.value) == (
        f"{card}: contract_cap: £600,000,000.00 is more than contract FCF-2025-01 is worth (£1,500,000.00); "
        "correct the card, or import it with --allow-cap-over-value --reason TEXT"
    )
    with pytest.raises(UserError, match=r"^--allow-cap-over-value needs --reason TEXT: why the cap may exceed"):
        import_rate_card(contract, card, as_of=SENT, actor="finance", allow_cap_over_value=True, reason="  ")
    assert counts(contract) == before


def test_a_cap_at_the_contract_value_imports_as_before(contract: Settings) -> None:
    from tests.support.builders import FCF_CARD

    assert import_rate_card(contract, FCF_CARD, as_of=SENT, actor="finance").status == "added"


def test_allowed_with_a_reason_it_imports_and_the_event_keeps_the_reason(contract: Settings, tmp_path: Path) -> None:
    card = variant(tmp_path, "big-cap.yaml", CAP)
    why = "Cap set by the outcomes fund across all councils; our share is capped in the grant letter"
    added = import_rate_card(contract, card, as_of=SENT, actor="finance", allow_cap_over_value=True, reason=why)
    assert added.status == "added" and len(card_rows(contract)) == 1
    with unit_of_work(database(contract)) as session:
        [event] = session.exec(select(Event).where(Event.action == "rate_card_imported"))
    assert (event.actor, event.reason) == ("finance", why)
    assert event.after is not None
    assert event.after["cap_over_value"] == {"contract_cap": "600000000.00", "contract_value": "1500000.00"}


@pytest.mark.parametrize("day", ["9999-01-01", "1899-12-31"])
def test_a_card_dated_outside_the_years_1900_to_2200_is_refused_at_import_naming_file_and_field(
    contract: Settings, tmp_path: Path, day: str
) -> None:
    """The hostile trial's case: YAML reads an unquoted date itself, so ``referral_to: 9999-01-01`` passed the import
    (a pending proposal) and could never be approved ("rate card None no longer reads")."""
    card = variant(tmp_path, "far.yaml", ("referral_to: 2026-09-30", f"referral_to: {day}"))
    before = counts(contract)
    with pytest.raises(UserError) as refused:
        import_rate_card(contract, card, as_of=SENT, actor="finance")
    assert (
        str(refused.value)
        == f"the rate card was not imported:\n  {card}: referral_to: {day} is outside the years 1900-2200"
    )
    assert counts(contract) == before


def test_a_stored_card_that_no_longer_reads_is_named_by_contract_and_date() -> None:
    from flows.pbr.contract import stored_card_terms

    terms = {"contract": "FCF-2025-01", "effective_from": "2026-11-01", "referral_to": "9999-01-01"}
    with pytest.raises(UserError, match=r"^rate card of proposal 7 \(FCF-2025-01 from 2026-11-01\) no longer reads: "):
        stored_card_terms(terms, proposal=7)
    with pytest.raises(UserError, match=r"^rate card version 3 \(FCF-2025-01 from 2026-11-01\) no longer reads: "):
        stored_card_terms(terms, 3)
