"""Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA-1, 6 digits, 30-second steps, one step
either side accepted for a phone's clock that drifts, and never a step at or before the last one accepted (a code
works once). Pure functions, the standard library only; the accounts that use them are in workflows.two_factor."""

import base64
import hmac
import secrets
import struct
from datetime import datetime
from urllib.parse import quote, urlencode

DIGITS = 6
PERIOD = 30  # seconds a code stands for
WINDOW = 1  # steps accepted either side of the server's: a code typed as it changes, a phone a little off
SECRET_BYTES = 20  # 160 bits, RFC 4226's recommended length for HMAC-SHA-1
ISSUER = "CDHT Hà Nội"


def new_secret() -> str:
    """A new shared secret from the system's CSPRNG, base32 without padding (what authenticator apps read)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    clean = "".join(secret.split()).upper()
    return base64.b32decode(clean + "=" * (-len(clean) % 8))


def hotp(key: bytes, counter: int, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 4226: the code of a counter (dynamic truncation of the HMAC, then the last `digits` decimal digits)."""
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def step_of(moment: datetime) -> int:
    """The time step (T) a moment falls in: whole periods since the Unix epoch."""
    return int(moment.timestamp()) // PERIOD


def code_at(secret: str, moment: datetime) -> str:
    """The code an authenticator app shows at that moment."""
    return hotp(_key(secret), step_of(moment))


def matching_step(secret: str, code: str, moment: datetime, last_step: int | None) -> int | None:
    """The step whose code this is, within the window around `moment` and after `last_step` (replay refused); None
    when it matches none. Every candidate is compared in constant time."""
    typed = "".join(code.split())
    if len(typed) != DIGITS or not typed.isascii() or not typed.isdigit():
        return None
    key, now_step = _key(secret), step_of(moment)
    found = None
    for step in range(now_step - WINDOW, now_step + WINDOW + 1):
        if hmac.compare_digest(hotp(key, step), typed) and (last_step is None or step > last_step):
            found = step if found is None else found
    return found


def uri(secret: str, account: str, issuer: str = ISSUER) -> str:
    """The otpauth:// URI of the key (Google Authenticator's Key Uri Format), which the QR code carries."""
    label = quote(f"{issuer}:{account}", safe="")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS,
                       "period": PERIOD}, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"


def grouped(secret: str) -> str:
    """The key in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))

