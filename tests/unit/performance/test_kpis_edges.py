"""KPI definitions at the edges: a 100% reading, band edges at 0 and 100, a 120-character name, bands that touch."""

from decimal import Decimal

import pytest

from policies.performance.kpis import (
    BandBasis,
    BandDefault,
    Bands,
    Direction,
    Frequency,
    KpiDefinition,
    Unit,
    check_reading,
    parse_decimal,
    read_kpi,
    written_number,
)

DEFAULTS = {
    Unit.PERCENTAGE: BandDefault(BandBasis.POINTS, Decimal(5), Decimal(15)),
    Unit.DAYS: BandDefault(BandBasis.PERCENT, Decimal(20), Decimal(50)),
}
TENANCIES = {"name": "tenancies sustained", "unit": "percentage", "target": "85", "direction": "higher"}
DAYS = {"name": "days to first appointment", "unit": "days", "target": "10", "direction": "lower"}


def problems(**fields: object) -> list[str]:
    return [str(p) for p in read_kpi(fields, DEFAULTS)[1]]


def test_a_percentage_reading_of_exactly_100_is_allowed_and_a_hair_over_is_not() -> None:
    # Every tenancy sustained: 100%.
    assert check_reading(Unit.PERCENTAGE, Decimal(100)) is None
    assert check_reading(Unit.PERCENTAGE, Decimal("100.01")) == "100.01 is over 100, and this KPI is a percentage"


def test_a_reading_longer_than_the_column_that_keeps_it_is_refused_in_words() -> None:
    # kept as written in 40 characters: PostgreSQL refused 41 at the storing (value too long), naming no line
    assert check_reading(Unit.COUNT, Decimal("9" * 40)) is None
    assert check_reading(Unit.COUNT, Decimal("9" * 41)) == (
        "too large: a reading is at most 40 characters written out; 41 given"
    )


def test_lower_is_better_bands_must_each_rise_strictly() -> None:
    # Target 10 days: approaching 10 leaves Approaching target empty; requires 12 equal to approaching 12 likewise.
    assert problems(**DAYS, bands={"approaching": "10", "requires_improvement": "15"}) == [
        "bands: for a KPI where lower is better the edges must rise above the target, each higher than the last "
        "(target < approaching < requires_improvement); got 10 < 10 < 15"
    ]
    assert problems(**DAYS, bands={"approaching": "12", "requires_improvement": "12"}) == [
        "bands: for a KPI where lower is better the edges must rise above the target, each higher than the last "
        "(target < approaching < requires_improvement); got 10 < 12 < 12"
    ]
    assert problems(**DAYS, bands={"approaching": "11", "requires_improvement": "12"}) == []


def test_a_name_of_120_characters_is_allowed_and_121_is_not() -> None:
    assert problems(**{**TENANCIES, "name": "x" * 120}) == []
    assert problems(**{**TENANCIES, "name": "x" * 121}) == ["name: is longer than 120 characters"]


def test_the_measure_is_the_name_unless_given() -> None:
    # Target 85, 5 and 15 points below: edges 80 and 70. Quarterly unless said.
    bands = Bands(Decimal(80), Decimal(70))
    plain = KpiDefinition(
        "tenancies sustained",
        "tenancies sustained",
        Unit.PERCENTAGE,
        Decimal(85),
        Direction.HIGHER,
        Frequency.QUARTERLY,
        bands,
        False,
    )
    assert read_kpi(TENANCIES, DEFAULTS) == (plain, [])
    measured = {**TENANCIES, "measure": "% of tenancies sustained at 12 months"}
    assert read_kpi(measured, DEFAULTS)[0] == KpiDefinition(
        "tenancies sustained",
        "% of tenancies sustained at 12 months",
        Unit.PERCENTAGE,
        Decimal(85),
        Direction.HIGHER,
        Frequency.QUARTERLY,
        bands,
        False,
    )


def test_bands_given_as_a_table_win_over_flat_band_columns() -> None:
    # A YAML definition carrying both: the bands table (82, 75) is taken, not the columns (80, 60).
    fields = {**TENANCIES, "bands": {"approaching": "82", "requires_improvement": "75"}}
    definition, found = read_kpi({**fields, "band_approaching": "80", "band_requires_improvement": "60"}, DEFAULTS)
    assert found == [] and definition is not None
    assert (definition.bands, definition.own_bands) == (Bands(Decimal(82), Decimal(75)), True)


def test_an_unreadable_band_edge_is_named_with_its_reason() -> None:
    assert problems(**TENANCIES, bands={"approaching": "eighty", "requires_improvement": "70"}) == [
        "bands.approaching: 'eighty' is not a number"
    ]


def test_percentage_band_edges_of_0_and_100_are_allowed_and_beyond_them_are_not() -> None:
    # Tenancies: Requires improvement reaches all the way to 0%. A lower-is-better percentage (% of
    # placements breaking down, target 10%): Requires improvement reaches all the way to 100%.
    assert problems(**TENANCIES, bands={"approaching": "80", "requires_improvement": "0"}) == []
    breakdowns = {"name": "placements breaking down", "unit": "percentage", "target": "10", "direction": "lower"}
    assert problems(**breakdowns, bands={"approaching": "20", "requires_improvement": "100"}) == []
    assert problems(**breakdowns, bands={"approaching": "20", "requires_improvement": "100.5"}) == [
        "bands.requires_improvement: 100.5 is outside 0 to 100, and this KPI is a percentage"
    ]


@pytest.mark.parametrize(
    ("written", "read"),
    [("85.5", "85.5"), ("12,000", "12000"), ("1,234,567.25", "1234567.25"), ("-3", "-3"), (".5", "0.5"), ("0", "0")],
)
def test_a_number_is_read_as_written_with_commas_only_between_thousands(written: str, read: str) -> None:
    assert written_number(written) == Decimal(read)
    assert parse_decimal(written) == (Decimal(read), None)


@pytest.mark.parametrize(
    "written", ["12,5", "1,2,3", "1,23", "12,0000", ",5", "1_000", "1e3", "NaN", "Infinity", "1 000", "12."]
)
def test_a_decimal_comma_or_stray_separators_are_not_read_as_another_number(written: str) -> None:
    """A European '12,5' days was read as 125 days and rated Inadequate: now it is refused, as '1_000' is."""
    assert written_number(written) is None
    assert parse_decimal(written) == (None, f"{written!r} is not a number")
