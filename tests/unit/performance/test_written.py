"""KPIs as a contract file writes them: a mapping, one line, or a bare name."""

from policies.performance.written import kpi_fields, kpi_items, kpi_name


def test_a_csv_cell_of_two_kpis_in_one_line_each() -> None:
    cell = "Tenancies sustained: percentage 85 higher; Days to first appointment: days 10 lower monthly bands 12/15"
    items = kpi_items(cell)
    assert [kpi_name(i) for i in items] == ["Tenancies sustained", "Days to first appointment"]
    assert kpi_fields(items[0]) == (
        {"name": "Tenancies sustained", "unit": "percentage", "target": "85", "direction": "higher"},
        [],
    )
    fields, problems = kpi_fields(items[1])
    assert problems == [] and fields is not None
    assert (fields["frequency"], fields["bands"]) == ("monthly", {"approaching": "12", "requires_improvement": "15"})


def test_a_bare_name_is_not_defined_yet() -> None:
    assert kpi_items("Naloxone supplied; ") == ["Naloxone supplied"]
    assert kpi_fields("Naloxone supplied") == (None, [])


def test_a_short_or_unreadable_line_is_named() -> None:
    _, problems = kpi_fields("Waiting: days 10")
    assert [str(p) for p in problems] == [
        "kpis: 'Waiting: days 10': write name: unit target direction (e.g. ': percentage 85 higher')"
    ]
    _, problems = kpi_fields("Waiting: days 10 lower weekly")
    assert [str(p) for p in problems] == [
        "kpis: 'Waiting: days 10 lower weekly': 'weekly' is not a frequency or bands A/R"
    ]


def test_a_yaml_mapping_is_taken_as_it_is() -> None:
    item = {"name": "Cost", "unit": "money", "target": "12000", "direction": "lower"}
    assert kpi_items([item, "  "]) == [item]
    assert kpi_name(item) == "Cost" and kpi_fields(item) == (item, [])
