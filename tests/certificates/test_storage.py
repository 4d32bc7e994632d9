"""Write-once storage: every behaviour on both backends, a folder and S3 (the local server of tests/s3_server.py)."""

import hashlib
import os
import stat
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from certificates.s3_storage import S3Access, S3Storage
from certificates.storage import (
    FileStorage,
    Storage,
    StorageConflict,
    StorageError,
    StorageKeyMissing,
    storage_from_url,
)

KEY = "certificates/2025/00004/7K3QW-M9TXA.pdf"


def _s3_access(server: Any) -> S3Access:
    env = server.env("unused")
    return S3Access(endpoint_url=env["S3_ENDPOINT_URL"], access_key_id=env["AWS_ACCESS_KEY_ID"],
                    secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region=env["AWS_DEFAULT_REGION"])


@pytest.fixture(params=["folder", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """An empty storage of each backend: a fresh folder, or a fresh prefix of the local server's bucket."""
    if request.param == "folder":
        return FileStorage(tmp_path / "root")
    server = request.getfixturevalue("s3_server")
    return S3Storage(server.bucket, f"t-{uuid.uuid4().hex[:8]}", _s3_access(server))


def test_put_get_exists(storage: Storage) -> None:
    assert isinstance(storage, Storage)
    assert not storage.exists(KEY)
    digest = storage.put(KEY, b"%PDF-1.7 first")
    assert digest == hashlib.sha256(b"%PDF-1.7 first").hexdigest()
    assert storage.exists(KEY)
    assert storage.get(KEY) == b"%PDF-1.7 first"


def test_a_file_lands_under_its_key_in_the_folder(tmp_path: Path) -> None:
    FileStorage(tmp_path).put(KEY, b"%PDF-1.7 first")
    assert (tmp_path / KEY).read_bytes() == b"%PDF-1.7 first"


def test_an_object_carries_its_hash_and_type_under_the_prefix(s3_server: Any) -> None:
    storage = S3Storage(s3_server.bucket, "meta/", _s3_access(s3_server))
    digest = storage.put(KEY, b"%PDF-1.7 first")
    head = s3_server.client().head_object(Bucket=s3_server.bucket, Key=f"meta/{KEY}")
    assert head["Metadata"] == {"sha256": digest} and head["ContentType"] == "application/pdf"
    storage.put("previews/abc.png", b"png")
    head = s3_server.client().head_object(Bucket=s3_server.bucket, Key="meta/previews/abc.png")
    assert head["ContentType"] == "image/png"


def test_same_bytes_again_is_idempotent(storage: Storage) -> None:
    first = storage.put(KEY, b"same")
    assert storage.put(KEY, b"same") == first
    assert storage.get(KEY) == b"same"


def test_different_bytes_conflict_and_leave_the_original(storage: Storage) -> None:
    storage.put(KEY, b"original")
    with pytest.raises(StorageConflict):
        storage.put(KEY, b"changed")
    assert storage.get(KEY) == b"original"


@pytest.mark.parametrize("same_bytes", [True, False], ids=["same-bytes", "different-bytes"])
def test_concurrent_puts_of_one_key_have_one_winner(storage: Storage, same_bytes: bool) -> None:
    """Eight threads put the same key at once: with the same bytes every put returns their hash (one wrote, the
    others were no-ops); with different bytes exactly one wins, every other gets StorageConflict, and the key holds
    the winner's bytes."""
    start = threading.Barrier(8)

    def put(n: int) -> str | None:
        data = b"same" if same_bytes else f"writer {n}".encode()
        start.wait()
        try:
            storage.put(KEY, data)
        except StorageConflict:
            return None
        return data.decode()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(put, range(8)))
    winners = [r for r in results if r is not None]
    if same_bytes:
        assert winners == ["same"] * 8
    else:
        assert len(winners) == 1, results
    assert storage.get(KEY) == winners[0].encode()


def test_stored_file_is_read_only_and_no_temp_files_remain(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    storage.put(KEY, b"data")
    mode = stat.S_IMODE((tmp_path / KEY).stat().st_mode)
    assert mode == 0o444
    assert sorted(p.name for p in (tmp_path / KEY).parent.iterdir()) == ["7K3QW-M9TXA.pdf"]


def test_missing_key(storage: Storage) -> None:
    assert not storage.exists(KEY)
    with pytest.raises(StorageKeyMissing):
        storage.get(KEY)
    with pytest.raises(KeyError):
        storage.get(KEY)


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../escape.pdf",
        "certificates/../../escape.pdf",
        "/etc/passwd",
        "a//b.pdf",
        "a/./b.pdf",
        "a/",
        ".hidden",
        "a/.tmp-x",
        "a b.pdf",
        "chứng-chỉ.pdf",
        "a\\b.pdf",
        "a\x00b",
        "x" * 600,
    ],
)
def test_bad_keys_are_rejected(storage: Storage, tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="invalid storage key"):
        storage.put(key, b"x")
    with pytest.raises(ValueError, match="invalid storage key"):
        storage.get(key)
    with pytest.raises(ValueError, match="invalid storage key"):
        storage.exists(key)
    assert not (tmp_path / "escape.pdf").exists()


def test_ping_on_s3_fails_while_the_server_is_down(s3_server: Any) -> None:
    storage = S3Storage(s3_server.bucket, "ping", _s3_access(s3_server))
    storage.ping()
    storage.put(KEY, b"kept")
    s3_server.stop()
    try:
        with pytest.raises(StorageError, match="EndpointConnectionError"):
            storage.ping()
        with pytest.raises(StorageError):
            storage.get(KEY)
        with pytest.raises(StorageError):
            storage.exists(KEY)
    finally:
        s3_server.start()
    storage.ping()  # the same client reconnects by itself
    assert storage.get(KEY) == b"kept"


def test_ping_on_s3_fails_for_a_bucket_that_is_not_there(s3_server: Any) -> None:
    with pytest.raises(StorageError, match="NoSuchBucket"):
        S3Storage("cdht-no-such-bucket", "", _s3_access(s3_server)).ping()


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")  # the local server's
def test_a_client_made_before_a_fork_is_not_the_childs(s3_server: Any) -> None:
    """Celery's prefork pool forks after the app (and perhaps its client) exists: the child makes its own client and
    stores through it; the parent keeps its own."""
    storage = S3Storage(s3_server.bucket, "fork", _s3_access(s3_server))
    parent_client = storage.client
    assert storage.client is parent_client  # one per process, made once
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if it got a client of its own and stored through it
        try:
            ok = storage.client is not parent_client and storage.put(KEY, b"from the child") is not None
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert storage.client is parent_client
    assert storage.get(KEY) == b"from the child"


def test_ping(tmp_path: Path) -> None:
    FileStorage(tmp_path / "new" / "root").ping()
    assert (tmp_path / "new" / "root").is_dir()
    not_a_dir = tmp_path / "file"
    not_a_dir.write_bytes(b"")
    with pytest.raises(StorageError):
        FileStorage(not_a_dir).ping()


def test_storage_from_url(tmp_path: Path) -> None:
    by_url = storage_from_url(f"file://{tmp_path}/store")
    by_path = storage_from_url(str(tmp_path / "store"))
    assert isinstance(by_url, FileStorage) and isinstance(by_path, FileStorage)
    assert by_url.root == by_path.root == tmp_path / "store"
    by_url.put(KEY, b"x")
    assert by_path.get(KEY) == b"x"


def test_storage_from_url_names_a_bucket_and_prefix() -> None:
    access = S3Access(endpoint_url="http://127.0.0.1:9000")
    storage = storage_from_url("s3://cdht-docs/prod/2026/", access)
    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.prefix, storage.access) == ("cdht-docs", "prod/2026", access)
    assert storage_from_url("s3://cdht-docs").prefix == ""  # type: ignore[attr-defined]


@pytest.mark.parametrize("url", ["s3://", "s3://UPPER/x", "s3://b/../x", "http://example.com/store",
                                 "file://otherhost/x", ""])
def test_storage_from_url_rejects_unsupported(url: str) -> None:
    with pytest.raises(ValueError, match="storage URL"):
        storage_from_url(url)


def test_a_server_that_ignores_conditional_writes_is_not_ready(s3_server: Any) -> None:
    """An old S3-compatible server that writes over an existing object despite `If-None-Match: *` would break the
    write-once promise unseen: ping, which serves readiness, finds it out."""
    storage = S3Storage(s3_server.bucket, f"ignoring-{uuid.uuid4().hex[:8]}", _s3_access(s3_server))
    storage.ping()
    with s3_server.conditional_writes("ignored"), pytest.raises(StorageError, match="ignores If-None-Match"):
        storage.ping()
    storage.ping()


def test_a_server_that_refuses_conditional_writes_is_checked_before_writing(
        s3_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    """A server answering 501 to `If-None-Match`: put() looks first, writes, and reads the hash back (ADR 44)."""
    storage = S3Storage(s3_server.bucket, f"refusing-{uuid.uuid4().hex[:8]}", _s3_access(s3_server))
    with s3_server.conditional_writes("refused"):
        assert storage.put(KEY, b"first") == hashlib.sha256(b"first").hexdigest()
        assert not storage.conditional_writes
        assert storage.put(KEY, b"first") == hashlib.sha256(b"first").hexdigest()
        with pytest.raises(StorageConflict):
            storage.put(KEY, b"second")
        storage.ping()
    assert storage.get(KEY) == b"first"
    assert "refuses conditional writes" in caplog.text


def test_iter_keys_lists_objects_only(tmp_path: Path) -> None:
    """What a backup copies (ADR 46): every object, sorted, by prefix; never a temporary file or a stray name."""
    storage = FileStorage(tmp_path / "store")
    assert list(storage.iter_keys()) == []  # the folder does not exist yet
    for key in ("decisions/2026/00004/d1.pdf", KEY, "certificates/2026/00070/AAAAA-BBBBB.pdf"):
        storage.put(key, key.encode())
    (tmp_path / "store/certificates/.tmp-half-written").write_bytes(b"partial")
    (tmp_path / "store/certificates/not a key.pdf").write_bytes(b"put there by hand")
    assert list(storage.iter_keys()) == sorted([KEY, "certificates/2026/00070/AAAAA-BBBBB.pdf",
                                                "decisions/2026/00004/d1.pdf"])
    assert list(storage.iter_keys("decisions/")) == ["decisions/2026/00004/d1.pdf"]


def test_iter_keys_on_both_backends(storage: Storage) -> None:
    """Every object, sorted, by prefix, on either backend; on S3 the readiness probe's object is not one."""
    keys = ["decisions/2026/00004/d1.pdf", KEY, "certificates/2026/00070/AAAAA-BBBBB.pdf"]
    assert list(storage.iter_keys()) == []
    for key in keys:
        storage.put(key, key.encode())
    storage.ping()
    assert list(storage.iter_keys()) == sorted(keys)
    assert list(storage.iter_keys("decisions/")) == ["decisions/2026/00004/d1.pdf"]
