"""What an OCDS release says, checked field by field: the dates, amounts and ids the product reads.

Rule: a release needs an ``ocid`` and an ``id`` (non-empty strings) and a
``date`` (an RFC 3339 date-time). Every date the product reads must be a
date-time or absent (``""`` is bad input, not a missing date), every amount it
reads a number (read as Decimal, never float), and a period may not end before
it starts. Each problem is named by its JSON path from ``root``. A date-time
names the calendar day written in it, in its own offset: ``2020-04-01T00:00:00Z``
is 1 April 2020.

Worked example: a release whose ``awards[0].date`` is ``""`` gives the
problem ``$.releases[4].awards[0].date: "" is not a date-time``.
"""

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from policies.cycle.evidence import FieldProblem

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def day_of(value: Any) -> tuple[dt.date | None, str | None]:
    """The calendar day a date-time names (None if absent), or why it is not a date-time."""
    if value is None:
        return None, None
    if not isinstance(value, str) or not _DATE_TIME.match(value):
        return None, f"{_shown(value)} is not a date-time (e.g. 2020-04-01T00:00:00Z)"
    try:
        instant = dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return None, f"{_shown(value)} is not a date-time: no such day or time"
    return instant.date(), None


def instant_of(value: Any) -> dt.datetime | None:
    """The instant a date-time names (every one gives its offset), or None if it is absent or not one."""
    if day_of(value)[1] is not None or value is None:
        return None
    return dt.datetime.fromisoformat(str(value).upper().replace("Z", "+00:00"))


def amount_of(value: Any) -> tuple[Decimal | None, str | None]:
    """An amount (None if absent), or why it is not a number."""
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None, f"{_shown(value)} is not a number"
    amount = Decimal(value)
    if not amount.is_finite():
        return None, f"{_shown(value)} is not a number"
    return amount, None


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:57] + "..."


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _check_period(period: Any, where: str, problems: list[FieldProblem]) -> None:
    if period is None:
        return
    if not isinstance(period, Mapping):
        problems.append(FieldProblem(where, "is not an object with startDate and endDate"))
        return
    days = {}
    for name in ("startDate", "endDate", "maxExtentDate"):
        day, why = day_of(period.get(name))
        if why:
            problems.append(FieldProblem(f"{where}.{name}", why))
        days[name] = day
    start, end = days["startDate"], days["endDate"]
    if start is not None and end is not None and end < start:
        problems.append(FieldProblem(f"{where}.endDate", f"{end} is before the startDate {start}"))
    top = days["maxExtentDate"]
    if top is not None and end is not None and top < end:
        problems.append(FieldProblem(f"{where}.maxExtentDate", f"{top} is before the endDate {end}"))


def _check_value(value: Any, where: str, problems: list[FieldProblem]) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        problems.append(FieldProblem(where, "is not an object with amount and currency"))
        return
    _, why = amount_of(value.get("amount"))
    if why:
        problems.append(FieldProblem(f"{where}.amount", why))
    currency = value.get("currency")
    if currency is not None and (not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency)):
        problems.append(FieldProblem(f"{where}.currency", f"{_shown(currency)} is not a currency code such as GBP"))


def check_release(release: Any, root: str) -> list[FieldProblem]:
    """Every problem of one release in the fields the product reads, each named by its JSON path."""
    if not isinstance(release, Mapping):
        return [FieldProblem(root, "is not a release (a JSON object)")]
    problems: list[FieldProblem] = []
    for name in ("ocid", "id"):
        value = release.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append(FieldProblem(f"{root}.{name}", "is missing" if value is None else "is not an id"))
    if "date" not in release:
        problems.append(FieldProblem(f"{root}.date", "is missing"))
    else:
        _, why = day_of(release.get("date"))
        if why or release.get("date") is None:
            problems.append(FieldProblem(f"{root}.date", why or "is missing"))
    tender = release.get("tender")
    if isinstance(tender, Mapping):
        _check_period(tender.get("contractPeriod"), f"{root}.tender.contractPeriod", problems)
        _check_value(tender.get("value"), f"{root}.tender.value", problems)
    for i, award in enumerate(_list(release.get("awards"))):
        where = f"{root}.awards[{i}]"
        if not isinstance(award, Mapping):
            problems.append(FieldProblem(where, "is not an award (a JSON object)"))
            continue
        _, why = day_of(award.get("date"))
        if why:
            problems.append(FieldProblem(f"{where}.date", why))
        _check_value(award.get("value"), f"{where}.value", problems)
        _check_period(award.get("contractPeriod"), f"{where}.contractPeriod", problems)
        standstill = award.get("standstillPeriod")
        if standstill is not None:
            _check_period(standstill, f"{where}.standstillPeriod", problems)
    for i, contract in enumerate(_list(release.get("contracts"))):
        where = f"{root}.contracts[{i}]"
        if not isinstance(contract, Mapping):
            problems.append(FieldProblem(where, "is not a contract (a JSON object)"))
            continue
        _, why = day_of(contract.get("dateSigned"))
        if why:
            problems.append(FieldProblem(f"{where}.dateSigned", why))
        _check_value(contract.get("value"), f"{where}.value", problems)
        _check_period(contract.get("period"), f"{where}.period", problems)
        _check_dated(contract.get("milestones"), "dueDate", f"{where}.milestones", problems)
        _check_dated(contract.get("amendments"), "date", f"{where}.amendments", problems)
        implementation = contract.get("implementation")
        if isinstance(implementation, Mapping):
            transactions = implementation.get("transactions")
            _check_dated(transactions, "date", f"{where}.implementation.transactions", problems)
            for k, transaction in enumerate(_list(transactions)):
                if isinstance(transaction, Mapping):
                    _check_value(transaction.get("value"), f"{where}.implementation.transactions[{k}].value", problems)
    return problems


def _check_dated(items: Any, name: str, where: str, problems: list[FieldProblem]) -> None:
    for k, item in enumerate(_list(items)):
        if isinstance(item, Mapping):
            _, why = day_of(item.get(name))
            if why:
                problems.append(FieldProblem(f"{where}[{k}].{name}", why))
