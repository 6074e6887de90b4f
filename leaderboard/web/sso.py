"""Company sign-in rules for allauth: who may sign in, and linking them to their Person.

The address the identity provider verified is the only thing that says who someone is: a
sign-in becomes the user who owns that address (the one linked to the Person with it),
whatever provider or provider account (`sub`) it comes from, and nothing typed into a form
can choose or change it.
"""

from __future__ import annotations

from typing import Protocol, TypedDict, cast, overload

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from leaderboard.domain import text
from leaderboard.domain.json_values import JSON
from leaderboard.domain.text import clean_text
from leaderboard.models import User
from leaderboard.selectors import people
from leaderboard.services import people as service_people

# allauth ships no types: what these rules read of its objects and of the apps configured in
# settings.SOCIALACCOUNT_PROVIDERS (settings.py builds them) is written out here.


class IdentityProviderSettings(TypedDict, total=False):
    """A SAML app's "idp" settings: a metadata URL, or the IdP's sign-in URL and more."""

    metadata_url: str
    sso_url: str


class AppSettings(TypedDict, total=False):
    """The parts of an app's "settings" read here (OpenID Connect, or SAML's "idp")."""

    server_url: str
    openid_configuration_overrides: dict[str, str]
    required_claims: dict[str, str]  # claim -> the value it must have on every login
    idp: IdentityProviderSettings


class App(TypedDict, total=False):
    """One of a provider's "APPS" in settings.SOCIALACCOUNT_PROVIDERS."""

    settings: AppSettings


class Provider(TypedDict, total=False):
    """A provider's entry in settings.SOCIALACCOUNT_PROVIDERS."""

    APPS: list[App]


class _EmailAddress(Protocol):
    email: str
    verified: bool


class _SocialApp(Protocol):
    settings: AppSettings


class _Provider(Protocol):
    app: _SocialApp


class _SocialAccount(Protocol):
    extra_data: dict[str, JSON]  # the provider's claims, as it sent them

    def get_provider(self) -> _Provider: ...


class SocialLogin(Protocol):
    """What these rules read of allauth's SocialLogin."""

    account: _SocialAccount
    email_addresses: list[_EmailAddress]
    is_existing: bool
    user: User


def _claims(sociallogin: SocialLogin) -> dict[str, JSON]:
    data = sociallogin.account.extra_data or {}
    claims = dict(data)
    for part in ("id_token", "userinfo"):
        if isinstance(found := data.get(part), dict):
            claims.update(found)
    return claims


def verified_address(sociallogin: SocialLogin) -> str:
    """The e-mail address the identity provider verified, normalised; '' when it verified
    none (or several different ones: then it does not say who this is)."""
    verified = {text.normalize_email(a.email) for a in sociallogin.email_addresses if a.verified}
    verified.discard("")
    return verified.pop() if len(verified) == 1 else ""


def refusal(sociallogin: SocialLogin) -> str:
    """Why this login is not allowed ('' when it is): checked for new and returning users."""
    claimed = [text.normalize_email(a.email) for a in sociallogin.email_addresses]
    if not any(claimed):
        return "Your identity provider sent no e-mail address."
    email = verified_address(sociallogin)
    if not email:
        return (
            f"{next(c for c in claimed if c)} is not a verified address at your identity provider."
        )
    domain = email.rpartition("@")[2]
    if settings.ALLOWED_EMAIL_DOMAINS and domain not in settings.ALLOWED_EMAIL_DOMAINS:
        return f"Addresses at {domain} may not sign in to this Tokenboard."
    try:
        required = sociallogin.account.get_provider().app.settings.get("required_claims", {})
    except Exception:  # a provider without app settings requires nothing more
        required = {}
    claims = _claims(sociallogin)
    for claim, expected in required.items():
        if str(claims.get(claim, "")) != str(expected):
            return f"Your account is not in this organisation ({claim} does not match)."
    if sociallogin.is_existing:
        # A known provider account whose address now belongs to someone else's login.
        owner = people.owner_of_email(email)
        if owner is not None and owner.pk != sociallogin.user.pk:
            return f"{email} belongs to another Tokenboard account."
    return ""


def refused(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "account/not_allowed.html", {"reason": reason}, status=403)


@overload
def _without_nul(value: str) -> str: ...
@overload
def _without_nul(value: dict[str, JSON]) -> dict[str, JSON]: ...
@overload
def _without_nul(value: JSON) -> JSON: ...
def _without_nul(value: JSON) -> JSON:
    """The provider's raw data as PostgreSQL can store it (jsonb refuses \\u0000)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _full_name(user: User) -> str:
    return " ".join(p for p in [user.first_name, user.last_name] if p)


# allauth ships no types, so its adapter is Any to mypy (which refuses a subclass of Any).
class CompanySocialAccountAdapter(DefaultSocialAccountAdapter):  # type: ignore[misc]
    def populate_user(
        self, request: HttpRequest, sociallogin: SocialLogin, data: dict[str, object]
    ) -> User:
        sociallogin.account.extra_data = _without_nul(sociallogin.account.extra_data)
        user: User = super().populate_user(request, sociallogin, data)
        for field in ("first_name", "last_name", "username"):
            # each a CharField of the user model
            limit = cast("models.CharField[str, str]", User._meta.get_field(field)).max_length
            setattr(user, field, clean_text(getattr(user, field), max_length=limit))
        user.email = text.normalize_email(user.email)
        for address in sociallogin.email_addresses:
            address.email = text.normalize_email(address.email)
        return user

    def authenticate_by_email(self, sociallogin: SocialLogin) -> tuple[User, str] | None:
        # A second provider, a re-created provider account (new `sub`) or the same address
        # in other letter case: the login that owns the verified address, never a new one
        # (allauth would offer its signup form, where an address could be typed).
        email = verified_address(sociallogin)
        owner = people.owner_of_email(email) if email else None
        return (owner, email) if owner is not None else None

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        reason = refusal(sociallogin)
        if reason:
            raise ImmediateHttpResponse(refused(request, reason))
        if sociallogin.is_existing:
            service_people.link_person(
                user=sociallogin.user,
                email=verified_address(sociallogin),
                name=_full_name(sociallogin.user),
            )

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return not refusal(sociallogin)

    def save_user(
        self, request: HttpRequest, sociallogin: SocialLogin, form: object = None
    ) -> User:
        # No form ever chooses anything here: the address is the one the provider verified.
        email = verified_address(sociallogin)
        sociallogin.user.email = email
        user: User = super().save_user(request, sociallogin, form=None)
        service_people.link_person(user=user, email=email, name=_full_name(user))
        return user
