"""Files attached to a ticket: typed by content, stored under random names, all or nothing.

The type comes from the first bytes (and, for Office files, the ZIP's
table of contents), never from the name or the browser's Content-Type.
Files land in ``<instance>/attachments/``, which no route serves; only
the agent API streams them back, as downloads.  Every file of a request is
checked before any is written, and a failure while writing removes what
was written, so a refused request leaves nothing behind.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from ..errors import ApiError

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "txt": "text/plain",
}
MAGIC = ((b"%PDF-", "pdf"), (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"))
OFFICE = (("word/", "docx"), ("xl/", "xlsx"))
MARKUP = (b"<html", b"<script", b"<svg", b"<!doctype", b"<?xml", b"<body")
CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")  # text has tabs, newlines, form feeds, maybe ^Z
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    """A checked upload written to disk, waiting for its ticket's transaction."""

    filename: str  # the supplier's name for it, for display only
    stored_name: str  # random; the name on disk
    kind: str
    content_type: str
    size: int
    sha256: str


def folder(instance_path: str | os.PathLike) -> Path:
    """``<instance>/attachments``, created private to the server's user."""
    path = Path(instance_path) / "attachments"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def display_name(name: str | None) -> str:
    """The last path component of ``name`` without control characters, at most 255 characters."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    clean = "".join(ch for ch in base if ch.isprintable()).strip()
    return clean[-255:] or "attachment"


def sniff(head: bytes, stream: IO[bytes], filename: str) -> str | None:
    """The allowed type of a file from its content, or None."""
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith(b"PK\x03\x04"):
        return _office_kind(stream)
    if _is_text(head):
        return "csv" if filename.lower().endswith(".csv") else "txt"
    return None


def _office_kind(stream: IO[bytes]) -> str | None:
    """docx or xlsx if the ZIP has an Office content map and the matching part; only its index is read."""
    try:
        stream.seek(0)
        names = zipfile.ZipFile(stream).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    return next((kind for prefix, kind in OFFICE if any(n.startswith(prefix) for n in names)), None)


def _is_text(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte-order mark
        try:
            head.decode("utf-16")
        except UnicodeDecodeError:
            return False
        return True
    if CONTROL.search(head):
        return False
    return not any(marker in head[:512].lower() for marker in MARKUP)


def check(upload, max_bytes: int) -> tuple[str, int, str]:
    """(kind, size, sha256) of one upload, or the ApiError that refuses it."""
    name = display_name(upload.filename)
    stream = upload.stream
    stream.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise ApiError(413, f"'{name}' is larger than {max_bytes // (1024 * 1024)} MB.", "file_too_large", filename=name)
        digest.update(chunk)
    if size == 0:
        raise ApiError(422, f"'{name}' is empty.", "empty_file", filename=name)
    stream.seek(0)
    kind = sniff(stream.read(8192), stream, name)
    if kind is None:
        allowed = ", ".join(CONTENT_TYPES)
        raise ApiError(415, f"'{name}' is not an allowed file type ({allowed}); the type is read from the "
                            "file's content, not its name.", "file_type_not_allowed", filename=name)
    return kind, size, digest.hexdigest()


def store(uploads: list, target: Path, max_files: int, max_bytes: int) -> list[StoredFile]:
    """Check every upload, then write them all; on any error nothing stays on disk."""
    uploads = [u for u in uploads if u is not None and (u.filename or u.content_length)]
    if len(uploads) > max_files:
        raise ApiError(422, f"At most {max_files} files per request; {len(uploads)} were sent.", "too_many_files")
    checked = [(upload, *check(upload, max_bytes)) for upload in uploads]
    written: list[StoredFile] = []
    try:
        for upload, kind, size, sha in checked:
            written.append(_write(upload, target, kind, size, sha))
    except BaseException:
        discard(written, target)
        raise
    return written


def _write(upload, target: Path, kind: str, size: int, sha: str) -> StoredFile:
    stored_name = secrets.token_hex(16)
    partial = target / f".{stored_name}.part"
    upload.stream.seek(0)
    try:
        with open(partial, "xb") as out:
            while chunk := upload.stream.read(CHUNK):
                out.write(chunk)
        os.replace(partial, target / stored_name)
    finally:
        partial.unlink(missing_ok=True)
    return StoredFile(display_name(upload.filename), stored_name, kind, CONTENT_TYPES[kind], size, sha)


def discard(files: list[StoredFile], target: Path) -> None:
    """Remove stored files (their ticket transaction failed)."""
    for f in files:
        (target / f.stored_name).unlink(missing_ok=True)


def path_of(f, target: Path) -> Path:
    return target / f.stored_name


def safe_download_name(filename: str, kind: str) -> str:
    """The supplier's file name, ending in the extension of the type its content was checked to be.

    "invoice.js" that passed as text is handed to an agent as
    "invoice.js.txt", so no file reaches an agent's machine with an
    extension that would run it.
    """
    extension = ".jpg" if kind == "jpg" and filename.lower().endswith(".jpeg") else f".{kind}"
    return filename if filename.lower().endswith(extension) else filename + f".{kind}"
