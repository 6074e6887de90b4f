"""Nothing but sign-in, /healthz and static files answers without a login."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

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


def test_a_signed_in_employee_cannot_reach_the_admin(client, alice) -> None:
    client.force_login(alice.user)

    response = client.get("/admin/leaderboard/board/", follow=True)

    assert response.status_code == 403
    assert "The admin is for leaderboard managers." in response.content.decode()


def test_a_manager_reaches_exactly_the_admin_they_need(client, alice) -> None:
    from leaderboard.services.people import set_manager

    set_manager(user=alice.user, manager=True)
    client.force_login(alice.user)

    assert client.get("/admin/leaderboard/board/").status_code == 200
    assert client.get("/admin/ingest/connection/").status_code == 200
    assert client.get("/admin/badges/badge/").status_code == 200
    assert client.get("/admin/leaderboard/auditevent/").status_code == 200
    assert client.get("/admin/leaderboard/user/").status_code == 403  # not user management
    assert client.get("/admin/auth/group/").status_code == 403


def test_every_post_needs_a_csrf_token_htmx_or_not(alice) -> None:
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice.user)

    plain = strict.post(f"/people/{alice.public_id}/privacy/", {"visibility": "hidden"})
    htmx = strict.post(
        f"/people/{alice.public_id}/privacy/", {"visibility": "hidden"}, HTTP_HX_REQUEST="true"
    )

    assert plain.status_code == htmx.status_code == 403
    alice.refresh_from_db()
    assert alice.visibility == "name"


OFF_SITE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example",
    "javascript:alert(1)",
    "http://testserver.evil.example/admin/",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_admin_sign_in_sends_a_signed_in_manager_only_to_a_same_site_page(
    client, alice, target
) -> None:
    from leaderboard.services.people import set_manager

    client.force_login(set_manager(user=alice.user, manager=True))

    response = client.get("/admin/login/", {"next": target}, follow=True)

    assert response.redirect_chain == [("/admin/", 302)]
    assert response.status_code == 200


@pytest.mark.parametrize("target", OFF_SITE)
def test_admin_sign_in_hands_only_a_same_site_next_to_the_sign_in_page(client, db, target) -> None:
    from urllib.parse import parse_qs, urlsplit

    response = client.get("/admin/login/", {"next": target})

    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["next"] == ["/admin/"]


def test_admin_sign_in_keeps_a_same_site_next(client, alice) -> None:
    from leaderboard.services.people import set_manager

    client.force_login(set_manager(user=alice.user, manager=True))

    response = client.get("/admin/login/", {"next": "/admin/leaderboard/board/?status=active"})

    assert response["Location"] == "/admin/leaderboard/board/?status=active"
