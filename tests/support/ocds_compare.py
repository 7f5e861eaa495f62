"""Comparing compiled releases: a release's own id and date say when it was published, not what it says; and
the order of merged arrays (awards, contracts, parties) follows publication, so objects with ids are compared
in id order."""

from typing import Any


def normalised(value: Any, top: bool = True) -> Any:
    if isinstance(value, dict):
        return {k: normalised(v, False) for k, v in value.items() if not (top and k in ("id", "date"))}
    if isinstance(value, list):
        items = [normalised(v, False) for v in value]
        if all(isinstance(v, dict) and "id" in v for v in items):
            return sorted(items, key=lambda v: str(v["id"]))
        return items
    return value


def compiled_by_ocid(package: dict[str, Any]) -> dict[str, Any]:
    return {r["ocid"]: normalised(r["compiledRelease"]) for r in package["records"]}
