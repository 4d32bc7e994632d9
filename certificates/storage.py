"""Write-once storage of issued documents: a key, once written, never changes."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from certificates.s3_storage import S3Access

_KEY_RE = re.compile(r"[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*")
_MAX_KEY_LENGTH = 512
_READ_ONLY = 0o444


class StorageError(Exception):
    """A storage operation failed."""


class StorageConflict(StorageError):
    """A key already holds different bytes: what was issued is never overwritten."""


class StorageKeyMissing(StorageError, KeyError):
    """No object is stored under the key."""


@runtime_checkable
class Storage(Protocol):
    """Where issued PDFs live; every implementation is write-once."""

    def put(self, key: str, data: bytes) -> str:
        """Store bytes under a new key and return their SHA-256 hex; same bytes again is a no-op."""
        ...

    def get(self, key: str) -> bytes:
        """Return the bytes stored under a key or raise StorageKeyMissing."""
        ...

    def exists(self, key: str) -> bool:
        """Return whether a key holds an object."""
        ...

    def ping(self) -> None:
        """Raise StorageError if the storage cannot be reached or written."""
        ...

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Every key that holds an object and starts with `prefix`, in sorted order (backups copy them all)."""
        ...


def validate_key(key: str) -> str:
    """Return the key if it is a safe relative path of [A-Za-z0-9/._-], else raise ValueError."""
    if not key or len(key) > _MAX_KEY_LENGTH or not _KEY_RE.fullmatch(key):
        raise ValueError(f"invalid storage key: {key!r}")
    # Segments starting with a dot cover "." and "..", and keep the temporary-file namespace private.
    if any(part.startswith(".") for part in key.split("/")):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fsync_path(path: Path) -> None:
    """Flush a file or a folder (a folder: the names in it) to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileStorage:
    """Write-once storage in a local (or mounted) directory; stored files are made read-only."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"FileStorage({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def put(self, key: str, data: bytes) -> str:
        """Store bytes under a new key and return their SHA-256 hex; same bytes again is a no-op."""
        path = self._path(key)
        digest = _sha256(data)
        if path.exists():
            return self._check_same(key, path, digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temp, _READ_ONLY)
            try:
                # link() fails if the key appeared meanwhile, where replace() would overwrite it.
                os.link(temp, path)
            except FileExistsError:
                return self._check_same(key, path, digest)
            except OSError as error:
                if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                    raise
                # Filesystems without hard links: fall back to an atomic rename after a re-check.
                if path.exists():
                    return self._check_same(key, path, digest)
                os.replace(temp, path)
            fsync_path(path.parent)
        finally:
            temp.unlink(missing_ok=True)
        return digest

    def _check_same(self, key: str, path: Path, digest: str) -> str:
        if _sha256(path.read_bytes()) != digest:
            raise StorageConflict(f"{key} already holds different content")
        return digest

    def get(self, key: str) -> bytes:
        """Return the bytes stored under a key or raise StorageKeyMissing."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise StorageKeyMissing(key) from None

    def exists(self, key: str) -> bool:
        """Return whether a key holds an object."""
        return self._path(key).is_file()

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Every key that holds an object and starts with `prefix`, in sorted order; temporary files (dot names)
        and anything that is not a valid key are not objects."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            key = path.relative_to(self.root).as_posix()
            if not key.startswith(prefix) or not path.is_file():
                continue
            try:
                yield validate_key(key)
            except ValueError:
                continue

    def ping(self) -> None:
        """Raise StorageError unless the root directory exists (or can be made) and is writable."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(prefix=".ping-", dir=self.root) as probe:
                probe.write(b"ping")
        except OSError as error:
            raise StorageError(f"storage at {self.root} is not writable: {error}") from error


def storage_from_url(url: str, s3: S3Access | None = None) -> Storage:
    """Return the storage named by "file:///abs/path", a plain directory path or "s3://bucket/prefix" (reached
    through `s3`: endpoint and credentials); raise ValueError naming what is wrong with the URL."""
    parts = urlsplit(url)
    if parts.scheme == "s3":
        from certificates.s3_storage import S3Storage, parse_s3_url  # boto3 only where S3 is used

        bucket, prefix = parse_s3_url(url)
        return S3Storage(bucket, prefix, s3)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise ValueError(f"file storage URL must be file:///absolute/path, got {url!r}")
        return FileStorage(Path(unquote(parts.path)))
    if parts.scheme:
        raise ValueError(f"unsupported storage URL scheme {parts.scheme!r} in {url!r} (file:// or s3://)")
    if not url:
        raise ValueError("empty storage URL")
    return FileStorage(Path(url))
