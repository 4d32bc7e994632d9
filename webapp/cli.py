"""Operator commands: `flask db upgrade`, `flask seed`, `flask demo`, `flask users create`, `flask sweep`."""

import sys
from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask
from flask.cli import AppGroup

from workflows import accounts
from workflows.db import session_scope
from workflows.effects import take_ready
from workflows.errors import DomainError
from workflows.seed import seed_demo, seed_reference
from workflows.vocabulary import Role

from .config import ROOT
from .dispatch import send
from .i18n import message
from .runtime import runtime

STAFF_ROLES = (Role.WARD_REVIEWER, Role.WARD_CHAIR, Role.CITY_ADMIN)


def alembic_config(database_url: str) -> AlembicConfig:
    """Alembic driven directly (Flask-Migrate assumes Flask-SQLAlchemy)."""
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["database_url"] = database_url
    return cfg


def _fail(exc: DomainError) -> None:
    details = "; ".join(f"{k}: {message(v, 'en', **exc.params)}" for k, v in exc.fields.items())
    click.echo(f"error: {message(exc.code, 'en', **exc.params)} {details}", err=True)
    sys.exit(2)


def register(app: Flask) -> None:
    """Attach the command groups to the app."""
    db_group = AppGroup("db", help="Database migrations.")
    users = AppGroup("users", help="Staff accounts.")

    @db_group.command("upgrade")
    def upgrade() -> None:
        """Apply every migration (alembic upgrade head)."""
        command.upgrade(alembic_config(runtime().settings.database_url), "head")
        click.echo("database is at the newest revision")

    @app.cli.command("seed")
    def seed() -> None:
        """Load Hà Nội's wards, the Plan 52 targets and the QĐ 324 criteria (idempotent)."""
        with session_scope(runtime().engine) as session:
            count = seed_reference(session)
        click.echo(f"{count} wards, targets and criteria are in place")

    @app.cli.command("demo")
    @click.option("--password", envvar="CDHT_DEMO_PASSWORD", default="demo-cdht-2026", show_default=True)
    def demo(password: str) -> None:
        """Create demo denominators and accounts (embedded runs only)."""
        if runtime().settings.env == "production":
            click.echo("error: demo data is refused in production", err=True)
            sys.exit(2)
        with session_scope(runtime().engine) as session:
            seed_reference(session)
            logins = seed_demo(session, password)
        click.echo(f"Demo logins (password for all: {password}):")
        for login in logins:
            click.echo(f"  {login.role:<14} {login.username:<16} {login.ward or ''}")

    @users.command("create")
    @click.option("--username", required=True)
    @click.option("--password", required=True, prompt=True, hide_input=True)
    @click.option("--role", required=True, type=click.Choice([r.value for r in STAFF_ROLES]))
    @click.option("--ward", default=None, help="5-digit ward code (ward staff only)")
    @click.option("--cccd", default=None, help="the staff member's own CCCD, so they never review themselves")
    def create(username: str, password: str, role: str, ward: str | None, cccd: str | None) -> None:
        """Create a staff account."""
        try:
            with session_scope(runtime().engine) as session:
                user = accounts.create_user(session, username=username, password=password, role=role,
                                            ward_code=ward, cccd=cccd)
        except DomainError as exc:
            _fail(exc)
        click.echo(f"created {user.role} {user.username}")

    @app.cli.command("sweep")
    def sweep() -> None:
        """Re-enqueue certificates stuck in queued or rendering."""
        from workflows import issuance

        with session_scope(runtime().engine) as session:
            ids = issuance.sweep(session)
        click.echo(f"re-enqueued {send(take_ready(session))} of {len(ids)} certificates")

    @app.cli.command("retry-failed")
    def retry_failed() -> None:
        """Queue every failed certificate again (after fixing what made them fail)."""
        from workflows import issuance

        with session_scope(runtime().engine) as session:
            ids = issuance.retry_failed(session)
        click.echo(f"re-enqueued {send(take_ready(session))} of {len(ids)} failed certificates")

    @app.cli.command("public-key")
    @click.argument("out", type=click.Path(dir_okay=False, path_type=Path), required=False)
    def public_key(out: Path | None) -> None:
        """Print (or write) the Ed25519 public key that verifies certificate signatures offline."""
        pem = runtime().public_key
        if out:
            out.write_bytes(pem)
        else:
            click.echo(pem.decode().strip())

    app.cli.add_command(db_group)
    app.cli.add_command(users)
