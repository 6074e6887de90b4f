"""Nothing but sign-in, /healthz and static files answers without a login; the admin is for
managers (its sign-in door: tests/leaderboard/views/test_sign_in.py); every post needs a CSRF
token."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.helpers import HTMX

SAMPLE = {"int": "1", "slug": "x", "str": "x", "path": "x", "uuid": "0" * 32}


def paths(patterns: list, prefix: str = "") -> list[str]:
    """A concrete path for every URL pattern (sample values for its parameters)."""
    found = []
    for pattern in patterns:
        route = str(pattern.pattern)
        if route.startswith("^"):  # a regex: put a sample in each group
            route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route.strip("^$")).replace("\\", "")
        else:
            route = re.sub(
                r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m.group(1) or "str", "x"), route
            )
        if isinstance(pattern, URLResolver):
            found += paths(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern):
            found.append("/" + prefix + route)
    return sorted(set(found))


def is_public(path: str) -> bool:
    return path.startswith("/accounts/") or path in {"/healthz", "/admin/login/"}


@pytest.mark.parametrize(
    "path", ["/", "/boards/token-volume/", "/people/1/", "/teams/1/", "/manage/unattributed/"]
)
def test_every_page_needs_a_login(client, seeded_boards, path) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("path", paths(get_resolver().url_patterns))
def test_anonymous_visitors_get_nothing_but_sign_in(client, db, path) -> None:
    response = client.get(path)

    if response.status_code == 302:
        target = response["Location"]
        assert target.startswith(("/accounts/login/", "/admin/login/")) or is_public(path), (
            f"{path} redirects an anonymous visitor to {target}"
        )
    else:
        assert response.status_code in {403, 404, 405} or is_public(path), (
            f"{path} answered {response.status_code} without a login"
        )


def test_the_list_of_paths_covers_every_app(db) -> None:
    found = paths(get_resolver().url_patterns)

    for expected in [
        "/",
        "/boards/x/",
        "/people/x/",
        "/teams/1/",
        "/manage/unattributed/",
        "/data/",
        "/people/x/title/",
        "/people/x/notices-seen/",
        "/people/x/privacy/",
        "/admin/",
        "/healthz",
    ]:
        assert expected in found


def test_static_files_need_no_login(client, db) -> None:
    assert client.get("/static/css/app.css").status_code == 200


def test_a_manager_reaches_exactly_the_admin_they_need(manager_client) -> None:
    client = manager_client

    assert client.get("/admin/leaderboard/board/").status_code == 200
    assert client.get("/admin/ingest/connection/").status_code == 200
    assert client.get("/admin/badges/badge/").status_code == 200
    assert client.get("/admin/leaderboard/auditevent/").status_code == 200
    assert client.get("/admin/leaderboard/user/").status_code == 403  # not user management
    assert client.get("/admin/auth/group/").status_code == 403


def test_every_post_needs_a_csrf_token_htmx_or_not(employee) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(employee.user)

    plain = strict.post(f"/people/{employee.public_id}/privacy/", {"visibility": "hidden"})
    htmx = strict.post(f"/people/{employee.public_id}/privacy/", {"visibility": "hidden"}, **HTMX)

    assert plain.status_code == htmx.status_code == 403
    employee.refresh_from_db()
    assert employee.visibility == "name"
