"""KPI readings on SQLite and PostgreSQL: the import is atomic and idempotent, bad rows are named, corrections
and overrides are events with before and after."""

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import func, select

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.performance.corrections import correct_reading, override_rating
from flows.performance.portfolio import portfolio
from flows.performance.readings_import import import_readings
from models.db import unit_of_work
from models.events import Event
from models.performance.tables import KpiReading
from tests.integration.performance.conftest import REF

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def write(tmp_path: Path, text: str, name: str = "readings.csv") -> Path:
    path = tmp_path / name
    path.write_text("contract,kpi,period,value\n" + text, encoding="utf-8")
    return path


def stored(settings: Settings) -> dict[tuple[int, str], tuple[str, str]]:
    with unit_of_work(database(settings)) as session:
        return {(r.kpi_id, r.period): (r.value, r.rating) for r in session.exec(select(KpiReading))}


def events(settings: Settings, action: str) -> list[Event]:
    with unit_of_work(database(settings)) as session:
        return list(session.exec(select(Event).where(Event.action == action)))


GOOD_FILE = (
    f"{REF},Tenancies sustained,2025-Q2,86\n"  # >= 85: Good
    f"{REF},Tenancies sustained,2025-Q3,80\n"  # the approaching edge itself: Approaching target
    f"{REF},Days to first appointment,2025-Q2,15\n"  # the requires-improvement edge (15): Requires improvement
    f"{REF},days to first appointment,2025-Q3,15.5\n"  # past 15: Inadequate (the KPI's name in any case)
    f'{REF},Cost per person,2025-Q2,"12,000.50"\n'  # just over the target of 12000: Approaching target
)


def test_an_import_rates_every_reading_and_again_changes_nothing(contract: Settings, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_FILE)
    first = import_readings(contract, path, as_of=NOW, actor="t")
    assert (first.added, first.unchanged, first.contracts) == (5, 0, 1)
    assert first.ratings == {"good": 1, "approaching_target": 2, "requires_improvement": 1, "inadequate": 1}
    rows = stored(contract)
    assert sorted(rows.values()) == sorted(
        [("86", "good"), ("80", "approaching_target"), ("15", "requires_improvement"), ("15.5", "inadequate"),
         ("12000.50", "approaching_target")]
    )  # fmt: skip
    again = import_readings(contract, path, as_of=NOW, actor="t")
    assert (again.added, again.unchanged) == (0, 5)
    assert stored(contract) == rows
    assert len(events(contract, "KpiReadingsRecorded")) == 1  # the second import recorded nothing


def test_a_bad_file_stores_nothing_and_names_every_bad_row(contract: Settings, tmp_path: Path) -> None:
    import_readings(
        contract, write(tmp_path, f"{REF},Tenancies sustained,2025-Q2,86\n", "first.csv"), as_of=NOW, actor="t"
    )
    before = stored(contract)
    path = write(
        tmp_path,
        f"{REF},Tenancies sustained,2025-Q4,84\n"  # line 2: good, but the file is refused
        f"{REF},Tenancies sustained,2026-Q1,101\n"  # 3: a percentage over 100
        f"{REF},Wellbeing score,2026-Q1,5\n"  # 4: no such KPI
        f"{REF},Tenancies sustained,2025-Q1,80\n"  # 5: before the start (1 April 2025)
        f"{REF},Tenancies sustained,2025-Q2,87\n"  # 6: already 86: a correction, not an import
        f"{REF},Days to first appointment,2026-Q2,9\n"  # 7: first given as 9
        f"{REF},Days to first appointment,2026-Q2,11\n"  # 8: then as 11
        f"{REF},Cost per person,2026-05,12000\n",  # 9: a month, for a quarterly KPI
    )
    with pytest.raises(UserError) as refused:
        import_readings(contract, path, as_of=NOW, actor="t")
    lines = str(refused.value).splitlines()
    assert lines[0] == "nothing imported: 6 problem(s)"
    assert lines[1:] == [
        f"  {path}:3: value: 101 is over 100, and this KPI is a percentage",
        f"  {path}:4: kpi: 'Wellbeing score' is not a KPI of {REF} (its KPIs: Cost per person, "
        "Days to first appointment, Tenancies sustained)",
        f"  {path}:5: period: 2025-Q1 ends before the contract starts (2025-04-01)",
        f"  {path}:6: value: {REF} 'Tenancies sustained' 2025-Q2 already reads 86; change it with "
        "`commission kpis correct`",
        f"  {path}:8: value: {REF} 'Days to first appointment' 2026-Q2 is given at line 7 as 9 and here as 11; "
        "give it once",
        f"  {path}:9: period: the KPI is measured quarterly: write a quarter, e.g. 2026-Q2",
    ]
    assert stored(contract) == before


def test_a_reading_of_a_period_not_over_is_refused_naming_the_kpi_and_the_end(
    contract: Settings, tmp_path: Path
) -> None:
    """A 2026-Q4 reading on 1 December 2026 was stored (and rated) a month before the quarter ended."""
    path = write(
        tmp_path,
        f"{REF},Tenancies sustained,2026-Q3,86\n"  # ended 30 September: a good row, but the file is refused
        f"{REF},Tenancies sustained,2026-Q4,84\n"  # ends 31 December
        f"{REF},Days to first appointment,2026-Q4,9\n"  # the same period's check, another KPI named
        f"{REF},Cost per person,2027-Q1,12000\n",  # not begun
    )
    with pytest.raises(UserError) as refused:
        import_readings(contract, path, as_of=NOW, actor="t")
    after = "after the as-of date 2026-12-01: record it once the period is over"
    assert str(refused.value).splitlines() == [
        "nothing imported: 3 problem(s)",
        f"  {path}:3: period: KPI 'Tenancies sustained': 2026-Q4 ends on 2026-12-31, {after}",
        f"  {path}:4: period: KPI 'Days to first appointment': 2026-Q4 ends on 2026-12-31, {after}",
        f"  {path}:5: period: KPI 'Cost per person': 2027-Q1 ends on 2027-03-31, {after}",
    ]
    assert stored(contract) == {}
    # As of the quarter's last day, 2026-Q3 is not after it: taken.
    path = write(tmp_path, f"{REF},Tenancies sustained,2026-Q3,86\n")
    done = import_readings(contract, path, as_of=dt.datetime(2026, 9, 30, 12, 0, tzinfo=dt.UTC), actor="t")
    assert (done.added, done.unchanged) == (1, 0)


def test_a_decimal_comma_is_refused_not_read_as_a_number_ten_times_larger(contract: Settings, tmp_path: Path) -> None:
    """'12,5' days was stored as 125 days and rated Inadequate; '1,2,3' as 123 and '1_000' as 1000."""
    path = write(
        tmp_path,
        f'{REF},Days to first appointment,2025-Q2,"12,5"\n'
        f'{REF},Cost per person,2025-Q2,"1,2,3"\n'
        f"{REF},Tenancies sustained,2025-Q2,8_5\n"
        f'{REF},Cost per person,2025-Q3,"12,000.50"\n',  # thousands: a good reading, but the file is refused
    )
    with pytest.raises(UserError) as refused:
        import_readings(contract, path, as_of=NOW, actor="t")
    assert str(refused.value).splitlines() == [
        "nothing imported: 3 problem(s)",
        f"  {path}:2: value: '12,5' is not a number",
        f"  {path}:3: value: '1,2,3' is not a number",
        f"  {path}:4: value: '8_5' is not a number",
    ]
    assert stored(contract) == {}


def test_a_correction_and_an_override_are_events_with_before_and_after(contract: Settings, tmp_path: Path) -> None:
    import_readings(contract, write(tmp_path, GOOD_FILE), as_of=NOW, actor="t")
    # 80 was Approaching target; 79 is below the approaching edge (80): Requires improvement.
    done = correct_reading(contract, ref=REF, kpi="Tenancies sustained", period="2025-Q3", value="79",
                           reason="provider resubmitted", as_of=NOW, actor="t")  # fmt: skip
    assert (done["before"]["value"], done["before"]["rating"]) == ("80", "approaching_target")
    assert (done["after"]["value"], done["after"]["rating"]) == ("79", "requires_improvement")
    with pytest.raises(UserError, match="needs a reason"):
        override_rating(contract, ref=REF, kpi="Tenancies sustained", period="2025-Q3", rating="Other", reason=" ",
                        as_of=NOW, actor="t")  # fmt: skip
    override_rating(contract, ref=REF, kpi="Tenancies sustained", period="2025-Q3", rating="Other",
                    reason="two tenancies lost to a fire", as_of=NOW, actor="t")  # fmt: skip
    corrected, overridden = events(contract, "KpiReadingCorrected"), events(contract, "KpiRatingOverridden")
    assert len(corrected) == 1 and corrected[0].reason == "provider resubmitted"
    assert overridden[0].before["override"] is None and overridden[0].after["override"] == "other"  # type: ignore[index]
    # The portfolio shows the override in place of the computed rating; Inadequate (days, 15.5) is the worst.
    [entry] = portfolio(contract, as_of=NOW)
    assert entry["worst"] == "inadequate"
    assert {r["kpi"]: r["rating"] for r in entry["ratings"]} == {
        "Cost per person": "approaching_target",
        "Days to first appointment": "inadequate",
        "Tenancies sustained": "other",
    }
    with unit_of_work(database(contract)) as session:
        assert session.exec(select(func.count()).select_from(KpiReading)).one() == 5


def test_an_excel_workbook_of_readings_and_an_excel_export(contract: Settings, tmp_path: Path) -> None:
    from openpyxl import Workbook, load_workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Contract", "KPI", "Period", "Value"])
    sheet.append([REF, "Tenancies sustained", "2025-Q2", 86])  # a number cell: Good
    sheet.append([REF, "Tenancies sustained", "2025-Q3", "75.5"])  # text: Requires improvement (70 to 80)
    path = tmp_path / "readings.xlsx"
    book.save(path)
    done = import_readings(contract, path, as_of=NOW, actor="t")
    assert (done.added, done.ratings) == (2, {"good": 1, "requires_improvement": 1})
    export = tmp_path / "performance.xlsx"
    from flows.performance.portfolio import export as write_export

    write_export(portfolio(contract, as_of=NOW), export)
    rows = list(load_workbook(export).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][:7] == ("contract", "title", "provider", "kpi", "period", "value", "rating")
    assert rows[1][3:7] == ("Tenancies sustained", "2025-Q3", "75.5", "Requires improvement")
