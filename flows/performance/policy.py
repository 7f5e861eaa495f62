"""The performance policy in force: the shipped performance.toml, overridden key by key by the user's file."""

from functools import lru_cache
from pathlib import Path

from flows.common.policy_files import policy_in_force
from flows.common.settings import Settings
from policies.performance.policy_file import PerformancePolicy, build_performance_policy


def performance_policy(settings: Settings) -> PerformancePolicy:
    """The shipped performance policy, overridden key by key by the user's file, if any."""
    return _policy(settings.performance_policy_file)


@lru_cache(maxsize=4)
def _policy(path: Path | None) -> PerformancePolicy:
    return policy_in_force(
        "performance.toml", "performance", "COMMISSIONING_PERFORMANCE_POLICY", path, build_performance_policy
    )
