"""KPIs, readings and ratings as OCDS metrics (policies.ocds.metrics) and back (policies.ocds.metrics_read)."""

import dataclasses
import datetime as dt
import json
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from flows.ocds.jsontext import dumps
from policies.ocds.metrics import (
    CLASSIFICATIONS,
    KpiFacts,
    NoticeFacts,
    ReadingFacts,
    agreed_metrics,
    implementation_metrics,
    notice_documents,
)
from policies.ocds.metrics_read import read_kpis, read_notices
from policies.performance.ratings import Rating

TENANCIES = KpiFacts(
    name="Tenancies sustained at 12 months",
    measure="% of tenancies sustained at 12 months",
    unit="percentage",
    target=Decimal("85"),
    direction="higher",
    frequency="quarterly",
    approaching=Decimal("80"),
    requires_improvement=Decimal("70"),
    own_bands=False,
    readings=(
        ReadingFacts("2025-Q4", dt.date(2025, 10, 1), dt.date(2025, 12, 31), Decimal("83"), "approaching_target"),
        ReadingFacts("2026-Q1", dt.date(2026, 1, 1), dt.date(2026, 3, 31), Decimal("84.5"), "other", "data lost"),
    ),
)
SAVINGS = KpiFacts(
    name="Savings delivered",
    measure="Savings to the council",
    unit="money",
    target=Decimal("25000.50"),
    direction="higher",
    frequency="monthly",
    approaching=Decimal("20000"),
    requires_improvement=Decimal("10000"),
    own_bands=True,
    readings=(ReadingFacts("2026-04", dt.date(2026, 4, 1), dt.date(2026, 4, 30), Decimal("9000"), "inadequate"),),
)


def _contract() -> dict:  # type: ignore[type-arg]
    return {
        "agreedMetrics": agreed_metrics((TENANCIES, SAVINGS)),
        "implementation": {"metrics": implementation_metrics((TENANCIES, SAVINGS))},
    }


def test_every_rating_has_a_uk_code_in_the_scale_order() -> None:
    assert [CLASSIFICATIONS[r.value] for r in Rating] == [
        "met",
        "slightlyBelow",
        "below",
        "significantlyBelow",
        "other",
    ]


def test_a_kpi_is_an_agreed_metric_with_its_target_and_each_reading_a_rated_observation() -> None:
    contract = _contract()
    [target] = contract["agreedMetrics"][0]["observations"]
    assert target["measure"] == 85 and target["unit"] == {"scheme": "UNCEFACT", "id": "P1", "name": "percentage"}
    assert target["dimensions"]["direction"] == "higher"
    q4, q1 = contract["implementation"]["metrics"][0]["observations"]
    assert q4["id"] == "2025-Q4" and q4["period"] == {
        "startDate": "2025-10-01T00:00:00Z",
        "endDate": "2025-12-31T00:00:00Z",
    }
    assert q4["measure"] == 83 and q4["measureClassification"]["id"] == "slightlyBelow" and "notes" not in q4
    assert q1["measure"] == Decimal("84.5") and q1["measureClassification"]["id"] == "other"
    assert q1["notes"] == "data lost"
    money = contract["implementation"]["metrics"][1]["observations"][0]
    assert money["value"] == {"amount": 9000, "currency": "GBP"} and "unit" not in money
    assert contract["agreedMetrics"][1]["observations"][0]["value"]["amount"] == Decimal("25000.50")


def test_metrics_read_back_as_the_kpis_they_were_written_from() -> None:
    kpis, skipped = read_kpis(_contract())
    assert kpis == (TENANCIES, SAVINGS) and skipped == ()


def test_what_is_not_a_kpi_or_a_reading_is_skipped_with_why() -> None:
    contract = _contract()
    contract["agreedMetrics"].append({"id": "fts-1", "title": "Social value", "observations": [{"id": "target"}]})
    observations = contract["implementation"]["metrics"][0]["observations"]
    observations[0]["measureClassification"] = {"id": "excellent"}
    observations[1]["id"] = "spring"
    contract["implementation"]["metrics"].append({"id": "unknown", "observations": [{"id": "2026-Q1"}]})
    kpis, skipped = read_kpis(contract)
    assert [k.name for k in kpis] == [TENANCIES.name, SAVINGS.name] and kpis[0].readings == ()
    assert len(skipped) == 4
    assert "agreed metric fts-1: no title, numeric target and unit" in skipped[2]
    assert "'excellent' is not one of" in skipped[0] and "not a reading" in skipped[1]
    assert skipped[3] == "metric unknown: no agreed metric (KPI) of that id, so no readings"


def test_notices_are_uk9_documents_and_read_back() -> None:
    notices = (
        NoticeFacts(
            "uk9",
            "Contract performance notice",
            "Performance against the KPIs from 2025-06-01 to 2026-05-31",
            dt.date(2026, 6, 15),
            "031416-2026",
            (dt.date(2025, 6, 1), dt.date(2026, 5, 31)),
        ),
        NoticeFacts("breach", "Contract breach notice", "late", dt.date(2026, 7, 1), "041000-2026"),
    )
    documents = notice_documents(notices)
    assert {(d["noticeType"], d["documentType"]) for d in documents} == {("UK9", "implementationNotice")}
    assert documents[0]["datePublished"] == "2026-06-15T00:00:00Z"
    assert read_notices({"documents": [*documents, {"id": "x", "noticeType": "UK6"}]}) == notices


def test_names_that_slug_alike_get_distinct_metric_ids() -> None:
    kpis = (
        dataclasses.replace(TENANCIES, name="% sustained"),
        dataclasses.replace(TENANCIES, name="Sustained"),
    )
    contract = {"agreedMetrics": agreed_metrics(kpis), "implementation": {"metrics": implementation_metrics(kpis)}}
    assert [m["id"] for m in contract["agreedMetrics"]] == ["kpi-sustained", "kpi-sustained-2"]
    assert read_kpis(contract) == (kpis, ())


periods = st.sampled_from(
    [("2025-Q3", dt.date(2025, 7, 1), dt.date(2025, 9, 30)), ("2026-04", dt.date(2026, 4, 1), dt.date(2026, 4, 30))]
)
readings = st.builds(
    lambda p, value, rating, reason: ReadingFacts(p[0], p[1], p[2], value, rating, reason),
    periods,
    st.decimals(Decimal(0), Decimal(100), places=2),
    st.sampled_from(list(CLASSIFICATIONS)),
    st.none() | st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs")), min_size=1, max_size=20),
)
kpi_facts = st.builds(
    KpiFacts,
    name=st.text(min_size=1, max_size=30).map(str.strip).filter(bool),
    measure=st.text(min_size=1, max_size=30).map(str.strip).filter(bool),
    unit=st.sampled_from(["count", "percentage", "days", "money"]),
    target=st.decimals(Decimal(0), Decimal(10**9), places=2),
    direction=st.sampled_from(["higher", "lower"]),
    frequency=st.sampled_from(["monthly", "quarterly"]),
    approaching=st.decimals(Decimal(0), Decimal(10**9), places=3),
    requires_improvement=st.decimals(Decimal(0), Decimal(10**9), places=3),
    own_bands=st.booleans(),
    readings=st.lists(readings, max_size=2, unique_by=lambda r: r.period).map(tuple),
)


@given(st.lists(kpi_facts, max_size=4, unique_by=lambda k: k.name).map(tuple))
def test_any_kpis_survive_being_written_and_read_back(kpis: tuple[KpiFacts, ...]) -> None:
    contract = json.loads(dumps({"agreedMetrics": agreed_metrics(kpis)} | {
        "implementation": {"metrics": implementation_metrics(kpis)}
    }), parse_float=Decimal)  # fmt: skip
    assert read_kpis(contract) == (kpis, ())


def test_whole_numbers_are_written_as_integers_up_to_what_a_json_double_holds_exactly() -> None:
    # 2**53 - 1 = 9,007,199,254,740,991 is the largest integer every JSON reader holds exactly: an integer;
    # from 2**53 a reader using doubles may round it, so it stays a Decimal (written digit for digit).
    def target(amount: Decimal) -> object:
        [metric] = agreed_metrics((dataclasses.replace(SAVINGS, target=amount),))
        return metric["observations"][0]["value"]["amount"]

    assert target(Decimal(2**53 - 1)) == 2**53 - 1 and isinstance(target(Decimal(2**53 - 1)), int)
    assert isinstance(target(Decimal(2**53)), Decimal)
    assert isinstance(target(Decimal("25000.50")), Decimal)
