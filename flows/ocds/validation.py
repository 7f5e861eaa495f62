"""Checking an OCDS document against a profile's schema: every error, each with its JSON path.

A path is written as JSONPath from the document's root: ``$.releases[0].awards[0].date``.
"""

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import fastjsonschema
from jsonschema import ValidationError

from flows.common.errors import UserError
from flows.common.files import check_input_file
from flows.ocds.schemas import Profile, fast_release_check, package_validator, release_validator
from flows.ocds.sources import FileProblems, files_of, release_problems, releases_in, repeated_across_files
from policies.dates import DEFAULT_ZONE

SHOWN = 50  # errors listed by the command; the rest are counted


@dataclass(frozen=True)
class SchemaProblem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def json_path(parts: Iterable[str | int], root: str = "$") -> str:
    """``$.releases[0].awards`` from ("releases", 0, "awards")."""
    out = root
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def _problems(errors: Iterator[ValidationError], root: str) -> list[SchemaProblem]:
    found = []
    for error in errors:
        message = error.message
        if len(message) > 300:
            message = message[:300] + "..."
        found.append(SchemaProblem(json_path(error.absolute_path, root), message))
    return sorted(found, key=lambda p: p.path)


def package_kind(document: Any) -> str | None:
    """``release`` or ``record`` (a package), ``single`` (one bare release), or None (not OCDS)."""
    if not isinstance(document, dict):
        return None
    if "releases" in document:
        return "release"
    if "records" in document:
        return "record"
    if "ocid" in document:
        return "single"
    return None


def validate_document(document: Any, profile: Profile, root: str = "$") -> list[SchemaProblem]:
    """Every schema error of a release package, a record package or a single release."""
    kind = package_kind(document)
    if kind is None:
        return [SchemaProblem(root, "is neither a release package, a record package nor a release")]
    validator = release_validator(profile) if kind == "single" else package_validator(profile, kind)
    return _problems(validator.iter_errors(document), root)


def validate_release(release: Any, profile: Profile, root: str) -> list[SchemaProblem]:
    """Every schema error of one release, its paths under ``root`` (e.g. ``$.releases[3]``): a fast compiled
    check first, and only for an invalid release the full one that names every error."""
    try:
        fast_release_check(profile)(release)
        return []
    except fastjsonschema.JsonSchemaValueException as exc:
        parts = [int(p) if str(p).isdigit() else str(p) for p in (exc.path or [])[1:]]
        first = SchemaProblem(json_path(parts, root), exc.message)
    return _problems(release_validator(profile).iter_errors(release), root) or [first]


def load_json(path: Path) -> Any:
    """A JSON file, numbers with a fraction read as Decimal; a file that is not JSON is a UserError naming it."""
    try:
        with path.open("rb") as f:
            return json.load(f, parse_float=Decimal)
    except OSError as exc:
        raise UserError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: is not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def validate_file(path: Path, profile: Profile) -> list[SchemaProblem]:
    """Every schema error of a file: one JSON document, or JSON Lines (one package or release a line)."""
    check_input_file(path)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return list(_validate_lines(path, profile))
    return validate_document(load_json(path), profile)


def check_file(path: Path, profile: Profile, *, today: dt.date, zone: str = DEFAULT_ZONE) -> list[SchemaProblem]:
    """Every schema error of a file, then every problem the import would refuse it for (amounts, dates after
    ``today``, releases sharing an id): so that a file ``ocds validate`` calls valid is one ``ocds import``
    takes."""
    problems = validate_file(path, profile)
    found = list(releases_in(path, FileProblems(str(path))))  # a file that is not JSON is named by the schema check
    return problems + [SchemaProblem(p.field, p.reason) for p in release_problems(found, today, zone)]


def check_target(
    target: Path, profile: Profile, *, today: dt.date, zone: str = DEFAULT_ZONE
) -> list[tuple[Path, SchemaProblem]]:
    """``check_file`` for a file, or for each file of a folder as ``ocds import`` reads it (a release id whose
    other contents an earlier file gave is named too): each problem with its file."""
    out: list[tuple[Path, SchemaProblem]] = []
    seen: dict[tuple[str, str], tuple[str, Any]] = {}
    for path in files_of(target):
        out += [(path, p) for p in check_file(path, profile, today=today, zone=zone)]
        found = list(releases_in(path, FileProblems(str(path))))
        out += [(path, SchemaProblem(*p.split(": ", 1))) for p in repeated_across_files(str(path), found, seen)]
    return out


def _validate_lines(path: Path, profile: Profile) -> Iterator[SchemaProblem]:
    try:
        f = path.open("rb")
    except OSError as exc:
        raise UserError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    with f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                document = json.loads(line, parse_float=Decimal)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                yield SchemaProblem(f"line {number}", f"is not JSON: {exc}")
                continue
            yield from validate_document(document, profile, root=f"line {number}: $")
