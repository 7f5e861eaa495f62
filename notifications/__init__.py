"""Delivery: renders and sends plain data (reminder digests) through apprise or the console.

Imports neither models/ nor flows/. Importing this package does not import apprise:
``AppriseNotifier`` is loaded from ``notifications.apprise_notifier`` on first use.
"""

from typing import TYPE_CHECKING, Any

from notifications.base import Message, Notifier, NotifierConfigError, TargetResult
from notifications.console import ConsoleNotifier
from notifications.templates import ReminderItem, render_digest

if TYPE_CHECKING:
    from notifications.apprise_notifier import AppriseNotifier

__all__ = [
    "AppriseNotifier",
    "ConsoleNotifier",
    "Message",
    "Notifier",
    "NotifierConfigError",
    "ReminderItem",
    "TargetResult",
    "render_digest",
]


def __getattr__(name: str) -> Any:
    if name == "AppriseNotifier":
        from notifications.apprise_notifier import AppriseNotifier

        return AppriseNotifier
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
