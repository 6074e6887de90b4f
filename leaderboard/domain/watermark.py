"""Per-viewer watermarks: a short code on every signed-in page and every export that an
auditor can turn back into the viewer, and a casual reader cannot.

The code is an HMAC (keyed by SECRET_KEY) of the viewer's user id and the UTC day, in
base32: it changes every day, says nothing by itself, and only someone holding the key
(the `resolve_watermark` command) can match it to a viewer by trying each user and day.
Identity 0 is an export made at the command line for no named viewer.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

LENGTH = 8  # 40 bits: collisions among a few thousand users over 90 days are negligible
NO_VIEWER = 0


def watermark_code(*, secret: str, user_id: int, day: dt.date) -> str:
    """The viewer's code for day: 8 base32 characters."""
    message = f"tokenboard-watermark:{user_id}:{day.isoformat()}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:LENGTH]


def normalise_code(text: str) -> str:
    """A code as typed off a screenshot: upper case, no spaces, 0/1 read as O/I."""
    return text.strip().upper().replace(" ", "").replace("0", "O").replace("1", "I")


def watermark_text(*, secret: str, user_id: int, at: dt.datetime) -> str:
    """What a page or export shows: the code and the UTC time to the minute."""
    utc = at.astimezone(dt.UTC)
    return f"{watermark_code(secret=secret, user_id=user_id, day=utc.date())} {utc:%Y-%m-%d %H:%M}Z"
