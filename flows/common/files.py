"""Files written whole or not at all, and failures to write them said in one line."""

import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
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


_TOKEN = re.compile(r"[0-9a-f]{8}")  # secrets.token_hex(4), as ``replacing`` names its temporaries
SQLITE_MAGIC = b"SQLite format 3\x00"
DATABASE_FILES = ("commissioning.db", "commissioning.db-wal", "commissioning.db-shm")


def _is_database(path: Path) -> bool:
    """An existing SQLite database (or its -wal/-shm), or one of the data directory's database files."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        resolved = path
    data_dir = _data_dir()
    if data_dir is not None and resolved in {data_dir / name for name in DATABASE_FILES}:
        return True
    candidates = [resolved]
    for suffix in ("-wal", "-shm", "-journal"):
        if resolved.name.endswith(suffix):
            candidates.append(resolved.with_name(resolved.name.removesuffix(suffix)))
    for candidate in candidates:
        try:
            if not candidate.is_file():
                continue
            with open(candidate, "rb") as existing:
                if existing.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC:
                    return True
        except OSError:
            continue
    return False


def _data_dir() -> Path | None:
    from flows.common.settings import load_settings

    try:
        return load_settings().data_dir
    except Exception:  # a bad setting is reported elsewhere; this check still reads the file itself
        return None


def refuse_database(path: Path) -> None:
    if _is_database(path):
        raise UserError(f"{path}: is a database; refusing to write over it (choose another file)")


def check_destination(path: Path) -> None:
    """Refuse, before anything is written, a destination that is a database or cannot be written.

    Every export goes through ``replacing``, which calls this; a command writing several files calls it for
    each first, so that none is written unless all can be.
    """
    refuse_database(path)
    if _is_special(path):
        return
    if path.is_dir():
        raise UserError(f"{path}: cannot be written: Is a directory")
    folder = path.parent
    if not folder.is_dir():
        raise UserError(f"{path}: cannot be written: No such file or directory")
    probe = folder / f".{path.name}.{secrets.token_hex(4)}.probe"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise cannot_write(path, exc) from None
    probe.unlink(missing_ok=True)


@contextmanager
def replacing(path: Path, *, overwrite: bool = True) -> Iterator[Path]:
    """A new file beside ``path`` to write; it replaces ``path`` only if the block finishes, and is removed if not.

    A device or pipe is written directly (there is nothing to replace, and replacing /dev/stdout would be wrong).
    A database (see ``check_destination``) is never replaced. Without ``overwrite`` the file is put in place only
    if no file is there at that moment (see ``_put_new``).
    """
    refuse_database(path)
    if _is_special(path):
        try:
            yield path
        except OSError as exc:
            raise cannot_write(path, exc) from None
        return
    _clear_stale_temporaries(path)
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
        if overwrite:
            os.replace(temporary, path)
        else:
            _put_new(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise cannot_write(path, exc) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _put_new(temporary: Path, path: Path) -> None:
    """Give ``temporary`` the name ``path`` unless a file has that name, in one step: a check before a rename
    would write over a file made in between. A hard link fails if the name is taken; where hard links are not
    supported, the name is taken first by creating it exclusively, then the temporary replaces that empty file."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise UserError(f"{path} exists; refusing to write over it") from None
    except OSError:  # no hard links on this file system (FAT, some network shares)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            raise UserError(f"{path} exists; refusing to write over it") from None
        try:
            os.replace(temporary, path)
        except OSError:  # the empty file taken for the name is ours: leave nothing under the name asked for
            path.unlink(missing_ok=True)
            raise
        return
    temporary.unlink()


STALE_SECONDS = 24 * 3600  # a writer killed mid-way (kill -9) leaves its files; none takes a day to write


def remove_stale(folder: Path, named: Callable[[str], bool], *, folders: bool = False) -> None:
    """Remove the files (with ``folders``, the folders, whole) in ``folder`` over a day old whose names ``named``
    accepts: what a process killed while it wrote left, and nothing else would. Others, and a live writer's,
    stay; a folder that is missing or cannot be read leaves nothing to clear."""
    cutoff = time.time() - STALE_SECONDS
    with suppress(OSError):
        for entry in os.scandir(folder):
            if not named(entry.name):
                continue
            with suppress(OSError):
                kind = entry.is_dir(follow_symlinks=False) if folders else entry.is_file(follow_symlinks=False)
                if kind and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    if folders:
                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:
                        os.unlink(entry.path)


def _clear_stale_temporaries(path: Path) -> None:
    """The temporaries earlier writes of ``path`` left when killed (``.<name>.<8 hex>.tmp``), over a day old."""
    prefix = f".{path.name}."
    remove_stale(path.parent, lambda name: name.startswith(prefix) and name.endswith(".tmp")
                 and _TOKEN.fullmatch(name[len(prefix) : -4]) is not None)  # fmt: skip


def write_whole(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``, whole or not at all."""
    with replacing(path) as temporary, open(temporary, "wb") as out:
        out.write(data)
        out.flush()


def check_input_file(path: Path) -> None:
    """Refuse, in one line naming it, a file to read that is not there, is a folder, cannot be read or is empty.

    Every import checks this before it looks at the name's suffix: a folder was called "a file without a suffix".
    """
    try:
        found = os.stat(path)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(found.st_mode):
        raise UserError(f"{path}: is a folder, not a file; give the file itself")
    if not stat.S_ISREG(found.st_mode):
        return  # a pipe or device (/dev/stdin): opening it to check would wait for, or take, its content
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise UserError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if found.st_size == 0:
        raise UserError(f"{path}: is empty")


def source_name(path: Path, data_dir: Path) -> str:
    """How an imported file is named in its records and events: a web upload, saved under the data folder
    (flows/web/uploads.py), by its own name, as the API names it; the server's folder is no one's business.
    A file given on the command line, as given."""
    try:
        path.resolve().relative_to(data_dir.resolve())
    except ValueError:
        return str(path)
    return path.name
