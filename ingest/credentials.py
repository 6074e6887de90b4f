"""Provider admin keys are stored encrypted (Fernet) and only decrypted to make a request."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class CredentialError(Exception):
    """A stored key cannot be decrypted (the encryption key changed)."""


def _fernet() -> Fernet:
    key = settings.CREDENTIALS_KEY
    if not key:
        digest = hashlib.sha256(b"tokenboard-credentials:" + settings.SECRET_KEY.encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key)


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode() if secret else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise CredentialError(
            "The stored API key cannot be decrypted: CREDENTIALS_KEY or SECRET_KEY changed "
            "since it was saved. Run connect_provider again with the key."
        ) from exc
