"""The entries of an apprise configuration file that apprise cannot use, each named without its secrets.

Rule: apprise drops an entry it cannot use and says so only in its own log, which repeats the URL (partly
masked at best), so those records are held back (``notifications/apprise_logs.py``). Each entry is tried
here on its own instead, and one it refuses is named by its position in the file (``entry #2``, as apprise
numbers YAML entries; ``line 3`` in a TEXT file), its tags and its scheme only: the rest of the URL (user,
password, host, path, query) is never repeated. Its tags say what is lost: a tag that no entry apprise
accepted carries has nowhere to send its reminders.

Worked example: a YAML file whose second entry is ``notaservice://user:pw@what/ever`` tagged
``commissioning`` gives ``entry #2 (tag commissioning, notaservice://...): notaservice:// is not a service
apprise knows``; if no other entry carries ``commissioning``, that tag is lost.

Every entry left out is named here, and the number of problems said is the number of entries named (apprise's own
warnings are not counted: it gives two for one bad ``mailto://`` and none for a ``tag=`` line with a blank URL).
Besides a URL apprise refuses, a TEXT line that is neither ``tags=URL`` nor a tag group, a tag given a blank URL,
and an entry repeating an earlier one's URL and tags (left out, or each message would go twice) are named.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import apprise
import yaml
from apprise.tag import AppriseTag

from notifications.apprise_logs import held_records

_SCHEME = re.compile(r"^\s*(?P<scheme>[a-z][a-z0-9+.-]{0,31})://", re.IGNORECASE)
# apprise's own pattern for a TEXT line (apprise.config.base.ConfigBase.config_parse_text): a line it does not match
# makes apprise load nothing from the file.
_APPRISE_TEXT_LINE = re.compile(
    r"^\s*(?P<line>([;#]+(?P<comment>.*))|"
    r"(\s*(?P<tags>[a-z0-9, \t_:-]+)\s*=|=)?\s*"
    r"((?P<url>[a-z0-9]{1,32}://.*)|(?P<assign>[a-z0-9, \t_-]+))|"
    r"include\s+(?P<config>.+))?\s*$",
    re.IGNORECASE,
)
# apprise leaves AppriseTag.parse unannotated; a typed alias keeps mypy's untyped-call check quiet.
_parse_tag: Callable[[str], Any] = AppriseTag.parse
_NOT_TEXT = "is not a line of apprise's TEXT format (tags=URL), so apprise loads nothing from the file"
_RETRY_TAG = "a tag cannot carry a retry count (tag:N); put ?retry=N in the URL"


@dataclass(frozen=True)
class _Entry:
    where: str
    url: str | None
    tags: tuple[str, ...]
    reason: str | None = None  # why it is left out before apprise is asked, if it is


@dataclass(frozen=True)
class BadEntry:
    where: str  # "entry #2" (YAML) or "line 3" (TEXT)
    tags: tuple[str, ...]
    scheme: str
    reason: str

    def __str__(self) -> str:
        tags = f"tag {', '.join(self.tags)}" if self.tags else "no tag"
        scheme = f", {self.scheme}://..." if self.scheme != "?" else ""
        return f"{self.where} ({tags}{scheme}): {self.reason}"


@cache
def _known_schemes() -> frozenset[str]:
    found: set[str] = set()
    for schema in apprise.Apprise().details()["schemas"]:
        for key in ("protocols", "secure_protocols"):
            found.update(str(p).lower() for p in schema.get(key) or ())
    return frozenset(found)


def _tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(t for t in re.split(r"[\s,]+", value) if t)
    if isinstance(value, list | tuple):
        return tuple(t for v in value for t in _tags(v))
    return ()


def _yaml_entries(text: str) -> list[_Entry]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    urls = document.get("urls") if isinstance(document, dict) else None
    entries: list[_Entry] = []
    for i, item in enumerate(urls if isinstance(urls, list) else [], start=1):
        if isinstance(item, str):
            entries.append(_Entry(f"entry #{i}", item, ()))
        elif isinstance(item, dict):
            for url, options in item.items():
                blocks = options if isinstance(options, list) else [options]
                tags = tuple(t for b in blocks if isinstance(b, dict) for t in _tags(b.get("tag", b.get("tags"))))
                entries.append(_Entry(f"entry #{i}", str(url), tags))
    return entries


def _text_entries(text: str) -> list[_Entry]:
    """Each line of a TEXT file read as apprise reads it (its line pattern): a URL entry to try, or a line apprise
    drops (with why); comments, blank lines, includes and tag groups (``group=tag, tag``) are not entries."""
    entries: list[_Entry] = []
    for number, line in enumerate(re.split(r"\r*\n", text), start=1):
        where = f"line {number}"
        match = _APPRISE_TEXT_LINE.match(line)
        if match is None:
            entries.append(_Entry(where, None, (), _NOT_TEXT))
        elif match["url"]:
            tags = _tags(match["tags"] or "")
            retry = any(_parse_tag(tag).retry is not None for tag in tags)  # "alerts:3"; "2:alerts" is taken
            entries.append(_Entry(where, match["url"], tags, _RETRY_TAG if retry else None))
        elif match["assign"] is not None:
            groups, tags = _tags(match["tags"] or ""), _tags(match["assign"])
            if not groups:
                entries.append(_Entry(where, None, (), "is neither a URL (scheme://...) nor tags=URL"))
            elif not tags:
                entries.append(_Entry(where, None, groups, "its URL is blank"))
    return entries


def bad_entries(text: str, config_format: str) -> list[BadEntry]:
    """Each entry apprise cannot use, or would load twice, named by position, tags and scheme, with why (never the
    URL itself)."""
    entries = _yaml_entries(text) if config_format == "yaml" else _text_entries(text)
    bad = []
    seen: dict[tuple[str, frozenset[str]], str] = {}  # (URL as apprise reads it, tags) -> where first given
    for entry in entries:
        url = entry.url or ""
        match = _SCHEME.match(url)
        scheme = match["scheme"].lower() if match else "?"
        if entry.reason is not None:
            bad.append(BadEntry(entry.where, entry.tags, scheme, entry.reason))
            continue
        with held_records():  # apprise repeats the URL it refuses
            service = apprise.Apprise.instantiate(url, suppress_exceptions=True) if match else None
        if service is not None:
            key = same_entry_key(service, entry.tags)
            first = seen.setdefault(key, entry.where)
            if first != entry.where:
                reason = f"the same URL and tags as {first}, so each message would go twice"
                bad.append(BadEntry(entry.where, entry.tags, scheme, reason))
            continue
        if match is None:
            reason = "is not a URL (scheme://...)"
        elif scheme not in _known_schemes():
            reason = f"{scheme}:// is not a service apprise knows"
        else:
            reason = f"apprise cannot read it as a {scheme}:// URL (a part is missing or malformed)"
        bad.append(BadEntry(entry.where, entry.tags, scheme, reason))
    return bad


def same_entry_key(service: apprise.NotifyBase, tags: Iterable[object]) -> tuple[str, frozenset[str]]:
    """What makes two loaded entries the same target: the URL as apprise reads it back, and the tags."""
    url: Any = service.url
    return str(url(privacy=False)), frozenset(str(tag) for tag in tags)
