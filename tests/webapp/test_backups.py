"""webapp/backups.py on small SQLite files and a folder storage: what a backup holds and what a restore refuses
(the whole drill on both runtimes is tests/integration/test_restore_drill.py)."""

import json
import sqlite3
from pathlib import Path

import pytest

from certificates.storage import FileStorage
from webapp.backups import MANIFEST, SQLITE_COPY, BackupError, create, read_manifest, restore

REVISION = "5e6f708192a3"
KEY = "certificates/2026/00004/AAAAA-BBBBB.pdf"


def _database(path: Path, revision: str = REVISION) -> str:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
        conn.execute("CREATE TABLE note (body TEXT)")
        conn.execute("INSERT INTO note VALUES ('kept')")
    conn.close()
    return f"sqlite:///{path}"


@pytest.fixture
def backup(tmp_path: Path) -> Path:
    storage = FileStorage(tmp_path / "storage")
    storage.put(KEY, b"%PDF-1.7 issued")
    said: list[str] = []
    create(_database(tmp_path / "live.db"), storage, tmp_path / "backup", said.append)
    assert any("1 objects copied" in line for line in said)
    return tmp_path / "backup"


def test_a_backup_is_a_folder_with_its_manifest(backup: Path, tmp_path: Path) -> None:
    manifest = read_manifest(backup)
    assert manifest.alembic_revision == REVISION and manifest.database_kind == "sqlite"
    assert set(manifest.files) == {SQLITE_COPY, f"storage/{KEY}"}
    assert json.loads((backup / MANIFEST).read_text())["keys_included"] is False
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no partial folder left
    with pytest.raises(BackupError, match="already exists"):
        create(f"sqlite:///{tmp_path / 'live.db'}", FileStorage(tmp_path / "storage"), backup, print)


def test_restore_into_nothing_then_refuse_what_is_not_empty(backup: Path, tmp_path: Path) -> None:
    target, storage = tmp_path / "restored.db", FileStorage(tmp_path / "new-storage")
    restore(f"sqlite:///{target}", storage, backup, force=False, known_revisions={REVISION}, progress=print)
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT body FROM note").fetchall() == [("kept",)]
    conn.close()
    assert storage.get(KEY) == b"%PDF-1.7 issued"
    with pytest.raises(BackupError, match="storage is not empty"):
        restore(f"sqlite:///{target}", storage, backup, force=False, known_revisions={REVISION}, progress=print)
    with pytest.raises(BackupError, match=r"database file .* exists"):
        restore(f"sqlite:///{target}", FileStorage(tmp_path / "third"), backup, force=False,
                known_revisions={REVISION}, progress=print)
    restore(f"sqlite:///{target}", storage, backup, force=True, known_revisions={REVISION}, progress=print)


@pytest.mark.parametrize(("damage", "refusal"), [
    (lambda b: (b / MANIFEST).unlink(), "manifest.json is missing"),
    (lambda b: (b / MANIFEST).write_text("{"), "not a valid manifest"),
    (lambda b: (b / SQLITE_COPY).unlink(), "1 files missing"),
    (lambda b: (b / "storage/extra.pdf").write_bytes(b"x"), "does not name"),
    (lambda b: (b / SQLITE_COPY).write_bytes(b"SQLite format 3\0 changed"), "does not match its SHA-256"),
])
def test_a_damaged_backup_touches_nothing(backup: Path, tmp_path: Path, damage, refusal: str) -> None:
    damage(backup)
    target = tmp_path / "untouched.db"
    with pytest.raises(BackupError, match=refusal):
        restore(f"sqlite:///{target}", FileStorage(tmp_path / "s2"), backup, force=True, known_revisions={REVISION},
                progress=print)
    assert not target.exists() and not (tmp_path / "s2").exists()


def test_a_newer_revision_or_another_database_kind_is_refused(backup: Path, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="does not know: it was made by a newer release"):
        restore(f"sqlite:///{tmp_path / 'x.db'}", FileStorage(tmp_path / "s"), backup, force=False,
                known_revisions={"09a6f59bf26a"}, progress=print)
    with pytest.raises(BackupError, match="holds a sqlite database and DATABASE_URL names a postgresql one"):
        restore("postgresql+psycopg://postgres@127.0.0.1:5432/nowhere", FileStorage(tmp_path / "s"), backup,
                force=False, known_revisions={REVISION}, progress=print)
