"""The sampling policy in force: the shipped sampling.toml, overridden key by key by the user's file."""

from functools import lru_cache
from pathlib import Path

from flows.common.policy_files import policy_in_force
from flows.common.settings import Settings
from policies.pbr.sampling import SamplingPolicy
from policies.pbr.sampling_policy import build_sampling_policy


def sampling_policy(settings: Settings) -> SamplingPolicy:
    """The shipped sampling policy, overridden key by key by the user's file, if any."""
    return _policy(settings.sampling_policy_file)


@lru_cache(maxsize=4)
def _policy(path: Path | None) -> SamplingPolicy:
    return policy_in_force("sampling.toml", "sampling", "COMMISSIONING_SAMPLING_POLICY", path, build_sampling_policy)
