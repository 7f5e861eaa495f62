"""The UK export of contract performance: each KPI as an agreed metric with its target, each reading as an
observation rated by the UK extension's measureClassification, each published notice as a UK9 document; none of
it in the core export; and a broken metric field named by its path."""

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.cycle.stage_flows import run_stage_flow
from flows.demo.build import build_portfolio
from flows.demo.performance import PERFORMANCE_CONTRACT, UK9_REFERENCE, build_performance
from flows.ocds import exporting
from flows.ocds.exporting import export_ocds
from flows.ocds.importing import import_ocds
from flows.ocds.schemas import Profile
from flows.ocds.validation import load_json, validate_file
from flows.performance.notices import publish_notice, record_breach
from models.contracts import get_contract
from models.db import make_engine, unit_of_work
from models.migrate import upgrade
from models.performance.repository import kpis_of, readings_of
from models.performance.tables import ContractNotice
from policies.performance.kpis import kpi_from_public
from policies.performance.ratings import Rating, rate
from tests.support.ocds_compare import compiled_by_ocid

pytestmark = [pytest.mark.usefixtures("prefect_engine"), pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]

AS_OF = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
# The mapping of the five reg. 39 ratings onto the UK extension's measureClassification ids, written out here
# on purpose (not imported from the code under test).
UK_CODES = {
    Rating.GOOD: "met",
    Rating.APPROACHING_TARGET: "slightlyBelow",
    Rating.REQUIRES_IMPROVEMENT: "below",
    Rating.INADEQUATE: "significantlyBelow",
    Rating.OTHER: "other",
}


@pytest.fixture
def demo(settings: Settings) -> Settings:
    build_portfolio(settings, run_stage_flow, database(settings))
    build_performance(settings)
    return settings


def _contract(package: dict[str, Any]) -> dict[str, Any]:
    [found] = [c for r in package["releases"] for c in r.get("contracts", []) if c["id"] == PERFORMANCE_CONTRACT]
    return found


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


def test_the_uk_export_carries_each_kpi_reading_rating_and_notice_as_in_the_database(
    demo: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "uk.json"
    export_ocds(demo, out, contract=PERFORMANCE_CONTRACT, profile=Profile.UK, as_of=AS_OF)
    assert validate_file(out, Profile.UK) == []
    contract = _contract(load_json(out))

    expected_agreed, expected_observed = {}, {}
    with unit_of_work(database(demo)) as session:
        row = get_contract(session=session, ref=PERFORMANCE_CONTRACT)
        assert row is not None and row.id is not None
        kpis = kpis_of(session=session, contract_id=row.id)
        for kpi in kpis:
            definition = kpi_from_public(kpi.definition)
            expected_agreed[definition.name] = definition.target
            readings = readings_of(session=session, kpi_ids=[kpi.id or 0])
            expected_observed[definition.name] = [
                (r.period, r.period_start, r.period_end, Decimal(r.value), UK_CODES[rate(definition, Decimal(r.value))])
                for r in readings
            ]
        notices = session.exec(select(ContractNotice).where(ContractNotice.status == "published")).all()
        published = [(n.reference, n.published_on) for n in notices]
    assert len(expected_agreed) == 3 and sum(len(v) for v in expected_observed.values()) == 24

    agreed = {m["title"]: m["observations"] for m in contract["agreedMetrics"]}
    assert {name: [o["measure"] for o in obs if o["id"] == "target"] for name, obs in agreed.items()} == {
        name: [target] for name, target in expected_agreed.items()
    }
    metrics = contract["implementation"]["metrics"]
    assert {m["id"] for m in metrics} == {m["id"] for m in contract["agreedMetrics"]}
    observed = {
        m["title"]: [
            (
                o["id"],
                _day(o["period"]["startDate"]),
                _day(o["period"]["endDate"]),
                Decimal(o["measure"]),
                o["measureClassification"]["id"],
            )
            for o in m["observations"]
        ]
        for m in metrics
    }
    assert observed == expected_observed
    codes = [o["measureClassification"]["id"] for m in metrics for o in m["observations"]]
    assert codes.count("below") == 1 and "significantlyBelow" not in codes  # one Requires improvement in the demo

    documents = [(d["id"], _day(d["datePublished"])) for d in contract["documents"] if d["noticeType"] == "UK9"]
    assert documents == published == [(UK9_REFERENCE, dt.date(2026, 7, 15))]
    assert all(d["documentType"] == "implementationNotice" for d in contract["documents"])

    again = tmp_path / "again.json"
    export_ocds(demo, again, contract=PERFORMANCE_CONTRACT, profile=Profile.UK, as_of=AS_OF)
    assert [r["id"] for r in load_json(again)["releases"]] == [r["id"] for r in load_json(out)["releases"]]


def test_the_core_export_leaves_the_uk_only_performance_fields_out(demo: Settings, tmp_path: Path) -> None:
    out = tmp_path / "core.json"
    export_ocds(demo, out, contract=PERFORMANCE_CONTRACT, profile=Profile.CORE, as_of=AS_OF)
    assert validate_file(out, Profile.CORE) == []
    contract = _contract(load_json(out))
    assert "agreedMetrics" not in contract and "documents" not in contract
    assert "metrics" not in contract.get("implementation", {})
    assert "measureClassification" not in out.read_text() and "noticeType" not in out.read_text()


def test_a_broken_metric_field_is_refused_with_its_path(
    demo: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = exporting.contract_release

    def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        release = real(*args, **kwargs)
        for contract in release["contracts"]:
            if "implementation" in contract and "metrics" in contract["implementation"]:
                contract["implementation"]["metrics"][0]["observations"][1]["measureClassification"] = "met"
        return release

    monkeypatch.setattr(exporting, "contract_release", broken)
    out = tmp_path / "out.json"
    path = (
        r"\$\.releases\[\d+\]\.contracts\[0\]\.implementation\.metrics\[0\]\.observations\[1\]\.measureClassification"
    )
    with pytest.raises(UserError, match=path + ": 'met' is not of type 'object'"):
        export_ocds(demo, out, contract=PERFORMANCE_CONTRACT, profile=Profile.UK, as_of=AS_OF)
    assert not out.exists()


def test_the_uk_round_trip_keeps_kpis_readings_ratings_and_notices(
    demo: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    breach_on, published_on = dt.date(2026, 10, 1), dt.date(2026, 10, 20)
    record_breach(demo, ref=PERFORMANCE_CONTRACT, on=breach_on, kind="breach", reason="Service stopped for a week",
                  as_of=dt.datetime(2026, 10, 2, 9, tzinfo=dt.UTC), actor="t")  # fmt: skip
    publish_notice(demo, ref=PERFORMANCE_CONTRACT, on=published_on, reference="055555-2026", period=None, breach=1,
                   as_of=dt.datetime(2026, 10, 20, 9, tzinfo=dt.UTC), actor="t")  # fmt: skip
    first = tmp_path / "first.json"
    export_ocds(demo, first, compiled=True, profile=Profile.UK, as_of=AS_OF)
    with unit_of_work(database(demo)) as session:
        source_uk9_key = session.exec(select(ContractNotice.satisfies_key).where(ContractNotice.kind == "uk9")).one()
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("COMMISSIONING_DATABASE_URL", url)
    from flows.common.settings import load_settings

    empty = load_settings()
    report = import_ocds(empty, first, as_of=AS_OF, actor="t")
    assert report.skipped == [] and report.not_read == []
    second = tmp_path / "second.json"
    export_ocds(empty, second, compiled=True, profile=Profile.UK, as_of=AS_OF)
    assert validate_file(second, Profile.UK) == []
    before, after = compiled_by_ocid(load_json(first)), compiled_by_ocid(load_json(second))
    assert after == before
    [contract] = [c for r in after.values() for c in r.get("contracts", []) if c["id"] == PERFORMANCE_CONTRACT]
    assert len(contract["agreedMetrics"]) == 3
    assert sum(len(m["observations"]) for m in contract["implementation"]["metrics"]) == 24
    uk9, breach = sorted(contract["documents"], key=lambda d: d["datePublished"])
    assert (uk9["id"], uk9["title"]) == (UK9_REFERENCE, "Contract performance notice")
    assert (breach["id"], breach["title"], breach["noticeType"]) == ("055555-2026", "Contract breach notice", "UK9")
    assert "Service stopped for a week" in breach["description"] and breach["datePublished"].startswith("2026-10-20")
    with unit_of_work(database(empty)) as session:
        notice, breach_notice = session.exec(select(ContractNotice).order_by(ContractNotice.published_on)).all()
        assert (breach_notice.kind, breach_notice.reference, breach_notice.published_on) == (
            "breach",
            "055555-2026",
            published_on,
        )
        assert (notice.status, notice.reference, notice.published_on) == (
            "published",
            UK9_REFERENCE,
            dt.date(2026, 7, 15),
        )
        assert (notice.period_start, notice.period_end) == (dt.date(2025, 6, 1), dt.date(2026, 5, 31))
        # each satisfies its key date, as `notices publish` would have chosen it, so no reminders run for it
        assert breach_notice.satisfies_key == "breach_notice:1"
        assert notice.satisfies_key == source_uk9_key
