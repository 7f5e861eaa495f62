"""Contracts on a real database: atomic, idempotent imports and one-range-query key dates."""

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import func, select

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.contracts.detail import contract_detail
from flows.contracts.due import due, due_days
from flows.contracts.files import read_rows
from flows.contracts.importing import add_contracts
from flows.cycle.projects import create_project
from models.contracts import Contract, ContractKeyDate
from models.db import unit_of_work
from models.events import Event

EXAMPLES = Path(__file__).parents[3] / "examples"
NOV_23 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
DEMO_PROJECTS = ["HOM-2024-03", "SMT-2025-01", "CAR-2023-01", "YJP-2025-02"]


@pytest.fixture
def projects(settings: Settings) -> Settings:
    for ref in DEMO_PROJECTS:
        create_project(
            settings,
            ref=ref,
            title=ref,
            service_area="a",
            owner="o",
            description="",
            stage="do",
            as_of=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
            actor="t",
        )
    return settings


def counts(settings: Settings) -> tuple[int, int, int]:
    with unit_of_work(database(settings)) as session:
        return tuple(  # type: ignore[return-value]
            session.exec(select(func.count()).select_from(m)).one() for m in (Contract, ContractKeyDate, Event)
        )


def import_file(settings: Settings, path: Path):  # type: ignore[no-untyped-def]
    return add_contracts(settings, read_rows(path), as_of=NOV_23, actor="finance")


def test_both_example_files_import_and_a_second_import_changes_nothing(projects: Settings) -> None:
    first = import_file(projects, EXAMPLES / "contracts.yaml")
    assert first.added == ["HF-2024-01", "SMT-2025-01-C"]
    assert import_file(projects, EXAMPLES / "contracts.csv").added == ["CAR-2023-01-C", "YJP-2025-02-C"]
    before = counts(projects)
    again = import_file(projects, EXAMPLES / "contracts.yaml")
    assert (again.added, again.unchanged) == ([], ["HF-2024-01", "SMT-2025-01-C"])
    assert counts(projects) == before


def test_the_housing_first_contract_has_its_key_dates(projects: Settings) -> None:
    import_file(projects, EXAMPLES / "contracts.yaml")
    detail = contract_detail(projects, "HF-2024-01")
    assert (detail["expiry"], detail["max_extent"], detail["status"]) == ("2027-06-30", "2029-06-30", "active")
    by_kind = {(k["kind"], k["due_on"]) for k in detail["key_dates"]}
    assert ("break_notice_deadline", "2026-03-30") in by_kind  # 3 months before 30 June 2026
    assert ("extension_decision", "2027-04-07") in by_kind  # 12 weeks before 30 June 2027
    assert ("standstill_end", "2024-05-30") in by_kind  # 8 working days from Monday 20 May 2024
    assert [e["action"] for e in detail["history"]] == ["ContractAdded"]


def test_one_bad_row_rejects_the_whole_file_with_file_line_field_and_reason(projects: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "contracts.csv"
    lines = (EXAMPLES / "contracts.csv").read_text().splitlines()
    lines.append(lines[1].replace("CAR-2023-01-C", "BAD-1").replace("2023-04-01", "01/04/2023"))
    lines.append(lines[2].replace("YJP-2025-02-C", "BAD-2").replace("england_and_wales", "wessex"))
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(UserError) as refused:
        import_file(projects, bad)
    message = str(refused.value)
    assert message.startswith("nothing imported: 2 problem(s)")
    assert f"{bad}:4: start: '01/04/2023' is not a date in ISO form" in message
    assert f"{bad}:5: nation: 'wessex' is not a nation" in message
    assert counts(projects)[:2] == (0, 0)


def test_an_unknown_project_rejects_the_file(projects: Settings, tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text((EXAMPLES / "contracts.yaml").read_text().replace("project: SMT-2025-01", "project: NOPE-1"))
    with pytest.raises(UserError, match=r"one.yaml:23: project: no commissioning project 'NOPE-1'"):
        import_file(projects, path)
    assert counts(projects)[:2] == (0, 0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\xff\xferef,title\n", "is UTF-16 text; save it as UTF-8"),
        (b"ref,title\nX,Y\n", ":1: missing column(s): provider, project, value, start, term (or end)"),
    ],
)
def test_unreadable_files_are_refused(projects: Settings, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "contracts.csv"
    path.write_bytes(content)
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_rows(path)


def test_a_byte_order_mark_is_fine(projects: Settings, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (EXAMPLES / "contracts.csv").read_bytes())
    assert import_file(projects, path).added == ["CAR-2023-01-C", "YJP-2025-02-C"]


def test_due_lists_what_is_coming_and_flags_what_was_missed(projects: Settings) -> None:
    import_file(projects, EXAMPLES / "contracts.csv")
    rows = due(projects, as_of=NOV_23, within_days=60)
    assert [r["due_on"] for r in rows] == sorted(r["due_on"] for r in rows)
    missed = [(r["contract"], r["kind"]) for r in rows if r["missed"]]
    assert ("CAR-2023-01-C", "extension_decision") in missed  # due 30 Sep 2026, before the end on 31 Mar 2027
    upcoming = [r for r in rows if not r["missed"]]
    assert all(0 <= r["days_left"] <= 60 for r in upcoming)
    assert ("CAR-2023-01-C", "quarterly_monitoring", "2027-01-01") in {
        (r["contract"], r["kind"], r["due_on"]) for r in upcoming
    }


def test_a_yaml_file_with_a_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("contracts:\n  - ref: A\n    title: [unclosed\n")
    with pytest.raises(UserError, match=r"c.yaml:\d+: is not valid YAML"):
        read_rows(path)


@pytest.mark.parametrize("count", [0, 3, 1000, 1001, 2500])
def test_due_json_is_what_json_dumps_prints_for_the_rows_as_dicts(
    count: int, capsys: pytest.CaptureFixture[str]
) -> None:
    from flows.cli.common import print_json
    from flows.cli.contracts import _print_json_rows
    from flows.contracts.due import FIELDS, DueRow

    awkward = [
        "Caf\u00e9 \u2014 \u201cquoted\u201d",
        'back\\slash "and" quotes / solidus',
        "tab\tnew\nline\x00\x1f\x7f",
        "\U0001f4c5 \ud7ff",
    ]
    rows: list[DueRow] = [
        (
            f"C-{i:06d}",
            awkward[i % 4],
            awkward[(i + 1) % 4],
            i % 3 == 0,
            -(i % 50) if i % 3 == 0 else i % 90,
            f"key-{i}",
            "termination_notice",
            "2026-11-23",
            awkward[(i + 2) % 4],
            awkward[(i + 3) % 4],
            None if i % 2 else "2027-01-01",
            None if i % 5 else "notice-served",
        )
        for i in range(count)
    ]
    _print_json_rows(rows)
    fast = capsys.readouterr().out
    print_json([dict(zip(FIELDS, row, strict=True)) for row in rows])
    assert fast == capsys.readouterr().out


def test_due_by_the_page_and_by_the_day_is_the_whole_list_cut_and_counted(projects: Settings) -> None:
    """The web's due page reads one page in the query, a provider's only, and its calendar counts per day in the
    query: each must agree with the whole list worked out the long way here."""
    import_file(projects, EXAMPLES / "contracts.yaml")
    import_file(projects, EXAMPLES / "contracts.csv")
    whole = due(projects, as_of=NOV_23, within_days=400)
    assert len(whole) > 6  # enough for three pages of 3
    pages = [due(projects, as_of=NOV_23, within_days=400, limit=3, offset=n) for n in range(0, len(whole) + 3, 3)]
    assert [r for page in pages for r in page] == whole and pages[-1] == []
    one = whole[0]["provider"]
    assert due(projects, as_of=NOV_23, within_days=400, providers=(one,)) == [r for r in whole if r["provider"] == one]
    assert due(projects, as_of=NOV_23, within_days=400, providers=()) == []  # an organisation naming no provider
    # December 2026 counted per day, and its missed ones: the whole list's rows of that month, counted here
    december = [r for r in whole if r["due_on"].startswith("2026-12")]
    assert december  # the example contracts have key dates in December 2026
    counted = due_days(projects, as_of=NOV_23, within_days=400, first=dt.date(2026, 12, 1), final=dt.date(2026, 12, 31))
    by_day: dict[dt.date, tuple[int, int]] = {}
    for r in december:
        n, missed = by_day.get(dt.date.fromisoformat(r["due_on"]), (0, 0))
        by_day[dt.date.fromisoformat(r["due_on"])] = (n + 1, missed + int(r["missed"]))
    assert counted == by_day
