"""Offline verification: a compact payload signed with Ed25519, carried by the QR code and attached to the PDF.

Anyone holding the published public keys (`GET /.well-known/cdht-keys.json`) can check a certificate with no
database and no network: `verify(pdf_bytes, keys)` reads the payload attached to the PDF, `verify_qr(text, keys)`
the one in the QR code's URL fragment. Plain functions over bytes and dicts; they need `cryptography` and, to read
a PDF's attachment, `pikepdf` (ADR 27).

The payload is canonical JSON (sorted keys, no spaces, UTF-8, names in NFC) of the facts a checker compares with
the paper and the person: code, holder's name, date of birth, ward (code and name), title, year, decision number
and date, register number, and the id of the key that signed it. A valid verdict says these facts are the ones a
ward issued; the checker still compares them with what is printed.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from certificates.model import CertificateData
from certificates.signing import canonical_payload, key_id, public_key_pem, sign

VERSION = 1
FORMAT = "cdht-offline-1"
ALG = "Ed25519"
ATTACHMENT_NAME = "cdht-payload.json"
ATTACHMENT_RELATIONSHIP = "Supplement"  # a machine-readable, signed extract of what the page prints (ADR 27)
ATTACHMENT_DESCRIPTION = "Dữ liệu ký số để xác thực ngoại tuyến (CDHT, Ed25519)"
ACTIVE = "active"
RETIRED = "retired"
# The payload's fields and their JSON types; nothing else is accepted (no CCCD, ever).
FIELDS: dict[str, type] = {
    "v": int, "code": str, "name": str, "dob": str, "ward_code": str, "ward_name": str, "title": str, "year": int,
    "decision_number": str, "decision_date": str, "register_number": str, "kid": str,
}
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]*")
_PEM_RE = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)
_KID_RE = re.compile(r"[0-9a-f]{16}")
_MAX_PAYLOAD = 4096
# The QR code's compact form (ADR 27, revised): the signed facts' values in this order, without their names, the
# code (the URL's last segment) and the version; see `Seal.fragment`.
QR_FORM = 1
QR_FIELDS = ("name", "dob", "ward_code", "ward_name", "title", "year", "decision_number", "decision_date",
             "register_number")
_SEPARATOR = "\x1f"  # ASCII unit separator: never in a name, a number or a date (payload_for refuses it)
_BASE32_RE = re.compile(r"[A-Z2-7]+")

# Why a certificate does not verify offline (said by the CLI and returned to callers).
NO_PAYLOAD = "no_payload"  # a PDF without the attachment (issued before offline verification) or a bare URL
NOT_A_PDF = "not_a_pdf"
MALFORMED = "malformed"
UNKNOWN_KEY = "unknown_key"
BAD_SIGNATURE = "bad_signature"
QR_DIFFERS = "qr_differs"  # the QR code and the attachment carry different payloads


class BadKeys(ValueError):
    """A keys document that is not `{"keys": [{"kid", "alg": "Ed25519", "public_key", "status"}]}`."""


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """Decode unpadded base64url strictly; ValueError on any other character."""
    if not _B64URL_RE.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


# ---- keys ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicKey:
    """One published key: its id, the raw 32 bytes and whether it still signs new certificates."""

    kid: str
    raw: bytes
    status: str

    def as_json(self) -> dict[str, str]:
        """The entry of `/.well-known/cdht-keys.json`."""
        return {"kid": self.kid, "alg": ALG, "public_key": b64url(self.raw), "status": self.status}


def public_key_from_pem(pem: bytes, status: str) -> PublicKey:
    """A published key from its SubjectPublicKeyInfo PEM."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PublicKey(kid=key_id(pem), raw=raw, status=status)


def split_pem(text: bytes) -> list[bytes]:
    """Every PUBLIC KEY block of a PEM file that may hold several (the retired keys)."""
    return [block + b"\n" for block in _PEM_RE.findall(text)]


def keys_document(active_pem: bytes, retired_pems: Iterable[bytes] = ()) -> dict[str, list[dict[str, str]]]:
    """The published keys: the one that signs now first, then the retired ones that still verify."""
    active = public_key_from_pem(active_pem, ACTIVE)
    keys = [active]
    for pem in retired_pems:
        retired = public_key_from_pem(pem, RETIRED)
        if retired.kid not in {k.kid for k in keys}:
            keys.append(retired)
    return {"keys": [k.as_json() for k in keys]}


def parse_keys(document: Mapping[str, Any]) -> dict[str, PublicKey]:
    """The keys of a published document by kid; BadKeys if it does not follow the contract.

    A kid must be the one derived from its key (first 16 hex digits of SHA-256 of the raw bytes), so a document
    cannot give a known key's name to another key.
    """
    entries = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        raise BadKeys('expected {"keys": [...]}')
    keys: dict[str, PublicKey] = {}
    for n, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise BadKeys(f"keys[{n}] is not an object")
        kid, alg, public_key, status = (entry.get(k) for k in ("kid", "alg", "public_key", "status"))
        if alg != ALG:
            raise BadKeys(f"keys[{n}].alg must be {ALG!r}")
        if status not in (ACTIVE, RETIRED):
            raise BadKeys(f"keys[{n}].status must be 'active' or 'retired'")
        try:
            raw = unb64url(public_key) if isinstance(public_key, str) else b""
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise BadKeys(f"keys[{n}].public_key must be 32 bytes in base64url")
        derived = key_id(Ed25519PublicKey.from_public_bytes(raw).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        if kid != derived:
            raise BadKeys(f"keys[{n}].kid does not match its public key")
        keys[derived] = PublicKey(kid=derived, raw=raw, status=str(status))
    return keys


# ---- signing ------------------------------------------------------------------------------------------------------


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def payload_for(data: CertificateData, *, ward_code: str, kid: str) -> dict[str, str | int]:
    """The signed facts of a certificate (every text in NFC); ValueError if a text holds U+001F (the QR form's
    separator; no name or number has it, and any other character is carried as it is)."""
    facts: dict[str, str | int] = {
        "v": VERSION, "code": data.code, "name": _nfc(data.holder_name), "dob": data.date_of_birth.isoformat(),
        "ward_code": ward_code, "ward_name": _nfc(data.issuer_display), "title": _nfc(data.title),
        "year": data.year, "decision_number": _nfc(data.decision_number),
        "decision_date": data.decision_date.isoformat(), "register_number": data.register_number, "kid": kid,
    }
    if any(isinstance(value, str) and _SEPARATOR in value for value in facts.values()):
        raise ValueError("a signed text holds the QR form's separator, a control character (U+001F)")
    return facts


@dataclass(frozen=True)
class Seal:
    """A signed payload: the exact bytes signed and their signature (base64url)."""

    payload: bytes
    signature: str

    @property
    def fragment(self) -> str:
        """The QR code's fragment: base32 (RFC 4648, upper case, no padding) of the compact form.

        The compact form is one byte `QR_FORM`, the key id's 8 bytes, the 64-byte signature, then the values of
        `QR_FIELDS` in UTF-8 joined by U+001F. A checker rebuilds the canonical payload from them, the code taken
        from the URL, and checks the signature over it. Base32 keeps to the QR code's alphanumeric mode (5.5 bits a
        character instead of 8): with the URL in byte mode, a certificate's code fits a 65-module symbol at level M.
        """
        facts = json.loads(self.payload)
        values = _SEPARATOR.join(str(facts[name]) for name in QR_FIELDS).encode("utf-8")
        blob = bytes([QR_FORM]) + bytes.fromhex(facts["kid"]) + unb64url(self.signature) + values
        return base64.b32encode(blob).decode("ascii").rstrip("=")

    def qr_url(self, verify_url: str) -> str:
        """The URL the QR code carries: the verification page, the signed payload in its fragment."""
        return f"{verify_url}#{self.fragment}"

    def attachment(self) -> bytes:
        """The file attached to the PDF: the same payload and signature, with what they are."""
        return canonical_payload({"alg": ALG, "format": FORMAT, "payload": b64url(self.payload),
                                  "signature": self.signature})


def seal(data: CertificateData, *, ward_code: str, private_key_pem: bytes) -> Seal:
    """Sign a certificate's offline payload with the active key (deterministic: Ed25519 has no randomness)."""
    kid = key_id(public_key_pem(private_key_pem))
    message = canonical_payload(payload_for(data, ward_code=ward_code, kid=kid))
    return Seal(payload=message, signature=sign(private_key_pem, message))


# ---- verifying ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What an offline check found: valid or why not, the signed facts and the key that signed them."""

    valid: bool
    reason: str | None = None
    facts: Mapping[str, str | int] | None = None
    kid: str | None = None
    key_status: str | None = None  # "active" or "retired" (a retired key verifies what it signed, signs no more)
    source: str | None = None  # "attachment" or "qr"


def _check(payload_b64: str, signature_b64: str, keys: Mapping[str, PublicKey], source: str) -> Verdict:
    try:
        message = unb64url(payload_b64)
        signature = unb64url(signature_b64)
    except ValueError:
        return Verdict(False, MALFORMED, source=source)
    return _check_message(message, signature, keys, source)


def _check_message(message: bytes, signature: bytes, keys: Mapping[str, PublicKey], source: str) -> Verdict:
    try:
        if len(message) > _MAX_PAYLOAD:
            raise ValueError("payload too large")
        facts = json.loads(message.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):  # nested deeper than the parser goes: not ours either
        return Verdict(False, MALFORMED, source=source)
    kid = facts.get("kid") if isinstance(facts, dict) else None
    if not isinstance(kid, str) or not _KID_RE.fullmatch(kid):
        return Verdict(False, MALFORMED, source=source)
    key = keys.get(kid)
    if key is None:
        return Verdict(False, UNKNOWN_KEY, kid=kid, source=source)
    try:
        Ed25519PublicKey.from_public_bytes(key.raw).verify(signature, message)
    except InvalidSignature:
        return Verdict(False, BAD_SIGNATURE, kid=kid, key_status=key.status, source=source)
    # Signed, but is it what this format signs? Exactly the fields, their types, canonical bytes.
    if (set(facts) != set(FIELDS) or any(type(facts[k]) is not t for k, t in FIELDS.items())
            or facts["v"] != VERSION or canonical_payload(facts) != message):
        return Verdict(False, MALFORMED, kid=kid, key_status=key.status, source=source)
    return Verdict(True, facts=facts, kid=kid, key_status=key.status, source=source)


def _keys(keys: Mapping[str, Any] | Mapping[str, PublicKey]) -> Mapping[str, PublicKey]:
    """Accept a parsed keys document or what `parse_keys` returned."""
    if all(isinstance(value, PublicKey) for value in keys.values()):
        return keys
    return parse_keys(keys)


def read_attachment(pdf_bytes: bytes) -> bytes | None:
    """The offline payload file attached to a PDF, or None; ValueError if the bytes are not a PDF."""
    import pikepdf  # only for reading PDFs: the web process signs and verifies without it

    try:
        with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
            spec = pdf.attachments.get(ATTACHMENT_NAME)
            return None if spec is None else bytes(spec.get_file().read_bytes())
    except pikepdf.PdfError as exc:
        raise ValueError(f"not a PDF: {exc}") from exc


def verify_attachment(content: bytes, keys: Mapping[str, Any]) -> Verdict:
    """Check the content of an attached payload file."""
    try:
        document = json.loads(content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return Verdict(False, MALFORMED, source="attachment")
    if (not isinstance(document, dict) or document.get("format") != FORMAT or document.get("alg") != ALG
            or not isinstance(document.get("payload"), str) or not isinstance(document.get("signature"), str)):
        return Verdict(False, MALFORMED, source="attachment")
    return _check(document["payload"], document["signature"], _keys(keys), "attachment")


def verify(pdf_bytes: bytes, keys: Mapping[str, Any]) -> Verdict:
    """Check a certificate PDF offline from its attached payload.

    `keys` is the published keys document (`{"keys": [...]}`, as served at /.well-known/cdht-keys.json) or the
    result of `parse_keys`. BadKeys if the document is malformed.
    """
    keys = _keys(keys)
    try:
        content = read_attachment(pdf_bytes)
    except ValueError:
        return Verdict(False, NOT_A_PDF)
    if content is None:
        return Verdict(False, NO_PAYLOAD)
    return verify_attachment(content, keys)


def verify_qr(text: str, keys: Mapping[str, Any]) -> Verdict:
    """Check the text of a certificate's QR code: the compact form in the URL's fragment (`Seal.fragment`), the
    code the URL's last segment. The first certificates' keyed form, `#p=<payload>&s=<signature>`, still checks."""
    keys = _keys(keys)
    parts = urlsplit(text.strip())
    code = parts.path.rsplit("/", 1)[-1]
    if not parts.fragment:
        return Verdict(False, NO_PAYLOAD, source="qr")
    if _BASE32_RE.fullmatch(parts.fragment):
        return _check_compact(parts.fragment, code, keys)
    fields = parse_qs(parts.fragment, keep_blank_values=True)
    payload, signature = fields.get("p", []), fields.get("s", [])
    if len(payload) != 1 or len(signature) != 1:
        return Verdict(False, MALFORMED, source="qr")
    verdict = _check(payload[0], signature[0], keys, "qr")
    if verdict.valid and verdict.facts is not None and code != verdict.facts["code"]:
        return Verdict(False, MALFORMED, kid=verdict.kid, key_status=verdict.key_status, source="qr")
    return verdict


def _check_compact(fragment: str, code: str, keys: Mapping[str, PublicKey]) -> Verdict:
    """Rebuild the signed payload from the compact form and check its signature."""
    try:
        blob = base64.b32decode(fragment + "=" * (-len(fragment) % 8))
        if len(blob) < 73 or blob[0] != QR_FORM or len(blob) > _MAX_PAYLOAD:
            raise ValueError("not the compact form")
        values = blob[73:].decode("utf-8").split(_SEPARATOR)
        if len(values) != len(QR_FIELDS):
            raise ValueError("not the compact form's fields")
        facts: dict[str, str | int] = dict(zip(QR_FIELDS, values, strict=True))
        year = values[QR_FIELDS.index("year")]
        if not (year.isascii() and year.isdigit() and str(int(year)) == year):
            raise ValueError("the year is not a number")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return Verdict(False, MALFORMED, source="qr")
    facts.update(v=VERSION, code=code, kid=blob[1:9].hex(), year=int(year))
    return _check_message(canonical_payload(facts), blob[9:73], keys, "qr")


def read_qr_codes(pdf_bytes: bytes, *, dpi: int = 300) -> list[str]:
    """The QR codes printed on a PDF's pages (poppler's pdftoppm, then zbar's zbarimg); RuntimeError without them."""
    pdftoppm, zbarimg = shutil.which("pdftoppm"), shutil.which("zbarimg")
    if pdftoppm is None or zbarimg is None:
        raise RuntimeError("reading the QR code needs pdftoppm (poppler-utils) and zbarimg (zbar-tools)")
    with tempfile.TemporaryDirectory(prefix="cdht-qr-") as folder:
        pdf = Path(folder) / "certificate.pdf"
        pdf.write_bytes(pdf_bytes)
        subprocess.run([pdftoppm, "-png", "-r", str(dpi), str(pdf), str(Path(folder) / "page")],
                       check=True, capture_output=True, timeout=60)
        codes: list[str] = []
        for image in sorted(Path(folder).glob("page*.png")):
            found = subprocess.run([zbarimg, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(image)],
                                   capture_output=True, check=False, timeout=60)
            # zbarimg exits 4 when an image holds no code; its output is one decoded text per line.
            codes.extend(line for line in found.stdout.decode("utf-8", "replace").splitlines() if line)
        return codes


def verify_with_qr(pdf_bytes: bytes, keys: Mapping[str, Any], qr_texts: Sequence[str]) -> Verdict:
    """The attachment's verdict, which the QR code (when it carries a payload) must repeat exactly."""
    keys = _keys(keys)
    verdict = verify(pdf_bytes, keys)
    for text in qr_texts:
        from_qr = verify_qr(text, keys)
        if from_qr.reason == NO_PAYLOAD:
            continue
        if not from_qr.valid:
            return from_qr
        if verdict.reason == NO_PAYLOAD:  # a PDF whose attachment was stripped: the QR code alone
            verdict = from_qr
        elif verdict.valid and from_qr.facts != verdict.facts:
            return Verdict(False, QR_DIFFERS, kid=verdict.kid, key_status=verdict.key_status, source="qr")
    return verdict
