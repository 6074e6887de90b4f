"""Provider text with anything key-like taken out, before it is stored or shown.

A provider (or whatever answers at a connection's base URL) may echo the admin key back in an
error body or a page; runs, rejected rows, admin messages and logs are read by every manager.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[redacted]"
# Shorter secrets would redact ordinary words; the patterns below still catch the real kinds.
MIN_SECRET_LENGTH = 8

_SCHEMES = re.compile(
    r"\b(Bearer)(\s+)[A-Za-z0-9._~+/=-]+"
    # a Basic credential is base64 with a digit or padding in it, not a word like "Basic plan"
    r"|\b(Basic)(\s+)(?=[A-Za-z]*[0-9+/=])[A-Za-z0-9+/]{8,}={0,2}",
    re.IGNORECASE,
)
_PREFIXED = re.compile(
    # OpenAI (sk-..., sk-proj-..., sk-admin-...), Anthropic (sk-ant-...), Cursor (key_...)
    r"\bsk-[A-Za-z0-9_-]{6,}|\bkey_[A-Za-z0-9_-]{8,}"
)
# A long run of base64 or hex: a token, a hash, an encoded credential.
_LONG = re.compile(r"[A-Za-z0-9+/_-]{32,}={0,2}")


def _long_token(match: re.Match[str]) -> str:
    token = match.group(0)
    hexadecimal = re.fullmatch(r"[0-9a-fA-F]+", token) is not None
    # Mixed case and digits: no path, field name or model name looks like that.
    mixed = (
        any(c.isupper() for c in token)
        and any(c.islower() for c in token)
        and any(c.isdigit() for c in token)
    )
    return REDACTED if hexadecimal or mixed else token


def redact(text: str, *, secrets: Iterable[str] = ()) -> str:
    """The text with the given secrets, and anything else that looks like a key, replaced."""
    for secret in sorted(
        {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True
    ):
        text = text.replace(secret, REDACTED)
    text = _SCHEMES.sub(lambda m: f"{m[1] or m[3]}{m[2] or m[4]}{REDACTED}", text)
    text = _PREFIXED.sub(REDACTED, text)
    return _LONG.sub(_long_token, text)
