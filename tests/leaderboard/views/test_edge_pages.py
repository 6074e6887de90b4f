"""Pages at the edges: not found, a server error, the favicon, and the demo's sign-in page."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client

from tests.helpers import elements


def test_a_missing_page_says_so_in_the_site_look_with_a_way_back(employee_client) -> None:
    response = employee_client.get("/boards/no-such-board/")

    body = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in body
    assert 'class="topbar"' in body
    assert 'href="/">Back to the boards</a>' in body


@pytest.mark.urls("tests.leaderboard.views.raising_urls")
def test_a_failing_view_gets_the_sites_500_page_without_touching_the_database(settings) -> None:
    settings.DEBUG = False
    client = Client(raise_request_exception=False)  # as in production: the page, not the error

    response = client.get("/boom/")  # no `db` fixture: any query here would fail the test

    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in body
    assert "/static/css/app.css" in body
    assert "Traceback" not in body


def test_the_admin_links_the_favicon_too(manager_client) -> None:
    """Without it a browser asks for /favicon.ico on every admin page, and gets a 404."""
    page = manager_client.get("/admin/ingest/connection/").content.decode()

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page


def test_the_favicon_is_linked_from_every_page_and_served(employee_client) -> None:
    page = employee_client.get("/")
    link = re.search(r'<link rel="icon" href="([^"]+)"', page.content.decode())
    assert link is not None

    icon = employee_client.get(link.group(1))

    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(icon.streaming_content)
    assert "img-src 'self'" in page["Content-Security-Policy"]


def test_the_demos_sign_in_address_leads_to_the_demo_picker(client, db, settings) -> None:
    settings.DEMO_MODE = True

    response = client.get("/accounts/login/", {"next": "/boards/spend/"}, follow=True)

    assert response.redirect_chain == [("/accounts/demo/?next=/boards/spend/", 302)]
    assert "Sign in to the demo" in response.content.decode()


def test_outside_the_demo_the_sign_in_page_is_allauths(client, db, settings) -> None:
    settings.DEMO_MODE = False

    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert "Sign In" in response.content.decode()


def test_the_demo_pickers_first_person_is_the_manager_seed_demo_names(client, db, settings) -> None:
    """The README: "pick any demo person (the first one, marked "manager", can use the admin)"."""
    settings.DEMO_MODE = True
    out = io.StringIO()
    call_command("seed_demo", "--days", "1", stdout=out, stderr=io.StringIO())
    named = re.search(r"; (.+) is a leaderboard manager", out.getvalue())
    assert named is not None

    page = client.get("/accounts/demo/").content.decode()

    (select,) = elements(page, "select", id="person")
    options = elements(select.html, "option")
    assert options[0].text == f"{named.group(1)} (manager)"
    assert [o.text for o in options].count(options[0].text) == 1  # listed once, not again in a team
    assert len(options) == 60
