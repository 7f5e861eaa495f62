"""A contract with three KPIs on the database under test: Housing First, from 1 April 2025, £6m, 3+1 years."""

import datetime as dt

import pytest

from flows.common.settings import Settings
from flows.contracts.files import Row
from flows.contracts.importing import add_contracts
from flows.cycle.projects import create_project

REF = "HF-2025-01"
ADDED = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
KPIS = [
    "Tenancies sustained: percentage 85 higher",  # edges 80 and 70 (5 and 15 points)
    "Days to first appointment: days 10 lower",  # edges 12 and 15 (20% and 50% of 10)
    "Cost per person: money 12000 lower",  # edges 13200 and 15000 (10% and 25%)
]


@pytest.fixture
def contract(settings: Settings) -> Settings:
    create_project(
        settings, ref="HOM-2024-03", title="Housing", service_area="Housing", owner="o", description="",
        stage="review", as_of=dt.datetime(2024, 1, 1, tzinfo=dt.UTC), actor="t",
    )  # fmt: skip
    fields = {
        "ref": REF, "title": "Housing First", "provider": "Northbridge YP Trust", "project": "HOM-2024-03",
        "value": "6,000,000", "start": "2025-04-01", "term": "3+1", "kpis": KPIS,
    }  # fmt: skip
    add_contracts(settings, [Row("test", fields)], as_of=ADDED, actor="t")
    return settings
