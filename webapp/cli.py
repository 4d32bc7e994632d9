"""Operator commands: `flask db upgrade`, `flask seed`, `flask demo [generate]`, `flask users create`, `flask sweep`,
`flask rollup check|rebuild`, `flask digital import`, `flask citizens import`, `flask backup`, `flask restore`."""

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlmodel import Session, select

from certificates import new_code
from workflows import accounts, bounded_json
from workflows.actors import Actor
from workflows.db import session_scope
from workflows.demo_ward import DECISION_NUMBER, WARD, seed_living_ward
from workflows.effects import take_ready
from workflows.errors import DomainError
from workflows.models import User
from workflows.seed import seed_demo, seed_reference
from workflows.vocabulary import (
    PEOPLE_MODES,
    CampaignDate,
    DenominatorMode,
    ReportPeriod,
    Role,
    TargetIndicator,
    UnitIndicator,
)

from . import backup_commands
from .config import ROOT
from .dispatch import drain_outbox, send, unit_of_work
from .i18n import message
from .operators import audit_commands
from .runtime import runtime

STAFF_ROLES = (Role.WARD_REVIEWER, Role.WARD_CHAIR, Role.CENTRE_STAFF, Role.CITY_ADMIN)


def alembic_config(database_url: str, identity_key: bytes | None = None) -> AlembicConfig:
    """Alembic driven directly (Flask-Migrate assumes Flask-SQLAlchemy); `identity_key` for the migrations that
    seal identity numbers (else the environment's settings give it)."""
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["database_url"] = database_url
    if identity_key is not None:
        cfg.attributes["identity_key"] = identity_key
    return cfg


def _fail(exc: DomainError) -> None:
    details = "; ".join(f"{k}: {message(v, 'en', **exc.params)}" for k, v in exc.fields.items())
    click.echo(f"error: {message(exc.code, 'en', **exc.params)} {details}", err=True)
    sys.exit(2)


def _write_codes(path: Path, codes: Sequence[Any]) -> None:
    """The printed list of activation codes, readable by its owner only."""
    import csv
    import os

    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8-sig",
                   newline="") as out:
        writer = csv.writer(out)
        writer.writerow(("cccd_masked", "full_name", "activation_code"))
        writer.writerows((c.cccd_masked, c.full_name, c.code) for c in codes)


def register(app: Flask) -> None:
    """Attach the command groups to the app."""
    db_group = AppGroup("db", help="Database migrations.")
    users = AppGroup("users", help="Staff accounts.")

    @db_group.command("upgrade")
    def upgrade() -> None:
        """Apply every migration (alembic upgrade head)."""
        settings = runtime().settings
        command.upgrade(alembic_config(settings.database_url, settings.identity_seal_key), "head")
        click.echo("database is at the newest revision")

    @app.cli.command("seed")
    def seed() -> None:
        """Load Hà Nội's wards, the Plan 52 targets and the QĐ 324 criteria (idempotent)."""
        with session_scope(runtime().engine) as session:
            count = seed_reference(session)
        click.echo(f"{count} wards, targets and criteria are in place")

    @app.cli.group("demo", invoke_without_command=True)
    @click.option("--password", envvar="CDHT_DEMO_PASSWORD", default="demo-cdht-2026", show_default=True)
    @with_appcontext  # a group's own callback gets no app context from AppGroup (its commands do)
    @click.pass_context
    def demo(ctx: click.Context, password: str) -> None:
        """Create demo denominators and accounts (embedded runs only); `demo generate` makes a synthetic city."""
        if runtime().settings.env == "production":
            click.echo("error: demo data is refused in production", err=True)
            sys.exit(2)
        if ctx.invoked_subcommand is not None:
            return
        with session_scope(runtime().engine) as session:
            seed_reference(session)
            logins = seed_demo(session, password)
        with unit_of_work(runtime().engine) as session:  # the decision's certificates are sent after the commit
            ward = seed_living_ward(session, password, new_code=new_code, verify_url=runtime().verify_url)
        click.echo(f"Demo logins (password for all: {password}):")
        for login in logins:
            click.echo(f"  {login.role:<14} {login.username:<16} {login.ward or ''}")
        if ward is not None:
            states = ", ".join(f"{n} {state}" for state, n in ward.applications.items())
            click.echo(f"Demo ward {WARD}: {ward.citizens} residents, applications {states}; decision "
                       f"{DECISION_NUMBER} with {ward.certificates} certificates (the worker issues them); "
                       f"{ward.digital_records} digital-skill records")

    @demo.command("generate")
    @click.option("--citizens", type=click.IntRange(min=0), required=True, help="people across the 126 wards")
    @click.option("--backlog", multiple=True, metavar="WARD:N",
                  help="N more adults in WARD, each with a submitted application (repeatable)")
    @click.option("--year", type=int, default=None, help="the year of the applications  [default: this year]")
    @click.option("--seed", type=int, default=1, show_default=True)
    @click.option("--password", envvar="CDHT_DEMO_PASSWORD", default="demo-cdht-2026", show_default=True,
                  help="the one password of every generated account")
    def demo_generate(citizens: int, backlog: tuple[str, ...], year: int | None, seed: int, password: str) -> None:
        """Generate a synthetic city into an empty database (ADR 0009); refused if it has citizens."""
        from workflows import synthetic
        from workflows.clock import today

        queues: dict[str, int] = {}
        for item in backlog:
            ward, _, count = item.partition(":")
            if len(ward) != 5 or not ward.isdigit() or not count.isdigit():
                raise click.BadParameter(f"{item!r} is not WARD:N (e.g. 00004:100000)", param_hint="--backlog")
            queues[ward] = queues.get(ward, 0) + int(count)
        rt = runtime()
        with click.progressbar(length=citizens + sum(queues.values()), label="Generating", file=sys.stderr) as bar:
            try:
                report = synthetic.generate(rt.engine, citizens=citizens, year=year or today().year, seed=seed,
                                            backlog=queues, progress=bar.update, password=password,
                                            public_base_url=rt.settings.public_base_url)
            except (synthetic.CityNotEmpty, synthetic.NotSeeded, ValueError) as exc:
                click.echo(f"\nerror: {exc}", err=True)
                sys.exit(2)
        click.echo(f"generated {report.citizens:,} citizens, {report.applications:,} applications, "
                   f"{report.certificates:,} certificates ({report.live_certificates:,} live), "
                   f"{report.decisions:,} decisions for {report.year} in {report.seconds['total']:.1f} s; "
                   f"password of every account: {report.password}")

    @users.command("create")
    @click.option("--username", required=True)
    @click.option("--role", required=True, type=click.Choice([r.value for r in STAFF_ROLES]))
    @click.option("--ward", default=None, help="5-digit ward code (ward staff only)")
    @click.option("--cccd", required=True,
                  help="the staff member's own CCCD (số định danh cá nhân): required, so that the guard against "
                       "deciding on one's own application always applies")
    def create(username: str, role: str, ward: str | None, cccd: str) -> None:
        """Create a staff account; the password is asked for, twice, without echo (never on the command line,
        where the shell's history and the process list would keep it)."""
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            with session_scope(runtime().engine) as session:
                user = accounts.create_user(session, username=username, password=password, role=role,
                                            ward_code=ward, cccd=cccd)
        except DomainError as exc:
            _fail(exc)
        click.echo(f"created {user.role} {user.username}")

    @users.command("reset-2fa")
    @click.argument("username")
    @click.option("--by", default=None, help="The username of the city administrator doing it (audited).")
    def reset_two_factor(username: str, by: str | None) -> None:
        """Reset a staff member's two-step sign-in (a lost phone and no recovery code left), after checking who they
        are in person: signed out everywhere, they set it up again at their next sign-in (ADR 39)."""
        from workflows import two_factor
        from workflows.actors import SYSTEM_ACTOR
        from workflows.errors import NotFound

        try:
            with session_scope(runtime().engine) as session:
                operator = accounts.city_operator(session, by) if by else SYSTEM_ACTOR
                user_id = session.exec(select(User.id).where(User.username == username.strip())).first()
                if user_id is None:
                    raise NotFound()
                two_factor.reset(session, operator, user_id)
        except DomainError as exc:
            _fail(exc)
        click.echo(f"two-step sign-in of {username} reset: signed out everywhere; set up again at the next sign-in")

    @app.cli.command("sweep")
    @click.option("--now", "at_once", is_flag=True,
                  help="Re-send every queued certificate at once, without waiting for its grace (after a broker "
                       "restart that lost its messages).")
    def sweep(at_once: bool) -> None:
        """Send what waits in the outbox, then re-enqueue certificates stuck in queued or rendering, and decision
        documents and batches whose message was lost."""
        from datetime import timedelta

        from workflows import batches, decision_documents, issuance

        parked, waiting = drain_outbox(runtime().engine)
        with session_scope(runtime().engine) as session:
            ids = issuance.sweep(session, timedelta(0)) if at_once else issuance.sweep(session)
            documents, prepared = decision_documents.sweep(session), batches.sweep(session)
        sent, found = send(take_ready(session)), len(ids) + len(documents) + len(prepared)
        click.echo(f"sent {parked} from the outbox ({waiting} still waiting); re-enqueued {sent} of {found}: "
                   f"{len(ids)} certificates, {len(documents)} decision documents, {len(prepared)} batches")
        if waiting:
            click.echo("the broker did not take everything: run again when it is back", err=True)
            sys.exit(1)

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

    rollup = AppGroup("rollup", help="Counters: live certificates (ADR 10), applications per state (ADR 12), "
                                     "holders of basic digital skills (ADR 15) and holders broken down (ADR 20).")

    @rollup.command("check")
    def rollup_check() -> None:
        """Recount live certificates, applications, digital holders and the holders' breakdowns, compare with the
        counters; exit 1 naming every difference. The result is kept in the audit trail (/metrics shows it)."""
        from workflows import rollup_check as checking

        from .operators import operator

        with session_scope(runtime().engine) as session:
            report = checking.run(session)
            checking.record(session, report, operator())
        for d in report.live:
            click.echo(f"ward {d.ward_code} year {d.year} title {d.title_type}: counted {d.counted}, "
                       f"stored {d.stored}")
        for a in report.states:
            click.echo(f"ward {a.ward_code} year {a.year} state {a.state}: counted {a.counted}, stored {a.stored}")
        for h in report.digital:
            click.echo(f"ward {h.ward_code} year {h.year} digital holders: counted {h.counted}, stored {h.stored}")
        for b in report.broken:
            click.echo(f"ward {b.ward_code} year {b.year} {b.indicator} {b.breakdown} {b.bucket!r} "
                       f"{'15+' if b.aged_15_plus else 'under 15'}: counted {b.counted}, stored {b.stored}")
        for ward, year, counted, stored in report.numbers:
            click.echo(f"ward {ward} year {year} register numbers: {counted} certificates, last number {stored}")
        if not report.clean:
            click.echo(f"{report.differences} counters differ from the "
                       "certificates, applications and digital attainments (`flask rollup rebuild` recounts them)",
                       err=True)
            sys.exit(1)
        rows = report.rows
        click.echo(f"rollup counters agree ({rows[0]} rows); application counters agree ({rows[1]} rows); "
                   f"digital counters agree ({rows[2]} rows); holder counters agree ({rows[3]} rows); "
                   "register numbers agree")

    @rollup.command("rebuild")
    def rollup_rebuild() -> None:
        """Recount every counter from the live certificates, the applications and the digital attainments, and the
        register number sequences from the certificates (after a bulk load, or to repair)."""
        from workflows import application_counters, holder_counters, register_numbers, rollup_counters
        from workflows.digital import counters as digital_counters

        with session_scope(runtime().engine) as session:
            rows = (rollup_counters.rebuild(session), application_counters.rebuild(session),
                    digital_counters.rebuild(session), holder_counters.rebuild(session),
                    register_numbers.rebuild(session))
        click.echo(f"rollup counters rebuilt ({rows[0]} rows); application counters rebuilt ({rows[1]} rows); "
                   f"digital counters rebuilt ({rows[2]} rows); holder counters rebuilt ({rows[3]} rows); "
                   f"register number sequences rebuilt ({rows[4]} rows)")

    digital = AppGroup("digital", help="Digital skills: imports from training platforms (ADR 15).")

    @digital.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--source", required=True, help='The platform, e.g. "Bình dân học vụ số".')
    @click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
    def digital_import(file: Path, source: str, dry_run: bool) -> None:
        """Import completions (CSV: cccd,completed_on,external_id,course): all or nothing, idempotent."""
        from workflows.actors import SYSTEM_ACTOR
        from workflows.digital import imports

        try:
            rows = imports.parse(file.read_bytes())
            with session_scope(runtime().engine) as session, click.progressbar(
                    length=len(rows), label="Importing", file=sys.stderr) as bar:
                report = imports.import_completions(session, SYSTEM_ACTOR, rows, source, dry_run=dry_run,
                                                    progress=bar.update)
                if dry_run:
                    session.rollback()
        except DomainError as exc:
            _fail(exc)
        for number in report.unknown_rows:
            click.echo(f"row {number}: no citizen has this CCCD (not imported)")
        click.echo(f"{'dry run: ' if dry_run else ''}{report.rows} rows, {report.imported} imported, "
                   f"{report.skipped_existing} already imported, {report.unknown_cccd} unknown CCCD")

    population = AppGroup("population", help="Denominators: population per ward, year and mode.")

    @population.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--source", required=True, help='Where the figures come from, e.g. "Cục Thống kê Hà Nội, 2026".')
    @click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
    def population_import(file: Path, source: str, dry_run: bool) -> None:
        """Import population figures (CSV: ward_code,year,mode,population): all or nothing; the newest wins."""
        from workflows import populations
        from workflows.actors import SYSTEM_ACTOR

        try:
            with session_scope(runtime().engine) as session:
                rows = populations.parse(file.read_bytes(), populations.known_wards(session))
                report = populations.import_populations(session, SYSTEM_ACTOR, rows, source, file_name=file.name,
                                                        dry_run=dry_run)
                if dry_run:
                    session.rollback()
        except DomainError as exc:
            _fail(exc)
        click.echo(f"{'dry run: ' if dry_run else ''}{report.rows} rows, {report.imported} imported "
                   f"({report.replaced} replacing an earlier figure), {report.unchanged} unchanged")

    targets_group = AppGroup("targets", help="The plan's milestones: list them, or put one in force.")

    @targets_group.command("list")
    def targets_list() -> None:
        """The milestones in force."""
        from workflows import targets

        with session_scope(runtime().engine) as session:
            for t in targets.in_force(session):
                click.echo(f"{t.indicator:<8} {t.year}  {t.value * 100:g} %  {t.denominator_mode:<18} "
                           f"{t.source_document}")

    @targets_group.command("set")
    @click.option("--indicator", required=True, type=click.Choice(TargetIndicator.values()))
    @click.option("--year", required=True, type=int)
    @click.option("--percent", required=True, type=int, help="The share of the denominator, 1 to 100.")
    @click.option("--mode", "denominator_mode", default=DenominatorMode.RESIDENTS_15_PLUS.value,
                  type=click.Choice([m.value for m in PEOPLE_MODES]), show_default=True)
    @click.option("--source", "source_document", required=True, help='e.g. "Kế hoạch 52/KH-UBND".')
    def targets_set(**given: object) -> None:
        """Put a milestone in force; the one it replaces stays in the history."""
        from workflows import targets
        from workflows.actors import SYSTEM_ACTOR
        from workflows.inputs import TargetInput, parse

        try:
            with session_scope(runtime().engine) as session:
                target, changed = targets.set_target(session, SYSTEM_ACTOR, parse(TargetInput, given))
                line = f"{target.indicator} {target.year}: {target.value * 100:g} % ({target.denominator_mode})"
        except DomainError as exc:
            _fail(exc)
        click.echo(("set " if changed else "unchanged ") + line)

    citizens = AppGroup("citizens", help="Citizens' records kept by the city.")

    @citizens.command("move")
    @click.argument("cccd")
    @click.argument("ward_code")
    @click.option("--hamlet", default=None, help="The tổ dân phố/thôn in the new ward, if known.")
    def citizens_move(cccd: str, ward_code: str, hamlet: str | None) -> None:
        """Record a citizen's change of residence: their digital-skills holdings move with them (ADR 20)."""
        from workflows import residence
        from workflows.actors import SYSTEM_ACTOR

        try:
            with session_scope(runtime().engine) as session:
                citizen, changed = residence.move(session, SYSTEM_ACTOR, cccd, ward_code, hamlet)
                where = citizen.ward_code + (f" ({citizen.hamlet})" if citizen.hamlet else "")
        except DomainError as exc:
            _fail(exc)
        click.echo(("moved to " if changed else "unchanged: lives in ") + where)

    @citizens.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--ward", "ward_code", required=True, help="The ward's code: the citizens live there.")
    @click.option("--staff", "username", required=True, help="The ward reviewer or chair who registers them.")
    @click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
    @click.option("--codes-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Where to write the activation codes (CSV: cccd_masked,full_name,activation_code); "
                       "required unless --dry-run. Never printed.")
    def citizens_import(file: Path, ward_code: str, username: str, dry_run: bool, codes_out: Path | None) -> None:
        """Register a ward's citizens from a CSV file (cccd,full_name,date_of_birth,sex,target_group,hamlet,phone,
        email,consent_reference), consent signed on paper: all or nothing, idempotent by CCCD (ADR 25)."""
        from sqlmodel import select

        from workflows import assisted
        from workflows.models import User
        from workflows.registration import actor_for

        from .i18n import target_group_names

        if not dry_run and codes_out is None:
            raise click.UsageError("--codes-out is required to import (the codes are shown nowhere else)")
        if codes_out is not None and codes_out.exists():
            raise click.UsageError(f"{codes_out} exists: choose a new file for the codes")
        try:
            with session_scope(runtime().engine) as session:
                user = session.exec(select(User).where(User.username == username)).first()
                if user is None:
                    raise click.UsageError(f"no staff account {username!r}")
                actor = actor_for(session, user)
                rows = assisted.parse(file.read_bytes(), target_group_names())
                report = assisted.import_citizens(session, actor, ward_code, rows, file_name=file.name,
                                                  dry_run=dry_run)
                if dry_run:
                    session.rollback()
                elif codes_out is not None:  # written before the commit: no codes are lost to a failed write
                    _write_codes(codes_out, report.codes)
        except BaseException as exc:
            # Nothing committed (the commit itself may have failed): the codes written name no account, remove them.
            if codes_out is not None and not dry_run and codes_out.exists():
                codes_out.unlink()
            if not isinstance(exc, DomainError):
                raise
            _import_failed(exc)
        click.echo(f"{'dry run: ' if dry_run else ''}{report.rows} rows, {report.created} registered, "
                   f"{report.existing} already registered with the same details"
                   + (f"; activation codes written to {codes_out}" if codes_out and not dry_run else ""))

    def _import_failed(exc: DomainError) -> None:
        columns = exc.params.get("columns")
        if isinstance(columns, dict):
            for key, code in exc.fields.items():
                click.echo(f"{key} ({columns.get(key, '?')}): {message(code, 'en')}", err=True)
            click.echo(f"error: {len(exc.fields)} rows with mistakes; nothing was imported", err=True)
            sys.exit(2)
        _fail(exc)

    units = AppGroup("units", help="The plan's unit-level indicators: figures entered per ward or for the city.")

    @units.command("set")
    @click.option("--indicator", required=True, type=click.Choice(UnitIndicator.values()))
    @click.option("--year", required=True, type=int)
    @click.option("--period", required=True, type=click.Choice(ReportPeriod.values()))
    @click.option("--ward", "ward_code", default=None, help="A ward's code; leave out for the whole city.")
    @click.option("--achieved", required=True, type=int, help="How many meet the indicator.")
    @click.option("--total", required=True, type=int, help="How many were counted.")
    @click.option("--source", "source_note", required=True, help='e.g. "Báo cáo 12/BC-SGDĐT".')
    def units_set(**given: object) -> None:
        """Put a figure in force; the one it replaces stays in the history."""
        from workflows import unit_figures
        from workflows.actors import SYSTEM_ACTOR
        from workflows.inputs import UnitFigureInput, parse

        try:
            with session_scope(runtime().engine) as session:
                figure, changed = unit_figures.enter(session, SYSTEM_ACTOR, parse(UnitFigureInput, given))
                line = (f"{figure.indicator} {figure.year} {figure.period} {figure.ward_code or 'city'}: "
                        f"{figure.achieved}/{figure.total}")
        except DomainError as exc:
            _fail(exc)
        click.echo(("set " if changed else "unchanged ") + line)

    campaigns_group = AppGroup("campaigns", help="A year's campaign: registration, self-assessment, review, reports.")

    def _date_option(which: CampaignDate) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return click.option(f"--{which.value.replace('_', '-')}", which.value, default=None, metavar="YYYY-MM-DD",
                            help=f"{which.label} (default: the dates in force, else the year's defaults)")

    @campaigns_group.command("list")
    @click.option("--year", required=True, type=int)
    def campaigns_list(year: int) -> None:
        """The city's dates of a year and every ward with its own."""
        from workflows import campaigns

        with session_scope(runtime().engine) as session:
            view = campaigns.year_view(session, year)
        for who, dates in [("city", view.city), *view.wards]:
            shown = " ".join(f"{k.value}={v.isoformat()}" for k, v in dates.as_dict().items())
            closed = f" closed_at={dates.closed_at.isoformat()}" if dates.closed_at else ""
            click.echo(f"{who or 'city'} ({dates.source}) {shown}{closed}")

    @campaigns_group.command("set")
    @click.option("--year", required=True, type=int)
    @click.option("--ward", "ward_code", default=None, help="A ward's code; leave out for the whole city.")
    @_date_option(CampaignDate.REGISTRATION_OPENS)
    @_date_option(CampaignDate.REGISTRATION_CLOSES)
    @_date_option(CampaignDate.SELF_ASSESSMENT_OPENS)
    @_date_option(CampaignDate.SELF_ASSESSMENT_CLOSES)
    @_date_option(CampaignDate.REVIEW_DEADLINE)
    @_date_option(CampaignDate.MID_YEAR_REPORT)
    @_date_option(CampaignDate.YEAR_END_REPORT)
    def campaigns_set(year: int, ward_code: str | None, **given: str | None) -> None:
        """Set the city's dates of a year, or a ward's own; dates left out keep the ones in force."""
        from workflows import campaigns
        from workflows.actors import SYSTEM_ACTOR
        from workflows.inputs import CampaignInput, parse

        try:
            with session_scope(runtime().engine) as session:
                start = campaigns.as_input(year, ward_code, campaigns.for_ward(session, ward_code, year))
                chosen = {k: v for k, v in given.items() if v is not None}
                row, changed = campaigns.set_campaign(session, SYSTEM_ACTOR, parse(CampaignInput, start | chosen))
                line = f"{row.year} {row.ward_code or 'city'}: " + " ".join(
                    f"{k}={getattr(row, k).isoformat()}" for k in CampaignDate.values())
        except DomainError as exc:
            _fail(exc)
        click.echo(("set " if changed else "unchanged ") + line)

    @campaigns_group.command("close")
    @click.option("--year", required=True, type=int)
    @click.option("--operator", default=None, help="Who closes it, for the audit trail  [default: the OS user]")
    def campaigns_close(year: int, operator: str | None) -> None:
        """Close a year for the whole city: no new application and no submission any more."""
        import getpass

        from workflows import campaigns
        from workflows.actors import SYSTEM_ACTOR

        try:
            with session_scope(runtime().engine) as session:
                _row, changed = campaigns.close_year(session, SYSTEM_ACTOR, year, operator or getpass.getuser())
        except DomainError as exc:
            _fail(exc)
        click.echo(f"closed {year}" if changed else f"unchanged: {year} was already closed")

    app.cli.add_command(campaigns_group)

    hamlets_group = AppGroup("hamlets", help="Each ward's tổ dân phố / thôn (ADR 26).")

    @hamlets_group.command("import")
    @click.option("--ward", "ward_code", required=True, help="The ward's 5-digit code.")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
    def hamlets_import(ward_code: str, file: Path, dry_run: bool) -> None:
        """Import a ward's list (CSV: code,name): all or nothing; by code, so importing again changes nothing."""
        from workflows import hamlets
        from workflows.actors import SYSTEM_ACTOR

        try:
            with session_scope(runtime().engine) as session:
                report = hamlets.import_list(session, SYSTEM_ACTOR, ward_code, hamlets.parse(file.read_bytes()),
                                             dry_run=dry_run)
                if dry_run:
                    session.rollback()
        except DomainError as exc:
            _fail(exc)
        click.echo(f"{'dry run: ' if dry_run else ''}{report.rows} rows: {report.created} added, "
                   f"{report.renamed} renamed, {report.unchanged} unchanged")

    @users.command("scope")
    @click.argument("username")
    @click.option("--hamlets", "codes", help="Codes of the ward's tổ dân phố / thôn, separated by commas.")
    @click.option("--whole-ward", is_flag=True, help="The reviewer reviews the whole ward.")
    def users_scope(username: str, codes: str | None, whole_ward: bool) -> None:
        """Scope a ward reviewer to some tổ dân phố / thôn of their ward, or to the whole ward."""
        from workflows import assignment
        from workflows.actors import SYSTEM_ACTOR

        if whole_ward == bool(codes):
            raise click.UsageError("give either --hamlets CODES or --whole-ward")
        try:
            with session_scope(runtime().engine) as session:
                user = session.exec(select(User).where(User.username == username)).first()
                if user is None:
                    raise click.UsageError(f"no user {username}")
                assignment.set_scope(session, SYSTEM_ACTOR, user, None if whole_ward else (codes or "").split(","))
                scope = user.hamlet_scope
        except DomainError as exc:
            _fail(exc)
        click.echo(f"{username} reviews " + ("the whole ward" if scope is None else ", ".join(scope)))

    app.cli.add_command(hamlets_group)

    criteria_group = AppGroup("criteria", help="Versions of the criteria (ADR 22): list, copy, load, publish.")

    def _operator(session: Session, by: str | None) -> Actor:
        from workflows.actors import SYSTEM_ACTOR

        return accounts.city_operator(session, by) if by else SYSTEM_ACTOR

    @criteria_group.command("list")
    def criteria_list() -> None:
        """Every version: code, state, first year, pass rule, source, applications pinned to it."""
        from workflows import criteria

        with session_scope(runtime().engine) as session:
            pinned = criteria.pinned_counts(session)
            for c in criteria.all_sets(session):
                click.echo(f"{c.code:<20} {c.state:<9} from {c.valid_from_year}  total >= {c.pass_total}, each >= "
                           f"{c.pass_min_indicator} ({c.min_score}-{c.max_score})  {pinned.get(c.id, 0)} applications"
                           f"  {c.source_document}")

    @criteria_group.command("export")
    @click.argument("code")
    def criteria_export(code: str) -> None:
        """Print a version as JSON, in the format `criteria load` reads (to correct a draft, or start a new one)."""
        from workflows import criteria

        try:
            with session_scope(runtime().engine) as session:
                version = criteria.published(session, criteria.by_code(session, code).id)
                click.echo(json.dumps(criteria.document(version), ensure_ascii=False, indent=1))
        except DomainError as exc:
            _fail(exc)

    @criteria_group.command("draft")
    @click.option("--from", "source", required=True, help="The code of the version to copy.")
    @click.option("--code", required=True, help="The new version's code, e.g. QD-324-KHVN-2023-R1.")
    @click.option("--valid-from", "valid_from", required=True, type=int, help="Its first year.")
    @click.option("--by", default=None, help="The username of the city administrator doing it.")
    def criteria_draft(source: str, code: str, valid_from: int, by: str | None) -> None:
        """Copy a version into a new draft, to correct or change before publishing it."""
        from workflows import criteria

        try:
            with session_scope(runtime().engine) as session:
                draft = criteria.draft_from(session, _operator(session, by), source, code, valid_from)
                line = f"draft {draft.code} from {draft.valid_from_year}, copied from {source}"
        except DomainError as exc:
            _fail(exc)
        click.echo(line)

    @criteria_group.command("load")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--by", default=None, help="The username of the city administrator doing it.")
    def criteria_load(file: Path, by: str | None) -> None:
        """A draft from a JSON file (name, source document, thresholds, criteria, indicators with the wording of
        every target group); a draft of the same code is replaced, a published version never. Exit code 2 names
        each bad field."""
        from workflows import criteria

        try:
            version = criteria.read_file(file.read_bytes())
            with session_scope(runtime().engine) as session:
                draft, new = criteria.load(session, _operator(session, by), version, file.name)
                line = f"{'new' if new else 'replaced'} draft {draft.code} from {draft.valid_from_year}"
        except DomainError as exc:
            _fail(exc)
        click.echo(line)

    @criteria_group.command("publish")
    @click.argument("code")
    @click.option("--by", required=True, help="The username of the city administrator publishing it (audited).")
    def criteria_publish(code: str, by: str) -> None:
        """Publish a draft: new applications of its years are pinned to it; it never changes again."""
        from workflows import criteria

        try:
            with session_scope(runtime().engine) as session:
                cset = criteria.publish(session, _operator(session, by), code)
                line = f"published {cset.code}: applications from {cset.valid_from_year} on are scored by it"
        except DomainError as exc:
            _fail(exc)
        click.echo(line)

    app.cli.add_command(criteria_group)
    app.cli.add_command(_certificates_group())
    app.cli.add_command(_audit_group())
    app.cli.add_command(units)
    app.cli.add_command(db_group)
    app.cli.add_command(citizens)
    app.cli.add_command(users)
    app.cli.add_command(rollup)
    app.cli.add_command(digital)
    app.cli.add_command(population)
    app.cli.add_command(targets_group)
    backup_commands.register(app.cli)
    audit_commands(app.cli)  # every command that can change something names its operator in the trail


def _audit_group() -> AppGroup:
    """`flask audit verify|seal`: the audit trail's hash chain (ADR 36)."""
    from workflows import audit_chain

    group = AppGroup("audit", help="The audit trail: check its hash chain, seal records written around the app.")

    @group.command("verify")
    def audit_verify() -> None:
        """Walk the chain from its first record; exit 1 naming every record edited, deleted or moved."""
        with runtime().engine.connect() as conn:
            report = audit_chain.verify(conn)
        for problem in report.problems:
            click.echo(f"BROKEN: {problem}")
        if report.unsealed:
            click.echo(f"note: {report.unsealed} records are not sealed yet (written around the app, or being "
                       "committed now): `flask audit seal` seals them", err=True)
        if not report.clean:
            click.echo(f"the audit trail does not match its seals ({report.checked} records checked)", err=True)
            sys.exit(1)
        click.echo(f"audit trail intact: {report.checked} records, chain head at {report.head_seq}")

    @group.command("seal")
    def audit_seal() -> None:
        """Seal the records that have no seal (those of before the chain, or written by hand), oldest first."""
        total = 0
        while True:
            with runtime().engine.begin() as conn:
                sealed = audit_chain.seal(conn, limit=audit_chain.BATCH)
            total += sealed
            if sealed < audit_chain.BATCH:
                break
        click.echo(f"sealed {total} records")

    return group


def _certificates_group() -> AppGroup:
    """`flask certificates keys|verify`: offline verification (ADR 27)."""
    group = AppGroup("certificates", help="Offline verification: the published keys, and checking a PDF (ADR 27).")

    @group.command("keys")
    def certificates_keys() -> None:
        """Print the keys document served at /.well-known/cdht-keys.json (active key first, then retired ones)."""
        click.echo(json.dumps(runtime().keys_document, indent=2, ensure_ascii=False))

    @group.command("verify")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--keys", "keys_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="A keys document as published at /.well-known/cdht-keys.json (default: this "
                       "installation's keys).")
    @click.option("--qr/--no-qr", default=False,
                  help="Also read the QR code (pdftoppm and zbarimg) and require it to carry the same payload.")
    def certificates_verify(file: Path, keys_file: Path | None, qr: bool) -> None:
        """Check a certificate PDF with no database and no network: exit 0 valid, 1 not valid, 2 bad input."""
        from certificates import offline

        try:
            document = (bounded_json.loads(keys_file.read_text(encoding="utf-8")) if keys_file
                        else runtime().keys_document)
            keys = offline.parse_keys(document)
        except ValueError as exc:  # BadKeys, JSONDecodeError, UnicodeDecodeError and TooDeep are ValueErrors
            click.echo(f"error: {keys_file} is not a keys document: {exc}", err=True)
            sys.exit(2)
        pdf = file.read_bytes()
        try:
            offline.read_attachment(pdf)
        except ValueError:
            click.echo(f"error: {file} is not a PDF", err=True)
            sys.exit(2)
        if qr:
            try:
                texts = offline.read_qr_codes(pdf)
            except (RuntimeError, OSError) as exc:
                click.echo(f"error: {exc}", err=True)
                sys.exit(2)
            verdict = offline.verify_with_qr(pdf, keys, texts)
            qr_checked = any(offline.verify_qr(text, keys).reason != offline.NO_PAYLOAD for text in texts)
            if not qr_checked:
                click.echo("note: no QR code with a signed payload was found on the pages", err=True)
        else:
            verdict, qr_checked = offline.verify(pdf, keys), False
        if not verdict.valid:
            why = {offline.NO_PAYLOAD: "it carries no signed payload (issued before offline verification: check "
                                       "it online at its /verify page)",
                   offline.UNKNOWN_KEY: f"it is signed by key {verdict.kid}, which is not among the keys",
                   offline.BAD_SIGNATURE: "its signature does not match its content (changed after signing)",
                   offline.QR_DIFFERS: "its QR code and its attached payload differ",
                   offline.MALFORMED: "its signed payload is malformed"}.get(verdict.reason or "", verdict.reason)
            click.echo(f"NOT VALID: {why}")
            sys.exit(1)
        facts = verdict.facts or {}
        click.echo(f"VALID: signed by key {verdict.kid} ({verdict.key_status}), read from the "
                   f"{'QR code' if verdict.source == 'qr' else 'attached payload'}"
                   f"{' and the QR code' if qr_checked and verdict.source != 'qr' else ''}")
        for name in ("code", "name", "dob", "ward_code", "ward_name", "title", "year", "decision_number",
                     "decision_date", "register_number"):
            click.echo(f"  {name}: {facts.get(name)}")
        click.echo("Compare these facts with the paper and the person: they are what the ward signed.")

    return group
