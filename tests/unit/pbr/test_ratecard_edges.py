"""A card's contract cap against what the contract is worth: the check before a card is stored."""

from dataclasses import replace
from decimal import Decimal

from policies.pbr.ratecard import cap_over_value
from tests.unit.pbr.test_ratecard import FCF

WORTH = Decimal("1500000.00")  # FCF-2025-01, the £1.5m Fair Chance Fund contract


def test_a_cap_up_to_what_the_contract_is_worth_is_fine() -> None:
    assert FCF.contract_cap == WORTH
    assert cap_over_value(FCF, WORTH) is None  # the Fair Chance Fund card caps at exactly the contract's value
    assert cap_over_value(replace(FCF, contract_cap=Decimal("1499999.99")), WORTH) is None
    assert cap_over_value(replace(FCF, contract_cap=None), WORTH) is None  # no cap: nothing to compare


def test_a_cap_a_penny_over_what_the_contract_is_worth_is_named() -> None:
    over = replace(FCF, contract_cap=Decimal("1500000.01"))
    assert cap_over_value(over, WORTH) == "£1,500,000.01 is more than contract FCF-2025-01 is worth (£1,500,000.00)"
    # The typing slip the check is for: £600m keyed for £600k.
    slip = replace(FCF, contract_cap=Decimal("600000000"))
    assert cap_over_value(slip, WORTH) == "£600,000,000.00 is more than contract FCF-2025-01 is worth (£1,500,000.00)"
