"""Keep secrets out of the web server's logs: a calendar feed's address carries its token, and uvicorn's
access log would write the whole path. The filter masks it before any handler sees the record."""

import logging
import re

SECRET_PATH = re.compile(r"(/calendar/)[^/\s?\"]+(\.ics)")


class MaskSecretPaths(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(SECRET_PATH.sub(r"\1***\2", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = SECRET_PATH.sub(r"\1***\2", record.msg)
        return True


def mask_secret_paths() -> None:
    """Install the filter on uvicorn's access and error loggers (once)."""
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskSecretPaths) for f in logger.filters):
            logger.addFilter(MaskSecretPaths())
