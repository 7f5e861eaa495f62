"""Delivery through apprise: one config file (YAML or TEXT) of tagged URLs, one result per target.

Apprise URLs carry passwords and tokens, so this module takes care that:

- The ``apprise`` logger is kept at INFO or above (at DEBUG apprise logs the raw
  configuration, passwords included), on construction and again before every send.
- While a target is being sent to, a filter on the loggers of apprise, requests and
  urllib3 removes that target's secrets from what they log in the sending thread
  (at DEBUG urllib3 logs each request line, query string and path tokens included).
- A target is named by ``service.url(privacy=True)`` with every query value that is
  not known to be harmless masked too (apprise leaves custom headers such as
  ``+Authorization=...`` and GET parameters such as ``-token=...`` in clear there).
  The raw URL is never logged or returned.
- The reason a target failed is what apprise warned about while sending to it (or the
  exception a plugin raised), with that target's password, tokens and URL removed.

Each target is sent to on its own (``apprise.Apprise.notify`` only says whether all
succeeded), without apprise's retries: the outbox retries later, so a failing target
fails fast. Timeouts are apprise's (connect 4 s, email 15 s; read 4 s) unless the URL
sets ``cto=`` / ``rto=`` in seconds.
"""

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, unquote_plus

import apprise
import yaml
from apprise.conversion import convert_between

from notifications.apprise_entries import BadEntry, bad_entries, same_entry_key
from notifications.apprise_logs import REDACTOR, captured_warnings, guard_logging, held_records, redact
from notifications.base import Message, NotifierConfigError, TargetResult

log = logging.getLogger(__name__)

MASK = "****"
MAX_ERROR_CHARS = 500
SHORTEST_SECRET = 3  # shorter fragments are not worth redacting (and would mangle the text)

# Query keys whose values say nothing secret; every other value is masked in a target's name.
# Keys starting with "+", "-" or ":" (custom headers, GET parameters, payload fields) are never safe.
SAFE_QUERY_KEYS = frozenset(
    {
        # apprise's own, on every URL
        "format",
        "overflow",
        "retry",
        "wait",
        "optional",
        "emojis",
        "verify",
        "cto",
        "rto",
        "store",
        "tz",
        # email
        "from",
        "to",
        "cc",
        "bcc",
        "reply",
        "name",
        "mode",
        "smtp",
        "user",
        # json://, form://, xml://
        "method",
    }
)

# apprise leaves convert_between (and NotifyBase.url, see _url) unannotated; typed aliases keep
# mypy's untyped-call check quiet.
_convert: Callable[[apprise.NotifyFormat, apprise.NotifyFormat, str], str] = convert_between
_TOKEN_SPLIT = re.compile(r"[\s/:@?&=#,;+]+")


@dataclass(frozen=True)
class _Target:
    name: str
    service: apprise.NotifyBase
    secrets: tuple[str, ...] = field(repr=False)  # raw URL, password, tokens: longest first, for redaction


class AppriseNotifier:
    """Sends through the targets of one apprise configuration file, selected by tag."""

    def __init__(self, source: str, targets: list[_Target], bad: tuple[BadEntry, ...] = ()) -> None:
        guard_logging()
        self._source = source
        self.bad_entries = bad  # entries of the file apprise could not use, named without their secrets
        self._targets = targets
        self._apprise = apprise.Apprise()
        self._apprise.add([target.service for target in targets])
        self._by_service = {id(target.service): target for target in targets}

    @classmethod
    def from_config(cls, path: Path) -> "AppriseNotifier":
        """Load an apprise YAML (``.yml``/``.yaml``, or detected) or TEXT configuration file.

        Raises NotifierConfigError, naming the file and the reason, when the file is missing,
        unreadable, cannot be parsed, or holds no URL apprise can use. The file's contents
        are never repeated in the error.
        """
        guard_logging()
        path = Path(path)
        text = _read_config(path)
        config_format = _config_format(path, text)
        config = apprise.AppriseConfig()
        with held_records() as problems:
            try:
                added = config.add_config(text, format=config_format)
                services = list(config.servers()) if added else []
            except Exception as exc:  # apprise raising on odd input must not escape as a crash
                raise NotifierConfigError(
                    f"apprise config {path}: apprise could not parse it ({type(exc).__name__})"
                ) from None
        # apprise always ends an empty load with "Failed to load Apprise configuration from memory://".
        problems = [p for p in problems if not p.startswith("Failed to load Apprise configuration")]
        bad = bad_entries(text, config_format)
        if problems and not bad:  # apprise refused something this module does not place: still counted and said
            bad = [
                BadEntry("an entry", (), "?", "apprise could not use it (its message repeats the URL, so not shown)")
            ]
        if bad:  # apprise's YAML reader makes a target of some URLs it cannot read (json://:@@@@ becomes json:///,
            services = [s for s in services if _reads_back(s)]  # which sends nowhere): named bad, so left out
        if not services:
            reason = (
                f"no entry is a notification URL apprise can use ({_count(len(bad), 'bad entry', 'bad entries')}: "
                f"{'; '.join(str(entry) for entry in bad)})"
                if bad
                else "it lists no notification URL"
            )
            raise NotifierConfigError(f"apprise config {path}: {reason}")
        services = _without_repeats(services)
        if bad:
            log.warning(
                "apprise config %s: loaded %s; %s left out",
                path,
                _count(len(services), "target"),
                _count(len(bad), "entry", "entries"),
            )
        for entry in bad:
            log.warning("apprise config %s: %s; left out", path, entry)
        return cls(str(path), _targets(services), tuple(bad))

    def lost_tags(self) -> list[str]:
        """The tags of entries apprise could not use that no entry it did use carries: their reminders have
        nowhere to go."""
        carried = {str(tag) for target in self._targets for tag in target.service.tags}
        return sorted({tag for entry in self.bad_entries for tag in entry.tags} - carried)

    def __repr__(self) -> str:
        return f"<AppriseNotifier {self.describe()}>"

    def targets(self, tag: str) -> list[str]:
        return [target.name for target in self._matching(tag)]

    def send(self, tag: str, message: Message, *, skip: frozenset[str] = frozenset()) -> list[TargetResult]:
        guard_logging()
        return [self._send_one(target, message) for target in self._matching(tag) if target.name not in skip]

    def describe(self) -> str:
        tags = sorted({str(tag) for target in self._targets for tag in target.service.tags})
        return (
            f"apprise config {self._source}: {_count(len(self._targets), 'target')}, "
            f"tags {', '.join(tags) if tags else '(none)'}"
        )

    def _matching(self, tag: str) -> list[_Target]:
        return [self._by_service[id(service)] for service in self._apprise.find(tag=tag)]

    def _send_one(self, target: _Target, message: Message) -> TargetResult:
        service = target.service
        # What apprise.Apprise.notify does before calling each plugin: convert the body (and a
        # title the service folds into its body) from plain text to the service's format.
        body = _convert(apprise.NotifyFormat.TEXT, service.notify_format, message.body)
        title = message.title
        if service.title_maxlen <= 0:
            title = _convert(apprise.NotifyFormat.TEXT, service.notify_format, title)
        raised: str | None = None
        with REDACTOR.sending(target.secrets), captured_warnings() as warnings:
            try:
                ok = bool(service.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT))
            except Exception as exc:  # a plugin bug is this target's failure, not the run's
                ok = False
                raised = f"{type(exc).__name__}: {exc}"
        if ok:
            return TargetResult(target.name, True)
        reasons = [*warnings, *([raised] if raised else [])]
        error = "; ".join(dict.fromkeys(reasons)) or "apprise reported a failure without a reason"
        return TargetResult(target.name, False, _scrub(error, target.secrets))


def _read_config(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        reason = "no such file"
    except IsADirectoryError:
        reason = "it is a directory, not a file"
    except PermissionError:
        reason = "permission denied"
    except UnicodeDecodeError:
        reason = "it is not UTF-8 text"
    except OSError as exc:
        reason = f"cannot be read ({exc.strerror or type(exc).__name__})"
    raise NotifierConfigError(f"apprise config {path}: {reason}")


def _config_format(path: Path, text: str) -> str:
    if path.suffix.lower() in {".yml", ".yaml"}:
        config_format = "yaml"
    else:
        with held_records():  # apprise logs the offending line, secrets and all; our message says enough
            detected = apprise.ConfigBase.detect_config_format(text)
        if detected is None:
            raise NotifierConfigError(
                f"apprise config {path}: not an apprise configuration "
                "(neither TEXT, one URL or tags=URL per line, nor YAML with a urls: list)"
            )
        config_format = str(detected.value)
    if config_format == "yaml":
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            # PyYAML's problem is a phrase; one quoting the file ("found character 'x'") is left out.
            detail = f": {problem}" if isinstance(problem, str) and not re.search("['\"`]", problem) else ""
            raise NotifierConfigError(f"apprise config {path}: not valid YAML{where}{detail}") from None
        if not isinstance(document, dict) or "urls" not in document:
            raise NotifierConfigError(f"apprise config {path}: it lists no notification URL (no urls: section)")
        if not document["urls"]:
            raise NotifierConfigError(f"apprise config {path}: it lists no notification URL (urls: is empty)")
    return config_format


def _targets(services: list[apprise.NotifyBase]) -> list[_Target]:
    targets: list[_Target] = []
    seen: dict[str, int] = {}
    for service in services:
        name = safe_name(service)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:  # two entries that differ only in masked parts keep distinct names
            name = f"{name} #{seen[name]}"
        targets.append(_Target(name, service, _secrets(service)))
    return targets


# Generic webhooks: apprise shows their path in clear, and a path often carries a token.
_PATH_SCHEMES = ("json", "jsons", "form", "forms", "xml", "xmls")


def safe_name(service: apprise.NotifyBase) -> str:
    """``service.url(privacy=True)`` with every query value not in SAFE_QUERY_KEYS masked, and the path of a
    generic webhook shortened to the first and last character of each segment."""
    private = _url(service, privacy=True)
    base, sep, query = private.partition("?")
    scheme, colon, rest = base.partition("://")
    if colon and scheme.lower() in _PATH_SCHEMES and "/" in rest:
        host, _, path = rest.partition("/")
        masked = "/".join(p if len(p) <= 2 else f"{p[0]}...{p[-1]}" for p in path.split("/"))
        base = f"{scheme}://{host}/{masked}"
    if not sep:
        return base
    parts = []
    for part in query.split("&"):
        key, eq, value = part.partition("=")
        if eq and value and not _safe_key(unquote(key)):
            value = MASK
        parts.append(f"{key}{eq}{value}")
    return f"{base}?{'&'.join(parts)}"


def _url(service: apprise.NotifyBase, *, privacy: bool) -> str:
    url: Callable[..., object] = service.url
    return str(url(privacy=privacy))


def _safe_key(key: str) -> bool:
    return key.lower() in SAFE_QUERY_KEYS and key[:1] not in {"+", "-", ":"}


def _secrets(service: apprise.NotifyBase) -> tuple[str, ...]:
    """Everything of this service that must not appear in an error: raw URL, password, masked values."""
    raw = _url(service, privacy=False)
    private = _url(service, privacy=True)
    found: set[str] = {raw}
    password = getattr(service, "password", None)
    if isinstance(password, str) and password:
        found.add(password)
    # Query values that safe_name masks, whole and in pieces (e.g. the token of "Bearer <token>").
    query = raw.partition("?")[2]
    for part in query.split("&") if query else []:
        key, _, value = part.partition("=")
        if value and not _safe_key(unquote(key)):
            found.add(value)
            found.update(_TOKEN_SPLIT.split(unquote_plus(value)))
    # Pieces of the host, path and user info that apprise itself masks in the privacy URL.
    shown = set(_TOKEN_SPLIT.split(unquote(private.partition("?")[0])))
    found.update(token for token in _TOKEN_SPLIT.split(unquote(raw.partition("?")[0])) if token not in shown)
    variants: set[str] = set()
    for secret in found:
        variants.update({secret, unquote(secret), unquote_plus(secret), quote(unquote(secret), safe="")})
    return tuple(sorted((s for s in variants if len(s) >= SHORTEST_SECRET), key=len, reverse=True))


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    """An error for a TargetResult: redacted, on one line, not too long."""
    text = " ".join(redact(text, secrets).split())
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 3] + "..."
    return text


def _count(n: int, noun: str, plural: str = "") -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"


def _reads_back(service: apprise.NotifyBase) -> bool:
    """Whether apprise can read the URL the service gives back: one it made from a broken entry cannot."""
    with held_records():  # apprise repeats the URL it refuses
        return apprise.Apprise.instantiate(_url(service, privacy=False), suppress_exceptions=True) is not None


def _without_repeats(services: list[apprise.NotifyBase]) -> list[apprise.NotifyBase]:
    """The services, each (URL, tags) once: bad_entries names the repeats as left out."""
    kept: dict[tuple[str, frozenset[str]], apprise.NotifyBase] = {}
    for service in services:
        kept.setdefault(same_entry_key(service, service.tags), service)
    return list(kept.values())
