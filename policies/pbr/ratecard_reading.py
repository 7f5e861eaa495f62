"""Reading a rate card from what a user wrote: a YAML mapping, or CSV or XLSX rows turned into one.

Rule: every problem is named, with the line it came from (when known), the field and why, and a card
with any problem is not made. Amounts are exact (a number YAML read as floating point is refused),
never negative and in whole pence; percentages are at most 100 and the payers' shares add up to 100;
outcome codes are capitals, digits and _; a prerequisite names an outcome on the same card, with an
optional interval (3 months, 13 weeks, 90 days), and outcomes never require each other in a circle.
An outcome cap of ``cohort`` is the price times the card's cohort size times the times payable. A field
the card does not know (``contract_capp``) is a problem naming the nearest known field, never ignored.

Worked example: ``payers: central fund:30; council:60`` is refused as "the shares add up to 90%, not
100%".
"""

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from difflib import get_close_matches
from typing import Any

from policies.dates import YEARS, outside_years, parse_iso_date
from policies.money import PENNY, parse_money
from policies.pbr.participants import Eligibility
from policies.pbr.ratecard import HUNDRED, Frequency, Interval, Outcome, Payer, Prerequisite, RateCard, parse_interval
from policies.text import CONTROL, has_control
from policies.wholes import too_large

CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,29}$")
CARD_KEYS = (
    "contract",
    "name",
    "effective_from",
    "referral_from",
    "referral_to",
    "eligibility",
    "frequency",
    "cohort",
    "participant_cap",
    "contract_cap",
    "payers",
    "attachment_fee",
    "service_fee_percent",
    "currency",
    "outcomes",
)
OUTCOME_KEYS = ("code", "name", "price", "times_payable", "evidence", "requires", "group", "cap")
_AGE_RE = re.compile(r"^\s*(?P<low>[0-9]+)\s*-\s*(?P<high>[0-9]+)\s*$")


@dataclass(frozen=True)
class CardProblem:
    """A problem in a rate card file: where (a line, when known), which field, and why."""

    line: int | None
    field: str
    reason: str


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


class _Reader:
    def __init__(self, line: int | None) -> None:
        self.line = line
        self.problems: list[CardProblem] = []

    def problem(self, name: str, reason: str, line: int | None = None) -> None:
        self.problems.append(CardProblem(line if line is not None else self.line, name, reason))

    def date(self, fields: Mapping[str, Any], name: str, line: int | None = None) -> dt.date | None:
        value = fields.get(name)
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):  # YAML's own date: bounded as text is
            if value.year in YEARS:
                return value
            line = line if line is not None else getattr(value, "line", None)
            self.problem(name, outside_years(value.isoformat()), line)
            return None
        day, why = parse_iso_date(_text(value))
        if day is None:
            line = line if line is not None else getattr(value, "line", None)  # an impossible YAML date's own line
            self.problem(name, "is missing (an ISO date, e.g. 2026-04-01)" if not _text(value) else why or "", line)
        return day

    def money(self, fields: Mapping[str, Any], name: str, line: int | None = None, *, required: bool) -> Decimal | None:
        value = fields.get(name)
        if isinstance(value, float):
            self.problem(name, f"{value!r} was read as a floating-point number; write it in quotes", line)
            return None
        text = _text(value)
        if not text:
            if required:
                self.problem(name, "is missing (an amount, e.g. 1500.00)", line)
            return None
        money, why = parse_money(text)
        if money is None:
            self.problem(name, why or "is not an amount", line)
            return None
        if money.amount < 0:
            self.problem(name, f"{text} is negative; an amount here is never below zero", line)
            return None
        if money.amount != money.amount.quantize(PENNY):
            self.problem(name, f"{text} has fractions of a penny", line)
            return None
        return money.amount.quantize(PENNY)

    def unknown_keys(self, fields: Mapping[str, Any], known: Sequence[str], line: int | None = None) -> None:
        """A key that means nothing here (a misspelling such as contract_capp) is a problem naming the
        nearest known key: ignored, it would drop a term from the card without a word."""
        for key in fields:
            if key == "__line__" or key in known:
                continue
            close = get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; the known fields are {', '.join(known)}"
            self.problem(str(key), f"is not a rate card field{hint}", line)

    def whole(self, fields: Mapping[str, Any], name: str, default: int | None, line: int | None = None) -> int | None:
        value = fields.get(name)
        text = _text(value)
        if not text:
            return default
        if isinstance(value, bool) or not re.fullmatch(r"[0-9]+", text) or int(text) < 1:
            self.problem(name, f"{text!r} is not a whole number of at least 1", line)
            return None
        big = too_large(int(text))
        if big:
            self.problem(name, big, line)
            return None
        return int(text)

    def percent(self, text: str, name: str, line: int | None = None) -> Decimal | None:
        cleaned = text.strip().removesuffix("%").strip()
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", cleaned):
            self.problem(name, f"{text!r} is not a percentage (e.g. 30 or 30%)", line)
            return None
        value = Decimal(cleaned)
        if value > HUNDRED:
            self.problem(name, f"{text!r} is over 100%", line)
            return None
        return value


def read_rate_card(fields: Mapping[str, Any], *, line: int | None = None) -> tuple[RateCard | None, list[CardProblem]]:
    """A rate card from what a user wrote (a YAML mapping, or CSV rows turned into one), or every problem.

    ``fields["outcomes"]`` is a list of mappings; each may carry ``__line__``,
    the line it came from, so that a problem names it.
    """
    r = _Reader(line)
    r.unknown_keys(fields, CARD_KEYS)
    contract = _text(fields.get("contract"))
    if not contract:
        r.problem("contract", "is missing (the reference of the payment-by-results contract)")
    effective = r.date(fields, "effective_from")
    referral_from = r.date(fields, "referral_from")
    referral_to = r.date(fields, "referral_to")
    if referral_from and referral_to and referral_to < referral_from:
        r.problem("referral_to", f"{referral_to} is before referral_from {referral_from}")
    frequency_text = _text(fields.get("frequency")).lower() or Frequency.QUARTERLY.value
    frequency = Frequency(frequency_text) if frequency_text in set(Frequency) else None
    if frequency is None:
        r.problem("frequency", f"{frequency_text!r} is not monthly or quarterly")
    cohort = r.whole(fields, "cohort", None)
    participant_cap = r.money(fields, "participant_cap", required=False)
    contract_cap = r.money(fields, "contract_cap", required=False)
    attachment_fee = r.money(fields, "attachment_fee", required=False) or Decimal(0)
    service_text = _text(fields.get("service_fee_percent"))
    service_fee = r.percent(service_text, "service_fee_percent") if service_text else Decimal(0)
    if attachment_fee and service_fee:
        r.problem("service_fee_percent", "a card has an attachment fee or a service fee, not both")
    payers = _payers(fields.get("payers"), r)
    eligibility = _eligibility(fields.get("eligibility"), r)
    outcomes = _outcomes(fields.get("outcomes"), cohort, r)
    if r.problems:
        return None, r.problems
    assert effective and referral_from and referral_to and frequency and service_fee is not None
    card = RateCard(
        contract=contract,
        effective_from=effective,
        referral_from=referral_from,
        referral_to=referral_to,
        outcomes=outcomes,
        payers=payers,
        participant_cap=participant_cap,
        contract_cap=contract_cap,
        cohort=cohort,
        attachment_fee=attachment_fee,
        service_fee_percent=service_fee,
        frequency=frequency,
        eligibility=eligibility,
        currency=_text(fields.get("currency")) or "GBP",
        name=_text(fields.get("name")),
    )
    return card, []


def _payers(value: Any, r: _Reader) -> tuple[Payer, ...]:
    """``[{name: central fund, share: 30}, ...]`` or the CSV form ``central fund:30; council:70``."""
    if value is None or value == "":
        return (Payer("commissioner", HUNDRED),)
    items: list[tuple[str, str]] = []
    if isinstance(value, str):
        for part in value.split(";"):
            name, _, share_text = part.rpartition(":")
            items.append((name.strip(), share_text.strip()))
    elif isinstance(value, list) and all(isinstance(v, Mapping) for v in value):
        items = [(_text(v.get("name")), _text(v.get("share"))) for v in value]
    else:
        r.problem("payers", "expected a list of {name, share} (or 'central fund:30; council:70')")
        return ()
    payers: list[Payer] = []
    for name, share_text in items:
        share = r.percent(share_text, "payers")
        if not name:
            r.problem("payers", "every payer needs a name")
        elif has_control(name):
            r.problem("payers", f"a payer's name {CONTROL}")
        elif share is not None:
            payers.append(Payer(name, share))
    if len({p.name for p in payers}) != len(payers):
        r.problem("payers", "a payer is named twice")
    total = sum((p.share for p in payers), Decimal(0))
    if payers and total != HUNDRED:
        r.problem("payers", f"the shares add up to {total}%, not 100%")
    return tuple(payers)


def _eligibility(value: Any, r: _Reader) -> Eligibility:
    """``{age_at_referral: 18-24, local_authority: [Leeds, Bradford]}`` or the CSV form ``age_at_referral=18-24``."""
    if value is None or value == "":
        return Eligibility()
    if isinstance(value, str):
        parsed: dict[str, Any] = {}
        for part in value.split(";"):
            name, _, allowed = part.partition("=")
            parsed[name.strip()] = [a.strip() for a in allowed.split("|")] if "|" in allowed else allowed.strip()
        value = parsed
    if not isinstance(value, Mapping):
        r.problem("eligibility", "expected a mapping, e.g. {age_at_referral: 18-24}")
        return Eligibility()
    low = high = None
    attributes: dict[str, frozenset[str]] = {}
    for name, allowed in value.items():
        if name == "__line__":
            continue
        if name == "age_at_referral":
            match = _AGE_RE.match(_text(allowed))
            if not match or int(match["low"]) > int(match["high"]):
                r.problem("eligibility.age_at_referral", f"{_text(allowed)!r} is not an age range such as 18-24")
            elif big := too_large(int(match["high"]), "years"):
                r.problem("eligibility.age_at_referral", f"{_text(allowed)!r}: {big}")
            else:
                low, high = int(match["low"]), int(match["high"])
        else:
            values = allowed if isinstance(allowed, list) else [allowed]
            attributes[str(name).strip().lower()] = frozenset(_text(v).lower() for v in values if _text(v))
    return Eligibility(low, high, attributes)


def _outcomes(value: Any, cohort: int | None, r: _Reader) -> dict[str, Outcome]:
    if not isinstance(value, list) or not value or not all(isinstance(v, Mapping) for v in value):
        r.problem("outcomes", "expected a list of outcomes, each with a code, name and price")
        return {}
    outcomes: dict[str, Outcome] = {}
    requires_text: dict[str, tuple[int | None, Any]] = {}
    for item in value:
        line = item.get("__line__")
        r.unknown_keys(item, OUTCOME_KEYS, line)
        code = _text(item.get("code"))
        if not CODE_RE.match(code):
            r.problem("code", f"{code!r} is not an outcome code (capitals, digits and _, e.g. ACC_S3)", line)
            continue
        if code in outcomes:
            r.problem("code", f"{code} is listed twice", line)
            continue
        price = r.money(item, "price", line, required=True)
        if price is not None and not price:
            r.problem("price", f"{code} is priced at £0.00; an outcome on a rate card pays something", line)
            price = None
        times = r.whole(item, "times_payable", 1, line)
        cap_text = _text(item.get("cap"))
        cap: Decimal | None = None
        if cap_text.lower() == "cohort":
            if cohort is None:
                r.problem("cap", "'cohort' needs the card's cohort size (cohort: 300)", line)
            elif price is not None and times is not None:
                cap = price * cohort * times
        else:  # no cap written: money gives None and names no problem
            cap = r.money(item, "cap", line, required=False)
        name = _text(item.get("name"))
        if not name:
            r.problem("name", f"{code} has no name", line)
        elif has_control(name):
            r.problem("name", f"{code}'s name {CONTROL}", line)
        if has_control(_text(item.get("group"))):
            r.problem("group", f"{code}'s group {CONTROL}", line)
        if price is None or times is None:
            continue
        outcomes[code] = Outcome(
            code=code,
            name=name,
            price=price,
            times_payable=times,
            group=_text(item.get("group")) or None,
            evidence=_text(item.get("evidence")).lower() or None,
            cap=cap,
        )
        requires_text[code] = (line, item.get("requires"))
    for code, (line, requires) in requires_text.items():
        prerequisites = _prerequisites(requires, line, r, known=outcomes)
        outcomes[code] = replace(outcomes[code], requires=prerequisites)
    _check_no_cycles(outcomes, {code: line for code, (line, _) in requires_text.items()}, r)
    return outcomes


def _prerequisites(
    value: Any, line: int | None, r: _Reader, *, known: Mapping[str, Outcome]
) -> tuple[Prerequisite, ...]:
    """``[{outcome: ACC_S3, after: 3 months}, ...]`` or the CSV form ``ACC_S3+3 months; ACC_ENTRY+6 months``."""
    if value is None or value == "":
        return ()
    items: list[tuple[str, str]] = []
    if isinstance(value, str):
        for part in value.split(";"):
            code, _, after = part.partition("+")
            items.append((code.strip(), after.strip()))
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, Mapping):
                items.append((_text(v.get("outcome")), _text(v.get("after"))))
            else:
                items.append((_text(v), ""))
    else:
        r.problem("requires", "expected a list of {outcome, after} (or 'ACC_S3+3 months; ACC_ENTRY+6 months')", line)
        return ()
    found: list[Prerequisite] = []
    for code, interval_text in items:
        if code not in known:
            r.problem("requires", f"{code!r} is not an outcome on this card", line)
            continue
        interval: Interval | None = None
        if interval_text:
            interval, why = parse_interval(interval_text)
            if interval is None:
                r.problem("requires", why or "", line)
                continue
        found.append(Prerequisite(code, interval))
    return tuple(found)


def _check_no_cycles(outcomes: Mapping[str, Outcome], lines: Mapping[str, int | None], r: _Reader) -> None:
    state: dict[str, int] = {}

    def visit(code: str, path: list[str]) -> None:
        if state.get(code) == 2:
            return
        if state.get(code) == 1:
            circle = [*path[path.index(code) :], code]
            r.problem("requires", "outcomes require each other in a circle: " + " -> ".join(circle), lines.get(code))
            return
        state[code] = 1
        for p in outcomes[code].requires:
            visit(p.outcome, [*path, code])
        state[code] = 2

    for code in outcomes:
        visit(code, [])
