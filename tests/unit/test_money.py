"""Money is exact: Decimal amounts, whole pence in storage, one rounding rule."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.money import Money, parse_money


@pytest.mark.parametrize(
    ("text", "amount"),
    [("£5,250,000.00", "5250000.00"), ("5250000", "5250000"), ("1500.5", "1500.5"), ("-£12.34", "-12.34")],
)
def test_amounts_parse_exactly(text: str, amount: str) -> None:
    assert parse_money(text) == (Money(Decimal(amount)), None)


@pytest.mark.parametrize("text", ["1.234", "5,25,000", "1e6", "£", "twelve", "", "12.3.4"])
def test_anything_else_is_refused(text: str) -> None:
    money, why = parse_money(text)
    assert money is None and why is not None


@pytest.mark.parametrize("text", ["99999999999999999999999", "-92233720368547758.08", "92,233,720,368,547,758.08"])
def test_an_amount_the_database_cannot_hold_is_refused_in_words(text: str) -> None:
    # pence are a signed 64-bit integer in both databases; a bigger amount failed at the storing, unnamed
    assert parse_money(text) == (None, "too large: an amount is at most £92,233,720,368,547,758.07")
    assert parse_money("92233720368547758.07")[0] == Money(Decimal("92233720368547758.07"))


def test_a_float_is_never_money() -> None:
    with pytest.raises(TypeError):
        Money(0.1)  # type: ignore[arg-type]


@given(st.integers(-(10**12), 10**12))
def test_pence_round_trip_exactly(pence: int) -> None:
    money = Money.from_pence(pence)
    assert money.pence == pence
    assert parse_money(str(money)) == (money, None)


def test_display() -> None:
    assert str(Money(Decimal("5250000"))) == "£5,250,000.00"


def test_nothing_owed_shows_without_a_sign_and_a_recovery_with_one() -> None:
    # A reconciliation line with nothing left to pay reads £0.00, never -£0.00; a £1,250.50 recovery reads
    # -£1,250.50, the sign before the pound sign as a finance officer writes it.
    assert str(Money(Decimal("0"))) == "£0.00"
    assert str(Money(Decimal("-1250.50"))) == "-£1,250.50"
    assert str(Money(Decimal("-0.01"))) == "-£0.01"
