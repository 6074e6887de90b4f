"""Presentation mode (issue 20 §4): everyone shown under a pseudonym, for screens and slides.

The name is made from an HMAC (keyed by SECRET_KEY) of a stable key (the person's public id,
or an archived row's stored name), so a person keeps one presentation name across pages and
a reader cannot work it back to them; it is not their own pseudonym, which could be matched
with the boards outside presentation mode.
"""

from __future__ import annotations

import hashlib
import hmac

from leaderboard.models.people import ADJECTIVES, ANIMALS


def presentation_name(*, secret: str, key: str) -> str:
    """A stable pseudonym for key: "Quiet Otter 42"."""
    digest = hmac.new(secret.encode(), f"tokenboard-present:{key}".encode(), hashlib.sha256)
    n = int.from_bytes(digest.digest()[:8], "big")
    adjective = ADJECTIVES[n % len(ADJECTIVES)]
    animal = ANIMALS[(n // len(ADJECTIVES)) % len(ANIMALS)]
    number = 10 + (n // (len(ADJECTIVES) * len(ANIMALS))) % 90
    return f"{adjective} {animal} {number}"
