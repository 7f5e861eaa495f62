"""The reminder policy in force: the shipped reminders.toml, overridden key by key by the user's file."""

from flows.common.policy_files import policy_in_force
from flows.common.settings import Settings
from policies.reminders.ladders import ReminderPolicy
from policies.reminders.policy_file import build_reminder_policy, parse_policy_text


def reminder_policy(settings: Settings) -> ReminderPolicy:
    """The shipped reminder policy, overridden key by key by the user's file, if any."""
    return policy_in_force(
        "reminders.toml", "reminder", "COMMISSIONING_REMINDER_POLICY", settings.reminder_policy_file,
        build_reminder_policy, parse_policy_text,
    )  # fmt: skip
