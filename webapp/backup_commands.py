"""`flask backup DEST` and `flask restore SRC [--force]` (ADR 46): the operator's side of webapp/backups.py."""

import sys
from pathlib import Path

import click
from alembic import command
from alembic.script import ScriptDirectory

from .backups import KEYS_NOTE, BackupError, create, restore
from .operators import record
from .runtime import runtime


def _code_revisions(database_url: str) -> tuple[set[str], str | None]:
    """Every Alembic revision this code knows, and its head."""
    from .cli import alembic_config

    script = ScriptDirectory.from_config(alembic_config(database_url))
    return {rev.revision for rev in script.walk_revisions()}, script.get_current_head()


def register(cli: click.Group) -> None:
    """Attach `backup` and `restore` to the app's command line."""

    @cli.command("backup")
    @click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
    def backup(destination: Path) -> None:
        """Back up the database and every stored document into the new folder DESTINATION (with a manifest of
        SHA-256s); the keys are not included."""
        settings = runtime().settings
        try:
            manifest = create(settings.database_url, runtime().storage, destination, click.echo)
        except BackupError as exc:
            click.echo(f"error: backup failed: {exc}", err=True)
            sys.exit(2)
        click.echo(f"backup complete: {destination} ({len(manifest.files)} files, revision "
                   f"{manifest.alembic_revision}, {manifest.created_at})")
        click.echo(KEYS_NOTE)

    @cli.command("restore")
    @click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help="Replace a database that is not empty, and add to a storage that is "
                                                "not empty (objects that differ are still refused).")
    def restore_command(source: Path, force: bool) -> None:
        """Restore a backup made by `flask backup` into an empty database and storage; stop the web app and the
        workers first. The backup is checked (every SHA-256, its revision) before anything is touched."""
        settings = runtime().settings
        known, head = _code_revisions(settings.database_url)
        runtime().engine.dispose()  # no pooled connection to the database about to be replaced
        try:
            manifest = restore(settings.database_url, runtime().storage, source, force=force, known_revisions=known,
                               progress=click.echo)
        except BackupError as exc:
            click.echo(f"error: restore failed: {exc}", err=True)
            sys.exit(2)
        finally:
            runtime().engine.dispose()
        if manifest.alembic_revision != head:
            from .cli import alembic_config

            click.echo(f"database: migrating from {manifest.alembic_revision} to this code's {head}")
            command.upgrade(alembic_config(settings.database_url, settings.identity_seal_key), "head")
        record("restore", {"source": source, "force": force, "backup_created_at": manifest.created_at,
                           "backup_revision": manifest.alembic_revision})
        click.echo(f"restore complete from {source} (made {manifest.created_at} by version {manifest.app_version}). "
                   "Check it: `flask audit verify` and `flask rollup check`.")
        click.echo(KEYS_NOTE)
