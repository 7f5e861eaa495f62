"""Exporting OCDS: the projects and contracts the product knows, as a release package (or, compiled, a record
package), every release validated against the profile's schema before the file is written.

Rule: the file is written release by release to a temporary file beside the target, so memory stays bounded
at any size of portfolio; each release is validated as it is made; the first invalid release stops the
export with its JSON path, and the temporary file goes: nothing half-written. The target is replaced only
when every release is valid. A contract release is dated when the contract last changed (its latest event
in the audit log); a tender release when the project last did.

Worked example: ``export --contract HF-2026-01 -o hf.json`` writes a package of two releases, the project's
tender and the contract's award and contract, both valid against OCDS 1.1.5.
"""

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from sqlmodel import Session

from flows.common.errors import UserError
from flows.common.files import replacing
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.ocds.facts import contract_chunks, latest_event, project_facts, projects
from flows.ocds.importing import merger
from flows.ocds.jsontext import dumps
from flows.ocds.schemas import Profile
from flows.ocds.validation import validate_document, validate_release
from models.contracts import get_contract
from models.cycle import Project
from models.db import unit_of_work
from policies.dates import local_date
from policies.ocds.publishing import contract_release, stamp, tender_release

UK_EXTENSIONS = [
    "https://raw.githubusercontent.com/open-contracting-extensions/european-union/master/extension.json",
    "https://raw.githubusercontent.com/cabinetoffice/ocds_uk_extension/main/extension.json",
]
DEFAULT_PREFIX = "ocds-commissioning"


@dataclass
class ExportResult:
    processes: int = 0
    releases: int = 0
    contracts: int = 0
    records: int = 0
    kpis: int = 0  # UK profile: agreed metrics, readings (observations) and notices (documents) written
    readings: int = 0
    notices: int = 0
    validation_seconds: float = 0.0


def export_ocds(
    settings: Settings,
    output: Path,
    *,
    contract: str | None = None,
    project: str | None = None,
    profile: Profile = Profile.CORE,
    compiled: bool = False,
    include_contacts: bool = False,
    as_of: dt.datetime,
    ocid_prefix: str = DEFAULT_PREFIX,
    publisher: str = "commissioning",
) -> ExportResult:
    """Write the chosen contracts (one, a project's, or all) as OCDS; return what was written."""
    result = ExportResult()
    today = local_date(as_of, settings.timezone)
    with unit_of_work(database(settings)) as session:
        chosen, only = _chosen(session, contract, project)
        header = {
            "uri": output.resolve().as_uri(),
            "version": "1.1",
            "publishedDate": stamp(as_of),
            "publisher": {"name": publisher},
            "license": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
            "publicationPolicy": "https://www.gov.uk/government/publications/open-contracting",
        }
        if profile is Profile.UK:
            header["extensions"] = UK_EXTENSIONS
        _check_header(header, profile, compiled)
        with replacing(output) as temporary, temporary.open("w", encoding="utf-8") as out:
            out.write(dumps(header)[:-1] + (',"records":[' if compiled else ',"releases":['))
            first = True
            pending: list[dict[str, Any]] = []
            for group in _processes(session, chosen, only, today, ocid_prefix, profile, include_contacts, result):
                if compiled:  # a record holds every release of its process
                    if pending and pending[0]["ocid"] != group[0]["ocid"]:
                        first = _write_record(out, pending, first, profile, result)
                        pending = []
                    pending += group
                else:
                    for release in group:
                        _check(release, profile, f"$.releases[{result.releases}]", result)
                        out.write(("" if first else ",") + dumps(release))
                        first = False
                        result.releases += 1
            if pending:
                first = _write_record(out, pending, first, profile, result)
            if first:
                raise UserError("nothing to export: no project or contract matched")
            out.write("]}\n")
    return result


def _chosen(session: Session, contract: str | None, project: str | None) -> tuple[list[Project], str | None]:
    if contract is not None:
        found = get_contract(session=session, ref=contract.strip().upper())
        if found is None:
            raise UserError(f"no contract with reference {contract!r}")
        owner = session.get(Project, found.project_id)
        assert owner is not None
        return [owner], found.ref
    if project is not None:
        chosen = projects(session, [project.strip().upper()])
        if not chosen:
            raise UserError(f"no project with reference {project!r}")
        return chosen, None
    return projects(session, None), None


def _processes(
    session: Session,
    chosen: list[Project],
    only: str | None,
    today: dt.date,
    prefix: str,
    profile: Profile,
    contacts: bool,
    result: ExportResult,
) -> Iterator[list[dict[str, Any]]]:
    """Each process's releases (tender first); a big process comes in several groups, a chunk at a time."""
    dated = latest_event(session, "project", [p.ref for p in chosen])
    for project in chosen:
        facts, found_contacts = project_facts(session, project, prefix)
        result.processes += 1
        group = [tender_release(facts, dated.get(project.ref, project.created_at))]
        chosen_contacts = found_contacts if contacts else {}
        uk = profile is Profile.UK
        for chunk in contract_chunks(session, project.id or 0, today, chosen_contacts, performance=uk):
            for contract, changed in chunk:
                if only is not None and contract.ref != only:
                    continue
                when = changed or project.created_at
                group.append(contract_release(facts, contract, when, uk=uk, contacts=contacts))
                result.contracts += 1
                if uk:
                    result.kpis += len(contract.kpis)
                    result.readings += sum(len(k.readings) for k in contract.kpis)
                    result.notices += len(contract.notices)
            if len(group) >= 1000:
                yield group
                group = []
        if group:
            yield group


def _check(document: dict[str, Any], profile: Profile, where: str, result: ExportResult) -> None:
    started = time.perf_counter()
    problems = validate_release(document, profile, where)
    result.validation_seconds += time.perf_counter() - started
    if problems:
        listed = "; ".join(str(p) for p in problems[:10])
        raise UserError(
            f"the export does not validate against the {profile.value} profile, so nothing was written: {listed}"
        )


def _check_header(header: dict[str, Any], profile: Profile, compiled: bool) -> None:
    """The package's own fields, checked with an empty list of releases or records (each is checked as written)."""
    kind = "records" if compiled else "releases"
    problems = [p for p in validate_document({**header, kind: []}, profile) if not p.path.startswith(f"$.{kind}")]
    problems = [p for p in problems if "should be non-empty" not in p.message and "is too short" not in p.message]
    if problems:
        raise UserError("the package header does not validate: " + "; ".join(str(p) for p in problems))


def _write_record(
    out: TextIO, releases: list[dict[str, Any]], first: bool, profile: Profile, result: ExportResult
) -> bool:
    """A record per process: its releases and the compiled release."""
    where = f"$.records[{result.records}]"
    for i, release in enumerate(releases):
        _check(release, profile, f"{where}.releases[{i}]", result)
    compiled = merger().create_compiled_release(releases)
    _check(compiled, profile, f"{where}.compiledRelease", result)
    record = {"ocid": releases[0]["ocid"], "releases": releases, "compiledRelease": compiled}
    out.write(("" if first else ",") + dumps(record))
    result.releases += len(releases)
    result.records += 1
    return False
