"""Review decisions on a contract: continue, vary, extend, break, recommission, decommission.

Every change to a contract's terms (a variation, using an extension option,
serving break notice) goes through ``_change_terms``: the new terms are
checked, the variation is logged with its reason and before/after, the key
dates are recomputed, and an event is appended, all in one transaction.
Recommission and decommission are decisions about the service: they are
recorded on the project, whose Review flow then moves it on.
"""

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlmodel import Session

from flows.common.calendars import working_day_calendar
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.contracts.importing import key_dates_for
from flows.cycle.records import record_in
from flows.performance.assessment import inadequate_warning, latest_ratings
from models.contracts import Contract, ContractVariation, get_contract, replace_key_dates, terms_columns
from models.cycle import Project
from models.db import unit_of_work
from models.events import append_event
from models.performance.repository import terms_of
from models.reminders.replanning import key_dates_changed
from policies.calendars import DaysUnknown
from policies.contracts.clauses import ContractTerms, Party, expiry, term_end, validate_terms
from policies.contracts.status import ContractAction, ContractStatus, next_status, status_on
from policies.cycle.records import RecordKind, ReviewDecision
from policies.dates import local_date
from policies.money import parse_money

PROJECT_DECISIONS = (ReviewDecision.RECOMMISSION, ReviewDecision.DECOMMISSION, ReviewDecision.CONTINUE)


def decide(
    settings: Settings,
    *,
    ref: str,
    action: str,
    reason: str,
    as_of: dt.datetime,
    actor: str,
    value: str | None = None,
    end: dt.date | None = None,
    preview: bool = False,
) -> dict[str, Any]:
    """Record a review decision on a contract; return what changed.

    With ``preview`` the decision is worked out in full, in a transaction that is then rolled back: the
    result says what it would change, and nothing is written (the web shows it before it is confirmed)."""
    try:
        return _decide(
            settings,
            ref=ref,
            action=action,
            reason=reason,
            as_of=as_of,
            actor=actor,
            value=value,
            end=end,
            preview=preview,
        )
    except _Previewed as done:
        return done.result


class _Previewed(Exception):  # not an error: how a preview leaves its transaction, rolled back
    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__("previewed")
        self.result = result


def _decide(
    settings: Settings,
    *,
    ref: str,
    action: str,
    reason: str,
    as_of: dt.datetime,
    actor: str,
    value: str | None,
    end: dt.date | None,
    preview: bool,
) -> dict[str, Any]:
    try:
        decision = ReviewDecision(action.strip().lower())
    except ValueError:
        known = ", ".join(d.value for d in ReviewDecision)
        raise UserError(f"{action!r} is not a review decision; use one of {known}") from None
    if not reason.strip():
        raise UserError("a review decision needs a --reason, for the record")
    today = local_date(as_of, settings.timezone)
    with unit_of_work(database(settings)) as session:
        contract = get_contract(session=session, ref=ref, for_update=True)
        if contract is None:
            raise UserError(f"no contract with reference {ref!r}")
        project = session.get(Project, contract.project_id)
        if project is None:
            raise UserError(f"contract {ref} has no project")
        if decision in (ReviewDecision.RECOMMISSION, ReviewDecision.DECOMMISSION) and project.stage != "review":
            raise UserError(
                f"project {project.ref} is in {project.stage}, not review: recommissioning or "
                "decommissioning is decided in Review"
            )
        terms = terms_of(session=session, contract=contract)  # with its KPI exemption: which UK9s are due
        status = status_on(terms, ContractStatus(contract.status), today)
        result: dict[str, Any] = {"contract": ref, "decision": decision.value, "project": project.ref}
        if decision is ReviewDecision.VARY:
            new_terms = _varied(terms, value, end)
            result["changes"] = _change_terms(
                session, contract, new_terms, status, None, "ContractVaried", reason, as_of, actor, today
            )
        elif decision is ReviewDecision.EXTEND:
            new_terms, warning = _extended(terms, contract, today)
            ratings = inadequate_warning(latest_ratings(session, _saved(contract)))  # said, never a refusal
            result["warning"] = "; ".join(w for w in (warning, ratings) if w) or None
            result["changes"] = _change_terms(
                session,
                contract,
                new_terms,
                status,
                ContractAction.EXTEND,
                "ContractExtended",
                reason,
                as_of,
                actor,
                today,
            )
        elif decision is ReviewDecision.BREAK:
            new_terms = _broken(terms, contract, today)
            result["changes"] = _change_terms(
                session,
                contract,
                new_terms,
                status,
                ContractAction.SERVE_NOTICE,
                "BreakNoticeServed",
                reason,
                as_of,
                actor,
                today,
            )
        else:
            append_event(
                session=session,
                effective_at=as_of,
                actor=actor,
                entity="contract",
                entity_ref=ref,
                action="ReviewDecided",
                reason=reason,
                after={"decision": decision.value},
            )
        if decision in PROJECT_DECISIONS and project.stage == "review":
            record_in(
                session,
                project,
                RecordKind.REVIEW_DECISION,
                decision.value,
                on=today,
                note=f"{ref}: {reason}",
                link=None,
                as_of=as_of,
                actor=actor,
            )
            result["project_record"] = decision.value
        result["status"] = status_on(contract.to_terms(), ContractStatus(contract.status), today).value
        result["expiry"] = expiry(contract.to_terms()).isoformat()
        result["project_stage"] = project.stage
        if preview:
            raise _Previewed(result)
    return result


def vary_contract(
    session: Session,
    contract: Contract,
    new_terms: ContractTerms,
    *,
    reason: str,
    as_of: dt.datetime,
    actor: str,
    today: dt.date,
) -> dict[str, Any]:
    """Vary a contract's terms in the caller's transaction (as ``decide ... vary`` does); return what changed."""
    status = status_on(contract.to_terms(), ContractStatus(contract.status), today)
    return _change_terms(session, contract, new_terms, status, None, "ContractVaried", reason, as_of, actor, today)


def _varied(terms: ContractTerms, value: str | None, end: dt.date | None) -> ContractTerms:
    if value is None and end is None:
        raise UserError("a variation changes something: give --value and/or --end")
    changed = terms
    if value is not None:
        money, why = parse_money(value, terms.value.currency)
        if money is None:
            raise UserError(f"--value: {why}")
        changed = dataclasses.replace(changed, value=money)
    if end is not None and terms.published_end is not None and terms.extensions_used == 0:
        return dataclasses.replace(changed, published_end=end)  # a published period is varied to the day
    if end is not None:
        used_months = terms.months_to_option(terms.extensions_used) - terms.initial_term_months
        for months in range(1, 1200):
            if term_end(terms.start, months + used_months) == end:
                changed = dataclasses.replace(changed, initial_term_months=months)
                break
            if term_end(terms.start, months + used_months) > end:
                raise UserError(f"--end {end} is not a whole number of months after the start {terms.start}")
    return changed


def _extended(terms: ContractTerms, contract: Contract, today: dt.date) -> tuple[ContractTerms, str | None]:
    if terms.extensions_used >= len(terms.extensions):
        raise UserError(f"contract {contract.ref} has no extension option left ({len(terms.extensions)} used)")
    option = terms.extensions[terms.extensions_used]
    current_end = expiry(terms)
    if today > current_end:
        raise UserError(f"contract {contract.ref} ended on {current_end}; it can no longer be extended")
    with _days_known(f"extension option {terms.extensions_used + 1}'s {option.notice} notice before {current_end}"):
        deadline = option.notice.before(current_end, working_day_calendar(contract.nation_enum))
    warning = None
    if today > deadline:
        warning = (
            f"the {option.notice} notice to extend was due by {deadline}; extending now needs the provider's agreement"
        )
    return dataclasses.replace(terms, extensions_used=terms.extensions_used + 1), warning


def _broken(terms: ContractTerms, contract: Contract, today: dt.date) -> ContractTerms:
    with _days_known(f"the break notice of contract {contract.ref}"):
        return _break_day(terms, contract, today)


@contextlib.contextmanager
def _days_known(field: str) -> Iterator[None]:
    """A count of working days past the bank holidays known, refused in words naming what needed it."""
    try:
        yield
    except DaysUnknown as exc:
        raise UserError(str(exc.needed_by(field))) from None


def _break_day(terms: ContractTerms, contract: Contract, today: dt.date) -> ContractTerms:
    calendar = working_day_calendar(contract.nation_enum)
    for clause in terms.breaks:
        if clause.party is Party.PROVIDER:
            continue
        if clause.on is not None and clause.on <= expiry(terms):
            deadline = clause.notice.before(clause.on, calendar)
            if today <= deadline:
                return dataclasses.replace(terms, ended_on=clause.on)
        if clause.rolling_from is not None:
            end = max(clause.rolling_from, _notice_runs_out(clause.notice, today, calendar))
            if end <= expiry(terms):
                return dataclasses.replace(terms, ended_on=end)
    deadlines = ", ".join(f"{c.on} (notice by {c.notice.before(c.on, calendar)})" for c in terms.breaks if c.on)
    raise UserError(
        f"contract {contract.ref} has no break the authority can still use"
        + (f": fixed breaks {deadlines}" if deadlines else "")
    )


def _notice_runs_out(notice: Any, served: dt.date, calendar: Any) -> dt.date:
    """The first day a break can take effect when notice is served on ``served``."""
    day = served + dt.timedelta(days=1)
    while notice.before(day, calendar) < served:
        day += dt.timedelta(days=1)
    return day


def _change_terms(
    session: Session,
    contract: Contract,
    new_terms: ContractTerms,
    status: ContractStatus,
    action: ContractAction | None,
    event: str,
    reason: str,
    as_of: dt.datetime,
    actor: str,
    today: dt.date,
) -> dict[str, Any]:
    problems = validate_terms(new_terms, working_day_calendar(contract.nation_enum))
    if problems:
        raise UserError("the change would make the terms invalid: " + "; ".join(str(p) for p in problems))
    new_status = status
    if action is not None:
        target, why = next_status(status, action)
        if target is None:
            raise UserError(f"contract {contract.ref}: {why}")
        new_status = target
    old_terms = contract.to_terms()
    before = {**_dated(terms_columns(old_terms)), "status": status.value, "expiry": expiry(old_terms).isoformat()}
    for name, value in terms_columns(new_terms).items():
        setattr(contract, name, value)
    contract.status = new_status.value
    session.add(contract)
    after = {**_dated(terms_columns(new_terms)), "status": new_status.value, "expiry": expiry(new_terms).isoformat()}
    was, now = _as_history(old_terms, status), _as_history(new_terms, new_status)
    changed = {k: {"before": was[k], "after": now[k]} for k in now if was[k] != now[k]}
    session.add(
        ContractVariation(
            contract_id=contract.id or 0, varied_at=as_of, actor=actor, reason=reason, before=before, after=after
        )
    )
    replace_key_dates(
        session=session, contract_id=contract.id or 0, key_dates=key_dates_for(new_terms, contract.nation_enum)
    )
    key_dates_changed(session=session, contract_id=contract.id or 0)
    append_event(
        session=session,
        effective_at=as_of,
        actor=actor,
        entity="contract",
        entity_ref=contract.ref,
        action=event,
        reason=reason,
        before={k: v["before"] for k, v in changed.items()},
        after={k: v["after"] for k, v in changed.items()},
    )
    return changed


HISTORY_HIDES = ("value_pence", "currency", "ends_on")  # said as "value" (in pounds) and "expiry"


def _as_history(terms: ContractTerms, status: ContractStatus) -> dict[str, Any]:
    """The terms as the history speaks them: money in pounds, dates as ISO dates, the status as it was on the day."""
    columns = {k: v for k, v in _dated(terms_columns(terms)).items() if k not in HISTORY_HIDES}
    return {"value": str(terms.value), **columns, "status": status.value, "expiry": expiry(terms).isoformat()}


def _dated(columns: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in columns.items()}


def _saved(contract: Contract) -> int:
    if contract.id is None:
        raise ValueError("contract not saved")
    return contract.id
