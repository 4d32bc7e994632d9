"""The one place configuration is read: environment variables, with safe embedded defaults for `make run`."""

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from workflows.identity_seal import derive_key as derive_identity_key

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """Raised at start-up when production configuration is missing or unsafe."""


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


def from_env(env: dict[str, str] | None = None) -> Settings:
    """Build Settings from environment variables (see README: Configuration)."""
    e = dict(os.environ if env is None else env)
    mode = e.get("CDHT_ENV", "embedded")
    instance = Path(e.get("CDHT_INSTANCE_PATH", str(ROOT / "instance"))).resolve()
    s = Settings(env=mode, instance_path=instance)
    s.database_url = e.get("DATABASE_URL", f"sqlite:///{instance / 'cdht.db'}")
    s.broker_url = e.get("CELERY_BROKER_URL", "filesystem://")
    s.storage_url = e.get("STORAGE_URL", str(instance / "storage"))
    s.signing_key_path = Path(e.get("SIGNING_KEY_PATH", str(instance / "signing_key.pem")))
    if e.get("PUBLIC_KEY_PATH"):
        s.public_key_path = Path(e["PUBLIC_KEY_PATH"])
        if not s.public_key_path.is_file():
            raise ConfigError(f"PUBLIC_KEY_PATH names no file: {e['PUBLIC_KEY_PATH']}")
    retired = e.get("RETIRED_PUBLIC_KEYS", "")
    if retired:
        s.retired_public_keys_path = Path(retired)
        if not s.retired_public_keys_path.is_file():
            raise ConfigError(f"RETIRED_PUBLIC_KEYS names no file: {retired}")
    port = e.get("PORT", "5000")
    if not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError("PORT must be a port number (1-65535)")
    # Embedded default: the address `make run` serves on, so that a certificate's QR code leads back to it.
    s.public_base_url = e.get("PUBLIC_BASE_URL", f"http://127.0.0.1:{int(port)}").rstrip("/")
    s.ratelimit_storage_uri = e.get("RATELIMIT_STORAGE_URI", "memory://")
    s.login_rate_limit = e.get("LOGIN_RATE_LIMIT", s.login_rate_limit)
    s.login_account_limit = e.get("LOGIN_ACCOUNT_RATE_LIMIT", s.login_account_limit)
    s.registration_rate_limit = e.get("REGISTRATION_RATE_LIMIT", s.registration_rate_limit)
    s.verify_rate_limit = e.get("VERIFY_RATE_LIMIT", s.verify_rate_limit)
    hops = e.get("PROXY_HOPS", "0")
    if not hops.isascii() or not hops.isdigit():
        raise ConfigError("PROXY_HOPS must be a whole number (reverse proxies in front of the web app)")
    s.proxy_hops = int(hops)
    memory = e.get("WORKER_MAX_MEMORY_MB", str(s.worker_max_memory_mb))
    if not memory.isascii() or not memory.isdigit() or int(memory) < 100:
        raise ConfigError("WORKER_MAX_MEMORY_MB must be a whole number of megabytes, at least 100")
    s.worker_max_memory_mb = int(memory)
    s.mail_url = e.get("MAIL_URL", "" if mode == "production" else f"folder://{instance / 'outbox'}")
    if s.mail_url and not s.mail_url.startswith(("smtp://", "smtps://", "smtp+starttls://", "folder://")):
        raise ConfigError("MAIL_URL must start with smtp://, smtps://, smtp+starttls:// or folder://")
    s.mail_from = e.get("MAIL_FROM", s.mail_from)
    secret = e.get("SECRET_KEY", "")
    if mode == "production":
        required = ("SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "STORAGE_URL", "PUBLIC_BASE_URL",
                    "RATELIMIT_STORAGE_URI")
        missing = [k for k in required if not e.get(k)]
        if not e.get("SIGNING_KEY_PATH") and not e.get("PUBLIC_KEY_PATH"):
            missing.append("SIGNING_KEY_PATH (workers) or PUBLIC_KEY_PATH (web nodes)")
        if missing:
            raise ConfigError(f"production needs these environment variables: {', '.join(missing)}")
        if len(secret) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters in production")
        if s.ratelimit_storage_uri.startswith("memory://"):
            raise ConfigError("RATELIMIT_STORAGE_URI must be shared storage (redis://…) in production")
    s.secret_key = secret or _instance_secret(instance / "secret_key")
    required_default = "true" if mode == "production" else "false"
    totp_required = e.get("STAFF_TOTP_REQUIRED", required_default).strip().lower()
    if totp_required not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigError("STAFF_TOTP_REQUIRED must be true or false")
    s.staff_totp_required = totp_required in ("true", "1", "yes")
    s.totp_key = e.get("TOTP_KEY", "")
    if s.totp_key and len(s.totp_key) < 32:
        raise ConfigError("TOTP_KEY must be at least 32 characters")
    s.log_format = e.get("LOG_FORMAT", "json" if mode == "production" else "text").strip().lower()
    if s.log_format not in ("json", "text"):
        raise ConfigError("LOG_FORMAT must be json or text")
    s.metrics_token = e.get("METRICS_TOKEN", "")
    if s.metrics_token and (len(s.metrics_token) < 32 or not s.metrics_token.isascii()):
        raise ConfigError("METRICS_TOKEN must be at least 32 ASCII characters")
    s.audit_key = e.get("AUDIT_KEY", "")
    if s.audit_key and len(s.audit_key) < 32:
        raise ConfigError("AUDIT_KEY must be at least 32 characters")
    s.identity_key = e.get("IDENTITY_KEY", "")
    if s.identity_key and len(s.identity_key) < 32:
        raise ConfigError("IDENTITY_KEY must be at least 32 characters")
    return s
