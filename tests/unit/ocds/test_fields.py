"""Which fields of a release the import maps, and which the release schema does not define (policies.ocds.fields)."""

from typing import Any

import pytest

from policies.ocds.fields import field_paths, is_mapped, outside_schema, schema_fields

# One supplier as Contracts Finder publishes it (release ocds-b5fd17raw-0054a4e6-..., the BFI's Cannes stand),
# cut to the fields that show the rule: nulls, an empty list, a false flag and an empty string.
CONTRACTS_FINDER_SUPPLIER = {
    "id": "1",
    "roles": ["supplier", "tenderer"],
    "identifier": {"scheme": "", "legalName": None},
    "sme": False,
    "name": "PETER DISPLAYS LTD T/A LIMELIGHT",
    "address": {"postalCode": "", "region": None},
    "x_awardValue": {"currency": "GBP", "amount": None},
    "additionalIdentifiers": [],
}

# The shapes of the OCDS 1.1.5 release schema that matter here, written small: parties are Organizations by
# reference, an Organization's `details` is an object open to any field, a tender's items carry a
# classification, and `extensions`-like objects may be closed with additionalProperties false.
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "ocid": {"type": "string"},
        "parties": {"type": "array", "items": {"$ref": "#/definitions/Organization"}},
        "tender": {
            "type": "object",
            "properties": {"items": {"type": "array", "items": {"$ref": "#/definitions/Item"}}},
        },
        "closed": {"type": "object", "additionalProperties": False},
    },
    "definitions": {
        "Organization": {
            "type": "object",
            "properties": {
                "name": {"type": ["string", "null"]},
                "roles": {"type": "array", "items": {"type": "string"}},
                "details": {"type": ["object", "null"]},
            },
        },
        "Item": {"type": "object", "properties": {"classification": {"$ref": "#/definitions/Classification"}}},
        "Classification": {"type": "object", "properties": {"id": {"type": "string"}}},
    },
}


def test_a_field_is_present_when_it_has_a_value_and_a_list_position_is_left_out() -> None:
    # "sme": false and "postalCode": "" are values; "legalName", "region" and the award's amount are null,
    # and "additionalIdentifiers" is an empty list: those four carry nothing, so they are not fields present.
    assert field_paths({"parties": [CONTRACTS_FINDER_SUPPLIER]}) == {
        "parties[].id",
        "parties[].roles[]",
        "parties[].identifier.scheme",
        "parties[].sme",
        "parties[].name",
        "parties[].address.postalCode",
        "parties[].x_awardValue.currency",
    }
    assert field_paths({"ocid": None, "tag": []}) == set()


def test_field_paths_start_below_a_prefix_when_given_one() -> None:
    assert field_paths({"amount": 14393173, "currency": "GBP"}, "awards[].value") == {
        "awards[].value.amount",
        "awards[].value.currency",
    }


@pytest.mark.parametrize(
    ("path", "mapped"),
    [
        ("ocid", True),  # a top-level field the import reads
        ("buyer.name", True),  # below `buyer`, which is read as a whole
        ("awards[].value.amount", True),  # below `awards[].value`: `awards` alone is not read
        ("awards[].suppliers[].name", True),
        ("parties[].sme", False),  # Contracts Finder's SME flag: kept, not read
        ("tender.items[].classification.id", False),
        ("awards[].documents[].url", False),  # `awards[]` itself is not mapped, only some of its fields
    ],
)
def test_a_field_is_mapped_when_it_or_an_object_above_it_is_read(path: str, mapped: bool) -> None:
    assert is_mapped(path) is mapped


def test_the_schema_fields_follow_references_into_definitions_and_lists() -> None:
    known, open_ = schema_fields(SCHEMA)
    assert known == {
        "ocid",
        "parties",
        "parties[].name",
        "parties[].roles",
        "parties[].details",
        "tender",
        "tender.items",
        "tender.items[].classification",
        "tender.items[].classification.id",
        "closed",
    }
    # `details` is an object with no properties, so any field may go in it; `closed` forbids any; the
    # release itself (no path) is never counted, and a string such as `ocid` is no object.
    assert open_ == {"parties[].details"}


def test_an_object_is_open_unless_additional_properties_is_false() -> None:
    schema = {
        "properties": {"contactPoint": {"type": "object"}, "budget": {"type": "object", "additionalProperties": True}}
    }
    assert schema_fields(schema) == ({"contactPoint", "budget"}, {"contactPoint", "budget"})
    assert schema_fields({"type": "object"}) == (frozenset(), frozenset())


@pytest.mark.parametrize(
    ("path", "outside"),
    [
        ("parties[].sme", True),  # Contracts Finder's own field: the schema has no `sme`
        ("vco", True),
        ("parties[].name", False),
        ("parties[].roles[]", False),  # a list of values is known by the list's name
        ("tender.items[].classification.id", False),  # unmapped (see above) but in the schema
        ("parties[].details.level", False),  # inside an object left open to any field
        ("parties[].details.scale.band", False),  # deeper inside it too
        ("closed.anything", True),  # the object is closed
    ],
)
def test_outside_the_schema_is_a_field_neither_defined_nor_below_an_open_object(path: str, outside: bool) -> None:
    assert outside_schema(path, *schema_fields(SCHEMA)) is outside


def test_an_open_object_at_the_top_lets_any_field_below_it_through() -> None:
    known, open_ = schema_fields({"properties": {"extra": {"type": "object"}}})
    assert outside_schema("extra.note", known, open_) is False
    assert outside_schema("note", known, open_) is True


def _chain(links: int) -> dict[str, Any]:
    """`buyer` reaching an Organization through ``links`` references (R1 -> R2 -> ... -> the last)."""
    definitions: dict[str, Any] = {f"R{k}": {"$ref": f"#/definitions/R{k + 1}"} for k in range(1, links)}
    definitions[f"R{links}"] = {"type": "object", "properties": {"name": {"type": "string"}}}
    return {"properties": {"buyer": {"$ref": "#/definitions/R1"}}, "definitions": definitions}


def test_a_chain_of_twenty_references_is_followed_and_a_longer_one_is_not() -> None:
    assert schema_fields(_chain(20))[0] == {"buyer", "buyer.name"}
    # 21 references: the walk stops at the 20th, a bare reference, which defines nothing and is no object.
    assert schema_fields(_chain(21)) == ({"buyer"}, frozenset())


def test_a_recursive_definition_is_left_open_past_depth_twelve() -> None:
    # A Part holds parts, each one of [a Part]: a property, its list's items and the oneOf option are one
    # level each, so the Parts sit at depths 0, 3, 6, 9 and 12, and the `parts` property of the Part at 12
    # is at depth 13, past the limit: it is left open instead of walked for ever.
    part = {
        "type": "object",
        "properties": {"parts": {"type": "array", "items": {"oneOf": [{"$ref": "#/definitions/Part"}]}}},
    }
    known, open_ = schema_fields({"$ref": "#/definitions/Part", "definitions": {"Part": part}})
    paths = ["[].".join(["parts"] * n) for n in range(1, 6)]  # parts, parts[].parts, ... five deep
    assert known == set(paths)
    assert open_ == {paths[-1]}
