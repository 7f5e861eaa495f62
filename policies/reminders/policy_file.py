"""Reading the reminder policy: TOML documents merged key by key, then validated into a ReminderPolicy.

The shipped reminders.toml comes first and the user's file overrides it,
setting by setting and ladder by ladder. Every problem is reported with the
file and the setting it came from; a policy with any problem is not built.
"""

import datetime as dt
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from policies.contracts.key_dates import KeyDateKind
from policies.reminders.ladders import Ladder, Lead, ReminderPolicy, Role


@dataclass(frozen=True)
class PolicyProblem:
    source: str
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.where}: {self.reason}"


_SECTIONS = {"send", "delivery", "recipients", "ladders"}
_SEND_KEYS = {"time", "working_days_only", "digest"}
_DELIVERY_KEYS = {"max_attempts", "retry_minutes", "late_after_minutes", "catch_up_days"}
_LADDER_KEYS = {"kinds", "leads", "notify", "escalate"}
# Where no file sets them (the shipped reminders.toml repeats them, with comments). The other defaults are
# the ones given to flag() and whole() below, each once.
_SEND_TIME = dt.time(8, 0)
_RETRY_MINUTES = (5, 15, 60, 240)
# apprise reads a tag with any of these in it as several tags, and sends to a target that has any one of them.
_BETWEEN_TAGS = re.compile(r"[\s,;\[\]]")
# apprise reads these tags itself: "all" reaches every target, "always" is the tag of targets told of
# everything, and "N:tag" asks for the targets of priority N only.
_APPRISE_RESERVED = frozenset({"all", "always"})
_APPRISE_RESERVED_WHY = (
    "means something to apprise itself (all: every target; always: targets told of everything; "
    "a colon: a priority), so it cannot name one role's recipients"
)


def parse_policy_text(text: str, source: str) -> tuple[dict[str, Any] | None, list[PolicyProblem]]:
    try:
        return tomllib.loads(text), []
    except tomllib.TOMLDecodeError as exc:
        return None, [PolicyProblem(source, "file", f"is not valid TOML: {exc}")]


def build_reminder_policy(
    documents: Sequence[tuple[str, Mapping[str, Any]]],
) -> tuple[ReminderPolicy | None, list[PolicyProblem]]:
    """Merge documents in order (later ones override key by key, ladder by ladder) and validate."""
    merged: dict[str, dict[str, Any]] = {"send": {}, "delivery": {}, "recipients": {}, "ladders": {}}
    origin: dict[str, str] = {}
    problems: list[PolicyProblem] = []
    for source, doc in documents:
        for section, body in doc.items():
            if section not in _SECTIONS:
                problems.append(PolicyProblem(source, section, f"is not a section; use {', '.join(sorted(_SECTIONS))}"))
                continue
            if not isinstance(body, Mapping):
                problems.append(PolicyProblem(source, section, "must be a table"))
                continue
            for key, value in body.items():
                merged[section][key] = value
                origin[f"{section}.{key}"] = source
    policy = _build(merged, origin, problems)
    if problems:
        return None, problems
    assert policy is not None
    return ReminderPolicy(**{**policy.__dict__, "sources": tuple(s for s, _ in documents)}), []


def _build(merged: dict[str, dict[str, Any]], origin: dict[str, str], problems: list[PolicyProblem]) -> ReminderPolicy:
    def problem(where: str, reason: str) -> None:
        problems.append(PolicyProblem(origin.get(where, "policy"), where, reason))

    def unknown(section: str, allowed: set[str]) -> None:
        for key in merged[section]:
            if key not in allowed:
                problem(f"{section}.{key}", f"is not a setting; use {', '.join(sorted(allowed))}")

    unknown("send", _SEND_KEYS)
    unknown("delivery", _DELIVERY_KEYS)
    send, delivery = merged["send"], merged["delivery"]

    raw_time = send.get("time", _SEND_TIME)
    try:
        send_time = dt.time.fromisoformat(raw_time) if isinstance(raw_time, str) else raw_time
        if not isinstance(send_time, dt.time):
            raise ValueError
        if send_time.hour == 1:
            problem("send.time", f"{raw_time} falls between 01:00 and 02:00, which the clock changes skip or repeat")
    except ValueError:
        problem("send.time", f'{raw_time!r} is not a time of day such as "08:00"')
        send_time = _SEND_TIME  # a stand-in, so the other settings are still checked: the policy is not built

    def flag(section: str, key: str, default: bool) -> bool:
        value = merged[section].get(key, default)
        if not isinstance(value, bool):
            problem(f"{section}.{key}", "must be true or false")
            return default
        return value

    def whole(key: str, default: int, low: int, high: int) -> int:
        value = delivery.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            problem(f"delivery.{key}", f"must be a whole number from {low} to {high}")
            return default
        return value

    retry = delivery.get("retry_minutes", list(_RETRY_MINUTES))
    if (
        not isinstance(retry, list)
        or not retry
        or not all(isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 10080 for m in retry)
    ):
        problem("delivery.retry_minutes", "must be a list of whole minutes from 1 to 10080, e.g. [5, 15, 60]")
        retry = list(_RETRY_MINUTES)  # a stand-in, as for the send time

    tags: dict[Role, str] = {role: role.value for role in Role}
    for key, value in merged["recipients"].items():
        try:
            role = Role(key)
        except ValueError:
            problem(f"recipients.{key}", f"is not a role; use {', '.join(r.value for r in Role)}")
            continue
        tag = value.strip() if isinstance(value, str) else ""
        if not tag or len(tag) > 60 or _BETWEEN_TAGS.search(tag):
            problem(
                f"recipients.{key}",
                "must be one apprise tag (text, at most 60 characters, no spaces, commas, semicolons or brackets)",
            )
            continue
        if tag.lower() in _APPRISE_RESERVED or ":" in tag:
            problem(f"recipients.{key}", f"{tag!r} {_APPRISE_RESERVED_WHY}")
            continue
        tags[role] = tag

    ladders: dict[KeyDateKind, Ladder] = {}
    claimed: dict[KeyDateKind, str] = {}
    for name, raw in merged["ladders"].items():
        where = f"ladders.{name}"
        if not isinstance(raw, Mapping):
            problem(where, "must be a table with kinds, leads and notify")
            continue
        ladder = _ladder(name, raw, partial(problem, where))
        if ladder is None:
            continue
        for kind in ladder.kinds:
            if kind in claimed:
                problem(where, f"kind {kind.value} is already in ladder {claimed[kind]}; a kind has one ladder")
            claimed[kind] = name
            ladders[kind] = ladder
    return ReminderPolicy(
        ladders=ladders,
        tags=tags,
        send_time=send_time,
        working_days_only=flag("send", "working_days_only", True),
        digest=flag("send", "digest", True),
        max_attempts=whole("max_attempts", 5, 1, 50),
        retry_minutes=tuple(retry),
        late_after_minutes=whole("late_after_minutes", 60, 1, 1440),
        catch_up_days=whole("catch_up_days", 30, 0, 366),
    )


def _ladder(name: str, raw: Mapping[str, Any], problem: Callable[[str], None]) -> Ladder | None:
    for key in raw:
        if key not in _LADDER_KEYS:
            problem(f"{key} is not a ladder setting; use kinds, leads, notify, escalate")
    kinds: list[KeyDateKind] = []
    for text in _strings(raw.get("kinds"), "kinds", problem):
        try:
            kinds.append(KeyDateKind(text))
        except ValueError:
            problem(f"kinds: {text!r} is not a key-date kind; use {', '.join(k.value for k in KeyDateKind)}")
    leads: list[Lead] = []
    for text in _strings(raw.get("leads"), "leads", problem):
        lead = Lead.parse(text)
        if lead is None:
            problem(f'leads: {text!r} is not a lead time; write days or months, e.g. "30d" or "6m"')
        else:
            leads.append(lead)
    if len(set(leads)) != len(leads):
        problem("leads: a lead time appears twice")
    roles: list[Role] = []
    for text in _strings(raw.get("notify"), "notify", problem):
        try:
            roles.append(Role(text))
        except ValueError:
            problem(f"notify: {text!r} is not a role; use {', '.join(r.value for r in Role)}")
    escalate = raw.get("escalate", True)
    if not isinstance(escalate, bool):
        problem("escalate must be true or false")
    if not kinds or not leads or not roles or not isinstance(escalate, bool):
        return None
    # Furthest ahead first, as they fall before one fixed key date, 31 January 2001 (so 12 months, back across
    # 29 February 2000, come before 365 days). Leads falling on one day keep the file's order, not a set's,
    # which changes from run to run.
    ordered = tuple(sorted(leads, key=lambda lead: lead.before(dt.date(2001, 1, 31))))
    return Ladder(name, tuple(kinds), ordered, tuple(dict.fromkeys(roles)), escalate)


def _strings(value: Any, key: str, problem: Callable[[str], None]) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        problem(f"{key} must be a non-empty list of text")
        return []
    return list(value)
