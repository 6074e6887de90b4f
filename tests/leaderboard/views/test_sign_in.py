"""The admin's door (leaderboard.web.views.sign_in.admin_sign_in): the same sign-in as
everyone, managers only, and on to a page of this site only."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest


def test_a_signed_in_employee_cannot_reach_the_admin(employee_client) -> None:
    response = employee_client.get("/admin/leaderboard/board/", follow=True)

    assert response.status_code == 403
    assert "The admin is for leaderboard managers." in response.content.decode()


OFF_SITE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example",
    "javascript:alert(1)",
    "http://testserver.evil.example/admin/",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_admin_sign_in_sends_a_signed_in_manager_only_to_a_same_site_page(
    manager_client, target
) -> None:
    response = manager_client.get("/admin/login/", {"next": target}, follow=True)

    assert response.redirect_chain == [("/admin/", 302)]
    assert response.status_code == 200


@pytest.mark.parametrize("target", OFF_SITE)
def test_admin_sign_in_hands_only_a_same_site_next_to_the_sign_in_page(client, db, target) -> None:
    response = client.get("/admin/login/", {"next": target})

    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["next"] == ["/admin/"]


def test_admin_sign_in_keeps_a_same_site_next(manager_client) -> None:
    response = manager_client.get(
        "/admin/login/", {"next": "/admin/leaderboard/board/?status=active"}
    )

    assert response["Location"] == "/admin/leaderboard/board/?status=active"
