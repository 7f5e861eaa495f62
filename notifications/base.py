"""What every notifier offers: a message in, one result per target out.

Plain data only: no apprise here, so importing ``notifications`` stays cheap.
"""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Message:
    """One notification: a short title (an email subject) and a plain-text body."""

    title: str
    body: str


@dataclass(frozen=True)
class TargetResult:
    """The outcome of sending one message to one target.

    ``target`` is a privacy-safe name (apprise's ``url(privacy=True)`` with any further
    secret query values masked, or ``"console"``); ``error`` says why it failed and never
    carries a password, a token or the raw URL.
    """

    target: str
    ok: bool
    error: str | None = None


class NotifierConfigError(Exception):
    """The notifier configuration cannot be used; the message names the file and the reason."""


class Notifier(Protocol):
    def targets(self, tag: str) -> list[str]:
        """Privacy-safe names of the targets carrying ``tag``."""
        ...

    def send(self, tag: str, message: Message, *, skip: frozenset[str] = frozenset()) -> list[TargetResult]:
        """Send to every target carrying ``tag`` except those named in ``skip``.

        One result per target attempted, in configuration order; ``[]`` when no target has the tag.
        """
        ...

    def describe(self) -> str:
        """A one-line description that is safe to print or log."""
        ...
