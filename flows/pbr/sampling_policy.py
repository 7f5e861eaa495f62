"""The sampling policy in force: the shipped sampling.toml, overridden key by key by the user's file."""

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from flows.common.errors import UserError
from flows.common.settings import Settings
from policies.pbr.sampling import SamplingPolicy
from policies.pbr.sampling_policy import build_sampling_policy
from policies.performance.policy_file import parse_policy_text

DEFAULT_POLICY_NAME = "shipped sampling.toml"


def sampling_policy(settings: Settings) -> SamplingPolicy:
    """The shipped sampling policy, overridden key by key by the user's file, if any."""
    return _policy(settings.sampling_policy_file)


@lru_cache(maxsize=4)
def _policy(path: Path | None) -> SamplingPolicy:
    text = files("policies").joinpath("sampling.toml").read_text(encoding="utf-8")
    doc, problems = parse_policy_text(text, DEFAULT_POLICY_NAME)
    documents = [(DEFAULT_POLICY_NAME, doc)] if doc is not None else []
    if path is not None:
        try:
            user_text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UserError(f"sampling policy file {path} does not exist (COMMISSIONING_SAMPLING_POLICY)") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"sampling policy file {path} cannot be read: {exc}") from None
        user_doc, more = parse_policy_text(user_text, str(path))
        problems += more
        if user_doc is not None:
            documents.append((str(path), user_doc))
    policy, more = build_sampling_policy(documents) if not problems else (None, [])
    problems += more
    if policy is None:
        raise UserError("the sampling policy is not valid: " + "; ".join(problems))
    return policy
