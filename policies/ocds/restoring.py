"""Reading a contract's terms back from the milestones the product publishes, so an export imports as it was.

Rule: the product's own releases carry a ``termEnd`` milestone for the end of
the initial term and for the end with each extension option taken (ids
``term_end:0``, ``term_end:1``, ...). From them come the initial term and
each option; from ``extension_decision:i`` the notice to take option i (as
days before the end it extends); from ``break_date:i`` and
``break_notice_deadline:i`` a break clause (notice as days); from the review
milestones whether each kind of review is held; from ``pre_expiry_decision``
and ``recommissioning_start`` their lead times in months. A contract whose
end is none of its term ends ended early, on that end. Every key date derived
from terms restored this way falls on the day it was published.

Worked example: term ends 2029-03-31, 2030-03-31, 2031-03-31 from a start of
2026-04-01, with ``extension_decision:1`` due 2028-12-31, is a 36-month term,
two 12-month options, the first on 90 days' notice.
"""

import datetime as dt
from collections.abc import Iterable

from policies.contracts.clauses import BreakClause, ContractTerms, ExtensionOption, Party, ReviewSchedule, term_end
from policies.contracts.notice import NoticePeriod, NoticeUnit
from policies.dates import add_months
from policies.money import Money

DEFAULT_NOTICE = NoticePeriod(3, NoticeUnit.MONTHS)
ONE_DAY = dt.timedelta(days=1)


def whole_months(start: dt.date, end: dt.date) -> int | None:
    """The number of months from ``start`` whose term ends on ``end``, if there is one."""
    months = (end.year - start.year) * 12 + end.month - start.month
    for candidate in (months, months + 1):
        if candidate >= 1 and term_end(start, candidate) == end:
            return candidate
    return None


def rough_months(start: dt.date, end: dt.date) -> int:
    return max(1, (end.year - start.year) * 12 + end.month - start.month)


def _lead(end: dt.date, start: dt.date, due: dt.date | None, usual: int) -> int | None:
    """The fewest months before ``end`` that give ``due`` (clamped to the start), the usual one when it does.

    ``add_months`` keeps the month exact and only clamps the day, so the months are the months from ``due``'s
    month to ``end``'s; or one more, where ``due`` is the start and that month's date falls after it."""
    if due is None:
        return None
    between = (end.year - due.year) * 12 + end.month - due.month
    for months in (usual, between, between + 1):
        if months >= 0 and max(add_months(end, -months), start) == due:
            return months
    return usual


def _numbered(by_id: dict[str, dt.date], kind: str, first: int) -> list[dt.date]:
    """The dates of ``kind:first``, ``kind:first+1``, ... up to the first number missing."""
    found = []
    for n in range(first, first + len(by_id)):  # bounded: each one is a different milestone
        if f"{kind}:{n}" not in by_id:
            break
        found.append(by_id[f"{kind}:{n}"])
    return found


def restored_terms(
    ref: str,
    start: dt.date,
    end: dt.date,
    value: Money,
    milestones: Iterable[tuple[str, dt.date]],
    *,
    award_on: dt.date | None,
    signed_on: dt.date | None,
) -> ContractTerms | None:
    """The terms the milestones (id, due) describe; None when there are no ``term_end`` milestones."""
    by_id = dict(milestones)
    ends = _numbered(by_id, "term_end", 0)
    if not ends:
        return None
    initial = whole_months(start, ends[0])
    published_end = None if initial is not None else ends[0]
    options = []
    published_max_extent = None
    for i in range(1, len(ends)):
        after = ends[i - 1] + ONE_DAY
        months = whole_months(after, ends[i])
        if months is None:
            months = rough_months(after, ends[i])
            if i == len(ends) - 1:
                published_max_extent = ends[i]
        decision = by_id.get(f"extension_decision:{i}")
        notice = NoticePeriod((ends[i - 1] - decision).days, NoticeUnit.DAYS) if decision else DEFAULT_NOTICE
        options.append(ExtensionOption(months, notice))
    ended_on = None if end in ends else end
    used = ends.index(end) if end in ends else sum(1 for e in ends[:-1] if e < end)
    breaks = []
    for k, on in enumerate(_numbered(by_id, "break_date", 1), start=1):
        deadline = by_id.get(f"break_notice_deadline:{k}", on)
        breaks.append(BreakClause(NoticePeriod((on - deadline).days, NoticeUnit.DAYS), Party.AUTHORITY, on=on))
    kinds = {key.partition(":")[0] for key in by_id}
    reviews = ReviewSchedule(
        quarterly="quarterly_monitoring" in kinds,
        annual="annual_review" in kinds,
        mid_term="mid_term_review" in kinds,
        pre_expiry_months=_lead(end, start, by_id.get("pre_expiry_decision:0"), 6),
    )
    return ContractTerms(
        ref=ref,
        start=start,
        initial_term_months=initial or rough_months(start, ends[0]),
        value=value,
        extensions=tuple(options),
        extensions_used=used,
        breaks=tuple(breaks),
        reviews=reviews,
        award_notice_on=award_on,
        signed_on=signed_on,
        ended_on=ended_on,
        recommissioning_lead_months=_lead(end, start, by_id.get("recommissioning_start:0"), 18) or 18,
        published_end=published_end,
        published_max_extent=published_max_extent,
    )
