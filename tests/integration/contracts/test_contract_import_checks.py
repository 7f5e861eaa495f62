"""A contracts file is checked whole: misspelt and repeated columns, impossible YAML dates, every
problem counted (the first 100 shown, all of them in --report), and a big file imported in batches
that still land all together or not at all."""

import csv
import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import func, select

import flows.contracts.importing as importing
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.contracts.files import read_rows
from flows.contracts.importing import add_contracts
from flows.cycle.projects import create_project
from flows.pbr.ratecards import import_rate_card
from models.contracts import Contract, ContractKeyDate
from models.db import unit_of_work

NOV_23 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
HEADER = "ref,title,provider,project,value,start,term"


@pytest.fixture
def project(settings: Settings) -> Settings:
    create_project(
        settings,
        ref="HOM-2024-03",
        title="Homelessness",
        service_area="a",
        owner="o",
        description="",
        stage="do",
        as_of=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        actor="t",
    )
    return settings


def stored(settings: Settings) -> tuple[int, int]:
    with unit_of_work(database(settings)) as session:
        return (
            session.exec(select(func.count()).select_from(Contract)).one(),
            session.exec(select(func.count()).select_from(ContractKeyDate)).one(),
        )


def row(i: int, *, start: str = "2026-04-01") -> str:
    return f"C-{i:05d},Service {i},Provider,HOM-2024-03,100000,{start},3+1"


def test_a_misspelt_column_is_an_error_naming_it_and_the_nearest_known_name(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(f"{HEADER},brake_on,extention_notice\n{row(1)},2028-03-31,6 months\n")
    with pytest.raises(UserError) as refused:
        read_rows(path)
    message = str(refused.value)
    assert message.startswith(f"{path}:1: unknown column(s): ")
    assert "'brake_on' (did you mean 'break_on'?)" in message
    assert "'extention_notice' (did you mean 'extension_notice'?)" in message


def test_a_file_of_a_hundred_thousand_unknown_columns_is_refused_in_a_short_message(tmp_path: Path) -> None:
    """A hostile or broken file: naming every one made a message of megabytes (and took seconds a column)."""
    path = tmp_path / "c.csv"
    junk = [f"junk{i}" for i in range(100_000)]
    path.write_text(f"{HEADER},brake_on,{','.join(junk)}\n{row(1)},2028-03-31{',' * len(junk)}\n")
    with pytest.raises(UserError) as refused:
        read_rows(path)
    message = str(refused.value)
    assert message.startswith(f"{path}:1: unknown column(s): 'brake_on' (did you mean 'break_on'?), 'junk0'")
    assert "and 99,991 more; the known columns are " in message
    assert len(message) < 2000


def test_a_repeated_column_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(f"{HEADER},value\n{row(1)},999\n")
    with pytest.raises(UserError, match=r"c.csv:1: column\(s\) named more than once: value"):
        read_rows(path)


def test_an_impossible_unquoted_yaml_date_is_named_with_its_field_beside_every_other_problem(
    project: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "contracts:\n  - ref: A-1\n    title: T\n    start: 2027-02-30\n"
        "  - ref: A-2\n    title: T\n    start: 2027-02-31\n"
    )
    with pytest.raises(UserError) as refused:
        add_contracts(project, read_rows(path), as_of=NOV_23, actor="t")
    message = str(refused.value)
    assert f"{path}:2: start: '2027-02-30' is not a date: day is out of range for month\n" in message
    assert f"{path}:5: start: '2027-02-31' is not a date: day is out of range for month\n" in message
    assert f"{path}:2: provider: is missing" in message


def test_an_impossible_rate_card_date_is_named_with_its_field_and_line_beside_every_other_problem(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "card.yaml"
    path.write_text("contract: FCF-1\neffective_from: 2018-02-30\noutcomes: []\n")
    with pytest.raises(UserError) as refused:
        import_rate_card(settings, path, as_of=NOV_23, actor="t")
    lines = str(refused.value).splitlines()
    assert f"  {path}:2: effective_from: '2018-02-30' is not a date: day is out of range for month" in lines
    assert f"  {path}: referral_from: is missing (an ISO date, e.g. 2026-04-01)" in lines


def test_every_problem_is_counted_the_first_100_shown_and_all_written_to_the_report(
    project: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    path.write_text("\n".join([HEADER, *(row(i, start="01/04/2026") for i in range(150))]) + "\n")
    report = tmp_path / "problems.csv"
    with pytest.raises(UserError) as refused:
        add_contracts(project, read_rows(path), as_of=NOV_23, actor="t", report=report)
    lines = str(refused.value).splitlines()
    assert lines[0] == "nothing imported: 150 problem(s)"
    assert lines[1].startswith(f"  {path}:2: start: '01/04/2026' is not a date in ISO form")
    assert len(lines) == 1 + 100 + 1
    assert lines[-1] == f"  ... and 50 more; --report FILE writes them all (written to {report})"
    with report.open(newline="") as f:
        written = list(csv.reader(f))
    assert written[0] == ["line", "field", "reason"]
    assert len(written) == 151
    assert written[150][:2] == ["151", "start"]
    assert stored(project) == (0, 0)


def test_a_file_bigger_than_a_batch_lands_whole_or_not_at_all(
    project: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "BATCH", 7)
    rows = [row(i) for i in range(30)]
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([HEADER, *rows, row(99, start="2026-13-01")]) + "\n")
    with pytest.raises(UserError, match=r"bad.csv:32: start"):
        add_contracts(project, read_rows(bad), as_of=NOV_23, actor="t")
    assert stored(project) == (0, 0)
    good = tmp_path / "good.csv"
    good.write_text("\n".join([HEADER, *rows]) + "\n")
    result = add_contracts(project, read_rows(good), as_of=NOV_23, actor="t")
    assert len(result.added) == 30 and stored(project)[0] == 30
    again = add_contracts(project, read_rows(good), as_of=NOV_23, actor="t")
    assert (again.added, len(again.unchanged)) == ([], 30)


def test_a_ref_given_twice_in_different_batches_is_named_with_both_lines(
    project: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "BATCH", 3)
    path = tmp_path / "twice.csv"
    path.write_text("\n".join([HEADER, *(row(i) for i in range(5)), row(1)]) + "\n")
    with pytest.raises(UserError, match=rf"{path.name}:7: ref: C-00001 is already given at {path}:3"):
        add_contracts(project, read_rows(path), as_of=NOV_23, actor="t")
    assert stored(project) == (0, 0)
