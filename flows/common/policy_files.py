"""A policy in force: the shipped TOML file, overridden key by key by the user's own file, if one is named.

The reminder, performance and sampling policies are read this way (flows/reminders/policy.py,
flows/performance/policy.py, flows/pbr/sampling_policy.py); each names its shipped file, the setting that names
the user's file, and the policy module's builder (and, where its problems are its own type, its TOML
reader). A problem in either file stops the command with every problem named.
"""

from collections.abc import Callable, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

from flows.common.errors import UserError
from policies.performance.policy_file import parse_policy_text

P = TypeVar("P")
Build = Callable[[Sequence[tuple[str, dict[str, Any]]]], tuple[P | None, list[Any]]]
Parse = Callable[[str, str], tuple[dict[str, Any] | None, list[Any]]]


def policy_in_force(
    shipped: str, what: str, variable: str, path: Path | None, build: Build[P], parse: Parse = parse_policy_text
) -> P:
    """The policy from ``policies/<shipped>`` and the user's file at ``path`` (named by ``variable``)."""
    name = f"shipped {shipped}"
    doc, problems = parse(files("policies").joinpath(shipped).read_text(encoding="utf-8"), name)
    documents = [(name, doc)] if doc is not None else []
    if path is not None:
        try:
            user_text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UserError(f"{what} policy file {path} does not exist ({variable})") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{what} policy file {path} cannot be read: {exc}") from None
        user_doc, more = parse(user_text, str(path))
        problems += more
        if user_doc is not None:
            documents.append((str(path), user_doc))
    policy, more = build(documents) if not problems else (None, [])
    problems += more
    if policy is None:
        raise UserError(f"the {what} policy is not valid: " + "; ".join(str(p) for p in problems))
    return policy
