"""UK9 and breach notices on SQLite and PostgreSQL: prepared, published once, satisfying their key dates and
stopping their reminders, and kept as published (the database refuses a change)."""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.contracts.decisions import decide
from flows.contracts.due import due
from flows.performance.definitions import set_kpis
from flows.performance.notices import prepare_uk9, publish_notice, record_breach
from flows.performance.portfolio import portfolio
from flows.performance.readings_import import import_readings
from models.contracts import ContractKeyDate
from models.db import unit_of_work
from models.performance.tables import ContractNotice
from models.reminders.planning import key_dates_in_ranges
from tests.integration.performance.conftest import REF

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
PERIOD = "2025-04-01..2026-03-31"


def readings(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "contract,kpi,period,value\n"
        f"{REF},Tenancies sustained,2025-Q2,86\n"
        f"{REF},Tenancies sustained,2026-Q1,75\n"  # the latest in the year: Requires improvement (70 to 80)
        f"{REF},Days to first appointment,2025-Q3,9\n"  # Good
        f"{REF},Tenancies sustained,2026-Q2,90\n",  # after the year: not in the notice
        encoding="utf-8",
    )
    import_readings(settings, path, as_of=NOW, actor="t")


def test_a_uk9_notice_rates_each_kpi_by_its_latest_reading_and_is_kept_as_published(
    contract: Settings, tmp_path: Path
) -> None:
    readings(contract, tmp_path)
    content = prepare_uk9(contract, ref=REF, period=PERIOD, as_of=NOW, actor="t")
    assert content["supplier"] == "Northbridge YP Trust"
    assert {k["name"]: k["rating"] for k in content["kpis"]} == {
        "Cost per person": None,  # no reading in the year: named, never guessed
        "Days to first appointment": "Good",
        "Tenancies sustained": "Requires improvement",
    }
    assert content["missing"] == ["Cost per person"]
    with pytest.raises(UserError, match="not a Find a Tender notice id"):
        publish_notice(contract, ref=REF, on=dt.date(2026, 4, 10), reference="?", period=None, breach=None,
                       as_of=NOW, actor="t")  # fmt: skip
    done = publish_notice(contract, ref=REF, on=dt.date(2026, 12, 1), reference="012345-2026", period=None,
                          breach=None, as_of=NOW, actor="t")  # fmt: skip
    assert done["satisfies"] == "performance_notice:1"  # due 1 April 2026, the first after the period began
    with pytest.raises(UserError, match="kept as published"):
        prepare_uk9(contract, ref=REF, period=PERIOD, as_of=NOW, actor="t")
    engine = database(contract)
    with pytest.raises(DBAPIError, match="kept as published"), engine.begin() as conn:
        conn.execute(text("UPDATE contract_notice SET reference = 'X'"))
    # The satisfied key date gets no more reminders; the next year's still does.
    with unit_of_work(engine) as session:
        facts = key_dates_in_ranges(
            session=session, ranges=[(dt.date(2026, 1, 1), dt.date(2027, 12, 31), ["performance_notice"])],
            today=dt.date(2026, 1, 1),
        )  # fmt: skip
    assert [f.key for f in facts] == ["performance_notice:2"]
    # The portfolio: covered to 31 March 2026, so the next UK9 is due 31 March 2027 and not overdue.
    [entry] = portfolio(contract, as_of=NOW)
    assert (entry["uk9_next_due"], entry["uk9_overdue"]) == ("2027-03-31", False)


def test_a_breach_adds_a_key_date_thirty_days_on_that_survives_a_variation(contract: Settings) -> None:
    done = record_breach(contract, ref=REF, on=dt.date(2026, 11, 3), kind="breach", reason="Safeguarding failure",
                         as_of=NOW, actor="t")  # fmt: skip
    assert done["notice_due"] == "2026-12-03"
    assert [r["key"] for r in due(contract, as_of=NOW, within_days=30) if r["kind"] == "breach_notice"] == [
        "breach_notice:1"
    ]
    decide(contract, ref=REF, action="vary", reason="more money", as_of=NOW, actor="t", value="6500000")
    with unit_of_work(database(contract)) as session:
        keys = session.exec(
            select(ContractKeyDate.key, ContractKeyDate.due_on).where(ContractKeyDate.kind == "breach_notice")
        ).all()
        assert [(k, d) for k, d in keys] == [("breach_notice:1", dt.date(2026, 12, 3))]
    publish_notice(contract, ref=REF, on=dt.date(2026, 12, 1), reference="054321-2026", period=None, breach=1,
                   as_of=NOW, actor="t")  # fmt: skip
    # Before its publication `due` listed the breach notice's date; once published, it is satisfied.
    assert not [r for r in due(contract, as_of=NOW, within_days=30) if r["kind"] == "breach_notice"]
    with unit_of_work(database(contract)) as session:
        notice = session.exec(select(ContractNotice).where(ContractNotice.kind == "breach")).one()
        assert (notice.status, notice.satisfies_key, notice.content["reference"]) == (
            "published",
            "breach_notice:1",
            "054321-2026",
        )


def test_kpis_set_is_a_variation_and_rates_the_readings_again(contract: Settings, tmp_path: Path) -> None:
    readings(contract, tmp_path)
    kpis = [
        ("--kpi", "Tenancies sustained: percentage 80 higher"),
        ("--kpi", "Days to first appointment: days 10 lower"),
        ("--kpi", "Cost per person: money 12000 lower"),
    ]
    with pytest.raises(UserError, match="at least 3 KPIs"):
        set_kpis(
            contract, ref=REF, items=kpis[:2], exemption=None, exemption_reason=None, reason="r", as_of=NOW, actor="t"
        )
    # Target 80: edges 75 and 65; the 2026-Q1 reading of 75 goes from Requires improvement to Approaching target.
    done = set_kpis(contract, ref=REF, items=kpis, exemption=None, exemption_reason=None, reason="re-based",
                    as_of=NOW, actor="t")  # fmt: skip
    assert (done["changed"], done["rerated"]) == (True, 1)
    again = set_kpis(contract, ref=REF, items=kpis, exemption=None, exemption_reason=None, reason="re-based",
                     as_of=NOW, actor="t")  # fmt: skip
    assert again["changed"] is False
    with pytest.raises(UserError, match="has readings, so it stays"):
        set_kpis(contract, ref=REF, items=kpis[1:], exemption="light_touch", exemption_reason="Schedule 1",
                 reason="drop one", as_of=NOW, actor="t")  # fmt: skip


def test_two_kpis_whose_names_differ_only_in_case_are_refused(contract: Settings) -> None:
    """A reading finds its KPI by name in any case, so the second of two such KPIs could never be read."""
    kpis = [
        ("--kpi", "Tenancies sustained: percentage 85 higher"),
        ("--kpi", "TENANCIES SUSTAINED: percentage 70 higher"),
        ("--kpi", "Days to first appointment: days 10 lower"),
        ("--kpi", "Cost per person: money 12000 lower"),
    ]
    with pytest.raises(UserError) as refused:
        set_kpis(contract, ref=REF, items=kpis, exemption=None, exemption_reason=None, reason="r", as_of=NOW,
                 actor="t")  # fmt: skip
    assert str(refused.value) == (
        "nothing changed: Tenancies sustained: is given more than once (also as 'TENANCIES SUSTAINED': names are "
        "matched in any case)"
    )


def test_publishing_the_uk9_stops_its_reminders(contract: Settings) -> None:
    from flows.reminders.sweep import sweep
    from models.reminders.tables import Reminder

    def instant(day: str) -> dt.datetime:
        return dt.datetime.fromisoformat(f"{day}T09:00:00+00:00")

    def uk9_reminders() -> list[tuple[str, str]]:
        with unit_of_work(database(contract)) as session:
            rows = session.exec(select(Reminder).where(Reminder.key_date_key == "performance_notice:1")).all()
            return sorted((r.lead, r.status) for r in rows)

    # The first UK9 is due 1 April 2026; the statutory ladder reminds 10 and 3 days before (22 and 29 March).
    sweep(contract, as_of=instant("2026-03-25"), dry_run=False)
    assert uk9_reminders() == [("10d", "pending")]
    prepare_uk9(contract, ref=REF, period="2025-04-01..2026-03-25", as_of=instant("2026-03-26"), actor="t")
    done = publish_notice(contract, ref=REF, on=dt.date(2026, 3, 27), reference="012345-2026", period=None,
                          breach=None, as_of=instant("2026-03-27"), actor="t")  # fmt: skip
    assert (done["satisfies"], done["reminders_stopped"]) == ("performance_notice:1", 1)
    sweep(contract, as_of=instant("2026-03-30"), dry_run=False)  # the 3-day step is not planned any more
    assert uk9_reminders() == [("10d", "cancelled")]


def test_a_notice_for_a_period_not_yet_over_is_refused(contract: Settings) -> None:
    # On 1 December 2026 the six months to 31 May 2027 are mostly to come: nothing to rate yet
    with pytest.raises(UserError, match=r"--period: 2026-12-01..2027-05-31 is not over until 2027-05-31; a notice"):
        prepare_uk9(contract, ref=REF, period="2026-12-01..2027-05-31", as_of=NOW, actor="t")
    with pytest.raises(UserError, match=r"--period: 2027-Q1 has not begun yet"):
        prepare_uk9(contract, ref=REF, period="2027-Q1", as_of=NOW, actor="t")
    # ending today it may be rated; a notice prepared before this rule, for a period running on, cannot be published
    prepare_uk9(contract, ref=REF, period="2025-12-02..2026-12-01", as_of=NOW, actor="t")
    with unit_of_work(database(contract)) as session:
        session.execute(text("UPDATE contract_notice SET period_end = :end"), {"end": dt.date(2027, 5, 31)})
    with pytest.raises(UserError, match=r"--on: 2026-12-01 is within the period the notice assesses"):
        publish_notice(contract, ref=REF, on=dt.date(2026, 12, 1), reference="012345-2026", period=None,
                       breach=None, as_of=NOW, actor="t")  # fmt: skip
