"""Text from outside (the identity provider, the directory, providers' APIs) made safe to
store and show: no control characters, no invisible or direction-changing characters."""

from __future__ import annotations

import re
import unicodedata

# Zero-width characters, direction marks, embeddings, overrides and isolates, the word
# joiner and invisible operators, the byte-order mark and the Arabic letter mark: each can
# make two different strings look the same ("Ada Alvarez" and "Ada\u200b Alvarez") or
# reorder what a reader sees.
INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
# C0 and C1 controls (NUL included), and the line and paragraph separators.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
SPACES = re.compile(r"\s+")


def clean_text(value: object, *, max_length: int | None = None) -> str:
    """Return value as one line of visible text: invisible and control characters removed,
    runs of white space made one space, trimmed, NFC-normalised, cut to max_length."""
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    text = INVISIBLE.sub("", text)
    text = SPACES.sub(" ", CONTROL.sub(" ", text)).strip()
    if max_length is not None and len(text) > max_length:
        text = text[:max_length].rstrip()
    return text


# Names from outside (the directory, providers) are stored as clean_text makes them, so that
# no invisible or direction-changing character makes one name look like another.
PERSON_NAME_MAX, TEAM_NAME_MAX, ACCOUNT_NAME_MAX = 200, 120, 200


def normalize_email(email: str | None) -> str:
    """Return the form e-mails are compared in: trimmed, lower case."""
    return (email or "").strip().lower()
