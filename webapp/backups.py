"""Backups of the database and the document storage, and restoring them (ADR 46).

A backup is one folder: the database (`pg_dump --format=custom` on PostgreSQL, SQLite's online backup API on the
embedded runtime), every object of the storage under `storage/`, and `manifest.json` naming the SHA-256 of every
file, the Alembic revision, the time and the app's version. It is built in a hidden folder beside its destination
and renamed into place when complete, so a folder with the destination's name is always a whole backup.

Restoring checks the manifest (every file and its SHA-256, the revision known to this code) before it touches
anything, refuses a target database or storage that already holds something unless forced, then loads the database
and puts every object back through the storage's own `put` (write-once: an object that differs is a conflict).

Keys are never in a backup: the operator keeps them apart (see KEYS_NOTE).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from certificates.storage import Storage, StorageError, fsync_path, validate_key
from workflows.clock import now

FORMAT = "cdht-backup/1"
MANIFEST = "manifest.json"
POSTGRESQL_DUMP = "database.pgdump"
SQLITE_COPY = "database.sqlite3"
STORAGE_FOLDER = "storage"
CHUNK = 1 << 20
KEYS_NOTE = ("Keys are NOT in the backup: the signing key (SIGNING_KEY_PATH), SECRET_KEY, IDENTITY_KEY, AUDIT_KEY and "
             "TOTP_KEY are backed up separately by the operator. Identity numbers are sealed with IDENTITY_KEY and "
             "the audit trail with AUDIT_KEY: a restored database needs the same keys.")

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or a restore refused or failed; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    """What a backup holds, as written to manifest.json."""

    database_kind: str  # "postgresql" or "sqlite"
    alembic_revision: str
    created_at: str
    app_version: str
    files: dict[str, str] = field(default_factory=dict)  # relative path -> SHA-256 hex
    format: str = FORMAT

    @property
    def database_file(self) -> str:
        """The database's file in the backup."""
        return POSTGRESQL_DUMP if self.database_kind == "postgresql" else SQLITE_COPY

    @property
    def storage_keys(self) -> list[str]:
        """The storage objects the backup holds."""
        prefix = f"{STORAGE_FOLDER}/"
        return sorted(name[len(prefix):] for name in self.files if name.startswith(prefix))

    def to_json(self) -> str:
        """The manifest's text."""
        return json.dumps({"format": self.format, "database_kind": self.database_kind,
                           "alembic_revision": self.alembic_revision, "created_at": self.created_at,
                           "app_version": self.app_version, "keys_included": False, "files": self.files},
                          indent=2, sort_keys=True) + "\n"


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _kind(url: URL) -> str:
    if url.get_backend_name() == "postgresql":
        return "postgresql"
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return "sqlite"
    raise BackupError(f"backups support PostgreSQL and SQLite files, not {url.get_backend_name()!r}")


def app_version() -> str:
    """The installed version of this code."""
    try:
        return metadata.version("cdht")
    except metadata.PackageNotFoundError:
        return "unknown"


def _revision(database_url: str) -> str:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except SQLAlchemyError as exc:
        raise BackupError(f"cannot read the database's Alembic revision ({type(exc).__name__}): is it "
                          "reachable and migrated (`flask db upgrade`)?") from None
    finally:
        engine.dispose()
    if len(rows) != 1:
        raise BackupError(f"the database has {len(rows)} Alembic heads: migrate it (`flask db upgrade`) first")
    return str(rows[0])


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump/pg_restore, the password in the environment (never on a command line)."""
    args = [f"--dbname={url.database}"]
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--username={url.username}")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(tool: str, args: Iterable[str], env: dict[str, str]) -> None:
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} not found: install the PostgreSQL client of the server's version "
                          "(Debian: postgresql-client-15)")
    done = subprocess.run([tool, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")


def create(database_url: str, storage: Storage, destination: Path, progress: Progress) -> Manifest:
    """Write a backup of the database and the storage to the new folder `destination`, atomically."""
    url = make_url(database_url)
    kind = _kind(url)
    destination = destination.resolve()
    if destination.exists():
        raise BackupError(f"{destination} already exists: a backup is never overwritten, name a new folder")
    if not destination.parent.is_dir():
        raise BackupError(f"{destination.parent} is not a folder")
    revision = _revision(database_url)
    work = Path(tempfile.mkdtemp(prefix=f".{destination.name}.partial-", dir=destination.parent))
    try:
        files: dict[str, str] = {}
        database_file = work / (POSTGRESQL_DUMP if kind == "postgresql" else SQLITE_COPY)
        progress(f"database: {kind} at revision {revision}")
        if kind == "postgresql":
            args, env = _libpq(url)
            _run("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", f"--file={database_file}", *args],
                 env)
        else:
            _sqlite_copy(Path(str(url.database)), database_file)
        files[database_file.name] = _sha256_of(database_file)
        progress(f"database: {database_file.stat().st_size:,} bytes written")
        count = 0
        for key in storage.iter_keys():
            target = work / STORAGE_FOLDER / key
            target.parent.mkdir(parents=True, exist_ok=True)
            data = storage.get(key)
            target.write_bytes(data)
            files[f"{STORAGE_FOLDER}/{key}"] = hashlib.sha256(data).hexdigest()
            count += 1
            if count % 1000 == 0:
                progress(f"storage: {count:,} objects copied")
        progress(f"storage: {count:,} objects copied")
        manifest = Manifest(database_kind=kind, alembic_revision=revision, app_version=app_version(),
                            created_at=now().isoformat(timespec="seconds"), files=files)
        (work / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        for path in sorted(work.rglob("*"), reverse=True):  # files before their folders
            fsync_path(path)
        fsync_path(work)
        work.rename(destination)
        fsync_path(destination.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (its online backup API: writers may go on meanwhile)."""
    if not source.is_file():
        raise BackupError(f"the SQLite database {source} does not exist")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def read_manifest(folder: Path) -> Manifest:
    """The manifest of a backup folder, or BackupError naming what is wrong with it."""
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} is not a backup: {MANIFEST} is missing")
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format") != FORMAT:
            raise BackupError(f"{path}: unknown format {raw.get('format')!r} (this code reads {FORMAT})")
        files = raw["files"]
        if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
            raise TypeError("files")
        manifest = Manifest(database_kind=str(raw["database_kind"]), alembic_revision=str(raw["alembic_revision"]),
                            created_at=str(raw["created_at"]), app_version=str(raw["app_version"]),
                            files={str(k): v for k, v in files.items()})
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(f"{path} is not a valid manifest ({type(exc).__name__}: {exc})") from None
    if manifest.database_kind not in ("postgresql", "sqlite") or manifest.database_file not in manifest.files:
        raise BackupError(f"{path} names no database file")
    return manifest


def check(folder: Path, manifest: Manifest, known_revisions: set[str], progress: Progress) -> None:
    """Every file the manifest names is there with its SHA-256, nothing else is, and this code knows the revision."""
    if manifest.alembic_revision not in known_revisions:
        raise BackupError(f"the backup is at Alembic revision {manifest.alembic_revision}, which this code does not "
                          "know: it was made by a newer release; restore it with that release's code")
    listed = set(manifest.files)
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {MANIFEST}
    if missing := sorted(listed - present):
        raise BackupError(f"the backup is incomplete: {len(missing)} files missing, first {missing[0]}")
    if extra := sorted(present - listed):
        raise BackupError(f"the backup holds {len(extra)} files its manifest does not name, first {extra[0]}")
    for name in manifest.storage_keys:
        try:
            validate_key(name)
        except ValueError:
            raise BackupError(f"the manifest names an invalid storage key: {name!r}") from None
    for n, (name, expected) in enumerate(sorted(manifest.files.items()), start=1):
        if _sha256_of(folder / name) != expected:
            raise BackupError(f"{name} does not match its SHA-256 in the manifest: the backup is damaged")
        if n % 1000 == 0:
            progress(f"checked {n:,} of {len(listed):,} files")
    progress(f"manifest checked: {len(listed):,} files, every SHA-256 matches")


def restore(database_url: str, storage: Storage, folder: Path, *, force: bool, known_revisions: set[str],
            progress: Progress) -> Manifest:
    """Check the backup, then load its database and put back its storage objects (see the module's text)."""
    manifest = read_manifest(folder)
    url = make_url(database_url)
    kind = _kind(url)
    if manifest.database_kind != kind:
        raise BackupError(f"the backup holds a {manifest.database_kind} database and DATABASE_URL names a {kind} "
                          "one: restore it on the runtime it was made on")
    check(folder, manifest, known_revisions, progress)
    held = next(iter(storage.iter_keys()), None)
    if held is not None and not force:
        raise BackupError(f"the storage is not empty (it holds {held}, maybe more): restore into an empty storage, "
                          "or pass --force to add the backup's objects to it")
    source = folder / manifest.database_file
    if kind == "postgresql":
        _restore_postgresql(url, source, force, progress)
    else:
        _restore_sqlite(Path(str(url.database)), source, force, progress)
    count = 0
    for count, key in enumerate(manifest.storage_keys, start=1):
        try:
            storage.put(key, (folder / STORAGE_FOLDER / key).read_bytes())
        except StorageError as exc:
            raise BackupError(f"storage: {key} could not be restored: {exc}") from None
        if count % 1000 == 0:
            progress(f"storage: {count:,} objects restored")
    progress(f"storage: {count:,} objects restored")
    return manifest


def _restore_postgresql(url: URL, dump: Path, force: bool, progress: Progress) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname NOT IN "
                                       "('pg_catalog', 'information_schema')")).scalar_one()
            if tables and not force:
                raise BackupError(f"the database {url.database} is not empty ({tables} tables): restore into an "
                                  "empty database (createdb), or pass --force to drop everything in it first")
            if tables:
                progress(f"database: dropping the {tables} tables of {url.database} (--force)")
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
    except SQLAlchemyError as exc:
        raise BackupError(f"cannot open the database {url.database} ({type(exc).__name__}): create it empty first "
                          f"(createdb {url.database}) and check DATABASE_URL") from None
    finally:
        engine.dispose()
    args, env = _libpq(url)
    progress(f"database: pg_restore into {url.database}")
    _run("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", *args, str(dump)],
         env)


def _restore_sqlite(target: Path, copy: Path, force: bool, progress: Progress) -> None:
    if target.exists() and target.stat().st_size > 0 and not force:
        raise BackupError(f"the database file {target} exists: stop the web app and the workers, then restore "
                          "with --force to replace it (or move it away first)")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.restore-", dir=target.parent)
    os.close(fd)
    temp = Path(temp_name)
    try:
        shutil.copyfile(copy, temp)
        fsync_path(temp)
        for journal in ("-wal", "-shm", "-journal"):  # a journal of the replaced file must not be replayed on it
            Path(f"{target}{journal}").unlink(missing_ok=True)
        os.replace(temp, target)
        fsync_path(target.parent)
    finally:
        temp.unlink(missing_ok=True)
    progress(f"database: {target} replaced")
