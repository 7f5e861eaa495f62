"""Importing OCDS: each process (ocid) a commissioning project, each award or contract a contract.

Rule: every file is read and every release checked first (``policies/ocds/releases.py``). A file with any
problem refuses its own processes (every ocid it names), named by file and JSON path; with ``strict`` any
problem refuses the whole import. The releases of each process left are merged by ``ocdsmerge`` into a
compiled release, using the shipped schema (nothing is downloaded), and stored in one transaction
(``flows/ocds/storing.py``): all of it, or nothing. A process already imported is unchanged when it brings
no release id not seen before; a newer release merges into its stored compiled release and varies its
contracts, the notice named as the reason.

Worked example: the 30 Contracts Finder packages give 30 projects in Review and 30 contracts; importing
them again reports 30 processes unchanged and writes nothing.
"""

import copy
import datetime as dt
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jsonref
from ocdsmerge import Merger
from ocdsmerge.rules import get_merge_rules

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.ocds.report import ImportReport, schema_field_sets
from flows.ocds.schemas import Profile, release_schema
from flows.ocds.sources import FileProblems, Located, files_of, release_problems, releases_in, repeated_across_files
from flows.ocds.storing import Store
from models.db import unit_of_work
from policies.dates import DEFAULT_ZONE, local_date
from policies.ocds.fields import outside_schema

SHOWN_PROBLEMS = 100


@cache
def merger() -> Merger:
    """ocdsmerge's merger on the shipped 1.1.5 release schema: its rules are read once, and its references are
    resolved by a loader that knows only the shipped schema, so nothing can be fetched."""
    schema = copy.deepcopy(release_schema(Profile.CORE))
    local = {schema["id"]: schema}

    def loader(uri: str) -> Any:
        if uri.split("#")[0] not in local:
            raise UserError(f"the OCDS schema refers to {uri}, which is not shipped; nothing is fetched")
        return local[uri.split("#")[0]]

    resolved = jsonref.replace_refs(schema, base_uri=schema["id"], loader=loader, lazy_load=False)
    return Merger(merge_rules=get_merge_rules(resolved))


def read_sources(
    target: Path,
    *,
    today: dt.date,
    strict: bool,
    progress: Callable[[int, int], None] | None = None,
    zone: str = DEFAULT_ZONE,
) -> tuple[dict[str, list[Located]], ImportReport]:
    """The releases of every good process, by ocid; the report so far (files
    read, files refused). ``today`` is the as-of day, after which nothing done may be dated."""
    report = ImportReport()
    paths = files_of(target)
    report.files = len(paths)
    by_ocid: dict[str, list[Located]] = {}
    refused: set[str] = set()
    seen: dict[tuple[str, str], tuple[str, Any]] = {}  # each release (ocid, id): where it was first read, and it
    for done, path in enumerate(paths, start=1):
        problems = FileProblems(str(path))
        found = list(releases_in(path, problems))
        report.releases += len(found)
        problems.problems += [str(p) for p in release_problems(found, today, zone)]
        problems.problems += repeated_across_files(str(path), found, seen)
        ocids = {
            r.release["ocid"] for r in found if isinstance(r.release, dict) and isinstance(r.release.get("ocid"), str)
        }
        if problems.problems:
            report.refused_files[str(path)] = problems.problems
            refused |= ocids
        else:
            for located in found:
                by_ocid.setdefault(located.release["ocid"], []).append(located)
        if progress is not None:
            progress(done, len(paths))
    if report.refused_files and strict:
        raise rejection(report, "nothing imported (--strict)")
    for ocid in sorted(refused):
        by_ocid.pop(ocid, None)
        report.refused_processes.append(ocid)
    return by_ocid, report


def rejection(report: ImportReport, heading: str) -> UserError:
    lines = [heading + ":"]
    shown = 0
    total = sum(len(p) for p in report.refused_files.values())
    for file, problems in report.refused_files.items():
        for problem in problems:
            if shown < SHOWN_PROBLEMS:
                lines.append(f"  {file}: {problem}")
                shown += 1
    if total > shown:
        lines.append(f"  ... and {total - shown:,} more")
    return UserError("\n".join(lines))


def import_ocds(
    settings: Settings,
    target: Path,
    *,
    as_of: dt.datetime,
    actor: str,
    strict: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import the OCDS file or directory ``target``; return the report of what was done, refused and not mapped."""
    today = local_date(as_of, settings.timezone)
    by_ocid, report = read_sources(target, today=today, strict=strict, progress=progress, zone=settings.timezone)
    known, open_ = schema_field_sets()
    with unit_of_work(database(settings)) as session:
        store = Store(session, report, as_of=as_of, actor=actor, today=today)
        for ocids in _batches(sorted(by_ocid), 2000):
            store.load(ocids)
            for ocid in ocids:
                unmapped = store.process(ocid, by_ocid[ocid], merger())
                for path in unmapped or []:
                    report.unmapped[path] += 1
                    if outside_schema(path, known, open_):
                        report.outside_schema.add(path)
            store.flush()
    return report


def _batches(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
