"""Money: exact amounts with an explicit currency, never floats.

Rule: amounts are ``Decimal`` in policies and whole pence (minor units) in the
database. There is one rounding rule, ROUNDING (half up, to the penny),
applied only where a calculation produces fractions of a penny; sharing one
amount between payers is done by largest remainder (policies/payments.split),
so that the parts add up to the whole and none is negative. Currency is
explicit and defaults to GBP; amounts in different currencies never mix.

Worked example: a contract valued at "£5,250,000.00" parses to
``Money(Decimal("5250000.00"), "GBP")``, is stored as 525000000 pence, and is
over the £5m threshold at which the Procurement Act 2023 asks for at least
three KPIs and a yearly contract performance notice.
"""

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ROUNDING = ROUND_HALF_UP
PENNY = Decimal("0.01")
MOST_PENCE = 2**63 - 1  # the database holds pence in a signed 64-bit integer (SQLite INTEGER, PostgreSQL bigint)
TOO_LARGE = f"too large: an amount is at most £{Decimal(MOST_PENCE).scaleb(-2):,}"
_AMOUNT_RE = re.compile(
    r"^\s*(?P<sign>-)?\s*(?P<symbol>£)?\s*(?P<digits>[0-9]{1,3}(,[0-9]{3})*|[0-9]+)(?P<pence>\.[0-9]{1,2})?\s*$"
)


@dataclass(frozen=True, order=True)
class Money:
    amount: Decimal
    currency: str = "GBP"

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money needs a Decimal amount, never a float")

    @classmethod
    def from_pence(cls, pence: int, currency: str = "GBP") -> "Money":
        return cls(Decimal(pence) / 100, currency)

    @property
    def pence(self) -> int:
        """Whole minor units, rounded once by ROUNDING."""
        return int((self.amount * 100).quantize(Decimal(1), rounding=ROUNDING))

    def __str__(self) -> str:
        symbol = "£" if self.currency == "GBP" else f"{self.currency} "
        sign = "-" if self.amount < 0 else ""
        return f"{sign}{symbol}{abs(self.amount).quantize(PENNY, rounding=ROUNDING):,}"


def parse_money(text: str, currency: str = "GBP") -> tuple[Money | None, str | None]:
    """Parse '£5,250,000.00', '5250000' or '1500.5'; refuse anything a float might have produced."""
    match = _AMOUNT_RE.match(text or "")
    if not match:
        return None, f"{text!r} is not an amount of money (e.g. 5250000.00 or £5,250,000)"
    try:
        amount = Decimal(match["digits"].replace(",", "") + (match["pence"] or ""))
    except InvalidOperation:
        return None, f"{text!r} is not an amount of money"
    if abs(amount) * 100 > MOST_PENCE:
        return None, TOO_LARGE
    if match["sign"]:
        amount = -amount
    return Money(amount, currency), None
