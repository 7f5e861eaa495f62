"""A name with a line break or another control character is refused, naming the field, in a contract's fields, a
KPI's definition and a rate card (policies/text.py). The hostile trial stored such names, which then split every
report, CSV and page that showed them across lines."""

from typing import Any

import pytest

from policies.calendars import Nation, calendar_from
from policies.contracts.terms import read_contract
from policies.pbr.ratecard_reading import CardProblem
from policies.performance.kpis import read_kpi
from policies.text import CONTROL, not_one_line
from tests.unit.pbr.test_ratecard import fcf_fields, outcome_fields, problems_of

CAL = calendar_from("England and Wales", [], range(2000, 2061))
BROKEN = ["a\nb", "a\rb", "a\tb", "a\x1bb", "a\x00b", "a\x7fb", "a\x85b", "a\u2028b", "a\u2029b"]


@pytest.mark.parametrize("text", BROKEN)
def test_a_line_break_or_control_character_is_named(text: str) -> None:
    assert not_one_line(text) == CONTROL == "contains a line break/control character"


@pytest.mark.parametrize("text", ["HF-2026-01", "Northbridge YP Trust", "Straße café", "a\u00a0b", "£500"])
def test_printable_text_is_one_line(text: str) -> None:
    assert not_one_line(text) is None


@pytest.mark.parametrize("field", ["title", "provider", "project"])
def test_a_contracts_title_provider_or_project_with_a_line_break_is_refused(field: str) -> None:
    fields = {"ref": "C-1", "title": "t", "provider": "p", "project": "P-1", "value": "100", "start": "2026-04-01",
              "term": "2", field: "first line\nsecond line"}  # fmt: skip
    draft, problems = read_contract(fields, dict.fromkeys(Nation, CAL))
    assert draft is None
    assert [(p.field, p.reason) for p in problems] == [(field, CONTROL)]


def test_a_kpis_name_with_a_line_break_is_refused() -> None:
    fields = {"name": "Tenancies\rsustained", "unit": "percentage", "direction": "higher", "target": "80"}
    definition, problems = read_kpi(fields, {})
    assert definition is None
    assert ("name", CONTROL) in [(p.field, p.reason) for p in problems]


def test_a_rate_cards_outcome_name_group_or_payer_with_a_line_break_is_refused() -> None:
    fields: dict[str, Any] = fcf_fields()
    outcome = outcome_fields(fields, "ACC_S3")
    outcome["name"] = "Accommodation\nsustained 3 months"
    outcome["group"] = "acc\tgroup"
    fields["payers"] = "central\x1bfund:30; council:70"
    problems = problems_of(fields)
    line = outcome["__line__"]
    assert CardProblem(line, "name", f"ACC_S3's name {CONTROL}") in problems
    assert CardProblem(line, "group", f"ACC_S3's group {CONTROL}") in problems
    assert CardProblem(None, "payers", f"a payer's name {CONTROL}") in problems
