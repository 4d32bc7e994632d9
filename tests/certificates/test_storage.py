"""Write-once file storage."""

import hashlib
import stat
from pathlib import Path

import pytest

from certificates.storage import (
    FileStorage,
    Storage,
    StorageConflict,
    StorageError,
    StorageKeyMissing,
    storage_from_url,
)

KEY = "certificates/2025/00004/7K3QW-M9TXA.pdf"


def test_put_get_exists(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    assert isinstance(storage, Storage)
    assert not storage.exists(KEY)
    digest = storage.put(KEY, b"%PDF-1.7 first")
    assert digest == hashlib.sha256(b"%PDF-1.7 first").hexdigest()
    assert storage.exists(KEY)
    assert storage.get(KEY) == b"%PDF-1.7 first"
    assert (tmp_path / KEY).read_bytes() == b"%PDF-1.7 first"


def test_same_bytes_again_is_idempotent(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    first = storage.put(KEY, b"same")
    assert storage.put(KEY, b"same") == first
    assert storage.get(KEY) == b"same"


def test_different_bytes_conflict_and_leave_the_original(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    storage.put(KEY, b"original")
    with pytest.raises(StorageConflict):
        storage.put(KEY, b"changed")
    assert storage.get(KEY) == b"original"


def test_stored_file_is_read_only_and_no_temp_files_remain(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    storage.put(KEY, b"data")
    mode = stat.S_IMODE((tmp_path / KEY).stat().st_mode)
    assert mode == 0o444
    assert sorted(p.name for p in (tmp_path / KEY).parent.iterdir()) == ["7K3QW-M9TXA.pdf"]


def test_missing_key(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
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
def test_bad_keys_are_rejected(tmp_path: Path, key: str) -> None:
    storage = FileStorage(tmp_path / "root")
    with pytest.raises(ValueError, match="invalid storage key"):
        storage.put(key, b"x")
    with pytest.raises(ValueError, match="invalid storage key"):
        storage.get(key)
    with pytest.raises(ValueError, match="invalid storage key"):
        storage.exists(key)
    assert not (tmp_path / "escape.pdf").exists()


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


@pytest.mark.parametrize("url", ["s3://bucket/prefix", "http://example.com/store", "file://otherhost/x", ""])
def test_storage_from_url_rejects_unsupported(url: str) -> None:
    with pytest.raises(ValueError, match="storage URL"):
        storage_from_url(url)


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
