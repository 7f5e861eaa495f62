"""Receiving an uploaded file: refused in words, before anything is stored, when it is too big, of the wrong
kind, has a path in its name or a name too long to save, or is an XLSX whose contents would unpack to far more
than its size (a zip bomb).

A good file is written under ``<data dir>/uploads/<random>/`` and removed once its import is done.

``BodyLimit`` caps every request body before it is read: a declared Content-Length over the cap is refused
(413) before a byte is received, and a body without one is counted as it streams and cut off at the cap, so an
over-size upload is never spooled to disk by the multipart parser. The cap is the upload limit plus room for
the form's framing for a multipart form, and ``FORM_CAP`` for any other body.
"""

import secrets
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import HTTPException, UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flows.common.errors import UserError

MAX_BYTES = 200 * 1024 * 1024  # 200 MB: a million claims as CSV is about 80 MB
MAX_UNPACKED = 1024 * 1024 * 1024  # an XLSX's parts, unpacked, at most 1 GB
MAX_RATIO = 200  # and at most 200 times their packed size (real workbooks stay under about 20)
CHUNK = 1024 * 1024
FRAMING = 1024 * 1024  # a multipart body's boundaries, headers and small fields around the file
FORM_CAP = 1024 * 1024  # any other body: a form or a JSON request
KINDS = {".csv": "CSV", ".xlsx": "XLSX"}
LONGEST_NAME = 200  # characters of an uploaded file's name: it is saved under it, and named in every message


def check_name(name: str | None, kinds: dict[str, str] = KINDS) -> str:
    """The file's name if it is a plain name of an allowed kind; otherwise a UserError that says why."""
    if not name:
        raise UserError("Choose a file to upload")
    if "/" in name or "\\" in name or name in (".", "..") or "\x00" in name:
        raise UserError(f"The file name {name!r} must be a plain name, without a folder or path")
    if len(name) > LONGEST_NAME or len(name.encode("utf-8")) > 255:  # 255 bytes: the file system's most
        raise UserError(f"The file name is {len(name):,} characters long; rename the file to at most {LONGEST_NAME} "
                        "characters and upload it again")  # fmt: skip
    suffix = Path(name).suffix.lower()
    if suffix not in kinds:
        raise UserError(f"The file must be {' or '.join(kinds.values())} ({', '.join(kinds)}); {name!r} is not")
    return name


def check_xlsx(path: Path) -> None:
    """Refuse an XLSX that is not a workbook, or whose parts would unpack to far more than it is."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise UserError(
            "The file is not an XLSX workbook (it does not open as one); save it again from Excel"
        ) from None
    unpacked = sum(i.file_size for i in infos)
    packed = max(sum(i.compress_size for i in infos), 1)
    if unpacked > MAX_UNPACKED or unpacked / packed > MAX_RATIO:
        raise UserError(
            f"The workbook would unpack to {unpacked:,} bytes from {packed:,}: far more than a real workbook; "
            "it was not opened"
        )


def save_upload(
    upload: UploadFile, data_dir: Path, *, max_bytes: int | None = None, kinds: dict[str, str] = KINDS
) -> Path:
    """The upload saved in a private folder of its own, after every check (the folder is removed if one fails).

    The caller removes the folder (``discard``) once the file is used.
    """
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    name = check_name(upload.filename, kinds)
    folder = data_dir / "uploads" / secrets.token_hex(8)
    folder.mkdir(parents=True, exist_ok=False)
    try:
        path = folder / name
        size = 0
        with path.open("wb") as out:
            while chunk := upload.file.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UserError(too_big(max_bytes))
                out.write(chunk)
        if size == 0:
            raise UserError("The file is empty")
        if path.suffix.lower() == ".xlsx":
            check_xlsx(path)
    except BaseException:
        discard(path)
        raise
    return path


def discard(path: Path) -> None:
    """Remove a saved upload and its private folder."""
    shutil.rmtree(path.parent, ignore_errors=True)


@contextmanager
def received(
    upload: UploadFile, data_dir: Path, *, max_bytes: int | None = None, kinds: dict[str, str] = KINDS
) -> Iterator[Path]:
    """The upload saved to a private folder for the length of the block, after every check; removed after."""
    path = save_upload(upload, data_dir, max_bytes=max_bytes, kinds=kinds)
    try:
        yield path
    finally:
        discard(path)


def too_big(max_bytes: int) -> str:
    return f"The file is over the limit of {max_bytes // (1024 * 1024):,} MB; split it"


class BodyLimit:
    """ASGI middleware: a request body over its cap is refused with 413 before it is read (see the docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        multipart = headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
        cap = MAX_BYTES + FRAMING if multipart else FORM_CAP
        message = too_big(MAX_BYTES) if multipart else f"The form is over {FORM_CAP // 1024:,} KB; nothing was stored"
        declared = headers.get(b"content-length", b"")
        refuse_at_once = declared.isdigit() and int(declared) > cap
        seen = 0

        async def capped() -> Message:
            nonlocal seen
            if refuse_at_once:
                raise HTTPException(413, message)
            got = await receive()
            seen += len(got.get("body", b""))
            if seen > cap:
                raise HTTPException(413, message)
            return got

        await self.app(scope, capped, send)
