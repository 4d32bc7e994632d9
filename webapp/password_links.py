"""The password-reset link: a token signed with the app's secret, naming the account and a fingerprint of its
current password (workflows.password_reset), valid for an hour. Stateless: the worker that sends the e-mail makes
it from the account's id, so no secret travels through the broker."""

import hashlib

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from workflows import password_reset
from workflows.models import User

from .runtime import runtime

SALT = "cdht-password-reset"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(runtime().settings.secret_key, salt=SALT,
                                  signer_kwargs={"digest_method": hashlib.sha256})  # not itsdangerous' SHA-1


def reset_link(user: User) -> str:
    """The address the e-mail gives."""
    token = _serializer().dumps([user.id, password_reset.fingerprint(user)])
    return f"{runtime().settings.public_base_url}/password/reset/{token}"


def read_token(token: str) -> tuple[str, str] | None:
    """(account id, fingerprint) of a token signed here within the hour, or None."""
    try:
        value = _serializer().loads(token, max_age=password_reset.VALID_FOR_S)
    except (SignatureExpired, BadSignature):
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        return None
    return value[0], value[1]
