"""Company sign-in against a real OpenID Connect provider process on 127.0.0.1.

The provider is panva's oidc-provider (tests/sso/op, installed by `.ci/run` with `npm ci`).
httpx plays the browser at the provider; Django's test client is the browser at Tokenboard.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from leaderboard.models import Person, User

OP_DIR = Path(__file__).parent / "op"
CALLBACK = "http://testserver/accounts/oidc/test-op/login/callback/"
NODE = shutil.which("node")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    if NODE is None or not (OP_DIR / "node_modules").exists():
        pytest.skip("needs Node.js and `npm ci --prefix tests/sso/op` (CI does both)")
    port = free_port()
    process = subprocess.Popen(
        [NODE, "server.mjs"],
        cwd=OP_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={"PATH": "/usr/bin:/bin", "OP_PORT": str(port), "RP_REDIRECT": CALLBACK},
    )
    try:
        for line in process.stdout:
            if line.startswith("READY"):
                break
        else:
            raise RuntimeError("the OpenID provider did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def sso(issuer, settings, db):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "test-op",
                    "name": "Test SSO",
                    "client_id": "tokenboard-test",
                    "secret": "tokenboard-test-secret",
                    "settings": {"server_url": issuer, "oauth_pkce_enabled": True},
                }
            ],
        }
    }
    settings.ALLOWED_EMAIL_DOMAINS = ["example.com"]
    return issuer


def _form(html: str, base: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'<form[^>]*action="([^"]+)"', html).group(1)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    return urljoin(base, action), hidden


def sign_in(client: Client, email: str):
    """Run the authorization-code flow end to end; return Tokenboard's final response."""
    start = client.post("/accounts/oidc/test-op/login/")
    assert start.status_code == 302
    authorize = start["Location"]
    assert "code_challenge=" in authorize and "code_challenge_method=S256" in authorize
    with httpx.Client(timeout=10) as browser:
        response = browser.get(authorize)
        for _ in range(10):
            location = response.headers.get("location", "")
            if location.startswith(CALLBACK):
                break
            if location:
                response = browser.get(urljoin(str(response.url), location))
                continue
            action, fields = _form(response.text, str(response.url))
            if fields.get("prompt") == "login":
                fields |= {"login": email, "password": "any password"}
            response = browser.post(action, data=fields)
        else:
            raise AssertionError("the provider never redirected back")
    callback = urlsplit(location)
    return client.get(f"{callback.path}?{callback.query}")


def test_an_allowed_user_lands_on_the_boards_linked_to_their_person(sso, seeded_boards) -> None:
    person = Person.objects.create(email="alice@example.com", display_name="Alice Ingested")
    client = Client()

    response = sign_in(client, "alice@example.com")

    assert (response.status_code, response["Location"]) == (302, "/")
    assert client.get("/").status_code == 200
    person.refresh_from_db()
    assert person.user is not None and person.user.email == "alice@example.com"
    account = SocialAccount.objects.get(user=person.user)
    assert account.provider == "test-op"


def test_a_second_login_reuses_the_account(sso, seeded_boards) -> None:
    sign_in(Client(), "bob@example.com")

    again = sign_in(Client(), "bob@example.com")

    assert again["Location"] == "/"
    assert User.objects.filter(email="bob@example.com").count() == 1
    assert SocialAccount.objects.count() == 1
    assert Person.objects.get(email="bob@example.com").display_name == "Test bob"


@pytest.mark.parametrize("email", ["mallory@evil.test", "unverified-carol@example.com"])
def test_other_domains_and_unverified_emails_are_refused_without_an_account(sso, email):
    response = sign_in(Client(), email)

    assert response.status_code == 403
    assert "You can't sign in here" in response.content.decode()
    assert not User.objects.exists() and not SocialAccount.objects.exists()
    assert not Person.objects.exists()


def test_a_returning_user_whose_domain_is_no_longer_allowed_is_refused(sso, settings) -> None:
    sign_in(Client(), "dave@example.com")
    settings.ALLOWED_EMAIL_DOMAINS = ["example.org"]

    response = sign_in(Client(), "dave@example.com")

    assert response.status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in_and_there_is_no_password_login(client, db) -> None:
    response = client.get("/")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert (
        client.post("/accounts/login/", {"login": "a@example.com", "password": "x"}).status_code
        == 403
    )
    assert client.get("/accounts/signup/").status_code == 404


def test_a_required_claim_that_does_not_match_is_refused(sso, settings) -> None:
    app = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0]
    app["settings"]["required_claims"] = {"hd": "example.com"}  # Google Workspace's check

    response = sign_in(Client(), "erin@example.com")  # this provider sends no hd claim

    assert response.status_code == 403
    assert "not in this organisation (hd does not match)" in response.content.decode()
    assert not User.objects.exists()
