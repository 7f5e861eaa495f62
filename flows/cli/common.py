"""What every command shares: settings, the one as_of, output as tables or JSON."""

import datetime as dt
import json
import sys
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from flows.common.errors import UserError
from flows.common.settings import Settings, load_settings
from policies.dates import YEARS, local_date, parse_as_of, parse_iso_date

if TYPE_CHECKING:
    from rich.console import Console

    from flows.accounts.users import Principal


# Piped output (a file, another program) is never wrapped or cut: a width no line reaches.
PIPED_WIDTH = 10_000


class _LazyConsole:
    """A rich Console made on first use: a command that prints only JSON or plain lines never imports rich.

    On a terminal it fits the window; piped, it is plain (no colour) and complete (no wrapping, no ellipsis).
    """

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            stream = sys.stderr if self._options.get("stderr") else sys.stdout
            piped = {} if stream.isatty() else {"width": PIPED_WIDTH, "soft_wrap": True, "no_color": True}
            self._console = Console(**{**piped, **self._options})
        return getattr(self._console, name)


console = cast("Console", _LazyConsole(highlight=False))
err_console = cast("Console", _LazyConsole(stderr=True, highlight=False))

AS_OF_HELP = (
    "The instant to act as of: an ISO date (start of that day, organisation's zone) or date-time. Default: now."
)
JSON_HELP = "Print JSON instead of a table."
NO_WAIT_HELP = (
    "With COMMISSIONING_RUN_MODE=deployments: submit the run to the workers and end, printing its id, instead of "
    "waiting for its result. Ignored when the work runs here."
)


INT64 = range(-(2**63), 2**63)  # the whole numbers the database can hold (ids, sample sizes and seeds)


def int64(name: str, value: int) -> int:
    """``value`` if the database can hold it, else a UserError naming ``name`` and the range."""
    if value not in INT64:
        raise UserError(f"{name}: {value} is out of range ({INT64.start} to {INT64.stop - 1})")
    return value


def settings() -> Settings:
    return load_settings()


def actor(by: str | None, cfg: Settings, *, writing: bool = True) -> str:
    """Who is acting, for the audit log: the user of COMMISSIONING_TOKEN, else --by, COMMISSIONING_ACTOR or the
    login name marked unauthenticated (``os:alice (unauthenticated)``); see ``identity``."""
    return identity(None, by, cfg, writing=writing)[0]


def author(by: str | None, cfg: Settings) -> str:
    """Who a generated file (a workbook) names as its author: the token's user, else the name given, unmarked:
    it labels a file, it is no entry in the audit log."""
    import os

    return identity(None, by, cfg, writing=False)[0] if os.environ.get("COMMISSIONING_TOKEN") else _named(by, cfg)


def _named(by: str | None, cfg: Settings) -> str:
    name = (by if by is not None else cfg.actor).strip()
    if not name or len(name) > 100:
        raise UserError("--by (or COMMISSIONING_ACTOR) must name who is acting, in at most 100 characters")
    return name


def as_of_instant(text: str | None, cfg: Settings) -> dt.datetime:
    """The run's one instant, from --as-of or the clock (read here, once, at the edge)."""
    if text is None:
        return clock()
    instant, why = parse_as_of(text, cfg.timezone)
    if instant is None:
        raise UserError(f"--as-of: {why}")
    _check_year("--as-of", text.strip(), instant.year)
    return dt.datetime.fromtimestamp(instant.timestamp(), dt.UTC)


def _check_year(name: str, text: str, year: int) -> None:
    if year not in YEARS:
        raise UserError(f"{name}: {text} is outside the years {YEARS.start}-{YEARS.stop - 1}")


def clock() -> dt.datetime:
    """The real clock, read once per command, at the edge."""
    return dt.datetime.now(dt.UTC)


def write_as_of(text: str | None, cfg: Settings, *, now: dt.datetime | None = None) -> dt.datetime:
    """The as-of of a write: like ``as_of_instant``, but never after now (nothing is dated in the future).

    The real clock is read here, once, unless the caller passes ``now``; reads keep ``as_of_instant``,
    which may look ahead.
    """
    now = now if now is not None else clock()
    if text is None:
        return now
    instant = as_of_instant(text, cfg)
    if instant > now:
        raise UserError(f"--as-of is in the future ({text.strip()}; it is now {_now(now, cfg)}): {NOT_FUTURE}")
    return instant


def write_date_option(name: str, text: str | None, default: dt.date, cfg: Settings, *, now: dt.datetime) -> dt.date:
    """A date a write speaks of (``--on``, ``--actual``): ISO, and not after today (the service also checks it
    against the as-of date)."""
    value = iso_date_option(name, text, default)
    if value > local_date(now, cfg.timezone):
        raise UserError(f"{name} is in the future ({value.isoformat()}; it is now {_now(now, cfg)}): {NOT_FUTURE}")
    return value


NOT_FUTURE = "nothing is dated in the future; read commands (e.g. due, sweep --dry-run) look ahead"


def _now(now: dt.datetime, cfg: Settings) -> str:
    return f"{local(now.isoformat(), cfg)} {cfg.timezone}"


def iso_date_option(name: str, text: str | None, default: dt.date) -> dt.date:
    if text is None:
        return default
    value, why = parse_iso_date(text)
    if value is None:
        raise UserError(f"{name}: {why}")
    _check_year(name, text.strip(), value.year)
    return value


COMPACT_ABOVE = 1000  # list items; a longer list is printed on one line


def print_json(data: Any) -> None:
    """JSON on stdout: indented for reading, compact for long lists (a portfolio's 50,000 rows)."""
    compact = isinstance(data, list) and len(data) > COMPACT_ABOVE
    sys.stdout.write(json.dumps(data, indent=None if compact else 2, default=str) + "\n")


def local(instant_iso: str | None, cfg: Settings, *, with_time: bool = True) -> str:
    """An ISO instant shown in the organisation's zone."""
    if not instant_iso:
        return ""
    when = dt.datetime.fromisoformat(instant_iso).astimezone(ZoneInfo(cfg.timezone))
    return when.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def when_entered(at_iso: str, recorded_iso: str | None, cfg: Settings, *, sep: str = "\n") -> str:
    """When an event speaks of, and when it was entered if that was another moment (a back-dated entry):
    "2026-03-16 00:00" and "(entered 2026-12-06 10:14)" (or "(entered 10:14)" later the same day), on two lines."""
    shown = local(at_iso, cfg)
    if not recorded_iso:
        return shown
    at, recorded = dt.datetime.fromisoformat(at_iso), dt.datetime.fromisoformat(recorded_iso)
    if abs(recorded - at) < dt.timedelta(minutes=1):
        return shown
    entered = local(recorded_iso, cfg)
    same_day = entered[:10] == shown[:10]
    return f"{shown}{sep}(entered {entered[11:] if same_day else entered})"


def said(value: Any) -> str:
    """A value from an event's before/after as the history says it: absent is "none", names without underscores."""
    if value is None:
        return "none"
    if isinstance(value, str):
        return value.replace("_", " ")
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(", ", ": "))
    return str(value)


def changes_said(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """ "value: £2,400,000.00 -> £2,650,000.00", one per field an event changed."""
    before, after = before or {}, after or {}
    return [
        f"{name.replace('_', ' ')}: {said(before.get(name))} -> {said(after.get(name))}"
        for name in dict.fromkeys([*before, *after])
    ]


TOKEN_HELP = "Your user token (from `commission users token`); default: COMMISSIONING_TOKEN."


def identity(token: str | None, by: str | None, cfg: Settings, *, writing: bool = True) -> tuple[str, frozenset[str]]:
    """Who is acting and their roles: the token's user (``--token`` or COMMISSIONING_TOKEN), else the
    operating-system user (or --by) marked unauthenticated, with no role. A write without a token is refused
    when the approval policy says so (its shipped default: on PostgreSQL); ``writing=False`` for the commands
    that must work without one (the first administrator has no token yet; a workbook's author is a label)."""
    import os

    from flows.approvals.policy import controls_policy
    from policies.controls.approvals import unauthenticated

    if token is not None and not token.strip():  # " " with a valid token in the environment acted as nobody
        raise UserError("--token is empty: give a user token, or leave --token out to use COMMISSIONING_TOKEN")
    given = token if token is not None else os.environ.get("COMMISSIONING_TOKEN", "")
    if given.strip():
        who = token_user(cfg, given.strip())
        roles = frozenset(r.value for r in who.roles)
        _check_roles(who.username, roles)
        return who.username, roles
    database = "postgresql" if cfg.database_url.startswith("postgres") else "sqlite"
    if writing and controls_policy(cfg).refuses_unauthenticated(database):
        raise UserError(
            "this installation refuses changes without a user token: make one with `commission users token NAME` "
            "and give it as COMMISSIONING_TOKEN or --token"
        )
    return unauthenticated(_named(by, cfg)), frozenset()


UNKNOWN_TOKEN = (
    "the token given matches no active user (--token or COMMISSIONING_TOKEN): "
    "it is not a token, has been revoked, or its user is disabled"
)


def token_user(cfg: Settings, token: str) -> "Principal":
    """The active user of an API token, else a UserError that never repeats the token."""
    from flows.accounts.tokens import principal_for_token

    who = principal_for_token(cfg, token, purpose="api")
    if who is None:
        raise UserError(UNKNOWN_TOKEN)
    return who


def refuse_unknown_token(token: str | None) -> None:
    """Refuse a command given a token (``--token``, else COMMISSIONING_TOKEN) that matches no active user, read or
    write: ignored on a read, a mistyped or revoked token looked like it worked. A blank ``--token`` is left to
    ``identity``, which names it."""
    import os

    given = token if token is not None else os.environ.get("COMMISSIONING_TOKEN", "")
    if given.strip():
        cfg = settings()
        try:
            token_user(cfg, given.strip())
        except UserError as exc:
            if "commission init" in str(exc):  # no database yet, or one to migrate: `init` (or `restore`) must
                return  # run with a token set; any other command then says why it cannot, as without one
            raise  # unreachable: whether it matches is not known, so that reason alone


def _check_roles(user: str, roles: frozenset[str]) -> None:
    """Refuse a token's user the command being run unless their roles allow it (flows/cli/rules.py)."""
    import flows.cli
    from flows.cli import rules

    if flows.cli.running is None:  # not run from the command line (a test calling a command's function directly)
        return
    why = rules.refusal(rules.command_of(flows.cli.running), user, roles)
    if why is not None:
        raise UserError(why)


def money_text(text: str) -> str:
    """1,500.00: pounds and pence, in every table."""
    from decimal import Decimal

    return f"{Decimal(text):,.2f}"
