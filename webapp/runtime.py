"""What one process holds for its whole life: settings, the engine, storage and the signing key."""

from dataclasses import dataclass
from functools import cached_property

from flask import current_app
from sqlalchemy.engine import Engine

from certificates import Storage, generate_private_key_pem, key_id, offline, public_key_pem

from .config import Settings
from .mail import Mailer, mailer_from_url


@dataclass
class Runtime:
    """Shared by the web app and the worker, built once by the app factory."""

    settings: Settings
    engine: Engine
    storage: Storage

    @cached_property
    def signing_key(self) -> bytes:
        """The Ed25519 private key (PEM); an embedded run creates one under instance/ on first use."""
        path = self.settings.signing_key_path
        if not path.exists():
            if self.settings.env == "production":
                raise RuntimeError(f"signing key not found at {path}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(generate_private_key_pem())
            path.chmod(0o600)
        return path.read_bytes()

    @cached_property
    def public_key(self) -> bytes:
        """The active public key, published for offline verification: PUBLIC_KEY_PATH on a web node, which never
        reads the private key; else the public half of the signing key. Both given: they must be a pair."""
        path = self.settings.public_key_path
        if path is None:
            return public_key_pem(self.signing_key)
        pems = offline.split_pem(path.read_bytes())
        if len(pems) != 1:
            raise RuntimeError(f"PUBLIC_KEY_PATH must hold one PUBLIC KEY block: {path}")
        if self.settings.signing_key_path.exists() and key_id(public_key_pem(self.signing_key)) != key_id(pems[0]):
            raise RuntimeError("PUBLIC_KEY_PATH is not the public half of SIGNING_KEY_PATH")
        return pems[0]

    @cached_property
    def key_id(self) -> str:
        """A short name for the key, stored beside each signature."""
        return key_id(self.public_key)

    @cached_property
    def retired_public_keys(self) -> list[bytes]:
        """Public keys that signed earlier certificates (RETIRED_PUBLIC_KEYS: one PEM file, one block per key)."""
        path = self.settings.retired_public_keys_path
        if path is None:
            return []
        pems = offline.split_pem(path.read_bytes())
        if not pems:
            raise RuntimeError(f"no PUBLIC KEY block in {path}")
        return [pem for pem in pems if key_id(pem) != self.key_id]

    @property
    def public_keys(self) -> list[bytes]:
        """Every key a signature may verify under: the active one first, then the retired ones."""
        return [self.public_key, *self.retired_public_keys]

    @cached_property
    def keys_document(self) -> dict[str, list[dict[str, str]]]:
        """What `/.well-known/cdht-keys.json` and `flask certificates keys` publish (ADR 27)."""
        return offline.keys_document(self.public_key, self.retired_public_keys)

    @cached_property
    def mailer(self) -> Mailer:
        """Where e-mail goes (MAIL_URL)."""
        return mailer_from_url(self.settings.mail_url, self.settings.mail_from)

    def verify_url(self, code: str) -> str:
        """The public address printed in the QR code."""
        return f"{self.settings.public_base_url}/verify/{code}"


def runtime() -> Runtime:
    """The current application's runtime."""
    return current_app.extensions["cdht"]  # type: ignore[no-any-return]
