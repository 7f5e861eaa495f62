"""KPIs written in a contract file: a name holding a colon, and a contract file with no kpis at all."""

from policies.performance.written import kpi_fields, kpi_items, kpi_name


def test_no_kpis_written_is_no_kpis() -> None:
    # A contract row whose kpis cell is empty, or a YAML contract with no kpis key (None).
    assert kpi_items(None) == []
    assert kpi_items("") == []


def test_a_name_holding_a_colon_is_the_text_before_the_last_colon() -> None:
    # Two KPIs whose names share the words before their first colon: each keeps its whole name, as its
    # definition does, so the two are not taken for one KPI named twice (the bug: kpi_name cut at the first
    # colon, giving "Re-referrals" for both while their definitions said "Re-referrals: adults" and
    # "Re-referrals: children").
    cell = "Re-referrals: adults: count 5 lower; Re-referrals: children: count 3 lower"
    items = kpi_items(cell)
    assert [kpi_name(i) for i in items] == ["Re-referrals: adults", "Re-referrals: children"]
    assert [kpi_fields(i) for i in items] == [
        ({"name": "Re-referrals: adults", "unit": "count", "target": "5", "direction": "lower"}, []),
        ({"name": "Re-referrals: children", "unit": "count", "target": "3", "direction": "lower"}, []),
    ]
    assert kpi_name("Naloxone supplied") == "Naloxone supplied"
