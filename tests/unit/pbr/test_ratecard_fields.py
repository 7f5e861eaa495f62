"""A rate card field the reader does not know is named, never ignored: ``contract_capp`` ignored would
store the card with no cap at all."""

from policies.pbr.ratecard_reading import CardProblem
from tests.unit.pbr.test_ratecard import LINES, fcf_fields, outcome_fields, problems_of


def test_a_misspelt_card_field_is_named_with_the_nearest_known_field() -> None:
    fields = fcf_fields()
    fields["contract_capp"] = fields.pop("contract_cap")
    assert problems_of(fields) == [
        CardProblem(None, "contract_capp", "is not a rate card field; did you mean 'contract_cap'?")
    ]


def test_a_misspelt_outcome_field_is_named_with_its_line_and_the_nearest_known_field() -> None:
    fields = fcf_fields()
    outcome_fields(fields, "ACC_S3")["times_payabel"] = 3
    assert problems_of(fields) == [
        CardProblem(LINES["ACC_S3"], "times_payabel", "is not a rate card field; did you mean 'times_payable'?")
    ]
