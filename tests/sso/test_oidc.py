"""Company sign-in against a real OpenID Connect provider process on 127.0.0.1.

The provider is panva's oidc-provider (tests/sso/op, installed by `.ci/run` with `npm ci`).
httpx plays the browser at the provider; Django's test client is the browser at Tokenboard.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from leaderboard.models import Person, User
from leaderboard.services.people import ensure_user_for_person
from tests.factories import PersonFactory
from tests.oidc_provider import callback, providers, running_provider

PROVIDER_IDS = ("test-op", "second-op")


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with running_provider([callback("http://testserver", p) for p in PROVIDER_IDS]) as url:
        yield url


@pytest.fixture
def sso(issuer, settings, db):
    settings.SOCIALACCOUNT_PROVIDERS = providers(issuer, PROVIDER_IDS)
    settings.ALLOWED_EMAIL_DOMAINS = ["example.com"]
    return issuer


def _form(html: str, base: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'<form[^>]*action="([^"]+)"', html).group(1)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    return urljoin(base, action), hidden


def sign_in(client: Client, login: str, provider_id: str = "test-op"):
    """Run the authorization-code flow end to end (login is what is typed at the provider);
    return Tokenboard's final response."""
    start = client.post(f"/accounts/oidc/{provider_id}/login/")
    assert start.status_code == 302
    authorize = start["Location"]
    assert "code_challenge=" in authorize and "code_challenge_method=S256" in authorize
    with httpx.Client(timeout=10) as browser:
        response = browser.get(authorize)
        for _ in range(10):
            location = response.headers.get("location", "")
            if location.startswith("http://testserver/"):
                break
            if location:
                response = browser.get(urljoin(str(response.url), location))
                continue
            action, fields = _form(response.text, str(response.url))
            if fields.get("prompt") == "login":
                fields |= {"login": login, "password": "any password"}
            response = browser.post(action, data=fields)
        else:
            raise AssertionError("the provider never redirected back")
    back = urlsplit(location)
    return client.get(f"{back.path}?{back.query}")


def test_an_allowed_user_lands_on_the_boards_linked_to_their_person(sso, seeded_boards) -> None:
    person = PersonFactory(email="alice@example.com", display_name="Alice Ingested")
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


def signed_in_as(client: Client) -> str:
    """The e-mail of whoever the client is signed in as ('' for nobody)."""
    response = client.get("/")
    return response.context["user"].email if response.status_code == 200 else ""


def test_a_second_provider_signs_the_same_address_into_the_same_account(sso, seeded_boards):
    sign_in(Client(), "alice@example.com")
    client = Client()

    response = sign_in(client, "alice@example.com", provider_id="second-op")

    assert response["Location"] == "/" and signed_in_as(client) == "alice@example.com"
    user = User.objects.get()
    assert sorted(user.socialaccount_set.values_list("provider", flat=True)) == [
        "second-op",
        "test-op",
    ]
    assert Person.objects.get().user == user


def test_a_provider_account_re_created_with_a_new_sub_signs_into_the_same_account(
    sso, seeded_boards
):
    sign_in(Client(), "alice@example.com")
    client = Client()

    response = sign_in(client, "alice@example.com#2")  # same address, another sub

    assert response["Location"] == "/" and signed_in_as(client) == "alice@example.com"
    assert sorted(SocialAccount.objects.values_list("uid", flat=True)) == [
        "alice@example.com",
        "alice@example.com#2",
    ]
    assert SocialAccount.objects.filter(user=User.objects.get()).count() == 2


def test_an_address_in_other_letter_case_signs_into_the_same_account(sso, seeded_boards):
    person = PersonFactory(email="alice@example.com", display_name="Alice Ingested")
    sign_in(Client(), "alice@example.com")
    client = Client()

    response = sign_in(client, "Alice@Example.COM")

    assert response["Location"] == "/" and signed_in_as(client) == "alice@example.com"
    assert list(User.objects.values_list("email", flat=True)) == ["alice@example.com"]
    person.refresh_from_db()
    assert person.user == User.objects.get()


def test_a_manager_made_before_their_first_sign_in_signs_into_that_account(sso, seeded_boards):
    person = PersonFactory(email="alice@example.com", display_name="Alice Ingested")
    manager = ensure_user_for_person(person=person)  # grant_manager before any sign-in
    client = Client()

    response = sign_in(client, "alice@example.com")

    assert response["Location"] == "/" and signed_in_as(client) == "alice@example.com"
    assert User.objects.get() == manager
    assert SocialAccount.objects.get().user == manager


def test_a_colleague_cannot_take_over_a_person_who_never_signed_in(sso, seeded_boards):
    carol = PersonFactory(
        email="carol@example.com", display_name="Carol Hidden", visibility="hidden"
    )
    sign_in(Client(), "mallory@example.com")
    mallory = Client()

    again = sign_in(mallory, "mallory@example.com#2")  # used to land on the signup form
    typed = [
        mallory.post("/accounts/3rdparty/signup/", {"email": address})
        for address in ["carol@example.com", "someone@evil.com"]
    ]

    assert again["Location"] == "/" and signed_in_as(mallory) == "mallory@example.com"
    assert [r.status_code for r in typed] == [403, 403]
    carol.refresh_from_db()
    assert carol.user is None
    assert sorted(User.objects.values_list("email", flat=True)) == ["mallory@example.com"]
    # and Carol, signing in later, gets her own record
    client = Client()
    assert sign_in(client, "carol@example.com")["Location"] == "/"
    assert signed_in_as(client) == "carol@example.com"
    carol.refresh_from_db()
    assert carol.user.email == "carol@example.com"


def test_a_record_taken_over_through_the_old_signup_form_goes_back_to_its_owner(sso, seeded_boards):
    sign_in(Client(), "mallory@example.com")
    # What the old signup form left behind: a second user for Mallory's second provider
    # account, with Carol's typed address and her Person.
    taken = User.objects.create_user(username="taken", email="carol@example.com")
    SocialAccount.objects.create(user=taken, provider="test-op", uid="mallory@example.com#2")
    carol = PersonFactory(email="carol@example.com", display_name="Carol", user=taken)
    mallory = Client()

    refused = sign_in(mallory, "mallory@example.com#2")
    client = Client()
    welcomed = sign_in(client, "carol@example.com")

    assert refused.status_code == 403
    assert "mallory@example.com belongs to another Tokenboard account" in refused.content.decode()
    assert signed_in_as(mallory) == ""
    assert welcomed["Location"] == "/" and signed_in_as(client) == "carol@example.com"
    carol.refresh_from_db()
    assert carol.user == taken


def test_a_sign_in_that_allauth_still_finds_taken_is_refused_not_offered_a_form(sso, seeded_boards):
    # An address only in allauth's own table, on a login with another e-mail: no owner by
    # Tokenboard's rules, but allauth counts it as taken and falls back to its signup form.
    other = User.objects.create_user(username="other", email="other@example.com")
    EmailAddress.objects.create(user=other, email="alice@example.com", verified=True)
    client = Client()

    response = sign_in(client, "alice@example.com")
    refused = client.get(response["Location"])

    assert response["Location"] == "/accounts/3rdparty/signup/"
    assert refused.status_code == 403 and "You can't sign in here" in refused.content.decode()
    assert 'name="email"' not in refused.content.decode()
    assert list(User.objects.all()) == [other] and not Person.objects.exists()
    assert signed_in_as(client) == ""


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_social_signup_form_never_offers_to_choose_an_address(method, client, db) -> None:
    response = getattr(client, method)("/accounts/3rdparty/signup/", {"email": "someone@evil.com"})

    page = response.content.decode()
    assert response.status_code == 403
    assert "You can't sign in here" in page
    assert 'name="email"' not in page
    assert not User.objects.exists() and not Person.objects.exists()


@pytest.mark.parametrize(
    ("login", "first", "last", "shown"),
    [
        ("nul-name@example.com", "Ada", "Alvarez", "Ada Alvarez"),
        ("zero-width-name@example.com", "AdaAlvarez", "Brennan", "AdaAlvarez Brennan"),
        ("long-name@example.com", "A" * 150, "B" * 150, "A" * 150 + " " + "B" * 49),
    ],
)
def test_names_from_the_provider_are_stored_as_plain_visible_text(
    sso, seeded_boards, login, first, last, shown
):
    client = Client()

    response = sign_in(client, login)

    assert response["Location"] == "/" and signed_in_as(client) == login
    user = User.objects.get()
    assert (user.first_name, user.last_name) == (first, last)
    assert Person.objects.get().display_name == shown
    assert "\x00" not in str(SocialAccount.objects.get().extra_data)
