"""Reading a contract from what a user wrote: every field checked, every problem named.

Rule: a contract needs a reference, title, provider, the commissioning
project it belongs to, an exact value, an ISO start date and a term. The term
is written "3+1+1" (years: an initial term and extension options), "36
months", or as an ISO ``end`` date a whole number of months after the start.
Extension options may instead be listed with their own dates, which must
follow on from each other without overlap or gap. Dates must be ISO
(2026-04-01): "01/04/2026" is refused, because it means 1 April in the UK and
4 January in the US. A contract worth over £5m needs at least 3 KPIs, unless a
statutory exemption (``kpi_exemption``, with its reason) applies. A KPI is a
name, or a definition (policies/performance/written.py) stored by the import.

Worked example: ``{"ref": "HF-2026-01", "title": "Housing First 18-24",
"provider": "Northbridge YP Trust", "project": "HOM-2024-03", "value":
"2,400,000", "start": "2026-04-01", "term": "3+1+1", "extension_notice": "12
weeks", "break_on": "2028-03-31", "break_notice": "3 months"}`` reads as a
3-year contract with two 1-year options on 12 weeks' notice and an authority
break at 31 March 2028 on 3 months' notice.
"""

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from policies.calendars import Nation, WorkingDayCalendar
from policies.contracts.clauses import (
    BreakClause,
    ContractTerms,
    ExtensionOption,
    Party,
    ReviewSchedule,
    term_end,
    validate_terms,
)
from policies.contracts.notice import NoticePeriod, parse_notice
from policies.cycle.evidence import FieldProblem
from policies.dates import YEARS, outside_years, parse_iso_date
from policies.money import MOST_PENCE, TOO_LARGE, Money, parse_money
from policies.performance.written import kpi_items, kpi_name
from policies.text import CONTROL, has_control
from policies.wholes import read_whole

KPI_THRESHOLD = Money(Decimal("5000000"))
MIN_KPIS_OVER_THRESHOLD = 3
REF_RE = re.compile(r"^[A-Z0-9][A-Z0-9\-_/.]{1,39}$")
_TERM_YEARS_RE = re.compile(r"^\s*[0-9]+(\s*\+\s*[0-9]+)*\s*$")
_TERM_MONTHS_RE = re.compile(r"^\s*(?P<n>[0-9]+)\s*(?P<unit>months?|years?)\s*$", re.IGNORECASE)


class PaymentModel(StrEnum):
    BLOCK = "block"
    PAYMENT_BY_RESULTS = "payment_by_results"
    HYBRID = "hybrid"


@dataclass(frozen=True)
class ContractDraft:
    """A contract as read and checked, ready to store."""

    ref: str
    title: str
    provider: str
    project: str
    nation: Nation
    payment_model: PaymentModel
    kpis: tuple[str, ...]
    terms: ContractTerms


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    return "" if value is None else str(value).strip()


def _date(fields: Mapping[str, Any], name: str, problems: list[FieldProblem], *, required: bool) -> dt.date | None:
    value = fields.get(name)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return _in_years(value, name, problems)
    text = _text(fields, name)
    if not text:
        if required:
            problems.append(FieldProblem(name, "is missing (an ISO date, e.g. 2026-04-01)"))
        return None
    day, why = parse_iso_date(text)
    if day is None:
        form = "; dates must be ISO so 01/04/2026 cannot be misread" if "ISO form" in (why or "") else ""
        problems.append(FieldProblem(name, f"{why}{form}"))
    return _in_years(day, name, problems)


def _in_years(day: dt.date | None, name: str, problems: list[FieldProblem]) -> dt.date | None:
    if day is not None and day.year not in YEARS:
        problems.append(FieldProblem(name, outside_years(str(day))))
        return None
    return day


def _ends_in_years(start: dt.date | None, months: int, term: str, problems: list[FieldProblem]) -> bool:
    """Whether a term of ``months`` from ``start`` ends within YEARS (so every date derived from it does)."""
    if start is None:
        return True
    end_year = start.year + (start.month - 1 + months) // 12
    if end_year < YEARS.stop:
        return True
    problems.append(FieldProblem("term", f"{term!r} from {start} runs past {YEARS.stop - 1}, the last year allowed"))
    return False


def _notice(text: str, name: str, problems: list[FieldProblem]) -> NoticePeriod | None:
    period, why = parse_notice(text)
    if period is None:
        problems.append(FieldProblem(name, why or "is not a notice period"))
    return period


def _money(fields: Mapping[str, Any], problems: list[FieldProblem]) -> Money | None:
    raw = fields.get("value")
    if isinstance(raw, float):
        problems.append(FieldProblem("value", f"{raw!r} was read as a floating-point number; write it in quotes"))
        return None
    if isinstance(raw, int | Decimal) and not isinstance(raw, bool):
        if abs(Decimal(raw)) * 100 > MOST_PENCE:  # a number in a TOML or JSON file, not text: bounded as text is
            problems.append(FieldProblem("value", TOO_LARGE))
            return None
        return Money(Decimal(raw))
    money, why = parse_money(_text(fields, "value"))
    if money is None:
        problems.append(FieldProblem("value", "is missing" if not _text(fields, "value") else why or ""))
    elif money.amount < 0:
        problems.append(FieldProblem("value", "cannot be negative"))
        return None
    return money


def _term(
    fields: Mapping[str, Any], start: dt.date | None, problems: list[FieldProblem]
) -> tuple[int | None, list[int]]:
    """The initial term and extension options, in months."""
    term, end = _text(fields, "term"), _date(fields, "end", problems, required=False)
    if term and end:
        problems.append(FieldProblem("term", "give a term or an end date, not both"))
        return None, []
    if end is not None:
        if start is None:
            return None, []
        if end < start:
            problems.append(FieldProblem("end", f"{end} is before the start {start}"))
            return None, []
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        for candidate in (months - 1, months):
            if candidate >= 1 and term_end(start, candidate) == end:
                return candidate, []
        problems.append(FieldProblem("end", f"{end} is not a whole number of months after the start {start}"))
        return None, []
    if not term:
        problems.append(FieldProblem("term", "is missing (e.g. 3+1+1 in years, or 36 months)"))
        return None, []
    if _TERM_YEARS_RE.match(term):
        years = [int(p) for p in term.replace(" ", "").split("+")]
        if any(y < 1 for y in years):
            problems.append(FieldProblem("term", f"{term!r}: every part must be at least a year"))
            return None, []
        if not _ends_in_years(start, sum(years) * 12, term, problems):
            return None, []
        return years[0] * 12, [y * 12 for y in years[1:]]
    match = _TERM_MONTHS_RE.match(term)
    if match:
        n = int(match["n"]) * (12 if match["unit"].lower().startswith("year") else 1)
        if n < 1:
            problems.append(FieldProblem("term", "must be at least one month"))
            return None, []
        if not _ends_in_years(start, n, term, problems):
            return None, []
        return n, []
    problems.append(FieldProblem("term", f"{term!r} is not a term; write e.g. 3+1+1 (years) or 36 months"))
    return None, []


def _dated_extensions(
    raw: Any, start: dt.date | None, initial: int | None, problems: list[FieldProblem]
) -> list[ExtensionOption] | None:
    """Extension options listed with their own dates: each must begin the day after the last ends."""
    if not isinstance(raw, list):
        problems.append(FieldProblem("extensions", "must be a list of options"))
        return None
    if start is None or initial is None:
        return None
    options: list[ExtensionOption] = []
    previous_end = term_end(start, initial)
    months_so_far = initial
    for i, item in enumerate(raw, start=1):
        where = f"extensions[{i}]"
        if not isinstance(item, Mapping):
            problems.append(FieldProblem(where, "must be a mapping with from, to and notice"))
            return None
        begins = _date(item, "from", problems, required=True)
        ends = _date(item, "to", problems, required=True)
        period = _notice(_text(item, "notice") or "3 months", f"{where}.notice", problems)
        if begins is None or ends is None or period is None:
            return None
        expected = previous_end + dt.timedelta(days=1)
        if begins < expected:
            problems.append(FieldProblem(where, f"overlaps the term before it, which runs to {previous_end}"))
            return None
        if begins > expected:
            problems.append(FieldProblem(where, f"leaves a gap: it should begin on {expected}"))
            return None
        if ends < begins:
            problems.append(FieldProblem(where, f"ends ({ends}) before it begins ({begins})"))
            return None
        for months in range(1, 121):
            if term_end(start, months_so_far + months) == ends:
                break
        else:
            problems.append(FieldProblem(where, f"{begins} to {ends} is not a whole number of months"))
            return None
        options.append(ExtensionOption(months, period))
        months_so_far += months
        previous_end = ends
    return options


def _breaks(fields: Mapping[str, Any], start: dt.date | None, problems: list[FieldProblem]) -> list[BreakClause]:
    """The break clauses: the flat break_* columns of a CSV row, or a YAML ``breaks:`` list.

    Each clause is checked on its own, so one clause's problem never hides another's: a date that
    is not a date gets only its own message, and a break date on or before the start is named here
    (the other range checks need whole terms, in validate_terms).
    """
    raw = fields.get("breaks")
    items: list[Mapping[str, Any]]
    if raw is None:
        flat = {k[len("break_") :]: v for k, v in fields.items() if k.startswith("break_") and v not in (None, "")}
        items = [flat] if flat else []
    elif isinstance(raw, list) and all(isinstance(b, Mapping) for b in raw):
        items = raw
    else:
        problems.append(FieldProblem("breaks", "must be a list of break clauses"))
        return []
    clauses = []
    for i, item in enumerate(items, start=1):
        where = "break" if raw is None else f"breaks[{i}]"
        named = "break_{}" if raw is None else where + ".{}"
        before = len(problems)
        on = _date(item, "on", problems, required=False)
        rolling = _date(item, "rolling_from", problems, required=False)
        problems[before:] = [FieldProblem(named.format(p.field), p.reason) for p in problems[before:]]
        malformed_date = len(problems) > before
        period = _notice(_text(item, "notice") or "3 months", named.format("notice"), problems)
        party_text = (_text(item, "party") or "authority").lower()
        try:
            party = Party(party_text)
        except ValueError:
            problems.append(FieldProblem(named.format("party"), f"{party_text!r} is not authority, provider or either"))
            continue
        if malformed_date:
            continue
        if on is not None and rolling is not None:
            problems.append(FieldProblem(where, "give a break date (on) or a rolling-from date, not both"))
            continue
        if on is None and rolling is None:
            problems.append(FieldProblem(where, "give a break date (on) or a rolling-from date; neither was given"))
            continue
        first = on or rolling
        if start is not None and first is not None and first <= start:
            field = named.format("on" if on else "rolling_from") if raw is None else where
            relation = "on" if first == start else "before"
            problems.append(FieldProblem(field, f"the break date {first} is {relation} the start {start}"))
            continue
        if period is not None:
            clauses.append(BreakClause(period, party, on=on, rolling_from=rolling))
    return clauses


def _flag(fields: Mapping[str, Any], name: str, default: bool, problems: list[FieldProblem]) -> bool:
    value = fields.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "true", "1", "y"):
        return True
    if text in ("no", "false", "0", "n"):
        return False
    problems.append(FieldProblem(name, f"{value!r} is not yes or no"))
    return default


def read_contract(
    fields: Mapping[str, Any], calendars: Mapping[Nation, WorkingDayCalendar]
) -> tuple[ContractDraft | None, list[FieldProblem]]:
    """Check one contract's fields (strings from CSV, or YAML values) and build its terms."""
    problems: list[FieldProblem] = []
    ref = _text(fields, "ref").upper()
    if not REF_RE.match(ref):
        problems.append(FieldProblem("ref", f"{ref!r} must be 2-40 letters, digits or - _ / . (e.g. HF-2026-01)"))
    for name, limit in (("title", 200), ("provider", 200), ("project", 40)):
        if not _text(fields, name):
            problems.append(FieldProblem(name, "is missing"))
        elif len(_text(fields, name)) > limit:
            problems.append(FieldProblem(name, f"is longer than {limit} characters"))
        elif has_control(_text(fields, name)):
            problems.append(FieldProblem(name, CONTROL))
    value = _money(fields, problems)
    start = _date(fields, "start", problems, required=True)
    initial, option_months = _term(fields, start, problems)
    nation = Nation.parse(_text(fields, "nation") or "england_and_wales")
    if nation is None or nation is Nation.UNITED_KINGDOM:
        problems.append(
            FieldProblem(
                "nation",
                f"{_text(fields, 'nation')!r} is not a nation; use england_and_wales, scotland or northern_ireland",
            )
        )
    try:
        model = PaymentModel((_text(fields, "payment_model") or "block").lower().replace(" ", "_"))
    except ValueError:
        model = PaymentModel.BLOCK
        problems.append(FieldProblem("payment_model", "must be block, payment_by_results or hybrid"))
    kpis = tuple(name for name in (kpi_name(k) for k in kpi_items(fields.get("kpis"))) if name)
    extension_notice = _notice(_text(fields, "extension_notice") or "3 months", "extension_notice", problems)
    options: list[ExtensionOption] = []
    if fields.get("extensions") is not None:
        if option_months:
            problems.append(FieldProblem("extensions", "list dated options or write them in the term, not both"))
        options = _dated_extensions(fields.get("extensions"), start, initial, problems) or []
    elif extension_notice is not None:
        options = [ExtensionOption(m, extension_notice) for m in option_months]
    breaks = _breaks(fields, start, problems)
    reviews = ReviewSchedule(
        quarterly=_flag(fields, "quarterly_monitoring", True, problems),
        annual=_flag(fields, "annual_review", True, problems),
        mid_term=_flag(fields, "mid_term_review", True, problems),
        pre_expiry_months=read_whole(fields, "pre_expiry_months", 6, problems, "months") or None,
    )
    award_notice_on = _date(fields, "award_notice_on", problems, required=False)
    signed_on = _date(fields, "signed_on", problems, required=False)
    lead = read_whole(fields, "recommissioning_lead_months", 18, problems, "months") or 18
    used = read_whole(fields, "extensions_used", 0, problems) or 0
    exempt = bool(_text(fields, "kpi_exemption"))  # checked, with its reason, against the performance policy
    if value is not None and value.amount > KPI_THRESHOLD.amount and len(kpis) < MIN_KPIS_OVER_THRESHOLD and not exempt:
        problems.append(
            FieldProblem(
                "kpis",
                f"a contract over £5m needs at least {MIN_KPIS_OVER_THRESHOLD} KPIs (Procurement Act 2023); "
                f"{len(kpis)} given",
            )
        )
    if problems or value is None or start is None or initial is None or nation is None:
        return None, problems
    terms = ContractTerms(
        ref=ref,
        start=start,
        initial_term_months=initial,
        value=value,
        extensions=tuple(options),
        extensions_used=used,
        breaks=tuple(breaks),
        reviews=reviews,
        award_notice_on=award_notice_on,
        signed_on=signed_on,
        recommissioning_lead_months=lead,
        kpis=len(kpis),
        kpi_exempt=exempt,
    )
    flat_break = fields.get("breaks") is None  # written as break_on/break_notice columns
    problems += [
        FieldProblem("break_on" if flat_break and p.field == "breaks[1]" else p.field, p.reason)
        for p in validate_terms(terms, calendars[nation])
    ]
    if problems:
        return None, problems
    return ContractDraft(
        ref,
        _text(fields, "title"),
        _text(fields, "provider"),
        _text(fields, "project").upper(),
        nation,
        model,
        kpis,
        terms,
    ), []
