"""Which fields of a release the product maps, and which it keeps only as they came.

Rule: a field is named by its path with list positions left out
(``awards[].suppliers[].name``). A field is *mapped* when the import reads it
into a project or contract (``MAPPED``, or below a mapped object such as
``awards[].value``); every other field present is *unmapped*: kept in the
stored compiled release as it came and listed in the import report, marked
*outside the schema* when the release schema does not define it (Contracts
Finder's ``parties[].sme``, ``vco`` and ``x_awardValue``).

Worked example: a Contracts Finder release lists ``parties[].sme`` as unmapped
and outside the schema, and ``tender.items[].classification.id`` as unmapped
but in the schema.
"""

from collections.abc import Mapping
from functools import cache
from itertools import accumulate
from typing import Any

MAPPED = frozenset(
    {
        "ocid",
        "id",
        "date",
        "tag",
        "tender.id",
        "tender.title",
        "tender.description",
        "tender.contractPeriod",
        "buyer",
        "parties[].id",
        "parties[].name",
        "parties[].roles",
        "awards[].id",
        "awards[].title",
        "awards[].status",
        "awards[].date",
        "awards[].value",
        "awards[].suppliers",
        "awards[].contractPeriod",
        "contracts[].id",
        "contracts[].awardID",
        "contracts[].title",
        "contracts[].status",
        "contracts[].value",
        "contracts[].period",
        "contracts[].dateSigned",
        "contracts[].agreedMetrics",
        "contracts[].implementation.metrics",
    }
)


def field_paths(value: Any, prefix: str = "") -> set[str]:
    """The path of every field present with a value (not null, nor an empty list), list positions left out."""
    found: set[str] = set()
    stack = [(value, prefix)]
    while stack:  # bounded: each step takes one node of a finite document off the stack
        node, path = stack.pop()
        if isinstance(node, dict):
            stack.extend((item, f"{path}.{key}" if path else str(key)) for key, item in node.items())
        elif isinstance(node, list):
            stack.extend((item, f"{path}[]") for item in node)
        elif node is not None:
            found.add(path)
    return found


@cache
def is_mapped(path: str) -> bool:
    """Whether ``path`` is read by the import: it, or an object above it, is in MAPPED."""
    return any(above.removesuffix("[]") in MAPPED for above in _prefixes(path))


def _prefixes(path: str) -> list[str]:
    """``path`` and every object above it, outermost first: ``a[].b.c`` gives ``a[]``, ``a[].b``, ``a[].b.c``."""
    return list(accumulate(path.split("."), lambda above, key: f"{above}.{key}"))


def schema_fields(schema: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    """(every field path the release schema defines, the paths of objects it leaves open to any field)."""
    definitions = schema.get("definitions", {})
    known: set[str] = set()
    open_: set[str] = set()

    def resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
        seen = 0
        while "$ref" in node and seen < 20:  # bounded: a reference chain is short
            name = str(node["$ref"]).rpartition("/")[2]
            node = definitions.get(name, {})
            seen += 1
        return node

    def walk(node: Mapping[str, Any], prefix: str, depth: int) -> None:
        node = resolve(node)
        if depth > 12:  # the release schema nests far less deeply; a recursive definition stops here
            open_.add(prefix)
            return
        if "items" in node and isinstance(node["items"], Mapping):
            walk(node["items"], f"{prefix}[]", depth + 1)
            return
        properties = node.get("properties")
        if isinstance(properties, Mapping):
            for key, sub in properties.items():
                path = f"{prefix}.{key}" if prefix else key
                known.add(path)
                walk(sub, path, depth + 1)
        elif prefix and "object" in _types(node) and node.get("additionalProperties", True) is not False:
            open_.add(prefix)
        for combined in ("oneOf", "anyOf", "allOf"):
            for option in node.get(combined, []):
                walk(option, prefix, depth + 1)

    walk(schema, "", 0)
    return frozenset(known), frozenset(open_)


def _types(node: Mapping[str, Any]) -> list[str]:
    kind = node.get("type", [])
    return [kind] if isinstance(kind, str) else list(kind)


@cache
def outside_schema(path: str, known: frozenset[str], open_: frozenset[str]) -> bool:
    """Whether the release schema does not define ``path`` (nor leave an object above it open)."""
    # A schema path never ends in "[]" (it names a property), so a list of values is known by its own name.
    if path.rstrip("[]") in known:
        return False
    return not any(above.rstrip("[]") in open_ for above in _prefixes(path)[:-1])
