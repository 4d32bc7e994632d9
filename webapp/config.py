"""The one place configuration is read: environment variables, with safe embedded defaults for `make run`."""

import hashlib
import hmac
import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from certificates import S3Access, storage_from_url
from workflows.identity_seal import derive_key as derive_identity_key

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """Raised at start-up when configuration is missing, malformed or unsafe: every problem at once, one a line, each
    naming its variable, what is wrong and a value that would do (`problems`)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        count = f"{len(problems)} problems" if len(problems) > 1 else "1 problem"
        super().__init__(f"CDHT's configuration has {count}:\n" + "\n".join(f"- {p}" for p in problems))


# A process that refuses its configuration exits with this code (sysexits.h's EX_CONFIG), after printing the list.
CONFIG_EXIT = 78
DATABASE_SCHEMES = ("postgresql+psycopg://", "sqlite://")
BROKER_SCHEMES = ("redis://", "rediss://", "amqp://", "filesystem://")
# gunicorn's numbers (gunicorn.conf.py reads them): checked here so that a web node refuses them with the rest.
WEB_NUMBERS = {"WEB_CONCURRENCY": (1, "4"), "WEB_THREADS": (1, "8"), "WEB_TIMEOUT": (1, "60"),
               "WEB_KEEPALIVE": (0, "5"), "WEB_CONNECTIONS": (1, "16")}


class _Problems(list[str]):
    """The problems found so far, each worded the same way."""

    def add(self, variable: str, wrong: str, example: str) -> None:
        self.append(f"{variable}: {wrong} (for example {variable}={example})")


def _whole(e: dict[str, str], variable: str, default: str, least: int, example: str, problems: _Problems) -> int:
    """A whole number at least `least` from the environment; a problem (and the default) otherwise."""
    value = e.get(variable, default).strip()
    if value.isascii() and value.isdigit() and int(value) >= least:
        return int(value)
    problems.add(variable, f"must be a whole number, at least {least}; got {value!r}", example)
    return int(default)


def _instance_secret(path: Path) -> str:
    # Embedded runs keep a generated secret in instance/, so nothing secret lives in the repository.
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass
class Settings:
    """Everything the web app, the worker and the CLI need to know about their surroundings."""

    env: str = "embedded"
    instance_path: Path = ROOT / "instance"
    database_url: str = ""
    broker_url: str = ""
    storage_url: str = ""
    # STORAGE_URL=s3://…: the endpoint (S3_ENDPOINT_URL, else AWS's) and credentials (AWS_*, else boto3's own chain).
    s3: S3Access = field(default_factory=S3Access)
    secret_key: str = ""
    audit_key: str = ""  # AUDIT_KEY: the audit chain's key (ADR 36); derived from secret_key when not given
    identity_key: str = ""  # IDENTITY_KEY: seals identity numbers at rest (ADR 42); else derived from secret_key
    signing_key_path: Path = ROOT / "instance" / "signing_key.pem"
    # A web node's only key (least privilege): it verifies and publishes, never signs; workers hold SIGNING_KEY_PATH.
    public_key_path: Path | None = None
    retired_public_keys_path: Path | None = None
    public_base_url: str = "http://127.0.0.1:5000"
    ratelimit_storage_uri: str = "memory://"
    # Per client address, sized for many citizens behind one mobile carrier's address; per account, refusals only.
    login_rate_limit: str = "60 per minute"
    login_account_limit: str = "5 per minute;20 per hour"
    registration_rate_limit: str = "60 per hour"
    verify_rate_limit: str = "300 per minute"
    proxy_hops: int = 0
    task_always_eager: bool = False
    worker_max_memory_mb: int = 300  # a pool process whose peak passed this is replaced after its task (ADR 32)
    sweep_every_seconds: int = 60  # how often the one beat sends the sweep (ADR 37, 48)
    # How old the city dashboard's figures may be when a page shows them: read once, shown to every city
    # administrator for this many seconds (ADR 50); 0 reads them for every page. The API always reads afresh.
    dashboard_max_age_seconds: int = 10
    # Where e-mail goes (webapp.mail): smtp://host:port, smtp+starttls://user:password@host:587, smtps://…:465,
    # folder:///path (each message a .eml file: `make run`'s default), or "" for none (the ward resets passwords).
    mail_url: str = ""
    mail_from: str = "CDHT Hà Nội <no-reply@cdht.invalid>"
    # Staff must sign in with a second step, a code from an authenticator app (ADR 39): on by default in production.
    staff_totp_required: bool = False
    totp_key: str = ""  # TOTP_KEY: seals the TOTP secrets at rest; derived from secret_key when not given
    log_format: str = "text"  # LOG_FORMAT: json (one object a line, production's default) or text (ADR 45)
    metrics_token: str = ""  # METRICS_TOKEN: the bearer token /metrics asks for; none: /metrics is not found

    @property
    def audit_chain_key(self) -> bytes:
        """The key that seals the audit trail: AUDIT_KEY, else one derived from SECRET_KEY (ADR 36)."""
        if self.audit_key:
            return self.audit_key.encode()
        return hmac.new(self.secret_key.encode(), b"cdht audit chain", hashlib.sha256).digest()

    @property
    def identity_seal_key(self) -> bytes:
        """The key that seals identity numbers in the database: from IDENTITY_KEY, else from SECRET_KEY (ADR 42).
        Once citizens are registered it must never change: their numbers could no longer be read."""
        return derive_identity_key((self.identity_key or self.secret_key).encode())

    @property
    def totp_sealing_key(self) -> bytes:
        """The 256-bit key that seals staff members' TOTP secrets in the database: TOTP_KEY, else derived from
        SECRET_KEY (ADR 39)."""
        source = self.totp_key.encode() if self.totp_key else self.secret_key.encode()
        return hmac.new(source, b"cdht totp secrets", hashlib.sha256).digest()

    @property
    def embedded_broker(self) -> bool:
        """True when the Celery transport is the file-based one of `make run`."""
        return self.broker_url.startswith("filesystem://")

    @property
    def broker_folder(self) -> Path:
        """Where the embedded transport keeps its messages."""
        return self.instance_path / "broker"


def _s3_access(e: dict[str, str], problems: _Problems) -> S3Access:
    """The S3 endpoint and credentials under the names boto3 reads; those not given are left to boto3's default
    chain (an instance role, ~/.aws). An access key needs its secret, and the other way round."""
    endpoint = e.get("S3_ENDPOINT_URL", "").strip() or None
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        problems.add("S3_ENDPOINT_URL", "must be an http:// or https:// address (the S3-compatible server)",
                     "https://s3.internal:9000")
        endpoint = None
    key_id, secret = e.get("AWS_ACCESS_KEY_ID") or None, e.get("AWS_SECRET_ACCESS_KEY") or None
    if (key_id is None) != (secret is None):
        problems.append("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: must be given together (or neither, for the "
                        "machine's own role)")
    return S3Access(endpoint_url=endpoint, access_key_id=key_id, secret_access_key=secret,
                    session_token=e.get("AWS_SESSION_TOKEN") or None, region=e.get("AWS_DEFAULT_REGION") or None)


def from_env(env: dict[str, str] | None = None) -> Settings:
    """Build Settings from environment variables (see README: Configuration); ConfigError lists every problem."""
    e = dict(os.environ if env is None else env)
    problems = _Problems()
    mode = e.get("CDHT_ENV", "embedded")
    if mode not in ("embedded", "production"):
        problems.add("CDHT_ENV", f"must be embedded or production; got {mode!r}", "production")
    production = mode == "production"
    instance = Path(e.get("CDHT_INSTANCE_PATH", str(ROOT / "instance"))).resolve()
    s = Settings(env=mode, instance_path=instance)
    if production:
        required = {"SECRET_KEY": "<at least 32 random characters>",
                    "DATABASE_URL": "postgresql+psycopg://cdht@db.internal/cdht",
                    "CELERY_BROKER_URL": "redis://db.internal:6379/0", "STORAGE_URL": "file:///srv/cdht",
                    "PUBLIC_BASE_URL": "https://cdht.hanoi.gov.vn",
                    "RATELIMIT_STORAGE_URI": "redis://db.internal:6379/1"}
        for variable, example in required.items():
            if not e.get(variable):
                problems.add(variable, "is required in production", example)
        if not e.get("SIGNING_KEY_PATH") and not e.get("PUBLIC_KEY_PATH"):
            problems.append("SIGNING_KEY_PATH (workers) or PUBLIC_KEY_PATH (web nodes): one is required in production "
                            "(for example SIGNING_KEY_PATH=/etc/cdht/signing_key.pem on a worker, "
                            "PUBLIC_KEY_PATH=/etc/cdht/public_key.pem on a web node)")
    s.database_url = e.get("DATABASE_URL") or f"sqlite:///{instance / 'cdht.db'}"
    if not s.database_url.startswith(DATABASE_SCHEMES):
        problems.add("DATABASE_URL", "must start with postgresql+psycopg:// or sqlite://",
                     "postgresql+psycopg://cdht@db.internal/cdht")
    s.broker_url = e.get("CELERY_BROKER_URL") or "filesystem://"
    if not s.broker_url.startswith(BROKER_SCHEMES):
        problems.add("CELERY_BROKER_URL", "must start with redis://, rediss://, amqp:// or filesystem://",
                     "amqp://cdht:password@db.internal:5672//")
    s.storage_url = e.get("STORAGE_URL") or str(instance / "storage")
    s.s3 = _s3_access(e, problems)
    try:
        storage_from_url(s.storage_url, s.s3)  # only checks the URL: no file is touched, no connection made
    except ValueError as error:
        problems.add("STORAGE_URL", str(error), "s3://cdht-documents/hanoi or file:///srv/cdht")
    s.signing_key_path = Path(e.get("SIGNING_KEY_PATH") or str(instance / "signing_key.pem"))
    if e.get("PUBLIC_KEY_PATH"):
        s.public_key_path = Path(e["PUBLIC_KEY_PATH"])
        if not s.public_key_path.is_file():
            problems.add("PUBLIC_KEY_PATH", f"names no file: {e['PUBLIC_KEY_PATH']}", "/etc/cdht/public_key.pem")
    retired = e.get("RETIRED_PUBLIC_KEYS", "")
    if retired:
        s.retired_public_keys_path = Path(retired)
        if not s.retired_public_keys_path.is_file():
            problems.add("RETIRED_PUBLIC_KEYS", f"names no file: {retired}", "/etc/cdht/retired_public_keys.pem")
    port = e.get("PORT", "5000").strip()
    if not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        problems.add("PORT", f"must be a port number (1-65535); got {port!r}", "8000")
        port = "5000"
    for variable, (least, example) in WEB_NUMBERS.items():
        if variable in e:
            _whole(e, variable, example, least, example, problems)
    if e.get("WEB_WORKER_CLASS", "sync") not in ("sync", "gthread"):
        problems.add("WEB_WORKER_CLASS", f"must be sync or gthread; got {e['WEB_WORKER_CLASS']!r}", "sync")
    # Embedded default: the address `make run` serves on, so that a certificate's QR code leads back to it.
    s.public_base_url = (e.get("PUBLIC_BASE_URL") or f"http://127.0.0.1:{int(port)}").rstrip("/")
    if not s.public_base_url.startswith(("http://", "https://")):
        problems.add("PUBLIC_BASE_URL", "must be an http:// or https:// address", "https://cdht.hanoi.gov.vn")
    s.ratelimit_storage_uri = e.get("RATELIMIT_STORAGE_URI") or "memory://"
    if production and e.get("RATELIMIT_STORAGE_URI") and s.ratelimit_storage_uri.startswith("memory://"):
        problems.add("RATELIMIT_STORAGE_URI", "must be shared storage in production, not memory://",
                     "redis://db.internal:6379/1")
    s.login_rate_limit = e.get("LOGIN_RATE_LIMIT", s.login_rate_limit)
    s.login_account_limit = e.get("LOGIN_ACCOUNT_RATE_LIMIT", s.login_account_limit)
    s.registration_rate_limit = e.get("REGISTRATION_RATE_LIMIT", s.registration_rate_limit)
    s.verify_rate_limit = e.get("VERIFY_RATE_LIMIT", s.verify_rate_limit)
    s.proxy_hops = _whole(e, "PROXY_HOPS", "0", 0, "1", problems)
    s.worker_max_memory_mb = _whole(e, "WORKER_MAX_MEMORY_MB", str(s.worker_max_memory_mb), 100, "300", problems)
    s.sweep_every_seconds = _whole(e, "SWEEP_EVERY_SECONDS", str(s.sweep_every_seconds), 1, "60", problems)
    s.dashboard_max_age_seconds = _whole(e, "DASHBOARD_MAX_AGE_SECONDS", str(s.dashboard_max_age_seconds), 0, "10",
                                         problems)
    s.mail_url = e.get("MAIL_URL", "" if production else f"folder://{instance / 'outbox'}")
    if s.mail_url and not s.mail_url.startswith(("smtp://", "smtps://", "smtp+starttls://", "folder://")):
        problems.add("MAIL_URL", "must start with smtp://, smtps://, smtp+starttls:// or folder://",
                     "smtp+starttls://cdht:password@relay.internal:587")
    s.mail_from = e.get("MAIL_FROM", s.mail_from)
    secret = e.get("SECRET_KEY", "")
    if production and secret and len(secret) < 32:
        problems.add("SECRET_KEY", "must be at least 32 characters in production", "<at least 32 random characters>")
    required_default = "true" if production else "false"
    totp_required = e.get("STAFF_TOTP_REQUIRED", required_default).strip().lower()
    if totp_required not in ("true", "false", "1", "0", "yes", "no"):
        problems.add("STAFF_TOTP_REQUIRED", f"must be true or false; got {totp_required!r}", "true")
    s.staff_totp_required = totp_required in ("true", "1", "yes")
    s.totp_key, s.audit_key, s.identity_key = e.get("TOTP_KEY", ""), e.get("AUDIT_KEY", ""), e.get("IDENTITY_KEY", "")
    for variable, key in (("TOTP_KEY", s.totp_key), ("AUDIT_KEY", s.audit_key), ("IDENTITY_KEY", s.identity_key)):
        if key and len(key) < 32:
            problems.add(variable, "must be at least 32 characters", "<at least 32 random characters>")
    s.log_format = e.get("LOG_FORMAT", "json" if production else "text").strip().lower()
    if s.log_format not in ("json", "text"):
        problems.add("LOG_FORMAT", f"must be json or text; got {s.log_format!r}", "json")
    s.metrics_token = e.get("METRICS_TOKEN", "")
    if s.metrics_token and (len(s.metrics_token) < 32 or not s.metrics_token.isascii()):
        problems.add("METRICS_TOKEN", "must be at least 32 ASCII characters", "<at least 32 random characters>")
    if problems:
        raise ConfigError(problems)
    s.secret_key = secret or _instance_secret(instance / "secret_key")
    return s


def worker_problems(settings: Settings) -> list[str]:
    """What a worker needs beyond the rest: a signing key it can read (production; embedded runs make one)."""
    path = settings.signing_key_path
    if settings.env != "production" and not path.exists():
        return []
    if not path.is_file() or not os.access(path, os.R_OK):
        problems = _Problems()
        problems.add("SIGNING_KEY_PATH", f"a worker signs certificates and cannot read {path}",
                     "/etc/cdht/signing_key.pem")
        return problems
    return []


def refuse_to_start(error: ConfigError, program: str) -> NoReturn:
    """Print the configuration's problems, one a line, with no traceback, and exit with CONFIG_EXIT."""
    print(f"{program} cannot start. {error}", file=sys.stderr, flush=True)  # noqa: T201 - before any logging exists
    sys.exit(CONFIG_EXIT)


def settings_or_exit(program: str) -> Settings:
    """The settings from the environment, or the list of what is wrong with them and exit (gunicorn, worker, beat)."""
    try:
        return from_env()
    except ConfigError as error:
        refuse_to_start(error, program)
