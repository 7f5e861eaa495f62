"""JSON Merge Patch (RFC 7386): how an OCDS extension changes the schema it extends.

Rule: an object in the patch is merged key by key into the target; a ``null``
in the patch removes the key; anything else (a string, a number, a list)
replaces the target's value whole.

Worked example: patching ``{"a": {"b": 1, "c": 2}, "d": [1]}`` with
``{"a": {"c": null, "e": 3}, "d": [2]}`` gives ``{"a": {"b": 1, "e": 3}, "d": [2]}``.
"""

from typing import Any


def merge_patch(target: Any, patch: Any) -> Any:
    """``target`` with ``patch`` applied; neither is changed."""
    if not isinstance(patch, dict):
        return patch
    merged: dict[str, Any] = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged
