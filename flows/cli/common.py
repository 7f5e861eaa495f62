"""What every command shares: settings, the one as_of, output as tables or JSON."""

import datetime as dt
import json
import sys
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from flows.common.errors import UserError
from flows.common.settings import Settings, load_settings
from policies.dates import parse_as_of, parse_iso_date

if TYPE_CHECKING:
    from rich.console import Console


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


def settings() -> Settings:
    return load_settings()


def actor(by: str | None, cfg: Settings) -> str:
    """Who is acting, for the audit log: --by, else COMMISSIONING_ACTOR, else the login name."""
    name = (by if by is not None else cfg.actor).strip()
    if not name or len(name) > 120:
        raise UserError("--by (or COMMISSIONING_ACTOR) must name who is acting, in at most 120 characters")
    return name


def as_of_instant(text: str | None, cfg: Settings) -> dt.datetime:
    """The run's one instant, from --as-of or the clock (read here, once, at the edge)."""
    if text is None:
        return dt.datetime.now(dt.UTC)
    instant, why = parse_as_of(text, cfg.timezone)
    if instant is None:
        raise UserError(f"--as-of: {why}")
    return dt.datetime.fromtimestamp(instant.timestamp(), dt.UTC)


def iso_date_option(name: str, text: str | None, default: dt.date) -> dt.date:
    if text is None:
        return default
    value, why = parse_iso_date(text)
    if value is None:
        raise UserError(f"{name}: {why}")
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
