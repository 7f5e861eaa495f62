"""The OCDS schemas the product ships (flows/ocds/schema/, each folder with its LICENSE), and validators on them.

Profiles:

- ``core``: the OCDS 1.1.5 release-package (or record-package) schema;
- ``uk``: the EU-profile release schema with the Cabinet Office's UK extension applied to it as a JSON Merge
  Patch (RFC 7386), which is how OCDS extensions are defined, inside the EU profile's release-package schema.

Every ``$ref`` names a schema by its ``id`` URL; each shipped file is registered under that URL in a
``referencing.Registry``, so nothing is ever fetched. The schemas are read once per process.
"""

import copy
import datetime as dt
import json
import re
from collections.abc import Callable
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from policies.ocds.merge_patch import merge_patch

SCHEMA_DIR = Path(__file__).with_name("schema")


class Profile(StrEnum):
    CORE = "core"
    UK = "uk"


def _load(relative: str) -> dict[str, Any]:
    with (SCHEMA_DIR / relative).open(encoding="utf-8") as f:
        loaded: dict[str, Any] = json.load(f)
    return loaded


@cache
def release_schema(profile: Profile) -> dict[str, Any]:
    """The release schema of a profile (for the UK: the EU profile with the UK extension merged in)."""
    if profile is Profile.CORE:
        return _load("core/release-schema.json")
    return merge_patch(_load("eu/release-schema.json"), _load("uk/release-schema.json"))  # type: ignore[no-any-return]


@cache
def _registry(profile: Profile) -> Registry:
    schemas = [_load("core/release-schema.json"), _load("core/versioned-release-validation-schema.json")]
    if profile is Profile.UK:
        schemas.append(release_schema(Profile.UK))
    resources = [(s["id"], Resource.from_contents(s, default_specification=DRAFT4)) for s in schemas]
    return Registry().with_resources(resources)


_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", re.ASCII)


def _is_date_time(value: object) -> bool:
    """RFC 3339 date-time (jsonschema checks this only with an optional package, so it is checked here)."""
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    try:
        dt.datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    except ValueError:
        return False
    return True


_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*$")


def _is_uri(value: object) -> bool:
    """An absolute URI: a scheme, a colon, and no white space (the two validators check the same)."""
    return not isinstance(value, str) or bool(_URI.match(value))


def _is_anything(value: object) -> bool:
    return True


# The formats both validators check: date-time and uri; email is left unchecked by both (as jsonschema leaves it).
FORMATS: dict[str, Callable[[object], bool]] = {"date-time": _is_date_time, "uri": _is_uri, "email": _is_anything}
_format_checker = FormatChecker(formats=())
for _name, _check in FORMATS.items():
    _format_checker.checks(_name)(_check)


@cache
def package_validator(profile: Profile, kind: str) -> Draft4Validator:
    """A validator of a whole ``release`` or ``record`` package of the profile."""
    if kind == "record":
        schema = _load("core/record-package-schema.json")
        if profile is Profile.UK:
            uk_id = release_schema(Profile.UK)["id"]
            schema = json.loads(json.dumps(schema).replace(release_schema(Profile.CORE)["id"], uk_id))
    else:
        schema = _load(
            "core/release-package-schema.json" if profile is Profile.CORE else "eu/release-package-schema.json"
        )
    return Draft4Validator(schema, registry=_registry(profile), format_checker=_format_checker)


@cache
def fast_release_check(profile: Profile) -> Callable[[Any], Any]:
    """The release schema compiled to Python by fastjsonschema: about twenty times faster than ``jsonschema``, so
    an export of 100,000 contracts is checked in seconds. It says only whether a release is valid (raising at the
    first error); ``release_validator`` then names every error. Defaults are never written into the data."""
    schema = copy.deepcopy(release_schema(profile))  # the compiler may annotate what it is given
    return fastjsonschema.compile(schema, formats=FORMATS, use_default=False)


@cache
def release_validator(profile: Profile) -> Draft4Validator:
    """A validator of one release of the profile (an export checks its releases one at a time)."""
    return Draft4Validator(release_schema(profile), registry=_registry(profile), format_checker=_format_checker)
