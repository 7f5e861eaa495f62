"""Which payment runs may happen, checked before anything is written, on both backends.

FCF-2025-01 runs from 1 October 2025 for 3 years on the Fair Chance Fund card (quarterly, 30/70), with the
claims of test_pbr_payments: seven accepted in 2026-Q1 (£9,500.00) and two in 2026-Q2 (£3,000.00). The clock
says 1 December 2026, so 2026-Q4 is not over.
"""

import datetime as dt
from pathlib import Path

import pytest

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.contracts.files import Row
from flows.contracts.importing import add_contracts
from flows.pbr.claims_import import import_claims
from flows.pbr.participants import import_participants
from flows.pbr.payment_runs import check_payment_run
from flows.pbr.ratecards import import_rate_card
from tests.integration.pbr.test_pbr_payments import (
    CLAIMS,
    CONTRACT,
    PARTICIPANTS,
    Q1_RUN,
    Q2_RUN,
    SENT,
    counts,
    write_claims,
)
from tests.support.approvals import approved_run
from tests.support.builders import FCF_CARD, fcf_contract

# A clock in the past, so that an event dated by it is never ahead of the real one.
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def fcf(settings: Settings, tmp_path: Path) -> Settings:
    fcf_contract(settings)
    people = tmp_path / "participants.csv"
    people.write_text(PARTICIPANTS, encoding="utf-8")
    import_participants(settings, people, as_of=SENT, actor="finance")
    # imported once the last of them (C-9, 2026-05-04) was achieved: a claim achieved later would be refused
    received = dt.datetime(2026, 5, 5, 9, 0, tzinfo=dt.UTC)
    assert (
        import_claims(settings, write_claims(tmp_path / "claims.csv", CLAIMS), as_of=received, actor="f").accepted == 9
    )
    return settings


def refused(settings: Settings, period: str, as_of: dt.datetime) -> str:
    """The refusal, from the pre-check and from the run itself, each writing nothing."""
    before = counts(settings)
    with pytest.raises(UserError) as early:
        check_payment_run(settings, CONTRACT, period, as_of=as_of, now=NOW)
    with pytest.raises(UserError) as late:
        approved_run(settings, CONTRACT, period, as_of=as_of, actor="finance", now=NOW)
    assert str(early.value) == str(late.value)
    assert counts(settings) == before
    assert not (settings.data_dir / "payments").exists()
    return str(late.value)


def test_a_run_dated_after_now_is_refused_though_its_quarter_would_then_be_over(fcf: Settings) -> None:
    approved_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance", now=NOW)
    approved_run(fcf, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance", now=NOW)
    approved_run(fcf, CONTRACT, "2026-Q3", as_of=NOW, actor="finance", now=NOW)
    before = counts(fcf)
    with pytest.raises(UserError) as future:
        approved_run(fcf, CONTRACT, "2026-Q4", as_of=dt.datetime(2027, 1, 5, 9, tzinfo=dt.UTC), actor="x", now=NOW)
    assert str(future.value) == (
        "--as-of 2027-01-05 09:00 GMT is later than now (2026-12-01 10:00 GMT); a payment run is final, "
        "so it is never dated in the future"
    )
    with pytest.raises(UserError, match=r"^2026-Q4 ends on 2026-12-31; it is paid in arrears, from 2027-01-01$"):
        approved_run(fcf, CONTRACT, "2026-Q4", as_of=NOW, actor="finance", now=NOW)
    assert counts(fcf) == before


def test_a_quarter_before_the_contract_began_is_refused(fcf: Settings) -> None:
    assert refused(fcf, "2024-Q1", Q1_RUN) == "2024-Q1 ends on 2024-03-31, before the contract starts on 2025-10-01"


def test_a_quarter_after_the_contract_ends_is_refused_with_every_reason(fcf: Settings) -> None:
    assert refused(fcf, "2030-Q1", dt.datetime(2030, 4, 2, 9, tzinfo=dt.UTC)) == (
        "no payment run for 2030-Q1: "
        "--as-of 2030-04-02 10:00 BST is later than now (2026-12-01 10:00 GMT); a payment run is final, "
        "so it is never dated in the future; and "
        "2030-Q1 starts on 2030-01-01, after the contract's last day, 2028-09-30 (extensions taken included); and "
        "2026-Q1 has accepted claims and no payment run; periods are paid in order, so pay 2026-Q1 first"
    )


def test_periods_are_paid_in_order(fcf: Settings) -> None:
    assert refused(fcf, "2026-Q2", Q2_RUN) == (
        "2026-Q1 has accepted claims and no payment run; periods are paid in order, so pay 2026-Q1 first"
    )
    q1 = approved_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance", now=NOW)
    assert q1.summary["paid"] == "9500.00"
    check_payment_run(fcf, CONTRACT, "2026-Q1", as_of=Q2_RUN, now=NOW)  # run already: it is shown, not refused
    check_payment_run(fcf, CONTRACT, "2026-Q2", as_of=Q2_RUN, now=NOW)
    assert approved_run(fcf, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance", now=NOW).summary["paid"] == "3000.00"


@pytest.mark.parametrize(("used", "allowed"), [(0, False), (1, True)])
def test_an_extension_taken_lengthens_the_life_a_run_may_pay(
    settings: Settings, tmp_path: Path, used: int, allowed: bool
) -> None:
    # A "1+1" contract from 1 January 2025: its first year ends on 2025-12-31, the extension takes it to 2026-12-31.
    fcf_contract(settings, card=None)  # the project YPH-1
    fields = {
        "ref": "FCF-2025-03",
        "title": "One year and an option",
        "provider": "Northbridge YP Trust",
        "project": "YPH-1",
        "value": "1500000",
        "start": "2025-01-01",
        "term": "1+1",
        "extensions_used": str(used),
        "payment_model": "payment_by_results",
    }
    add_contracts(settings, [Row("test", fields)], as_of=SENT, actor="a")
    card = tmp_path / "card.yaml"
    card.write_text(FCF_CARD.read_text(encoding="utf-8").replace(CONTRACT, "FCF-2025-03"), encoding="utf-8")
    import_rate_card(settings, card, as_of=SENT, actor="finance")
    if allowed:
        run = approved_run(settings, "FCF-2025-03", "2026-Q1", as_of=Q1_RUN, actor="finance", now=NOW)
        assert (run.period, run.summary["paid"]) == ("2026-Q1", "0.00")
        return
    with pytest.raises(UserError) as ended:
        approved_run(settings, "FCF-2025-03", "2026-Q1", as_of=Q1_RUN, actor="finance", now=NOW)
    assert str(ended.value) == (
        "2026-Q1 starts on 2026-01-01, after the contract's last day, 2025-12-31 (extensions taken included)"
    )
