"""KPI definitions from files and with a contract, on SQLite and PostgreSQL: every problem named, nothing stored."""

import datetime as dt
from pathlib import Path

import pytest

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.contracts.files import Row
from flows.contracts.importing import add_contracts
from flows.performance.definitions import read_kpi_file, set_kpis
from tests.integration.performance.conftest import REF

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def test_a_csv_of_kpi_definitions_sets_them(contract: Settings, tmp_path: Path) -> None:
    path = tmp_path / "kpis.csv"
    path.write_text(
        "name,unit,target,direction,frequency,band_approaching,band_requires_improvement\n"
        "Tenancies sustained,percentage,85,higher,quarterly,82,75\n"
        "Days to first appointment,days,10,lower,,,\n"
        "Cost per person,money,12000,lower,,,\n",
        encoding="utf-8",
    )
    items, _ = read_kpi_file(path)
    done = set_kpis(contract, ref=REF, items=items, exemption=None, exemption_reason=None, reason="tightened",
                    as_of=NOW, actor="t")  # fmt: skip
    assert {k["name"]: k["bands"] for k in done["kpis"]}["Tenancies sustained"] == {
        "approaching": "82",
        "requires_improvement": "75",
    }


def test_a_bad_definitions_file_names_each_line(contract: Settings, tmp_path: Path) -> None:
    path = tmp_path / "kpis.csv"
    path.write_text(
        "name,unit,target,direction,band_approaching,band_requires_improvement\n"
        "Tenancies sustained,percentage,85,higher,90,95\n"  # bands above a higher-is-better target
        "Days,days,10,lower,,\n"
        "Cost,pounds,12000,lower,,\n",  # no such unit
        encoding="utf-8",
    )
    items, _ = read_kpi_file(path)
    with pytest.raises(UserError) as refused:
        set_kpis(contract, ref=REF, items=items, exemption=None, exemption_reason=None, reason="r", as_of=NOW,
                 actor="t")  # fmt: skip
    lines = str(refused.value).splitlines()
    assert lines[0] == "nothing changed:"
    assert lines[1].startswith(f"  {path}:2: bands: for a KPI where higher is better the edges must fall below")
    assert lines[2] == f"  {path}:4: unit: 'pounds' is not one of count, percentage, days, money"


def test_a_contract_file_kpi_with_an_unknown_field_is_refused(contract: Settings) -> None:
    fields = {
        "ref": "HF-2025-02", "title": "t", "provider": "p", "project": "HOM-2024-03", "value": "100000",
        "start": "2025-04-01", "term": "3",
        "kpis": [{"name": "Tenancies", "unit": "percentage", "targte": "85", "direction": "higher"}],
    }  # fmt: skip
    with pytest.raises(UserError) as refused:
        add_contracts(contract, [Row("c.yaml:3", fields)], as_of=NOW, actor="t")
    assert "c.yaml:3: kpis[1]: targte: not a KPI field; use name, measure, unit, target" in str(refused.value)
