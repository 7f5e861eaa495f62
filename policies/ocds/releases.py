"""What an OCDS release says, checked field by field: the dates, amounts and ids the product reads.

Rule: a release needs an ``ocid`` and an ``id`` (non-empty strings) and a
``date`` (an RFC 3339 date-time). Every date the product reads must be a
date-time or absent (``""`` is bad input, not a missing date) in the years
1900-2200 (``policies.dates.YEARS``: a contract period of 0001-01-01 to
9999-12-31 is refused, not counted into key dates), every amount it
reads a number (read as Decimal, never float) in whole pence (``100.005`` is
refused, not rounded) that the database can hold, and a period may not end before it starts. A contract's, an award's or
a tender's value cannot be negative (``contracts add --value -5000`` is refused
the same way); a payment (transaction) may be, as it reverses one. Nothing is
dated in the future: a date that records something done (the release's own
``date``, an award's ``date``, a contract's ``dateSigned``, an amendment's or a
transaction's ``date``, a document's ``datePublished``) may not be after
``today``, the import's as-of day, once the instant is taken to the
organisation's zone (``2026-12-07T22:00:00-08:00`` is 06:00 on 8 December in
London: tomorrow, on 7 December); periods, milestones and standstills may lie
ahead. Each problem is named by its JSON path from ``root``. A date-time names
the calendar day written in it, in its own offset: ``2020-04-01T00:00:00Z`` is
1 April 2020.

Worked example: a release whose ``awards[0].date`` is ``""`` gives the
problem ``$.releases[4].awards[0].date: "" is not a date-time``; one whose
``contracts[0].value.amount`` is -5000 gives ``...contracts[0].value.amount:
cannot be negative``; and checked on 7 December 2026, an award dated
2030-01-01 gives ``...awards[0].date: 2030-01-01 is in the future (after
2026-12-07)``.
"""

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from policies.cycle.evidence import FieldProblem
from policies.dates import DEFAULT_ZONE, YEARS, local_date, outside_years

_PENNY = Decimal("0.01")
MAX_PENCE = 2**63 - 1  # the most whole pence a database column (BIGINT) holds
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", re.ASCII)


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
    if instant.year not in YEARS:  # a term or key date counted from 0001 or 9999 runs off Python's calendar
        return None, outside_years(instant.date().isoformat())
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
    if amount.adjusted() > 20 or abs(amount) * 100 > MAX_PENCE:  # exact; 1e999999999 would overflow the *100
        return None, "too large"
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


def _check_value(value: Any, where: str, problems: list[FieldProblem], *, signed: bool = False) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        problems.append(FieldProblem(where, "is not an object with amount and currency"))
        return
    amount, why = amount_of(value.get("amount"))
    if why:
        problems.append(FieldProblem(f"{where}.amount", why))
    elif amount is not None and amount < 0 and not signed:
        problems.append(FieldProblem(f"{where}.amount", "cannot be negative"))
    elif amount is not None and amount != amount.quantize(_PENNY):  # stored in whole pence: never rounded silently
        problems.append(FieldProblem(f"{where}.amount", f"{amount} has fractions of a penny; give whole pence"))
    currency = value.get("currency")
    if currency is not None and (not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency)):
        problems.append(FieldProblem(f"{where}.currency", f"{_shown(currency)} is not a currency code such as GBP"))


def check_release(release: Any, root: str, *, today: dt.date, zone: str = DEFAULT_ZONE) -> list[FieldProblem]:
    """Every problem of one release in the fields the product reads, each named by its JSON path; ``today`` is
    the as-of day in ``zone`` (the organisation's), after which nothing done may be dated."""
    if not isinstance(release, Mapping):
        return [FieldProblem(root, "is not a release (a JSON object)")]
    problems: list[FieldProblem] = []
    _check_fields(release, root, problems)
    _check_done(release, root, today, problems, zone)
    return problems


def _check_fields(release: Mapping[str, Any], root: str, problems: list[FieldProblem]) -> None:
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
                    value = transaction.get("value")
                    _check_value(value, f"{where}.implementation.transactions[{k}].value", problems, signed=True)


def _check_done(
    release: Mapping[str, Any], root: str, today: dt.date, problems: list[FieldProblem], zone: str = DEFAULT_ZONE
) -> None:
    """Each date that records something done, refused when its day in ``zone`` is after ``today``."""
    dated: list[tuple[str, Any]] = [(f"{root}.date", release.get("date"))]
    tender = release.get("tender")
    if isinstance(tender, Mapping):
        dated += _documents(tender, f"{root}.tender")
    for i, award in enumerate(_list(release.get("awards"))):
        if isinstance(award, Mapping):
            dated += [(f"{root}.awards[{i}].date", award.get("date")), *_documents(award, f"{root}.awards[{i}]")]
    for i, contract in enumerate(_list(release.get("contracts"))):
        if not isinstance(contract, Mapping):
            continue
        where = f"{root}.contracts[{i}]"
        dated += [(f"{where}.dateSigned", contract.get("dateSigned")), *_documents(contract, where)]
        dated += _dates(contract.get("amendments"), "date", f"{where}.amendments")
        implementation = contract.get("implementation")
        if isinstance(implementation, Mapping):
            dated += _dates(implementation.get("transactions"), "date", f"{where}.implementation.transactions")
            dated += _documents(implementation, f"{where}.implementation")
    for where, value in dated:
        instant = instant_of(value)
        if instant is None:
            why = day_of(value)[1] if where.endswith(".datePublished") else None  # the others: _check_fields
            if why is not None and why.endswith(outside_years("")):  # a bad form is the schema's to name
                problems.append(FieldProblem(where, why))
            continue
        day, written = local_date(instant, zone), instant.date()  # 22:00 in Los Angeles is tomorrow in London
        if day > today:
            said = f"{value} ({day} in {zone})" if day != written else f"{day}"
            problems.append(FieldProblem(where, f"{said} is in the future (after {today})"))


def _documents(owner: Mapping[str, Any], where: str) -> list[tuple[str, Any]]:
    return _dates(owner.get("documents"), "datePublished", f"{where}.documents")


def _dates(items: Any, name: str, where: str) -> list[tuple[str, Any]]:
    return [
        (f"{where}[{k}].{name}", item.get(name)) for k, item in enumerate(_list(items)) if isinstance(item, Mapping)
    ]


def _check_dated(items: Any, name: str, where: str, problems: list[FieldProblem]) -> None:
    for k, item in enumerate(_list(items)):
        if isinstance(item, Mapping):
            _, why = day_of(item.get(name))
            if why:
                problems.append(FieldProblem(f"{where}[{k}].{name}", why))


def duplicate_releases(found: Iterable[tuple[str, Any]]) -> list[FieldProblem]:
    """Each release that repeats an earlier one's ``ocid`` and ``id``, named by both paths.

    OCDS 1.1.5: "A release identifier must be unique within the scope of its related contracting process",
    so one id names one release. Different contents under one id leave no way to know which is the release;
    an identical copy is refused too, as the release package schema refuses it (``releases`` is
    ``uniqueItems``): ``ocds validate`` and ``ocds import`` then agree, in a package, a record package or
    JSON Lines alike.
    """
    first: dict[tuple[str, str], tuple[str, Any]] = {}
    problems: list[FieldProblem] = []
    for path, release in found:
        if not isinstance(release, Mapping):
            continue
        ocid, rid = release.get("ocid"), release.get("id")
        if not isinstance(ocid, str) or not isinstance(rid, str):
            continue
        earlier, content = first.setdefault((ocid, rid), (path, release))
        if earlier != path:
            how = "a second copy of it" if content == release else "with different contents"
            problems.append(FieldProblem(f"{path}.id", f"{_shown(rid)} is also the id of {earlier}, {how}"))
    return problems
