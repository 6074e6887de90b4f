from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from tests.factories import AccountFactory, PersonFactory, UsageFactFactory

NOW = dt.datetime(2026, 8, 20, 12, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def use(person, tokens: int, day: dt.date = dt.date(2026, 8, 3)) -> None:
    UsageFactFactory(account=AccountFactory(person=person), day=day, input=tokens, output=0)


def test_standings_require_login(client, db) -> None:
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_standings_rank_people_by_total_tokens_this_month(client, alice, bob) -> None:
    use(alice, 281_000_000_000)
    use(bob, 3_500_000_000)
    use(bob, 10**15, day=dt.date(2026, 7, 31))  # last month does not count
    client.force_login(alice.user)

    response = client.get("/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "August 2026" in page
    rows = re.findall(
        r"<tr[^>]*>\s*<td class=\"num\">(\d+)</td>\s*<td>([^<]+)</td>\s*"
        r"<td>([^<]+)</td>\s*<td[^>]*>([^<]+)</td>",
        page,
    )
    assert rows == [
        ("1", "Alice Nguyen", "Platform", "281.0B"),
        ("2", "Bob Okafor", "Platform", "3.5B"),
    ]
    assert '<tr class="me">' in page  # the signed-in person's row stands out


def test_standings_escape_names_from_providers(client, alice) -> None:
    use(PersonFactory(display_name="<script>alert(1)</script>"), 10)
    client.force_login(alice.user)

    page = client.get("/").content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_standings_paginate_in_pages_of_fifty(client, alice, django_assert_max_num_queries) -> None:
    for n in range(51):
        use(PersonFactory(display_name=f"P{n:02d}"), 1000 + n)
    client.force_login(alice.user)

    with django_assert_max_num_queries(6):
        page_two = client.get("/", {"page": 2}).content.decode()

    assert "P00" in page_two and "P01" not in page_two
    assert "Page 2 of 2" in page_two


def test_empty_month_explains_how_to_get_data(client, alice) -> None:
    client.force_login(alice.user)

    assert "No usage recorded for August 2026 yet" in client.get("/").content.decode()


def test_pages_carry_a_strict_content_security_policy(client, alice) -> None:
    client.force_login(alice.user)

    response = client.get("/")

    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert f'nonce="{nonce}"' in response.content.decode()  # htmx's script tag


def test_healthz_is_public_and_reports_the_database(client, db) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_healthz_fails_when_the_broker_is_down(client, db) -> None:
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "down"}


def test_demo_sign_in_does_not_exist_outside_demo_mode(client, alice) -> None:
    assert client.get("/accounts/demo/").status_code == 404
    assert client.post("/accounts/demo/", {"person": alice.pk}).status_code == 404
    assert "_auth_user_id" not in client.session


@override_settings(DEMO_MODE=True)
def test_demo_sign_in_lets_you_be_anyone(client, alice, bob) -> None:
    page = client.get("/accounts/demo/").content.decode()
    assert "Bob Okafor" in page

    response = client.post("/accounts/demo/", {"person": bob.pk, "next": "/?page=1"})

    assert response["Location"] == "/?page=1"
    bob.refresh_from_db()
    assert client.get("/").context["user"] == bob.user


@override_settings(DEMO_MODE=True)
def test_demo_sign_in_never_redirects_off_site(client, bob) -> None:
    response = client.post("/accounts/demo/", {"person": bob.pk, "next": "https://evil.test/"})

    assert response["Location"] == "/"
