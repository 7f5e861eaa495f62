"""OCDS export of the demo portfolio: valid on both profiles, refused with the path when it is not, no personal
data, and a round trip (export, import into an empty database, export) that gives the same compiled releases."""

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text as sql

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.cycle.stage_flows import run_stage_flow
from flows.demo.build import build_portfolio
from flows.demo.pbr import build_payment_by_results
from flows.demo.performance import build_performance
from flows.ocds import exporting
from flows.ocds.exporting import export_ocds
from flows.ocds.importing import import_ocds
from flows.ocds.schemas import Profile
from flows.ocds.validation import load_json, validate_file
from models.db import make_engine
from models.migrate import upgrade
from tests.support.ledger_totals import disagreements
from tests.support.ocds_compare import compiled_by_ocid

pytestmark = [pytest.mark.usefixtures("prefect_engine"), pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]

AS_OF = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def demo(settings: Settings) -> Settings:
    build_portfolio(settings, run_stage_flow, database(settings))
    build_payment_by_results(settings)
    build_performance(settings)
    return settings


def _empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> Settings:
    url = f"sqlite:///{tmp_path / f'{name}.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("COMMISSIONING_DATABASE_URL", url)
    from flows.common.settings import load_settings

    return load_settings()


def test_the_demo_portfolio_exports_valid_on_both_profiles_and_round_trips(
    demo: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for profile in Profile:
        out = tmp_path / f"{profile.value}.json"
        result = export_ocds(demo, out, profile=profile, as_of=AS_OF)
        assert validate_file(out, profile) == []
        assert result.contracts == 3 and result.processes == 7
    package = load_json(tmp_path / "uk.json")
    contracts = [c for r in package["releases"] for c in r.get("contracts", [])]
    assert {m["code"] for c in contracts for m in c["milestones"]} >= {"breakNoticeDeadline", "extensionDecision"}
    transactions = [t for c in contracts for t in c.get("implementation", {}).get("transactions", [])]
    assert transactions and {t["payer"]["name"] for t in transactions} == {"central fund", "council"}
    assert any("standstillPeriod" in a for r in package["releases"] for a in r.get("awards", []))
    text = (tmp_path / "uk.json").read_text()
    assert "participant" not in text.lower() and "contactPoint" not in text

    again = export_ocds(demo, tmp_path / "again.json", profile=Profile.UK, as_of=AS_OF)
    assert again.releases == result.releases
    assert [r["id"] for r in load_json(tmp_path / "again.json")["releases"]] == [r["id"] for r in package["releases"]]

    first = tmp_path / "first.json"
    export_ocds(demo, first, compiled=True, as_of=AS_OF)
    empty = _empty(tmp_path, monkeypatch, "empty")
    import_ocds(empty, first, as_of=AS_OF, actor="t")
    with database(empty).connect() as conn:  # the payments imported are in the running totals too, once
        assert conn.execute(sql("SELECT COUNT(*) FROM pbr_ledger_total")).scalar_one() > 0
        assert disagreements(conn) == {}
    second = tmp_path / "second.json"
    export_ocds(empty, second, compiled=True, as_of=AS_OF)
    # The core profile carries no KPIs (agreedMetrics are the UK profile's), so the two demo contracts with
    # KPIs, HOM-2024-03-C1 (three defined) and FCF-2025-01 (two named), come back without them, and without
    # the yearly UK9 notices their KPIs make due; SMT-2025-01-C1, over £5m, keeps its own (s.52). That is the
    # whole difference: the UK round trip (test_export_performance.py) keeps both.
    before, after = compiled_by_ocid(load_json(first)), compiled_by_ocid(load_json(second))
    uk9_before, uk9_after = _without_performance_notices(before), _without_performance_notices(after)
    with_kpis = {"HOM-2024-03-C1", "FCF-2025-01"}
    assert {c for c, _ in uk9_before} == with_kpis | {"SMT-2025-01-C1"}
    assert sorted(uk9_after) == sorted((c, day) for c, day in uk9_before if c not in with_kpis)
    assert after == before


def _without_performance_notices(compiled: dict[str, Any]) -> list[tuple[str, str]]:
    """Take the UK9 milestones out of every contract; the (contract, due date) of each one taken."""
    taken = []
    for release in compiled.values():
        for contract in release.get("contracts", []):
            kept = []
            for m in contract.get("milestones", []):
                if m.get("code") == "performanceNotice":
                    taken.append((contract["id"], m["dueDate"][:10]))
                else:
                    kept.append(m)
            contract["milestones"] = kept
    return taken


def test_an_invalid_export_is_refused_with_its_path_and_nothing_is_written(
    demo: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = exporting.contract_release

    def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        release = real(*args, **kwargs)
        release["contracts"][0]["period"]["endDate"] = "31/03/2029"
        return release

    monkeypatch.setattr(exporting, "contract_release", broken)
    out = tmp_path / "out.json"
    out.write_text("the previous export")
    with pytest.raises(UserError, match=r"\$\.releases\[\d+\]\.contracts\[0\]\.period\.endDate: '31/03/2029' is not"):
        export_ocds(demo, out, as_of=AS_OF)
    assert out.read_text() == "the previous export"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.json")] == []
