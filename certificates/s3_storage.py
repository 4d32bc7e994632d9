"""Write-once storage in an S3-compatible object store (STORAGE_URL=s3://bucket/prefix, ADR 44).

The same promise as FileStorage: a key, once written, never changes. A new object is written with a conditional
PutObject (`If-None-Match: *`); when the key is already taken (412), the stored bytes are read back and compared, so
the same bytes again are a no-op and different bytes raise StorageConflict without overwriting anything.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from certificates.storage import StorageConflict, StorageError, StorageKeyMissing, validate_key

log = logging.getLogger(__name__)

# Bucket names as S3 allows them (3-63 lowercase letters, digits, dots and hyphens, a letter or digit at each end).
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# Stored beside the bytes: what put() returned, readable with a HEAD (x-amz-meta-sha256).
SHA256_METADATA = "sha256"
# Where ping() writes: a segment starting with a dot is never a valid key (validate_key), so it cannot collide.
PING_KEY = ".cdht-ping"
# A server busy with another conditional write of the same key answers 409 ConditionalRequestConflict: try again.
_CONFLICT_RETRIES = 3


@dataclass(frozen=True)
class S3Access:
    """How to reach the store: endpoint (None: AWS's own) and credentials (None: boto3's default chain, e.g. an
    instance role). Read from the environment by webapp.config; never logged."""

    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    region: str | None = None

    def __repr__(self) -> str:
        return f"S3Access(endpoint_url={self.endpoint_url!r}, region={self.region!r})"


def parse_s3_url(url: str) -> tuple[str, str]:
    """Return (bucket, prefix) of "s3://bucket" or "s3://bucket/some/prefix", else raise ValueError naming the
    problem. The prefix follows the rules of a key (validate_key); a trailing slash is allowed."""
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ValueError(f"S3 storage URL must start with s3://, got {url!r}")
    if parts.query or parts.fragment or "@" in parts.netloc or ":" in parts.netloc:
        raise ValueError(f"S3 storage URL must be s3://bucket/prefix with no credentials, port, query or fragment, "
                         f"got {url!r} (the endpoint goes in S3_ENDPOINT_URL)")
    bucket = parts.netloc
    if not bucket:
        raise ValueError(f"S3 storage URL names no bucket: {url!r} (expected s3://bucket/prefix)")
    if not _BUCKET_RE.fullmatch(bucket) or ".." in bucket:
        raise ValueError(f"S3 storage URL has an invalid bucket name {bucket!r}: 3-63 lowercase letters, digits, "
                         f"dots and hyphens")
    prefix = parts.path.removeprefix("/").removesuffix("/")
    if prefix:
        try:
            validate_key(prefix)
        except ValueError:
            raise ValueError(f"S3 storage URL has an invalid prefix {prefix!r}: segments of letters, digits, "
                             f"'.', '_' and '-', none starting with a dot, separated by single slashes") from None
    return bucket, prefix


def content_type_of(key: str) -> str:
    """The Content-Type an object is stored with: by its extension (application/pdf for .pdf)."""
    if key.endswith(".pdf"):
        return "application/pdf"
    guessed, _encoding = mimetypes.guess_type(key)
    return guessed or "application/octet-stream"


def _status(error: Exception) -> int:
    """The HTTP status of a ClientError (0 for a failure with no answer, such as a refused connection)."""
    response: Any = getattr(error, "response", None) or {}
    return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _code(error: Exception) -> str:
    """S3's error code of a ClientError ("" for a failure with no answer)."""
    response: Any = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


class S3Storage:
    """Write-once storage in one bucket, under a prefix. One boto3 client per process, made on first use and made
    again in a child process after a fork (Celery's prefork pool), shared by the process's threads (boto3's clients
    are thread-safe; its sessions are not, so each client gets a session of its own, under a lock)."""

    def __init__(self, bucket: str, prefix: str = "", access: S3Access | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.access = access or S3Access()
        self._lock = threading.Lock()
        self._client: Any = None
        self._client_pid = 0
        # False once the server answered 501 to If-None-Match: put() then checks before writing (ADR 44).
        self.conditional_writes = True

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, prefix={self.prefix!r})"

    @property
    def client(self) -> Any:
        """This process's boto3 S3 client (a client made before a fork is never used by the child)."""
        pid = os.getpid()
        if self._client is None or self._client_pid != pid:
            with self._lock:
                if self._client is None or self._client_pid != pid:
                    self._client = self._new_client()
                    self._client_pid = pid
        return self._client

    def _new_client(self) -> Any:
        import boto3  # imported on first use: processes on file storage never load it
        from botocore.config import Config

        access = self.access
        config = Config(
            connect_timeout=2, read_timeout=15,  # seconds: an unreachable store fails fast, a large ZIP still reads
            retries={"max_attempts": 3, "mode": "standard"},  # 3 tries in all, with backoff: seconds, not minutes
            max_pool_connections=32,  # a process's threads share the client (gthread web processes, if chosen)
            # With an endpoint of our own (MinIO, Ceph, a local server) the bucket goes in the path, which they all
            # accept; on AWS, boto3 chooses.
            s3={"addressing_style": "path" if access.endpoint_url else "auto"},
        )
        session = boto3.session.Session(
            aws_access_key_id=access.access_key_id, aws_secret_access_key=access.secret_access_key,
            aws_session_token=access.session_token, region_name=access.region)
        return session.client("s3", endpoint_url=access.endpoint_url, config=config)

    def _object_key(self, key: str) -> str:
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> str:
        """Store bytes under a new key and return their SHA-256 hex; same bytes again is a no-op; different bytes
        raise StorageConflict and leave the stored object as it was."""
        name = self._object_key(key)
        digest = hashlib.sha256(data).hexdigest()
        for _attempt in range(_CONFLICT_RETRIES):
            if not self.conditional_writes:
                return self._put_checked_first(key, name, data, digest)
            try:
                self._put_object(key, name, data, digest, IfNoneMatch="*")
            except (ClientError, BotoCoreError) as error:
                status = _status(error)
                if status == 412:  # the key is taken: by the same bytes (a no-op) or by others (a conflict)
                    return self._check_same(key, digest)
                if status == 409 and _code(error) == "ConditionalRequestConflict":
                    continue  # another writer of the same key was mid-way: ask again, S3's own advice
                if status == 501 or _code(error) == "NotImplemented":
                    self._without_conditional_writes()
                    continue
                raise self._failed("put", key, error) from error
            return digest
        raise StorageError(f"S3 kept answering ConditionalRequestConflict for {key}")

    def _put_object(self, key: str, name: str, data: bytes, digest: str, **condition: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=name, Body=data, ContentType=content_type_of(key),
                               Metadata={SHA256_METADATA: digest}, **condition)

    def _without_conditional_writes(self) -> None:
        if self.conditional_writes:
            log.warning("S3 server of bucket %s refuses conditional writes (If-None-Match): checking before "
                        "writing instead, which two simultaneous writers of one key can race (ADR 44)", self.bucket)
        self.conditional_writes = False

    def _put_checked_first(self, key: str, name: str, data: bytes, digest: str) -> str:
        """The fallback for a server without conditional writes: look, write if absent, then read the object's hash
        back, so a writer that raced us and won is at least noticed (ADR 44)."""
        if self.exists(key):
            return self._check_same(key, digest)
        try:
            self._put_object(key, name, data, digest)
            stored = self.client.head_object(Bucket=self.bucket, Key=name)["Metadata"].get(SHA256_METADATA)
        except (ClientError, BotoCoreError) as error:
            raise self._failed("put", key, error) from error
        if stored != digest:
            raise StorageConflict(f"{key} was written by another writer at the same moment")
        return digest

    def _check_same(self, key: str, digest: str) -> str:
        if hashlib.sha256(self.get(key)).hexdigest() != digest:
            raise StorageConflict(f"{key} already holds different content")
        return digest

    def get(self, key: str) -> bytes:
        """Return the bytes stored under a key or raise StorageKeyMissing."""
        name = self._object_key(key)
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=name)
            return bytes(answer["Body"].read())
        except (ClientError, BotoCoreError) as error:
            if _status(error) == 404 or _code(error) in ("NoSuchKey", "404"):
                raise StorageKeyMissing(key) from None
            raise self._failed("get", key, error) from error

    def exists(self, key: str) -> bool:
        """Return whether a key holds an object (one HEAD request)."""
        name = self._object_key(key)
        try:
            return self._head(name)
        except (ClientError, BotoCoreError) as error:
            raise self._failed("head", key, error) from error

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Every key that holds an object and starts with `prefix`, in sorted order (S3 lists by key, and keys are
        ASCII); the readiness probe's object and any name that is not a valid key are not objects."""
        base = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=base + prefix)
        try:
            for page in pages:
                for item in page.get("Contents", ()):
                    key = item["Key"][len(base):]
                    try:
                        yield validate_key(key)
                    except ValueError:
                        continue
        except (ClientError, BotoCoreError) as error:
            raise self._failed("list", prefix or "/", error) from error

    def ping(self) -> None:
        """Raise StorageError unless the bucket answers and takes writes that keep their promise: a conditional put
        of the prefix's ".cdht-ping" (a name no key can have) that creates it, or is refused with 412 because it
        exists. A server that lets the put overwrite an object that exists ignores If-None-Match, and would let a
        document be overwritten: not ready (ADR 44)."""
        name = f"{self.prefix}/{PING_KEY}" if self.prefix else PING_KEY
        try:
            existed = self._head(name)
            self.client.put_object(Bucket=self.bucket, Key=name, Body=b"ping", ContentType="text/plain",
                                   **({"IfNoneMatch": "*"} if self.conditional_writes else {}))
        except (ClientError, BotoCoreError) as error:
            if _status(error) == 412:
                return
            if _status(error) == 501 or _code(error) == "NotImplemented":
                self._without_conditional_writes()
                self.ping()
                return
            raise self._failed("ping", PING_KEY, error) from error
        if existed and self.conditional_writes:
            raise StorageError(f"the S3 server of bucket {self.bucket} ignores If-None-Match: it overwrote an object "
                               f"that existed, so documents would not be write-once")

    def _head(self, name: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=name)
        except ClientError as error:
            if _status(error) == 404:
                return False
            raise
        return True

    def _failed(self, operation: str, key: str, error: Exception) -> StorageError:
        # The error's type and S3 code only: a key names a certificate code or an application, never a person, but
        # a message from a proxy could echo anything.
        log.warning("S3 %s failed for bucket %s: %s %s", operation, self.bucket, type(error).__name__, _code(error))
        return StorageError(f"S3 {operation} of {key} in bucket {self.bucket} failed: {type(error).__name__} "
                            f"{_code(error)}".rstrip())
