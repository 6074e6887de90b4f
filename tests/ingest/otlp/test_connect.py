"""Creating a receiver: by command or in the admin, its token is shown once, stored only as
a hash, and works at once; a new token replaces the old."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from ingest.models import Connection
from ingest.services.receiver import Unauthorized, authenticate

pytestmark = pytest.mark.django_db


def connect(*args: str) -> str:
    out = StringIO()
    call_command("connect_provider", *args, stdout=out)
    return out.getvalue()


def token_in(text: str) -> str:
    found = re.search(r"Bearer (tbo_[-\w]+)", text)
    assert found, text
    return found.group(1)


def test_the_command_prints_the_token_once_and_a_new_one_replaces_it():
    first = connect("claude-otel", "--provider", "otlp")
    assert "/otlp/claude-otel/v1/metrics" in first
    token = token_in(first)
    assert authenticate(name="claude-otel", authorization=f"Bearer {token}")
    again = connect("claude-otel", "--provider", "otlp")
    assert "tbo_" not in again and "keeps its token" in again
    new = token_in(connect("claude-otel", "--provider", "otlp", "--new-token"))
    assert authenticate(name="claude-otel", authorization=f"bearer {new}")
    with pytest.raises(Unauthorized):
        authenticate(name="claude-otel", authorization=f"Bearer {token}")
    assert token not in str(Connection.objects.values().get())


def test_the_admin_shows_a_new_receivers_token_once(admin_client: Client):
    answer = admin_client.post(
        "/admin/ingest/connection/add/",
        {
            "name": "team-otel",
            "provider": "otlp",
            "base_url": "",
            "enabled": "on",
            "pull_every_minutes": "60",
        },
        follow=True,
    )
    assert answer.status_code == 200
    shown = " ".join(str(m) for m in answer.context["messages"])
    token = token_in(shown)
    assert "shown once" in shown
    assert authenticate(name="team-otel", authorization=f"Bearer {token}")
    page = admin_client.get(f"/admin/ingest/connection/{Connection.objects.get().pk}/change/")
    assert token not in page.content.decode()
