"""Certificates: what is printed, how it is rendered, signed, coded and stored (no web, no database)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from certificates import offline
from certificates.codes import new_code, normalise_code
from certificates.decision import DecisionData, ListedCitizen, decision_storage_key
from certificates.issued import issued_problem, signed_payload, storage_key
from certificates.model import CertificateData
from certificates.s3_storage import S3Access, S3Storage
from certificates.signing import (
    canonical_payload,
    generate_private_key_pem,
    key_id,
    public_key_pem,
    sign,
    verify,
)
from certificates.storage import (
    FileStorage,
    Storage,
    StorageConflict,
    StorageError,
    StorageKeyMissing,
    storage_from_url,
)

if TYPE_CHECKING:
    from certificates.render import (
        CertificateRenderer,
        ResourceRefused,
        TemplateFolderFetcher,
        default_renderer,
        release_memory,
    )

# Rendering pulls in WeasyPrint and Pango (a third of a second, tens of MB): load it only when asked for,
# so that the web process can check codes and signatures without it.
_LAZY = {"CertificateRenderer", "ResourceRefused", "TemplateFolderFetcher", "default_renderer", "release_memory"}


def __getattr__(name: str) -> Any:
    """Import the rendering names on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module("certificates.render"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CertificateData",
    "CertificateRenderer",
    "DecisionData",
    "FileStorage",
    "ListedCitizen",
    "ResourceRefused",
    "S3Access",
    "S3Storage",
    "Storage",
    "StorageConflict",
    "StorageError",
    "StorageKeyMissing",
    "TemplateFolderFetcher",
    "canonical_payload",
    "decision_storage_key",
    "default_renderer",
    "generate_private_key_pem",
    "issued_problem",
    "key_id",
    "new_code",
    "normalise_code",
    "offline",
    "public_key_pem",
    "release_memory",
    "sign",
    "signed_payload",
    "storage_from_url",
    "storage_key",
    "verify",
]
