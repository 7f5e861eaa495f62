"""apprise's logging made safe: what apprise, requests and urllib3 log while a target is sent to has that
target's secrets removed (``REDACTOR``, in the sending thread), the apprise logger is kept at INFO or above
(``guard_logging``), and while a configuration is read apprise's own records are held back (``held_records``):
it repeats an entry it cannot parse whole, tokens and all. Used by notifications/apprise_notifier.py.
"""

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import apprise

REDACTED = "[redacted]"

_APPRISE_LOG = logging.getLogger(apprise.LOGGER_NAME)
_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^\s/@:]+:[^\s/@]+@", re.IGNORECASE)


# Loggers that may see a target's URL while it is being sent to (records are filtered where
# they are created, so each logger that creates them is listed, not just the parent).
SENDING_LOGGERS = (
    apprise.LOGGER_NAME,
    "requests",
    "urllib3",
    "urllib3.connection",
    "urllib3.connectionpool",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
)


class _RedactWhileSending(logging.Filter):
    """Removes the secrets of the target this thread is sending to from every record it logs."""

    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()

    @contextmanager
    def sending(self, secrets: tuple[str, ...]) -> Iterator[None]:
        previous = getattr(self._local, "secrets", ())
        self._local.secrets = secrets
        try:
            yield
        finally:
            self._local.secrets = previous

    def filter(self, record: logging.LogRecord) -> bool:
        secrets: tuple[str, ...] = getattr(self._local, "secrets", ())
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: keep only its format string
            message = str(record.msg)
        cleaned = redact(message, secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), secrets)
        return True


REDACTOR = _RedactWhileSending()


def guard_logging() -> None:
    """Keep the apprise logger at INFO or above (at DEBUG it logs raw configuration, passwords
    included), and make sure the redacting filter sits on every logger that sees a target's URL."""
    if _APPRISE_LOG.getEffectiveLevel() < logging.INFO:
        _APPRISE_LOG.setLevel(logging.INFO)
    for name in SENDING_LOGGERS:
        logger = logging.getLogger(name)
        if REDACTOR not in logger.filters:
            logger.addFilter(REDACTOR)


def redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)


class _Warnings(logging.Handler):
    """Collects the apprise warnings raised by this thread (other threads may be sending too)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self._thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self._thread:
            return
        self.messages.append(_words(record))


class _Held(logging.Filter):
    """Holds back the apprise records this thread makes while it reads a configuration, keeping the warnings'
    words for the caller to count: apprise repeats an entry it cannot parse whole, secrets and all
    ("Unparseable JSON URL json://user:token@..."), and the file's own problems are reported without them."""

    def __init__(self) -> None:
        super().__init__()
        self._thread = threading.get_ident()
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread != self._thread:
            return True
        if record.levelno >= logging.WARNING:
            self.messages.append(_words(record))
        return False


def _words(record: logging.LogRecord) -> str:
    """A record's message; a malformed record's format string (no reason to fail a send or a load)."""
    try:
        return record.getMessage()
    except Exception:
        return str(record.msg)


@contextmanager
def held_records() -> Iterator[list[str]]:
    held = _Held()
    _APPRISE_LOG.addFilter(held)
    try:
        yield held.messages
    finally:
        _APPRISE_LOG.removeFilter(held)


@contextmanager
def captured_warnings() -> Iterator[list[str]]:
    handler = _Warnings()
    _APPRISE_LOG.addHandler(handler)
    try:
        yield handler.messages
    finally:
        _APPRISE_LOG.removeHandler(handler)
