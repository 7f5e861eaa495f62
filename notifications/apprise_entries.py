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
"""

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import apprise
import yaml

from notifications.apprise_logs import held_records

_SCHEME = re.compile(r"^\s*(?P<scheme>[a-z][a-z0-9+.-]{0,31})://", re.IGNORECASE)
_TEXT_LINE = re.compile(r"^\s*(?:(?P<tags>[^=\s:/][^=:/]*?)\s*=\s*)?(?P<url>\S+://\S*)\s*$")


@dataclass(frozen=True)
class BadEntry:
    where: str  # "entry #2" (YAML) or "line 3" (TEXT)
    tags: tuple[str, ...]
    scheme: str
    reason: str

    def __str__(self) -> str:
        tags = f"tag {', '.join(self.tags)}" if self.tags else "no tag"
        return f"{self.where} ({tags}, {self.scheme}://...): {self.reason}"


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


def _yaml_entries(text: str) -> list[tuple[str, str, tuple[str, ...]]]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    urls = document.get("urls") if isinstance(document, dict) else None
    entries: list[tuple[str, str, tuple[str, ...]]] = []
    for i, item in enumerate(urls if isinstance(urls, list) else [], start=1):
        if isinstance(item, str):
            entries.append((f"entry #{i}", item, ()))
        elif isinstance(item, dict):
            for url, options in item.items():
                blocks = options if isinstance(options, list) else [options]
                tags = tuple(t for b in blocks if isinstance(b, dict) for t in _tags(b.get("tag", b.get("tags"))))
                entries.append((f"entry #{i}", str(url), tags))
    return entries


def _text_entries(text: str) -> list[tuple[str, str, tuple[str, ...]]]:
    entries: list[tuple[str, str, tuple[str, ...]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        match = _TEXT_LINE.match(line)
        if match is not None:
            entries.append((f"line {number}", match["url"], _tags(match["tags"] or "")))
    return entries


def bad_entries(text: str, config_format: str) -> list[BadEntry]:
    """Each entry apprise cannot use, named by position, tags and scheme, with why (never the URL itself)."""
    entries = _yaml_entries(text) if config_format == "yaml" else _text_entries(text)
    bad = []
    for where, url, tags in entries:
        match = _SCHEME.match(url)
        scheme = match["scheme"].lower() if match else "?"
        with held_records():  # apprise repeats the URL it refuses
            service = apprise.Apprise.instantiate(url, suppress_exceptions=True) if match else None
        if service is not None:
            continue
        if match is None:
            reason = "is not a URL (scheme://...)"
        elif scheme not in _known_schemes():
            reason = f"{scheme}:// is not a service apprise knows"
        else:
            reason = f"apprise cannot read it as a {scheme}:// URL (a part is missing or malformed)"
        bad.append(BadEntry(where, tags, scheme, reason))
    return bad
