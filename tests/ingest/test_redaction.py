from __future__ import annotations

import base64

import pytest

from ingest.redaction import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("invalid key sk-admin-1234abcd", "invalid key [redacted]"),
        ("x-api-key sk-ant-admin01-Abc_def-123456", "x-api-key [redacted]"),
        ("got key_0123456789abcdef0123", "got [redacted]"),
        ("Authorization: Bearer eyJhbGciOi.J9.xyz", "Authorization: Bearer [redacted]"),
        (f"Basic {base64.b64encode(b'key_abc:').decode()}", "Basic [redacted]"),
        ("token d41d8cd98f00b204e9800998ecf8427e end", "token [redacted] end"),
        ("id aB3dE5gH7jK9mN1pQ3rS5tU7vW9xY1zA2b", "id [redacted]"),
    ],
)
def test_redact_replaces_what_looks_like_a_key(text, expected) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "GET /v1/organizations/usage_report/claude_code answered 401: invalid x-api-key",
        "user 123e4567-e89b-12d3-a456-426614174000 has no e-mail",
        "model claude-sonnet-4-5-20250929 is unknown",
        "Basic plan users cannot call the Admin API",
    ],
)
def test_redact_leaves_ordinary_provider_text_alone(text) -> None:
    assert redact(text) == text


def test_redact_removes_the_connections_own_key_whatever_it_looks_like() -> None:
    assert redact("you sent hunter2-but-longer!", secrets=["hunter2-but-longer"]) == (
        "you sent [redacted]!"
    )


def test_redact_ignores_secrets_too_short_to_find_safely() -> None:
    assert redact("a key of x", secrets=["x"]) == "a key of x"
