"""Files written whole or not at all, and failures to write them said in one line."""

import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flows.common.errors import UserError


def cannot_write(path: Path, exc: OSError) -> UserError:
    return UserError(f"{path}: cannot be written: {exc.strerror or exc}")


def _is_special(path: Path) -> bool:
    """An existing device, pipe or socket (``-o /dev/stdout``): written in place, never replaced by a file."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A new file beside ``path`` to write; it replaces ``path`` only if the block finishes, and is removed if not.

    A device or pipe is written directly (there is nothing to replace, and replacing /dev/stdout would be wrong).
    """
    if _is_special(path):
        try:
            yield path
        except OSError as exc:
            raise cannot_write(path, exc) from None
        return
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        # Created with the usual permissions (mkstemp's would be owner-only), and exclusively: never someone's file.
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as exc:
        raise cannot_write(path, exc) from None
    try:
        yield temporary
        with open(temporary, "rb+") as done:
            os.fsync(done.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise cannot_write(path, exc) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_whole(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``, whole or not at all."""
    with replacing(path) as temporary, open(temporary, "wb") as out:
        out.write(data)
        out.flush()
