"""The reminder policy in force: the shipped reminders.toml, overridden key by key by the user's file."""

from importlib.resources import files
from pathlib import Path

from flows.common.errors import UserError
from flows.common.settings import Settings
from policies.reminders.ladders import ReminderPolicy
from policies.reminders.policy_file import build_reminder_policy, parse_policy_text

DEFAULT_POLICY_NAME = "shipped reminders.toml"


def reminder_policy(settings: Settings) -> ReminderPolicy:
    """The shipped reminder policy, overridden key by key by the user's file, if any."""
    documents = []
    doc, problems = parse_policy_text(
        files("policies").joinpath("reminders.toml").read_text(encoding="utf-8"), DEFAULT_POLICY_NAME
    )
    if doc is not None:
        documents.append((DEFAULT_POLICY_NAME, doc))
    path = settings.reminder_policy_file
    if path is not None:
        try:
            user_text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UserError(f"reminder policy file {path} does not exist (COMMISSIONING_REMINDER_POLICY)") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"reminder policy file {path} cannot be read: {exc}") from None
        user_doc, more = parse_policy_text(user_text, str(path))
        problems += more
        if user_doc is not None:
            documents.append((str(path), user_doc))
    policy, more = build_reminder_policy(documents) if not problems else (None, [])
    problems += more
    if policy is None:
        raise UserError("the reminder policy is not valid: " + "; ".join(str(p) for p in problems))
    return policy
