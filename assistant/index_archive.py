"""A built index folder as one archive: what a published knowledge version keeps in the database.

The archive is a zip (deflated) of the files ``indexer.store.save`` wrote, plus
``MANIFEST.json`` naming each file's size and SHA-256.  The SHA-256 of the whole
archive is kept beside it (its version's row and the served pointer), so a
replica checks the bytes it downloaded before it trusts any of them.  It is
unpacked into a temporary folder that is renamed into place only when every
file checked out: a crash or a bad archive leaves no half-unpacked version.

No Flask and no database here: just bytes and folders.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MANIFEST = "MANIFEST.json"
FORMAT = "procuree-index-archive"
FORMAT_VERSION = 1


class ArchiveError(Exception):
    """The bytes are not a complete, unaltered archive of an index folder."""


@dataclass(frozen=True)
class Archive:
    """An index folder packed: the bytes and their SHA-256 (hex)."""

    data: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pack(folder: str | Path) -> Archive:
    """Zip every regular file under ``folder`` (paths relative to it) with a manifest of their hashes."""
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    buffer = io.BytesIO()
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "files": {}}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in files:
            name = path.relative_to(folder).as_posix()
            data = path.read_bytes()
            manifest["files"][name] = {"size": len(data), "sha256": digest(data)}
            archive.writestr(name, data)
        archive.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
    data = buffer.getvalue()
    return Archive(data, digest(data))


def unpack(data: bytes, expected_sha256: str, target: str | Path) -> Path:
    """Check ``data`` against ``expected_sha256`` and its manifest, then make it the folder ``target``.

    ``target`` appears whole or not at all (a temporary sibling renamed into
    place).  When another process got there first, its folder is kept: it
    was checked the same way before it was renamed.
    """
    target = Path(target)
    if target.is_dir():
        return target
    actual = digest(data)
    if actual != expected_sha256:
        raise ArchiveError(f"archive SHA-256 is {actual[:16]}…, expected {expected_sha256[:16]}…: "
                           "the stored bytes are damaged")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        _extract_checked(data, staging)
        os.rename(staging, target)
    except OSError:
        if not target.is_dir():  # not "another process won the rename": a real failure
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _extract_checked(data: bytes, folder: Path) -> None:
    """Write each file the manifest names into ``folder``, refusing anything it does not vouch for."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            manifest = json.loads(archive.read(MANIFEST))
            if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
                raise ArchiveError(f"not a {FORMAT} v{FORMAT_VERSION} archive")
            expected = manifest["files"]
            names = set(archive.namelist()) - {MANIFEST}
            if names != set(expected):
                raise ArchiveError(f"archive files differ from its manifest: {sorted(names ^ set(expected))[:5]}")
            for name in sorted(names):
                path = folder / _safe_name(name)
                content = archive.read(name)
                entry = expected[name]
                if len(content) != entry["size"] or digest(content) != entry["sha256"]:
                    raise ArchiveError(f"{name} does not match its manifest entry")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise ArchiveError(f"unreadable archive ({exc.__class__.__name__}: {exc})") from None


def _safe_name(name: str) -> PurePosixPath:
    """A member name that stays inside the folder (no absolute paths, no ``..``)."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name or not path.parts:
        raise ArchiveError(f"unsafe member name {name!r}")
    return path
