"""`contracts list`'s filters on a worked example: status today, provider, owner, ending within N days.

HF-2026-01: Northbridge YP Trust, project HOM-1 (owner "A"), from 1 April 2026 for 3+1+1 years (last day
31 March 2029). FAM-1-C1: Other Care Ltd, project FAM-1 (owner Cara Commissioner), 1 January to 31 December 2026.
On 15 March 2026 HF-2026-01 is pending and FAM-1-C1 active; on 1 December 2026 FAM-1-C1 ends in 30 days.
"""

import csv
import datetime as dt
from pathlib import Path

import pytest

from flows.common.errors import UserError
from flows.common.listing import export_listing
from flows.common.settings import Settings
from flows.contracts.files import Row
from flows.contracts.importing import add_contracts
from flows.contracts.listing import contracts_list
from flows.cycle.projects import create_project
from tests.support.builders import housing_first

MARCH = dt.datetime(2026, 3, 15, 12, tzinfo=dt.UTC)
DECEMBER = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def portfolio(settings: Settings) -> Settings:
    housing_first(settings)
    when = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
    create_project(settings, ref="FAM-1", title="Family support", service_area="Children", owner="Cara Commissioner",
                   description="", stage="review", as_of=when, actor="a")  # fmt: skip
    fields = {"ref": "FAM-1-C1", "title": "Family hubs", "provider": "Other Care Ltd", "project": "FAM-1",
              "value": "120000", "start": "2026-01-01", "term": "1 year"}  # fmt: skip
    add_contracts(settings, [Row("line 2", fields)], as_of=when, actor="a")
    return settings


def refs(settings: Settings, **filters: object) -> list[str]:
    return [r["ref"] for r in contracts_list(settings, **filters).rows]  # type: ignore[arg-type]


def test_each_filter_on_the_worked_example(portfolio: Settings) -> None:
    assert refs(portfolio, as_of=MARCH) == ["FAM-1-C1", "HF-2026-01"]
    assert refs(portfolio, status="pending", as_of=MARCH) == ["HF-2026-01"]
    assert refs(portfolio, status="ACTIVE", as_of=MARCH) == ["FAM-1-C1"]
    assert refs(portfolio, status="active", as_of=DECEMBER) == ["FAM-1-C1", "HF-2026-01"]
    assert refs(portfolio, provider="northbridge", as_of=MARCH) == ["HF-2026-01"]
    assert refs(portfolio, owner="cara", as_of=MARCH) == ["FAM-1-C1"]
    assert refs(portfolio, ending_within=30, as_of=DECEMBER) == ["FAM-1-C1"]
    assert refs(portfolio, ending_within=29, as_of=DECEMBER) == []
    assert refs(portfolio, providers=("Other Care Ltd",), as_of=MARCH) == ["FAM-1-C1"]
    (fam,) = contracts_list(portfolio, owner="Cara", as_of=DECEMBER).rows
    assert (fam["owner"], fam["ends_on"], fam["days_to_end"], fam["value"]) == (
        "Cara Commissioner", "2026-12-31", 30, "120000.00"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"status": "live"}, "--status: 'live' is not a contract status; use pending, active, extended, in_notice, "
                             "terminated or expired"),
        ({"ending_within": -5}, "--ending-within: -5 is not a number of days from 0 to 36600"),
    ],
)  # fmt: skip
def test_bad_filters_are_refused(settings: Settings, filters: dict[str, object], message: str) -> None:
    with pytest.raises(UserError) as refused:
        contracts_list(settings, **filters)  # type: ignore[arg-type]
    assert str(refused.value) == message


def test_the_export_reads_back(portfolio: Settings, tmp_path: Path) -> None:
    export_listing(contracts_list(portfolio, as_of=MARCH), tmp_path / "contracts.csv")
    with (tmp_path / "contracts.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:5] == ["Contract", "Title", "Provider", "Owner", "Status"]
    assert [(r[0], r[4], r[5], r[6]) for r in rows[1:]] == [
        ("FAM-1-C1", "active", "120000.00", "2026-12-31"),
        ("HF-2026-01", "pending", "2400000.00", "2029-03-31"),
    ]
