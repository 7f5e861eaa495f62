"""The approval policy in force: the shipped controls.toml, overridden key by key by the user's file.

COMMISSIONING_CONTROLS_POLICY names the user's file (default: <data dir>/controls.toml if present).
"""

import os
import tomllib
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from flows.common.errors import UserError
from flows.common.settings import Settings
from policies.controls.approvals import ControlsPolicy, build_controls_policy

SHIPPED = "shipped controls.toml"


def controls_policy(settings: Settings) -> ControlsPolicy:
    """The shipped approval policy, overridden by the user's file, if any."""
    given = os.environ.get("COMMISSIONING_CONTROLS_POLICY")
    default = settings.data_dir / "controls.toml"
    path = Path(given).expanduser() if given else (default if default.is_file() else None)
    return _policy(path)


@lru_cache(maxsize=4)
def _policy(path: Path | None) -> ControlsPolicy:
    documents = [(SHIPPED, tomllib.loads(files("policies").joinpath("controls.toml").read_text(encoding="utf-8")))]
    if path is not None:
        try:
            documents.append((str(path), tomllib.loads(path.read_text(encoding="utf-8"))))
        except FileNotFoundError:
            raise UserError(f"approval policy file {path} does not exist (COMMISSIONING_CONTROLS_POLICY)") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise UserError(f"approval policy file {path} cannot be read: {exc}") from None
    policy, problems = build_controls_policy(documents)
    if policy is None:
        raise UserError("the approval policy is not valid: " + "; ".join(problems))
    return policy
