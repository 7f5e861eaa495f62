"""The report of an OCDS import: what was added, varied, left unchanged, refused, skipped and not mapped."""

from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from flows.ocds.schemas import Profile, release_schema
from policies.ocds.fields import field_paths, is_mapped, schema_fields


@dataclass
class ImportReport:
    files: int = 0
    releases: int = 0
    projects_added: list[str] = field(default_factory=list)
    contracts_added: list[str] = field(default_factory=list)
    varied: list[str] = field(default_factory=list)  # "CONTRACT-REF: notice RELEASE-ID"
    unchanged: list[str] = field(default_factory=list)  # ocids with nothing new
    refused_files: dict[str, list[str]] = field(default_factory=dict)  # file -> its problems
    refused_processes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # awards that became no contract, and why
    not_read: list[str] = field(default_factory=list)  # published KPIs or readings not read, and why
    unmapped: Counter[str] = field(default_factory=Counter)  # field path -> how many processes carry it
    outside_schema: set[str] = field(default_factory=set)

    def as_data(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "releases": self.releases,
            "projects_added": self.projects_added,
            "contracts_added": self.contracts_added,
            "varied": self.varied,
            "unchanged": self.unchanged,
            "refused_files": self.refused_files,
            "refused_processes": self.refused_processes,
            "skipped": self.skipped,
            "performance_not_read": self.not_read,
            "unmapped_fields": [
                {"field": f, "processes": n, "outside_schema": f in self.outside_schema}
                for f, n in sorted(self.unmapped.items())
            ],
        }


@cache
def schema_field_sets() -> tuple[frozenset[str], frozenset[str]]:
    return schema_fields(release_schema(Profile.UK))


def unmapped_fields(compiled: dict[str, Any]) -> list[str]:
    """The fields of a compiled release the import does not map, each once, in order."""
    return sorted(p for p in field_paths(compiled) if not is_mapped(p))
