"""A notifier that prints: for trying things out and for installations without apprise config."""

import sys
from typing import TextIO

from notifications.base import Message, TargetResult

CONSOLE = "console"


class ConsoleNotifier:
    """Prints each message (a header line with the tag and title, then the body) to a stream.

    The stream defaults to ``sys.stdout`` as it is at send time, so redirected or captured
    output is honoured.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def targets(self, tag: str) -> list[str]:
        return [CONSOLE]

    def send(self, tag: str, message: Message, *, skip: frozenset[str] = frozenset()) -> list[TargetResult]:
        if CONSOLE in skip:
            return []
        stream = self._stream if self._stream is not None else sys.stdout
        try:
            stream.write(f"=== to {tag}: {message.title}\n{message.body.rstrip()}\n\n")
            stream.flush()
        except (OSError, ValueError) as exc:  # a closed or broken stream
            return [TargetResult(CONSOLE, False, f"could not write to the console: {type(exc).__name__}")]
        return [TargetResult(CONSOLE, True)]

    def describe(self) -> str:
        return "console: prints every message to standard output"
