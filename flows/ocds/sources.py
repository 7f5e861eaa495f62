"""The releases in OCDS files: release packages, record packages, single releases, and JSON Lines of any of them.

Each release comes with where it is (file and JSON path), so that every
problem names both. A file that cannot be read, or that is not JSON, is one
problem naming the file (and, in JSON Lines, the line); the other files are
read on. A record whose releases are only linked (``url``, no content)
gives its ``compiledRelease`` instead.
"""

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from flows.common.errors import UserError
from flows.common.files import check_input_file
from policies.cycle.evidence import FieldProblem
from policies.dates import DEFAULT_ZONE
from policies.ocds.releases import check_release, duplicate_releases

SUFFIXES = (".json", ".jsonl", ".ndjson")


@dataclass(frozen=True)
class Located:
    file: str
    path: str  # JSONPath of the release in its file, with "line N: " before it in JSON Lines
    release: Any


@dataclass
class FileProblems:
    """The problems of one file (file-level, or a release's field), each 'path: reason'."""

    file: str
    problems: list[str] = field(default_factory=list)


def files_of(target: Path) -> list[Path]:
    """The OCDS files given: the file itself, or a directory's .json/.jsonl/.ndjson files, in name order."""
    if target.is_dir():
        found = sorted(p for p in target.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        if not found:
            raise UserError(f"{target}: has no .json, .jsonl or .ndjson files")
        return found
    if not target.exists():
        raise UserError(f"{target}: no such file or directory")
    check_input_file(target)
    return [target]


def releases_in(path: Path, problems: FileProblems) -> Iterator[Located]:
    """Every release in one file; what cannot be read is added to ``problems``."""
    name = str(path)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        try:
            f = path.open("rb")
        except OSError as exc:
            problems.problems.append(f"cannot be read: {exc.strerror or exc}")
            return
        with f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    document = json.loads(line, parse_float=Decimal)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    problems.problems.append(f"line {number}: is not JSON: {exc}")
                    continue
                yield from _in_document(name, document, f"line {number}: $", problems)
        return
    try:
        with path.open("rb") as f:
            document = json.load(f, parse_float=Decimal)
    except OSError as exc:
        problems.problems.append(f"cannot be read: {exc.strerror or exc}")
        return
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        problems.problems.append(f"is not JSON: {exc}")
        return
    yield from _in_document(name, document, "$", problems)


def _in_document(name: str, document: Any, root: str, problems: FileProblems) -> Iterator[Located]:
    if not isinstance(document, dict):
        problems.problems.append(f"{root}: is not a release package, a record package or a release")
        return
    if isinstance(document.get("releases"), list):
        for i, release in enumerate(document["releases"]):
            yield Located(name, f"{root}.releases[{i}]", release)
    elif isinstance(document.get("records"), list):
        for i, record in enumerate(document["records"]):
            where = f"{root}.records[{i}]"
            if not isinstance(record, dict):
                problems.problems.append(f"{where}: is not a record")
                continue
            full = [r for r in record.get("releases") or [] if isinstance(r, dict) and "url" not in r]
            if full:
                for j, release in enumerate(record["releases"]):
                    if isinstance(release, dict) and "url" not in release:
                        yield Located(name, f"{where}.releases[{j}]", release)
            elif isinstance(record.get("compiledRelease"), dict):
                yield Located(name, f"{where}.compiledRelease", record["compiledRelease"])
            else:
                problems.problems.append(f"{where}: has neither releases with content nor a compiledRelease")
    elif "ocid" in document or "releases" in document or "records" in document:
        yield Located(name, root, document)
    else:
        problems.problems.append(f"{root}: is not a release package, a record package or a release")


def release_problems(found: list[Located], today: dt.date, zone: str = DEFAULT_ZONE) -> list[FieldProblem]:
    """Every problem of a file's releases, by JSON path: each release's fields, then releases sharing an id.
    ``today`` is the as-of day in ``zone``, the organisation's (COMMISSIONING_TIMEZONE)."""
    problems = [p for r in found for p in check_release(r.release, r.path, today=today, zone=zone)]
    return problems + duplicate_releases((r.path, r.release) for r in found)


def repeated_across_files(name: str, found: list[Located], seen: dict[tuple[str, str], tuple[str, Any]]) -> list[str]:
    """Each release whose (ocid, id) an earlier file of the folder gave with other contents, naming both files.

    Within one file a repeat is refused by ``duplicate_releases``; across files the first used to win silently.
    An identical copy in two files (overlapping downloads) is one release, and is taken."""
    problems = []
    for located in found:
        release = located.release
        if not isinstance(release, dict) or not isinstance(release.get("ocid"), str):
            continue
        rid = release.get("id")
        if not isinstance(rid, str):
            continue
        where, content = seen.setdefault((release["ocid"], rid), (f"{name}: {located.path}", release))
        if not where.startswith(f"{name}: ") and content != release:
            problems.append(f'{located.path}.id: "{rid}" is also the id of {where}, with different contents')
    return problems
