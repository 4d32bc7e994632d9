"""The app factory: the web app and the Celery worker build themselves from the same settings."""

import logging
from datetime import timedelta

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from certificates import storage_from_url
from workflows.db import make_engine
from workflows.digital import frameworks, items

from . import auth, database, errors, i18n, metrics, request_id
from .celery_app import init_celery
from .config import ROOT, Settings, settings_or_exit
from .extensions import csrf, limiter
from .runtime import Runtime


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask app (and its Celery instance) from settings, by default read from the environment (a wrong
    configuration is listed and the process exits: `flask --app webapp …` and the web server's processes)."""
    settings = settings or settings_or_exit("CDHT")
    frameworks.published()  # a broken framework file stops the start here, naming the file and the entry
    items.published()  # and so does a broken item bank of the built-in test
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "webapp" / "static"),
                instance_path=str(settings.instance_path))
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    if settings.proxy_hops:
        # Behind N trusted proxies the client address (used by the login limit) comes from X-Forwarded-For.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops,  # type: ignore[method-assign]
                                x_host=settings.proxy_hops)
    production = settings.env == "production"
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        # Over HTTPS the cookies carry the __Host- prefix: Secure, for this host only, on every path (ASVS V3.3.3).
        SESSION_COOKIE_NAME="__Host-session" if production else "session",
        LANG_COOKIE="__Host-lang" if production else "lang",
        REMEMBER_COOKIE_SECURE=production,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        MAX_CONTENT_LENGTH=12 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=True,
        # With the limiter's Redis down, each process counts in its own memory (and says so in the log) until Redis
        # answers again: sign-in keeps working, still limited (ADR 37).
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
    )
    if settings.ratelimit_storage_uri.startswith(("redis://", "rediss://")):
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {"socket_connect_timeout": 1, "socket_timeout": 1}
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    engine = make_engine(settings.database_url, audit_key=settings.audit_chain_key,
                         identity_key=settings.identity_seal_key)
    storage = storage_from_url(settings.storage_url, settings.s3)
    app.extensions["cdht"] = Runtime(settings=settings, engine=engine, storage=storage)
    metrics.init_app(app)  # first: every later hook's answer is timed and counted (ADR 45)
    request_id.init_app(app)
    database.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    init_celery(app, settings)

    from .api import bp as api_bp
    from .api.openapi import bp as openapi_bp
    from .cli import register as register_cli
    from .pages import register as register_pages
    from .scrape import bp as metrics_bp
    from .security import init_app as init_security

    csrf.exempt(api_bp)  # bearer tokens, no cookies: nothing for a forged form to ride on
    app.register_blueprint(api_bp)
    app.register_blueprint(openapi_bp)
    register_pages(app)
    app.register_blueprint(metrics_bp)
    register_cli(app)
    init_security(app)
    logging.getLogger("cdht").setLevel(logging.INFO)
    return app
